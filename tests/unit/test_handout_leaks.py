"""The handout (`python -m autograder handout`) holds what a student needs and not one answer.

The forbidden text is read from the sources themselves: every line of 20 or more characters inside a
solution or hidden-test region of the source notebook (unless the notebook shows it outside the
regions too), the names of the outside checks' functions, classes and constants (every module of PS1's
own, nbgrader_course/source/ps1/outside_checks/, and the grader's generic checks.py) and the keys of
the spec's [references] they read, the files of solutions/, the source notebook, the outside checks,
and any gradebook.
"""

from __future__ import annotations

import ast
import json
import re
import zipfile
from pathlib import Path

import pytest
from helpers import ps1

from autograder.authoring import handout
from autograder.cli.submit import assignment
from autograder.nbgrader_ext import checks
from autograder.nbgrader_ext.checks_module import ADDED
from autograder.problem_set import SPEC_FILE
from autograder.student.assignment import Assignment

PS = ps1.PROBLEM_SET

BEGIN = re.compile(r"^\s*###\s*BEGIN (SOLUTION|HIDDEN TESTS)\s*$")
END = re.compile(r"^\s*###\s*END (SOLUTION|HIDDEN TESTS)\s*$")
MIN_CHARS = 20


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return handout.build(assignment(PS).to_json(), tmp_path_factory.mktemp("dist"), PS)


def _split_source() -> tuple[set[str], str]:
    """(stripped lines of >= 20 characters inside solution and hidden-test regions, the public rest).

    The public rest is what the source notebook shows students anyway (given code, questions): a line
    of it that repeats inside a region (the optional part rebuilds Problem 1's graph) is no leak."""
    secret, public = set(), []
    for cell in json.loads(ps1.SOURCE_NOTEBOOK.read_text(encoding="utf-8"))["cells"]:
        lines = "".join(cell["source"]).splitlines()
        whole = cell["metadata"].get("nbgrader", {}).get("solution") and not any(
            BEGIN.match(x) for x in lines
        )
        inside = False
        for line in lines:
            if BEGIN.match(line):
                inside = True
            elif END.match(line):
                inside = False
            elif inside or whole:
                if len(line.strip()) >= MIN_CHARS:
                    secret.add(line.strip())
            else:
                public.append(line)
    text = "\n".join(public)
    return {line for line in secret if line not in text}, text


def _checks_files() -> list[Path]:
    """PS1's outside checks, module by module, and the grader's side of them."""
    package = ps1.SOURCE_DIR / ps1.PROBLEM_SET.checks_name
    return [*sorted(package.glob("*.py")), Path(checks.__file__)]


def _reference_names() -> set[str]:
    """Functions, classes and constants of the outside checks, and the reference keys they read."""
    names = set(ps1.PROBLEM_SET.references)
    for path in _checks_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name) and t.id.isupper()}
        names |= {  # references["p3_max_error"], what the spec gives the checks
            n.slice.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Subscript)
            and isinstance(n.value, ast.Name)
            and n.value.id == "references"
            and isinstance(n.slice, ast.Constant)
            and isinstance(n.slice.value, str)
            and n.slice.value not in ADDED  # the folder and time limits the grader adds: no secret
        }
    public = _split_source()[1]
    # short ones (`Call`) are ordinary words; helpers the notebook gives students anyway are public
    return {n for n in names if len(n.strip("_")) >= 6 and not re.search(rf"\b{n}\b", public)}


def _strings(value: object) -> list[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _texts(folder: Path) -> dict[str, str]:
    """Each handout file's text, JSON files also as their decoded strings (a notebook escapes quotes)."""
    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix in {".ipynb", ".json"}:
            text += "\n" + "".join(_strings(json.loads(text)))
        texts[str(path.relative_to(folder))] = text
    return texts


def test_the_handout_is_exactly_what_a_student_needs(built: tuple[Path, Path]) -> None:
    folder, archive = built
    package = handout.STUDENT_PACKAGE
    modules = {
        f"{package}/{p.relative_to(handout.STUDENT_PACKAGE_DIR)}" for p in handout.student_package_files()
    }
    assert {f"{package}/{name}" for name in ("__init__.py", "submit.py", "pdf.py", "command.py")} <= modules
    expected = {ps1.NOTEBOOK, ps1.DIGITS_FILE, "edf.py", "requirements.txt", "environment.yml", "README.md"}
    expected |= modules | {"submit.py", f"{package}/{handout.ASSIGNMENT_FILE}"}
    assert set(_texts(folder)) == expected
    assert (folder / ps1.NOTEBOOK).read_bytes() == ps1.RELEASE_NOTEBOOK.read_bytes()
    assert (folder / ps1.DIGITS_FILE).read_bytes() == (ps1.SOURCE_DIR / ps1.DIGITS_FILE).read_bytes()
    with zipfile.ZipFile(archive) as zf:
        members = {name.removeprefix(f"{folder.name}/"): zf.read(name) for name in zf.namelist()}
    assert members == {name: (folder / name).read_bytes() for name in expected}


def test_the_zip_is_reproducible(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, again = handout.build(assignment(PS).to_json(), tmp_path, PS)
    assert again.read_bytes() == built[1].read_bytes()


def test_no_solution_or_hidden_test_line_is_in_any_file(built: tuple[Path, Path]) -> None:
    secret = _split_source()[0]
    assert len(secret) > 30  # the regions were found (PS1 has many)
    leaks = {name: [s for s in secret if s in text] for name, text in _texts(built[0]).items()}
    assert not {name: found for name, found in leaks.items() if found}


def _found(names: set[str], text: str) -> list[str]:
    return sorted(n for n in names if re.search(rf"\b{re.escape(n)}\b", text))


def test_the_reference_search_finds_a_reference() -> None:
    """A handout that named a reference of the checks would fail the search below: it can fail."""
    text = "Problem 3 passes below p3_max_error (mlp_test_error on the test images)."
    assert _found(_reference_names(), text) == ["mlp_test_error", "p3_max_error"]


def test_no_reference_of_the_outside_checks_is_in_any_file(built: tuple[Path, Path]) -> None:
    names = _reference_names()
    assert {
        "p3_max_error",
        "mlp_shape",
        "softmax_jacobian_reference",
        "mlp_test_error",
        "MAX_MLP_VALUES",
    } <= names
    found = {name: _found(names, text) for name, text in _texts(built[0]).items()}
    assert not {name: hits for name, hits in found.items() if hits}


def test_no_gradebook_source_notebook_solution_or_grader(built: tuple[Path, Path]) -> None:
    forbidden = {ps1.SOURCE_NOTEBOOK.read_bytes()}
    forbidden |= {(ps1.SOURCE_DIR / name).read_bytes() for name in (SPEC_FILE, ps1.RUBRIC_NAME)}
    forbidden |= {path.read_bytes() for path in _checks_files()}
    forbidden |= {p.read_bytes() for p in (ps1.REPO_DIR / "solutions").rglob("*") if p.is_file()}
    for path in (p for p in built[0].rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert data not in forbidden, path
        assert not data.startswith(b"SQLite format 3") and path.suffix != ".db", path
        assert not {"solutions", "source", "autograder"} & set(path.relative_to(built[0]).parts), path
        if path.suffix == ".py":
            imported = handout.imported_modules(data.decode())
            assert "autograder" not in imported, f"{path} imports the grader"


def test_the_facts_come_from_ps1(built: tuple[Path, Path]) -> None:
    facts = Assignment.read(built[0] / handout.STUDENT_PACKAGE / handout.ASSIGNMENT_FILE)
    assert (facts.notebook, facts.zip_prefix) == (ps1.NOTEBOOK, ps1.ZIP_PREFIX)
    graded = {gid: m["points"] for gid, m in facts.cells.items() if m["grade"]}
    assert graded == {q.grade_id: q.points for q in ps1.QUESTIONS}
    readme = (built[0] / "README.md").read_text(encoding="utf-8")
    for q in ps1.QUESTIONS:
        assert f"| `{q.grade_id}` | {q.title} |" in readme
    assert ps1.DUE_DATE in readme and f"{ps1.PERCENT_PER_DAY:g}%" in readme
    assert f"at most\n{ps1.MAX_LATE_DAYS} days" in readme or f"at most {ps1.MAX_LATE_DAYS} days" in readme


def test_student_requirements_are_the_repository_pins(built: tuple[Path, Path]) -> None:
    pins = handout.repo_pins()
    lines = (built[0] / "requirements.txt").read_text().splitlines()
    everywhere = [line for line in lines if ";" not in line]
    assert set(everywhere) <= set(pins.values())
    names = {handout.canonical(line.split("==")[0]) for line in everywhere}
    assert {"numpy", "matplotlib", "jupyterlab", "ipykernel", "nbclient", "nbconvert"} <= names
    assert not {"nbgrader", "dask", "distributed", "pytest", "ruff", "jupytext"} & names  # grader and tools
    # The digits ship as a file and the PDF comes from the student's own browser: no dead weight.
    assert not {"scikit-learn", "scipy", "joblib", "threadpoolctl", "playwright"} & names


def test_no_shipped_code_needs_scikit_learn_or_playwright() -> None:
    imported = set().union(*(handout.imported_modules(code) for code in handout.shipped_code(PS)))
    assert not {"sklearn", "scipy", "playwright"} & imported


def test_the_leak_search_finds_a_leak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built from the source notebook by mistake, the handout fails the search: the checks can fail."""
    monkeypatch.setattr(handout, "release_notebook", lambda ps: ps.source_notebook)
    folder, _ = handout.build(assignment(PS).to_json(), tmp_path, PS)
    text = _texts(folder)[ps1.NOTEBOOK]
    assert sum(line in text for line in _split_source()[0]) == len(_split_source()[0])
