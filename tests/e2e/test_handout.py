"""The handout works alone: unpacked into an empty folder, set up and submitted as its README says.

Once per module: `python -m autograder handout` builds dist/PS1.zip, the zip is unpacked into an
empty folder, and the README's set-up command makes the handout's own virtual environment there (the
pinned wheels come from the configured package index, offline). Every run of the submit command then
happens in that folder with that environment's python and no way to import this repository. The zip it
makes is graded by the instructor's `python -m autograder grade`.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import ps1

from autograder.authoring.examples import filled, kill_kernel
from autograder.student.assignment import nbgrader_meta
from autograder.student.pdf import find_browser

pytestmark = pytest.mark.slow
TITLE = Path(ps1.NOTEBOOK).stem
PLACEHOLDER = "Your Full Name"


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that would let the repository or its venv in."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    repo_bins = {Path(sys.executable).parent, Path(sys.prefix) / "bin"}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if Path(p) not in repo_bins
    )
    return env | extra


def _sh_blocks(readme: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", readme, re.S)]


@pytest.fixture(scope="module")
def handout(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    tmp = tmp_path_factory.mktemp("handout")
    build = subprocess.run(
        [sys.executable, "-m", "autograder", "handout", "--out", str(tmp / "dist")],
        cwd=ps1.REPO_DIR,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    unpacked = tmp / "student"
    unpacked.mkdir()
    with zipfile.ZipFile(tmp / "dist" / f"{TITLE}.zip") as zf:
        zf.extractall(unpacked)
    folder = unpacked / TITLE
    blocks = _sh_blocks((folder / "README.md").read_text(encoding="utf-8"))
    setup = next(b for b in blocks if "requirements.txt" in b)
    done = subprocess.run(
        ["sh", "-c", setup], cwd=folder, env=_clean_env(), capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    release = json.loads((folder / ps1.NOTEBOOK).read_text(encoding="utf-8"))
    source = json.loads(ps1.SOURCE_NOTEBOOK.read_text(encoding="utf-8"))
    return SimpleNamespace(
        folder=folder,
        submit=next(b for b in blocks if "submit.py" in b),
        release=release,
        answered=_as_run(filled(release, source)),
    )


def _as_run(nb: dict) -> dict:
    """The notebook as a student saves it after Run All: every code cell has an execution count."""
    nb = copy.deepcopy(nb)
    for n, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"] = n
    return nb


def _submit(handout: SimpleNamespace, nb: dict | None, name: str, *args: str, **env: str):
    """Save `nb` as the student's notebook and run the README's submit command with `name`."""
    if nb is not None:
        (handout.folder / ps1.NOTEBOOK).write_text(json.dumps(nb), encoding="utf-8")
    command = " ".join([handout.submit.replace(PLACEHOLDER, name), *args])
    return subprocess.run(
        ["sh", "-c", command],
        cwd=handout.folder,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=900,
    )


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if ".venv" not in p.parts and "__pycache__" not in p.parts}


def test_the_handout_venv_holds_the_pins_and_not_the_repository(handout: SimpleNamespace) -> None:
    python = handout.folder / ".venv" / "bin" / "python"
    freeze = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        env=_clean_env(),
    )
    installed = {line.lower().replace("_", "-") for line in freeze.stdout.split() if "==" in line}
    installed -= {x for x in installed if x.startswith(("pip==", "setuptools=="))}
    pinned = (handout.folder / "requirements.txt").read_text().splitlines()
    assert installed == {line.lower().replace("_", "-") for line in pinned if ";" not in line}
    probe = subprocess.run(
        [str(python), "-c", "import autograder"], cwd=handout.folder, env=_clean_env(), capture_output=True
    )
    assert probe.returncode != 0 and b"No module named 'autograder'" in probe.stderr


def test_a_full_submission_from_the_handout_gets_full_automatic_marks(
    handout: SimpleNamespace, tmp_path: Path
) -> None:
    done = _submit(handout, handout.answered, "Ada Lovelace")
    assert done.returncode == 0, done.stderr
    assert "all visible tests pass" in done.stdout
    target = handout.folder / f"{ps1.ZIP_PREFIX}AdaLovelace.zip"
    document = f"{TITLE}.pdf" if find_browser() else f"{TITLE}.html"  # this machine's Chromium, if any
    with zipfile.ZipFile(target) as zf:
        assert sorted(zf.namelist()) == sorted([ps1.NOTEBOOK, document])
    zips = tmp_path / "zips"
    zips.mkdir()
    target.replace(zips / target.name)
    (zips / "times.csv").write_text(f"file,timestamp\n{target.name},{ps1.DUE_DATE}\n")
    graded = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(zips), "--times", str(zips / "times.csv")]
        + ["--out", str(tmp_path / "grading"), "--workers", "1"],
        cwd=ps1.REPO_DIR,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert graded.returncode == 0, graded.stderr[-3000:]
    with (tmp_path / "grading" / "grades.csv").open() as fh:
        (row,) = list(csv.DictReader(fh))
    automatic = [q for q in ps1.QUESTIONS if not q.manual]
    assert row["status"] == "ok", row
    assert {q.grade_id: float(row[q.grade_id]) for q in automatic} == {
        q.grade_id: q.points for q in automatic
    }
    assert float(row["raw_score"]) == sum(q.points for q in automatic) == 65


def test_the_handout_refuses_bad_input_in_one_line(handout: SimpleNamespace, tmp_path: Path) -> None:
    tests = [
        nbgrader_meta(c)["grade_id"]
        for c in handout.release["cells"]
        if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")
    ]
    answered = handout.answered
    deleted = dict(
        answered, cells=[c for c in answered["cells"] if nbgrader_meta(c).get("grade_id") != tests[0]]
    )
    twice = dict(answered, cells=[*answered["cells"], answered["cells"][-2]])
    twice_id = nbgrader_meta(answered["cells"][-2])["grade_id"]
    other = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [answered["cells"][0] | {"metadata": {}}],
    }
    (tmp_path / "file").write_text("")
    cases = [
        (other, "Ada Lovelace", (), f"is not the {ps1.NOTEBOOK} notebook"),
        (deleted, "Ada Lovelace", (), f"graded cells were deleted: {tests[0]}"),
        (twice, "Ada Lovelace", (), f"graded cells appear twice: {twice_id}"),
        (answered, "1234 !", (), "has no letters"),
        (answered, "Ada Lovelace", ("--out", str(tmp_path / "file" / "zips")), "is a file, not a folder"),
        (answered, "Ada Lovelace", ("--out", "/proc/self/zips"), "cannot write in /proc/self"),
        (answered, "Ada Lovelace", ("--browser", "no-such-browser"), "is not a program on this computer"),
    ]
    before = _files(handout.folder) - {handout.folder / ps1.NOTEBOOK}
    for nb, name, args, message in cases:
        done = _submit(handout, nb, name, *args)
        assert done.returncode == 2, (message, done.stdout, done.stderr)
        assert done.stdout == "" and done.stderr.count("\n") == 1, (message, done.stderr)
        assert done.stderr.startswith("cannot submit: ") and message in done.stderr, done.stderr
        assert _files(handout.folder) - {handout.folder / ps1.NOTEBOOK} == before


def test_the_handout_names_the_cell_that_kills_the_kernel(handout: SimpleNamespace) -> None:
    nb = kill_kernel(handout.answered)
    index = next(i for i, c in enumerate(nb["cells"]) if "os._exit" in "".join(c["source"]))
    label = f"cell {index + 1} ({nbgrader_meta(nb['cells'][index])['grade_id']})"
    before = _files(handout.folder)
    done = _submit(handout, nb, "Ada Lovelace")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith(f"cannot submit: {label} killed the kernel"), done.stderr
    assert _files(handout.folder) == before


def test_without_a_browser_the_zip_holds_html_and_says_how_to_print(
    handout: SimpleNamespace, tmp_path: Path
) -> None:
    """A Linux machine with no Chrome, Chromium or Edge: PATH holds only `sh` and the handout's venv."""
    half = _as_run(filled(handout.release, json.loads(ps1.SOURCE_NOTEBOOK.read_text()), 0.5))
    (tmp_path / "sh").symlink_to(shutil.which("sh"))
    path = os.pathsep.join([str(tmp_path), str(handout.folder / ".venv" / "bin")])
    done = _submit(handout, half, "Alan Turing", PATH=path, CHROMIUM="")
    assert done.returncode == 0, done.stderr
    assert "these visible tests fail: " in done.stdout
    assert "no Chrome, Chromium or Edge found to print the PDF" in done.stdout
    assert f"open {TITLE}.html from the zip in a browser, print it to {TITLE}.pdf" in done.stdout
    target = handout.folder / f"{ps1.ZIP_PREFIX}AlanTuring.zip"
    with zipfile.ZipFile(target) as zf:
        assert sorted(zf.namelist()) == sorted([ps1.NOTEBOOK, f"{TITLE}.html"])
    target.unlink()
