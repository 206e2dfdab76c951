"""The jupytext pair nbgrader_course/PS1.py says exactly what the source notebook says."""

from __future__ import annotations

import nbformat
from helpers.ps1 import PAIRED_SCRIPT, SOURCE_NOTEBOOK

from autograder.authoring.release import paired_text, read_pair


def _cells(nb: nbformat.NotebookNode) -> list[tuple]:
    return [(c.get("id"), c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def test_the_pair_reads_back_as_the_source_notebook_with_its_cell_ids() -> None:
    source = nbformat.read(SOURCE_NOTEBOOK, as_version=4)
    paired = read_pair(PAIRED_SCRIPT)
    assert [c[0] for c in _cells(paired)] == [c[0] for c in _cells(source)]
    for theirs, ours in zip(_cells(paired), _cells(source)):
        assert theirs == ours, f"cell {ours[0]} differs: run `make release`"


def test_the_committed_pair_is_current() -> None:
    assert PAIRED_SCRIPT.read_text(encoding="utf-8") == paired_text(SOURCE_NOTEBOOK), "run `make release`"
