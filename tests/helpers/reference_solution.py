"""The source notebook's reference answers as Python code, to run in this process without a kernel."""

from __future__ import annotations

import contextlib
import io

import nbformat

from autograder.ps1 import SOURCE_NOTEBOOK

SOURCE_CELLS = {c.id: c.source for c in nbformat.read(SOURCE_NOTEBOOK, as_version=4).cells}
IMPORTS = "import numpy as np\nimport edf\n"
SPLIT = """
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data / 16.0, digits.target, test_size=0.3, random_state=0, stratify=digits.target
)
"""
ANSWERS = ["p1a_given", "p1a_code", "p1b_given", "p1b_code", "p2_given", "p2_code"]


def solution_namespace() -> dict:
    """The notebook's namespace after the reference solution ran (network trained), without plots."""
    ns: dict = {}
    exec(IMPORTS + SPLIT, ns)
    for cell_id in [*ANSWERS, "p3_code"]:
        exec(SOURCE_CELLS[cell_id], ns)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(SOURCE_CELLS["p3_train"], ns)
    return ns
