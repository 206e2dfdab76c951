"""Problem 3's data file (nbgrader_course/source/ps1/digits.npz) is scikit-learn's digits and split, and
the notebook reads what the grader reads.

The only place outside autograder/authoring/digits_file.py where scikit-learn is used: it stays in the
repository's pins for this test, never in the student's.
"""

import math
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from helpers import ps1
from helpers.ps1_checks import FOLDER, REFERENCES, digits
from helpers.ps1_digits import DIGITS_FILE, sklearn_split
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

STALE = "stale file: run `.venv/bin/python -m autograder.authoring.digits_file`, then `make release`"
SPLIT_NAMES = ("X_train", "X_test", "y_train", "y_test")


def test_the_file_holds_scikit_learns_arrays() -> None:
    made = sklearn_split()
    with np.load(DIGITS_FILE) as shipped:
        assert sorted(shipped.files) == sorted(made), STALE
        for key, array in made.items():
            assert shipped[key].dtype == array.dtype and np.array_equal(shipped[key], array), (key, STALE)


def test_read_as_the_notebook_reads_it_it_is_the_split_the_notebook_used_to_make() -> None:
    """The notebook once split `load_digits().data / 16.0` itself: the same values, dtypes and order."""
    sk = load_digits()
    before = train_test_split(
        sk.data / 16.0,
        sk.target,
        test_size=REFERENCES["digits_test_size"],
        random_state=REFERENCES["digits_split_seed"],
        stratify=sk.target,
    )
    for name, got, want in zip(SPLIT_NAMES, digits.digits_split(FOLDER), before, strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want), (name, STALE)
    assert len(digits.digits_test_set(FOLDER)[1]) == math.ceil(
        REFERENCES["digits_test_size"] * len(sk.target)
    )


def test_the_outside_checks_read_the_problem_sets_own_file() -> None:
    assert DIGITS_FILE == ps1.SOURCE_DIR / ps1.DIGITS_FILE == Path(FOLDER) / digits.DIGITS_FILE


@pytest.mark.parametrize("copy", [ps1.RELEASE_NOTEBOOK.parent], ids=["release"])
def test_each_copy_beside_a_notebook_is_the_graders_file(copy) -> None:
    path = copy / ps1.DIGITS_FILE
    assert path.exists(), f"{path} is missing: run `make release`"
    assert path.read_bytes() == DIGITS_FILE.read_bytes(), f"{path} is stale: run `make release`"


def test_the_notebooks_data_cell_reads_what_the_grader_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The release's own cells, run where the notebook lives: X_train ... y_test equal the grader's."""
    cells = {c.id: c.source for c in nbformat.read(ps1.RELEASE_NOTEBOOK, as_version=4).cells}
    matplotlib.use("Agg")
    monkeypatch.chdir(ps1.RELEASE_NOTEBOOK.parent)
    ns: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # plt.show() on Agg: nothing to show
        exec(cells["setup"], ns)
        exec(cells["p3_data"], ns)
    plt.close("all")
    for name, want in zip(SPLIT_NAMES, digits.digits_split(FOLDER), strict=True):
        assert ns[name].dtype == want.dtype and np.array_equal(ns[name], want), name
