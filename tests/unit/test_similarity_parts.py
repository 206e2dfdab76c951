"""The parts of `ps1 similarity` that need no grading folder: answer cells, the flag rule, fingerprints."""

from __future__ import annotations

import builtins
import io
import json
import keyword
import tokenize
from pathlib import Path

import pytest
from helpers.ps1 import RELEASE_NOTEBOOK
from helpers.similarity_class import CODE_IDS, PLANTED, notebook, students, with_pastes
from hypothesis import given
from hypothesis import strategies as st

from autograder.errors import InputError
from autograder.similarity import compare
from autograder.similarity.answers import answer_layout, read_answers
from autograder.similarity.flags import MINIMUM, threshold
from autograder.similarity.report import release_distribution

NOTHING_GIVEN = compare.Distribution({"code": "", "written": ""}, {"code": [], "written": []})


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


@given(st.lists(st.floats(0, 1), min_size=1, max_size=200), st.sampled_from(compare.KINDS))
def test_identical_answers_always_reach_the_flag_bar(scores: list[float], kind: str) -> None:
    assert threshold(kind, scores) <= 1.0


def test_identical_pairs_are_flagged_in_a_class_whose_pairs_are_all_alike() -> None:
    """Most pairs alike but spread evenly from 0.3 to 0.9 (median 0.6, spread 0.15: median + 6
    spreads is 1.5), a few identical: those reach the bar."""
    scores = [0.3 + 0.6 * i / 99 for i in range(100)] + [1.0] * 5
    bar = threshold("code", scores)
    assert bar == 1.0
    assert [s for s in scores if s >= bar] == [1.0] * 5


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


def class_scores(
    tmp_path: Path, answers: dict[str, dict[str, str]], given: compare.Distribution
) -> dict[tuple[str, str], compare.Pair]:
    """Every pair of these students, compared as `ps1 similarity` compares a class."""
    layout, texts = answer_layout(RELEASE_NOTEBOOK), {}
    for name, cells in answers.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_text(json.dumps(notebook(cells)))
        found = read_answers(path, layout)
        texts[name] = {kind: found.text(kind) for kind in compare.KINDS}
    with compare.Comparison(texts, given, workers=1) as comparison:
        return {(p.a, p.b): p for p in comparison.pairs()}


def test_release_text_pasted_into_answers_adds_nothing(tmp_path: Path) -> None:
    """Three independent notebooks, each with the given code and visible tests pasted into its code
    answers and the notebook's introduction into a written one: every pair scores as it does
    without the pastes, below the flag minimum (so never flagged), though the pastes alone would
    make them alike."""
    own = {name: students()[name] for name in ("Ada", "Babbage", "Curie")}
    pasted = {name: with_pastes(cells) for name, cells in own.items()}
    release = release_distribution(RELEASE_NOTEBOOK, answer_layout(RELEASE_NOTEBOOK))
    plain = class_scores(tmp_path, own, release)
    found = class_scores(tmp_path, pasted, release)
    unfiltered = class_scores(tmp_path, pasted, NOTHING_GIVEN)
    for kind in compare.KINDS:
        for pair, scores in found.items():
            assert getattr(scores, kind) == pytest.approx(getattr(plain[pair], kind), abs=0.01), (kind, pair)
            assert getattr(scores, kind) < MINIMUM[kind], (kind, pair)
        assert min(getattr(p, kind) for p in unfiltered.values()) >= MINIMUM[kind], kind


KEPT_TOKENS = (tokenize.NAME, tokenize.OP)
GIVEN_API = set(dir(builtins)) | set(keyword.kwlist) | {"np", "edf", "Univariate", "Bivariate"}


def plain_names(code: str) -> set[str]:
    """The names of `code` read from its tokens (not its syntax tree, as the renaming is): neither
    attributes (after a dot) nor keywords of a call (before `=` inside brackets)."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type in KEPT_TOKENS]
    names, depth = set(), 0
    for before, token, after in zip([None, *tokens[:-1]], tokens, [*tokens[1:], None], strict=True):
        if token.type == tokenize.OP:
            depth += (token.string in "([{") - (token.string in ")]}")
            continue
        keyword_arg = depth > 0 and after is not None and after.string == "="
        if not (before and before.string == ".") and not keyword_arg:
            names.add(token.string)
    return names


def test_the_renamed_copy_keeps_no_name_but_the_given_api() -> None:
    original, copy = (students()[name] for name in PLANTED["code"])
    for grade_id in CODE_IDS:
        kept = plain_names(original[grade_id]) & plain_names(copy[grade_id])
        assert kept <= GIVEN_API, (grade_id, kept - GIVEN_API)
