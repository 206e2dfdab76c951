"""CapOutputs trims huge outputs (which nbgrader's line-based LimitOutput lets through)."""

import nbformat
from traitlets.config import Config

from autograder.output_cap import CapOutputs, configure_output_cap


def cell_with(outputs: list[dict]) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("print('x' * 10**6)")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def test_long_stream_and_text_are_cut_with_a_note() -> None:
    cap = CapOutputs(max_chars=1000)
    cell = cell_with(
        [
            {"output_type": "stream", "name": "stdout", "text": "x" * 10**6},
            {
                "output_type": "execute_result",
                "execution_count": 1,
                "metadata": {},
                "data": {"text/plain": "y" * 5000},
            },
        ]
    )
    cell, _ = cap.preprocess_cell(cell, {}, 0)
    stream, result = cell.outputs
    assert stream.text.startswith("x" * 1000) and "999,000 more characters" in stream.text
    assert len(stream.text) < 1100
    assert result.data["text/plain"].startswith("y" * 1000) and "4,000 more" in result.data["text/plain"]


def test_small_outputs_and_plots_are_kept() -> None:
    cap = CapOutputs(max_chars=1000)
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]},
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR" * 100}},
    ]
    cell, _ = cap.preprocess_cell(cell_with(outputs), {}, 0)
    assert cell.outputs[0].text == ["a\n", "b\n"]
    assert cell.outputs[1].data["image/png"] == "iVBOR" * 100


def test_configure_puts_it_after_limit_output_once() -> None:
    c = Config()
    c.Autograde.autograde_preprocessors = ["Execute", "nbgrader.preprocessors.LimitOutput", "SaveAutoGrades"]
    configure_output_cap(c, max_chars=10)
    configure_output_cap(c)
    steps = c.Autograde.autograde_preprocessors
    assert steps[1:3] == ["nbgrader.preprocessors.LimitOutput", CapOutputs] and steps.count(CapOutputs) == 1
    assert c.CapOutputs.max_chars == 10
