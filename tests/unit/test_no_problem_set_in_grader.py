"""The grader's nbgrader extensions name no problem set: PS1's outside checks live in PS1's folder
(nbgrader_course/source/ps1/outside_checks/), loaded by path (issue 18, item 1).

A search of autograder/nbgrader_ext/ for PS1's literals: question ids, what its problems are about, its
name. What remains is listed with the reason; each entry must still be true, so the list only shrinks.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.nbgrader_ext import checks

FOLDER = Path(checks.__file__).parent
LITERALS = re.compile(r"\bp1a|\bp1b|\bp2_|\bp3_|softmax|digits|\bmlp|\bps1\b|PS1", re.IGNORECASE)
REMAINING = {
    # The late policy's defaults are PS1's until the problem set is passed through the grading code.
    "late_policy.py": {"ps1"},
    # The gradebook's file name, kept in autograder/ps1.py with PS1's other names.
    "sandbox.py": {"ps1"},
    # Comments and docstrings: the command's name, and where a measurement was made.
    "sandbox_kernel.py": {"ps1"},
    "feedback_html.py": {"ps1"},
    # "student ids are letters, digits, - and _": not Problem 3's digits.
    "feedback_math.py": {"digits"},
}


def _hits() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(p for p in FOLDER.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if path.suffix not in {".py", ".j2", ".css", ".js", ".html", ".toml", ".json"}:
            continue
        words = {m.group(0).lower() for m in LITERALS.finditer(path.read_text(encoding="utf-8"))}
        if words:
            found[path.relative_to(FOLDER).as_posix()] = words
    return found


def test_the_nbgrader_extensions_name_no_problem_set() -> None:
    unexpected = {name: words - REMAINING.get(name, set()) for name, words in _hits().items()}
    assert not {name: words for name, words in unexpected.items() if words}


def test_each_remaining_literal_is_still_there() -> None:
    """Remove an entry of REMAINING once its file is clean: the list says what is left to do."""
    hits = _hits()
    assert {name: words for name, words in REMAINING.items() if not words <= hits.get(name, set())} == {}


def test_the_search_finds_ps1s_literals() -> None:
    """It would find the checks that used to live here."""
    old = 'QUESTIONS = ("p1a_tests", "p3_tests")  # softmax_jacobian, mlp_test_error; digits.npz of ps1'
    found = {m.group(0).lower() for m in LITERALS.finditer(old)}
    assert found == {"p1a", "p3_", "softmax", "mlp", "digits", "ps1"}
