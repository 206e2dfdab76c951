"""nbgrader_course/ps1_digits.py, PS1's script that makes its data file, imported by path for the tests."""

from __future__ import annotations

import importlib.util

from helpers.ps1 import COURSE_DIR

_spec = importlib.util.spec_from_file_location("ps1_digits", COURSE_DIR / "ps1_digits.py")
assert _spec is not None and _spec.loader is not None
_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_script)

DIGITS_FILE = _script.DIGITS_FILE
sklearn_split = _script.sklearn_split
