"""CapOutputs trims huge outputs (which nbgrader's line-based LimitOutput lets through)."""

import nbformat
from traitlets.config import Config

from autograder.nbgrader_ext.kernel_guard import NOTE
from autograder.nbgrader_ext.output_cap import CapOutputs, configure_output_cap
from autograder.nbgrader_ext.sandbox_kernel import Limits


def cell_with(outputs: list[dict]) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("print('x' * 10**6)")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def test_a_long_print_in_many_chunks_is_cut_with_a_note() -> None:
    error = {"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}
    cell = cell_with([stream("x" * 300) for _ in range(100)] + [error])
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = CapOutputs(max_chars=1000)(nb, {})  # as nbconvert calls it
    cell = nb.cells[0]
    kinds = [o.output_type for o in cell.outputs]
    assert kinds == ["stream"] * 3 + ["error", "stream"]
    assert "29,100 more characters" in cell.outputs[-1].text  # 100 x 300 - 3 x 300 kept
    assert cell.outputs[3].ename == "AssertionError"  # what decides the grade is never dropped


def test_small_outputs_and_plots_are_kept() -> None:
    outputs = [
        stream("a\nb\n"),
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR" * 100}},
    ]
    cell, _ = CapOutputs(max_chars=1000).preprocess_cell(cell_with(outputs), {}, 0)
    assert [o.output_type for o in cell.outputs] == ["stream", "display_data"]
    assert cell.outputs[1].data["image/png"] == "iVBOR" * 100


def test_configure_puts_it_after_limit_output_once() -> None:
    c = Config()
    c.Autograde.autograde_preprocessors = ["Execute", "nbgrader.preprocessors.LimitOutput", "SaveAutoGrades"]
    configure_output_cap(c, max_chars=10)
    configure_output_cap(c)
    steps = c.Autograde.autograde_preprocessors
    assert steps[1:3] == ["nbgrader.preprocessors.LimitOutput", CapOutputs] and steps.count(CapOutputs) == 1
    assert c.CapOutputs.max_chars == 10


def test_a_cell_the_kernel_already_cut_is_not_cut_again() -> None:
    """The kernel keeps exactly the cap and adds its note; the cap when saving leaves both alone."""
    cut = stream("x" * 1000 + NOTE.format(cap=1000, dropped=5_000_000))
    cell, _ = CapOutputs(max_chars=1000).preprocess_cell(cell_with([cut]), {}, 0)
    assert [o.text for o in cell.outputs] == [cut["text"]]


def test_the_cap_is_the_sandbox_limit() -> None:
    assert CapOutputs().max_chars == Limits().output_chars
