"""The committed student notebook is exactly what nbgrader generates, and it leaks nothing."""

from __future__ import annotations

import nbformat
import pytest
from helpers.ps1 import RELEASE_NOTEBOOK, SOURCE_NOTEBOOK

from autograder.authoring.release import comparable


def _region_lines(source: str, begin: str, end: str) -> list[str]:
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and line.strip():
            lines.append(line)
    return lines


@pytest.mark.slow
def test_committed_release_equals_a_fresh_generation(graded):
    fresh, committed = comparable(graded.release), comparable(RELEASE_NOTEBOOK)
    assert [c[0] for c in fresh] == [c[0] for c in committed]
    for new, old in zip(fresh, committed):
        assert new == old, f"cell {new[0]} differs: run `python -m autograder release`"
    assert nbformat.read(graded.release, 4).metadata == nbformat.read(RELEASE_NOTEBOOK, 4).metadata


def test_release_has_no_solutions_and_no_hidden_tests():
    source = {c.id: c for c in nbformat.read(SOURCE_NOTEBOOK, as_version=4).cells}
    release = nbformat.read(RELEASE_NOTEBOOK, as_version=4)
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    assert [c.id for c in release.cells] == list(source)
    for cell in release.cells:
        meta = cell.metadata["nbgrader"]
        original = source[cell.id].source
        if meta["solution"] and cell.cell_type == "markdown":
            assert cell.source == "YOUR ANSWER HERE"
        elif meta["solution"]:
            assert "raise NotImplementedError()" in cell.source
            for line in _region_lines(original, "### BEGIN SOLUTION", "### END SOLUTION"):
                assert line not in cell.source.splitlines(), (cell.id, line)
        elif meta["grade"]:
            hidden = _region_lines(original, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
            assert hidden, f"{cell.id} has no hidden tests"
            for line in hidden:
                if line.strip().startswith(("_", "assert", "for _")):
                    assert line not in text, (cell.id, line)
        else:
            assert cell.source == original
