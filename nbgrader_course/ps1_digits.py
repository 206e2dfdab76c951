"""PS1's Problem 3 data file, made once from scikit-learn: `.venv/bin/python nbgrader_course/ps1_digits.py`.

`nbgrader_course/source/ps1/digits.npz` holds scikit-learn's 8x8 digits (the UCI set, 1797 images)
split into training and test sets with the references of PS1's spec (test share, seed, stratified
by label). Four arrays: `train_images`, `test_images` (uint8 pixel values 0..16, one image a row of
64) and `train_labels`, `test_labels` (int64 classes 0..9). The notebook's p3_data cell divides the
images by 16, which gives exactly the float64 arrays `load_digits().data / 16.0` gave.

It lives in PS1's folder: nbgrader copies it beside every released and autograded notebook, the outside
checks read it there (`outside_checks/digits.py`), `ps1 release` copies it beside the release notebook,
and the handout ships that copy. This script is PS1's own authoring tool, so it sits in the course
folder, not in the grader. Only this script and the test that
holds the file to scikit-learn (tests/unit/test_digits_file.py) import scikit-learn: the students, the
notebook and the grader never need it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from autograder import problem_set
from autograder.replace_file import replacing

PS1 = problem_set.load(Path(__file__).resolve().parent / "source" / "ps1")
DIGITS_FILE = PS1.folder / "digits.npz"  # Problem 3's data, in PS1's folder


def sklearn_split() -> dict[str, np.ndarray]:
    """The four arrays of the file, made by scikit-learn: pixel values 0..16 as uint8, labels as int64."""
    digits = load_digits()
    pixels = digits.data.astype(np.uint8)  # whole numbers 0..16 stored as float64: exact
    if not np.array_equal(pixels, digits.data):
        raise ValueError("scikit-learn's digits are no longer whole numbers 0..16")
    train_images, test_images, train_labels, test_labels = train_test_split(
        pixels,
        digits.target.astype(np.int64),
        test_size=PS1.references["digits_test_size"],
        random_state=PS1.references["digits_split_seed"],
        stratify=digits.target,
    )
    return {
        "train_images": train_images,
        "test_images": test_images,
        "train_labels": train_labels,
        "test_labels": test_labels,
    }


def write_digits_file(path: Path = DIGITS_FILE) -> Path:
    """(Re)write the file (to a temporary name, then renamed); then run `make release` to copy it."""
    with replacing(path) as tmp:
        np.savez_compressed(tmp, **sklearn_split())
    return path


if __name__ == "__main__":
    print(f"wrote {write_digits_file()}; now run `make release`")
