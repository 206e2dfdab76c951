"""The parts of `ps1 similarity` that need no grading folder: answer cells, the flag rule, fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.ps1 import RELEASE_NOTEBOOK
from hypothesis import given
from hypothesis import strategies as st

from autograder.errors import InputError
from autograder.similarity import compare
from autograder.similarity.answers import answer_layout, read_answers
from autograder.similarity.flags import MINIMUM, threshold


def test_the_release_has_code_and_written_answer_cells() -> None:
    layout = answer_layout(RELEASE_NOTEBOOK)
    assert {"p1a_code", "p3_code"} <= {g for g, k in layout.items() if k == "code"}
    assert {"p1a_written", "p2_written"} <= {g for g, k in layout.items() if k == "written"}


def test_only_answer_cells_are_read_and_solution_markers_dropped(tmp_path: Path) -> None:
    nb = json.loads(RELEASE_NOTEBOOK.read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "p2_code":
            cell["source"] = "### BEGIN SOLUTION\nreturn 1\n### END SOLUTION\n"
    path = tmp_path / "PS1.ipynb"
    path.write_text(json.dumps(nb))
    answers = read_answers(path, answer_layout(RELEASE_NOTEBOOK))
    assert answers.code["p2_code"] == "return 1"
    assert "Problem" not in answers.text("written")  # question text is in other cells


def test_an_unreadable_notebook_is_one_input_error(tmp_path: Path) -> None:
    (tmp_path / "PS1.ipynb").write_text("{not json")
    with pytest.raises(InputError, match="cannot read the notebook"):
        read_answers(tmp_path / "PS1.ipynb", {})


@given(st.lists(st.floats(0, 1), min_size=1, max_size=200), st.sampled_from(compare.KINDS))
def test_the_flag_bar_is_never_below_the_minimum_nor_below_the_median(scores: list[float], kind: str) -> None:
    bar = threshold(kind, scores)
    assert bar >= MINIMUM[kind] and bar >= sorted(scores)[len(scores) // 2] - 1e-12


def test_renaming_and_comments_do_not_hide_code_but_the_boilerplate_is_ignored() -> None:
    code = "def f(values, rate):\n    total = 0\n"
    code += "    for v in values:\n        total += v * rate\n    return total\n"
    renamed = "# mine\ndef g(xs, r):\n\n    acc = 0  # start\n"
    renamed += "    for item in xs:\n        acc += item * r\n    return acc\n"
    one, other = compare.fingerprint(code, "code"), compare.fingerprint(renamed, "code")
    assert compare.similarity(one, other) > 0.9
    boiler = compare.fingerprint(code, "code").hashes
    assert (
        compare.similarity(
            compare.fingerprint(code, "code", boiler), compare.fingerprint(renamed, "code", boiler)
        )
        == 0
    )
