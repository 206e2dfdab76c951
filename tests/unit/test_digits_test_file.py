"""The digits test split shipped with the outside checks is exactly the notebook's split."""

import math

import numpy as np

from autograder import ps1
from autograder.nbgrader_ext import checks


def test_the_shipped_split_equals_scikit_learns() -> None:
    X, y = checks.split_digits()
    X_file, y_file = checks.digits_test_set()
    message = "stale file: run autograder.nbgrader_ext.checks.write_digits_test_file() to remake it"
    assert X_file.dtype == X.dtype and np.array_equal(X_file, X), message
    assert np.array_equal(y_file, y), message
    assert len(y) == math.ceil(
        ps1.DIGITS_TEST_SIZE * 1797
    )  # the test share of the 1797 images, as sklearn rounds
