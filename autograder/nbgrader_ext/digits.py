"""Problem 3's digits as the grader reads them, and the test error of a network on them."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from autograder import ps1

# Problem 3's data, shipped with the package: the same file the notebook reads beside itself (`ps1
# release` copies it there). Made from scikit-learn by autograder/authoring/digits_file.py, which
# tests/unit/test_digits_file.py holds it to; loading it takes milliseconds.
DIGITS_FILE = Path(__file__).resolve().parent / ps1.DIGITS_FILE


@functools.cache
def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """X_train (1257, 64), X_test (540, 64) in [0, 1] and y_train, y_test (int64), read from the file
    as the notebook's p3_data cell reads them. Read-only: every caller shares them."""
    with np.load(DIGITS_FILE) as digits:
        split = (
            digits["train_images"] / 16.0,
            digits["test_images"] / 16.0,
            digits["train_labels"],
            digits["test_labels"],
        )
    for array in split:
        array.setflags(write=False)
    return split


def digits_test_set() -> tuple[np.ndarray, np.ndarray]:
    """X_test, y_test of Problem 3 (see `digits_split`)."""
    _, X_test, _, y_test = digits_split()
    return X_test, y_test


def mlp_test_error(weights: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> float:
    """Test error of Affine-ReLU-Affine-argmax with `weights` = (W1 (64, H), b1 (H,), W2 (H, 10), b2 (10,))
    (softmax does not change argmax)."""
    w1, b1, w2, b2 = weights
    X, y = digits_test_set()
    scores = np.maximum(X @ w1 + b1, 0.0) @ w2 + b2
    return float(np.mean(scores.argmax(axis=1) != y))
