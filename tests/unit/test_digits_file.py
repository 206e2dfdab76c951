"""Problem 3's data file is scikit-learn's digits and split, and the notebook reads what the grader reads.

The only place outside autograder/authoring/digits_file.py where scikit-learn is used: it stays in the
repository's pins for this test, never in the student's.
"""

import math
import warnings

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from autograder import ps1
from autograder.authoring.digits_file import sklearn_split
from autograder.nbgrader_ext.digits import DIGITS_FILE, digits_split, digits_test_set

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
    digits = load_digits()
    before = train_test_split(
        digits.data / 16.0,
        digits.target,
        test_size=ps1.DIGITS_TEST_SIZE,
        random_state=ps1.DIGITS_SPLIT_SEED,
        stratify=digits.target,
    )
    for name, got, want in zip(SPLIT_NAMES, digits_split(), before, strict=True):
        assert got.dtype == want.dtype and np.array_equal(got, want), (name, STALE)
    assert len(digits_test_set()[1]) == math.ceil(ps1.DIGITS_TEST_SIZE * len(digits.target))


@pytest.mark.parametrize("copy", [ps1.SOURCE_DIR, ps1.RELEASE_NOTEBOOK.parent], ids=["source", "release"])
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
    for name, want in zip(SPLIT_NAMES, digits_split(), strict=True):
        assert ns[name].dtype == want.dtype and np.array_equal(ns[name], want), name
