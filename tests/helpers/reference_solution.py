"""The source notebook's reference answers as Python code, to run in this process without a kernel."""

from __future__ import annotations

import contextlib
import io

import nbformat

from helpers.ps1 import SOURCE_NOTEBOOK
from helpers.ps1_checks import FOLDER, digits

SOURCE_CELLS = {c.id: c.source for c in nbformat.read(SOURCE_NOTEBOOK, as_version=4).cells}
IMPORTS = "import numpy as np\nimport edf\n"
ANSWERS = ["p1a_given", "p1a_code", "p1b_given", "p1b_code", "p2_given", "p2_code"]


def solution_namespace() -> dict:
    """The notebook's namespace after the reference solution ran (network trained), without plots."""
    ns: dict = dict(zip(("X_train", "X_test", "y_train", "y_test"), digits.digits_split(FOLDER), strict=True))
    exec(IMPORTS, ns)  # the data as the p3_data cell reads it (tests/unit/test_digits_file.py)
    for cell_id in [*ANSWERS, "p3_code"]:
        exec(SOURCE_CELLS[cell_id], ns)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(SOURCE_CELLS["p3_train"], ns)
    return ns
