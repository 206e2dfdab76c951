"""The grading code names no problem set: every fact of PS1 lives in its folder (issue 18, item 1).

The search reads PS1's facts from its folder (the spec and the notebook's graded cells) and looks for
them in the code of autograder/ (every string constant and name, not docstrings or comments, which may
use PS1 as an example), outside the loader, autograder/problem_set.py. It also searches the grader's
other files (templates, pages, styles).
"""

from __future__ import annotations

import ast
from pathlib import Path

from helpers.ps1 import PROBLEM_SET

import autograder

GRADER = Path(autograder.__file__).parent
LOADER = GRADER / "problem_set.py"
# The console script's second name, which the issue asks to keep (`ps1 grade ...` still works).
ALLOWED = {("cli/parsing.py", "ps1")}


def ps1_facts() -> set[str]:
    """What would mark code as PS1's: ids, names, the deadline, the zone, its data and references."""
    ps = PROBLEM_SET
    facts = {ps.id, ps.notebook, ps.notebook_id, ps.zip_prefix, ps.deadline, ps.timezone, *ps.files}
    facts |= {q.grade_id for q in ps.questions} | {q.title for q in ps.questions}
    return facts | set(ps.references)


def code_strings(source: str) -> set[str]:
    """Every string constant and name of a module's code, docstrings left out."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.add(node.value)
        elif isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
    return found


def hits(strings: set[str], facts: set[str]) -> set[str]:
    """Facts found: a short id only as a whole string, a longer fact anywhere inside one."""
    short = {f for f in facts if len(f) <= 4}
    return {f for f in facts - short for s in strings if f in s} | (short & strings)


def test_the_grader_names_no_fact_of_ps1() -> None:
    facts = ps1_facts()
    assert {"ps1", "PS1.ipynb", "PS1_", "p3_tests", "America/Chicago", "p3_max_error"} <= facts
    found = {}
    for path in sorted(GRADER.rglob("*.py")):
        if path == LOADER:
            continue
        name = path.relative_to(GRADER).as_posix()
        strings = code_strings(path.read_text(encoding="utf-8"))
        named = {f for f in hits(strings, facts) if (name, f) not in ALLOWED}
        if named:
            found[name] = sorted(named)
    assert found == {}


def test_nor_do_its_templates_and_pages() -> None:
    facts = ps1_facts() - {PROBLEM_SET.id}  # "ps1" also names the console script in page text
    found = {}
    for path in sorted(GRADER.rglob("*")):
        if path.suffix in {".j2", ".html", ".js", ".css", ".md", ".toml", ".json"}:
            named = {f for f in facts if f in path.read_text(encoding="utf-8")}
            if named:
                found[path.relative_to(GRADER).as_posix()] = sorted(named)
    assert found == {}


def test_the_search_finds_ps1_where_it_is() -> None:
    """The search can fail: the source it would have caught before, and PS1's own checks module."""
    old = 'ASSIGNMENT = "ps1"\nNOTEBOOK = "PS1.ipynb"\nQUESTIONS = ("p1a_tests", "p3_tests")\n'
    assert hits(code_strings(old), ps1_facts()) == {"ps1", "PS1.ipynb", "p1a_tests", "p3_tests"}
    checks = PROBLEM_SET.folder / "outside_checks" / "probe_result.py"
    assert hits(code_strings(checks.read_text(encoding="utf-8")), ps1_facts())
