"""Shared fixture: one real nbgrader course in a temp dir, generated and autograded once per session.

Submissions: "solution" (the executed solution notebook), "blank" (the untouched release) and two
deliberately wrong ones that pass the visible tests but not the hidden ones: "hardcoded" (values or
functions that fit only what the visible tests show) and "conceptual" (classic mistakes: bypassing
EDF, dropping a term of d2l/dx2 that vanishes for the visible f, measuring "test" error on the
training images).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
from helpers import ps1
from helpers.commands import run_ps1
from helpers.nbgrader_cli import autograde, scores, submit
from helpers.ps1 import EXAMPLES_DIR, QUESTIONS, SOLUTION_NOTEBOOK, SOURCE_NOTEBOOK

from autograder.authoring.release import generate_release


def _ell_prime(x: float) -> float:
    return 2 * x * np.sin(x) + x**2 * np.cos(x) + 2 * np.sin(x) * np.cos(x)


_VISIBLE = {0.5: float(_ell_prime(0.5)), 1.3: float(_ell_prime(1.3))}

WRONG = {
    "hardcoded": {
        "p1a_code": f"""
_VISIBLE = {_VISIBLE!r}
def edf_gradient(x0):
    return _VISIBLE[x0]
def chain_rule_gradient(x0):
    return _VISIBLE[x0]
""",
        "p1b_code": """
def gradient(x0, g, h, f):  # only right for sin, square and y z + y^2
    return 2 * x0 * np.sin(x0) + x0**2 * np.cos(x0) + 2 * np.sin(x0) * np.cos(x0)
def naive_second_derivative(x0, g, h, f):
    return -2 * np.sin(x0)
def true_second_derivative(x0, g, h, f):
    s, c = np.sin(x0), np.cos(x0)
    return 2 * c**2 - (x0**2 + 2 * s) * s + 2 * s + 4 * x0 * c
""",
        "p2_code": """
def softmax_jacobian(p):
    return np.eye(4) * p - np.outer(p, p)  # K = 4 baked in
""",
        "p3_code": """
N_HIDDEN, LEARNING_RATE, EPOCHS, BATCH_SIZE = 8, 0.1, 2, 32
def build_mlp(n_in, n_hidden, n_out, rng):
    edf.clear_compgraph()
    x, labels = edf.Input(), edf.Input()
    p = edf.Softmax(edf.Affine(edf.AffineParams(n_in, n_out, rng=rng), x))
    return x, labels, p, edf.LogLoss(p, labels)
def train_epoch(x, labels, loss, X, y, batch_size, rng):
    return 0.0
def error_rate(x, labels, p, X, y):
    return 0.0
""",
    },
    "conceptual": {
        "p1a_code": """
def edf_gradient(x0):  # by hand: EDF never runs
    return float((x0**2 + 2 * np.sin(x0)) * np.cos(x0) + np.sin(x0) * 2 * x0)
def chain_rule_gradient(x0):
    return edf_gradient(x0)
""",
        "p1b_code": """
def gradient(x0, g, h, f):
    y, z = g.f(x0), h.f(x0)
    return f.fy(y, z) * g.d1(x0) + f.fz(y, z) * h.d1(x0)
def naive_second_derivative(x0, g, h, f):
    y, z = g.f(x0), h.f(x0)
    return f.fyy(y, z) * g.d2(x0) + f.fzz(y, z) * h.d2(x0)
def true_second_derivative(x0, g, h, f):  # forgets f_zz h'^2 (zero for the visible f)
    y, z = g.f(x0), h.f(x0)
    g1, h1 = g.d1(x0), h.d1(x0)
    return f.fyy(y, z) * g1**2 + f.fy(y, z) * g.d2(x0) + f.fz(y, z) * h.d2(x0) + 2 * f.fyz(y, z) * g1 * h1
""",
        "p3_code_error_rate": """
def error_rate(x, labels, p, X, y):  # the old course bug: always measured on the training images
    x.value, labels.value = X_train, y_train
    edf.Forward()
    return float(np.mean(p.value.argmax(axis=1) != y_train))
""",
    },
}
# Cells of a wrong submission that WRONG does not replace hold the reference solution.
EXPECTED_WRONG = {
    "hardcoded": {"p1a_tests": 0, "p1b_naive_tests": 0, "p1b_true_tests": 0, "p2_tests": 0, "p3_tests": 0},
    "conceptual": {"p1a_tests": 0, "p1b_naive_tests": 5, "p1b_true_tests": 0, "p2_tests": 15, "p3_tests": 0},
}


def solved(source: str) -> str:
    """A solution cell of the source notebook with its ### BEGIN/END SOLUTION lines removed."""
    return "\n".join(
        line
        for line in source.splitlines()
        if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    )


def wrong_submission(release: Path, answers: dict[str, str], target: Path) -> Path:
    """The release with every answer cell filled in: from `answers` if given, else the reference."""
    nb = nbformat.read(release, as_version=4)
    reference = {c.id: c.source for c in nbformat.read(SOURCE_NOTEBOOK, as_version=4).cells}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
            cell.source = answers.get(cell.id, solved(reference[cell.id]))
            cell.source += answers.get(f"{cell.id}_error_rate", "")  # appended: overrides a definition
    nbformat.write(nb, target)
    return target


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    tmp = tmp_path_factory.mktemp("ps1")
    release = generate_release(tmp, ps1.PROBLEM_SET)
    course = release.parents[2]
    submit(course, "solution", SOLUTION_NOTEBOOK)
    submit(course, "blank", release)
    for name, answers in WRONG.items():
        submit(course, name, wrong_submission(release, answers, tmp / f"{name}.ipynb"))
    autograde(course)

    def autograded(student: str) -> nbformat.NotebookNode:
        return nbformat.read(course / "autograded" / student / "ps1" / "PS1.ipynb", as_version=4)

    return SimpleNamespace(
        course=course,
        release=release,
        scores=scores(course),
        autograded=autograded,
        expected_wrong=EXPECTED_WRONG,
    )


def copy_examples(folder: Path, students: list[str]) -> Path:
    """A folder of zips: the bundled examples of these students, with the examples' times.csv."""
    examples = EXAMPLES_DIR
    folder.mkdir(parents=True)
    for student in students:
        shutil.copy(examples / f"PS1_{student}.zip", folder)
    shutil.copy(examples / "times.csv", folder)
    return folder


# One student per status (ok, late, too_late, error) plus a blank notebook; Ada's written answers graded.
EXPORT_STUDENTS = ["AdaLovelace", "AlanTuring", "GraceHopper", "KurtGodel", "UntouchedRelease", "NoNotebook"]


@pytest.fixture(scope="session")
def export_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An --out folder graded once by `python -m autograder grade`, Ada's written answers graded by
    `manual`: shared by the tests of `export` (canvas, report), which must not change its gradebook."""
    root = tmp_path_factory.mktemp("export")
    zips = copy_examples(root / "zips", EXPORT_STUDENTS)
    out = root / "out"
    graded = run_ps1("grade", zips, "--times", zips / "times.csv", "--out", out, "--workers", "1")
    assert graded.returncode == 0, graded.stderr[-3000:]
    sheet = root / "sheet.csv"
    written = [q for q in QUESTIONS if q.manual]  # the first at full marks, the others at half: partial
    lines = [
        f"AdaLovelace,{q.grade_id},{q.points if i == 0 else q.points / 2}\n" for i, q in enumerate(written)
    ]
    sheet.write_text("student,question,points\n" + "".join(lines))
    manual = run_ps1("manual", out, sheet)
    assert manual.returncode == 0, manual.stderr[-3000:]
    return out
