"""`ps1 submit`: refusals are fast and one line on stderr; real runs execute the notebook.

The same student package runs in the handout (tests/e2e/test_handout.py runs it there).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from helpers import ps1
from helpers.ps1 import DIGITS_FILE, EXAMPLES_DIR, NOTEBOOK, RELEASE_NOTEBOOK, ZIP_PREFIX

from autograder.authoring.examples import kill_kernel
from autograder.cli import submit as submit_cli
from autograder.student import pdf, submit
from autograder.student.submit import Checked, SubmitError

EXAMPLES = EXAMPLES_DIR
RELEASE = RELEASE_NOTEBOOK
PS1 = submit_cli.assignment(ps1.PROBLEM_SET)


def _example(name: str) -> dict:
    with zipfile.ZipFile(EXAMPLES / name) as zf:
        return json.loads(zf.read(NOTEBOOK))


def _as_run(nb: dict) -> dict:
    for n, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"] = n
    return nb


def _write(tmp_path: Path, nb: dict) -> Path:
    """The notebook in a folder of its own, Problem 3's data beside it as in the student's folder."""
    path = tmp_path / "nb" / NOTEBOOK
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(nb))
    shutil.copy(RELEASE.parent / DIGITS_FILE, path.parent)
    return path


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command, expect a refusal: exit 2, nothing on stdout, one line on stderr; return it."""
    assert submit_cli.main(list(argv)) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("cannot submit: "), (out, err)
    return err


def test_zip_name() -> None:
    assert submit.zip_name("Ada Lovelace", ZIP_PREFIX) == f"{ZIP_PREFIX}AdaLovelace.zip"
    assert submit.zip_name("  José  Núñez-Ortiz ", ZIP_PREFIX) == f"{ZIP_PREFIX}JoseNunez-Ortiz.zip"
    for no_letters in ("!!!", "1234", "--__"):
        with pytest.raises(SubmitError, match="no letters"):
            submit.zip_name(no_letters, ZIP_PREFIX)


def test_refuses_missing_or_letterless_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(capsys, "--notebook", str(RELEASE), "--out", str(tmp_path))
    assert 'your name is missing: ps1 submit --name "Your Full Name"' in err
    assert "has no letters" in _refused(
        capsys, "--name", "1234", "--notebook", str(RELEASE), "--out", str(tmp_path)
    )
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_notebook_that_is_not_ps1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=1)])
    path = tmp_path / "Other.ipynb"
    nbformat.write(other, path)
    args = ("--name", "Ada Lovelace", "--notebook", str(path), "--out", str(tmp_path / "out"))
    assert f"is not the {NOTEBOOK} notebook" in _refused(capsys, *args)
    path.write_text("not json")
    assert "is not a readable notebook" in _refused(capsys, *args)
    assert not (tmp_path / "out").exists()


def test_refuses_a_notebook_never_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = _example("PS1_AdaLovelace.zip")
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
    path = _write(tmp_path, nb)
    err = _refused(capsys, "--name", "Ada Lovelace", "--notebook", str(path), "--out", str(tmp_path))
    assert "was never run: open it, choose Run > Run All Cells" in err


def test_refuses_deleted_and_duplicated_graded_cells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tests = [g for g in PS1.graded if PS1.is_test(g)]
    nb = _as_run(_example("PS1_AdaLovelace.zip"))
    deleted = dict(
        nb, cells=[c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != tests[0]]
    )
    args = (
        "--name",
        "Ada Lovelace",
        "--notebook",
        str(_write(tmp_path, deleted)),
        "--out",
        str(tmp_path / "o"),
    )
    assert f"graded cells were deleted: {tests[0]}" in _refused(capsys, *args)
    copy = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == tests[0])
    _write(tmp_path, dict(nb, cells=[*nb["cells"], copy]))
    assert f"graded cells appear twice: {tests[0]}" in _refused(capsys, *args)
    assert not (tmp_path / "o").exists()


def test_refuses_an_output_folder_it_cannot_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "grades.txt"
    a_file.write_text("not a folder")
    err = _refused(
        capsys, "--name", "Ada Lovelace", "--notebook", str(RELEASE), "--out", str(a_file / "zips")
    )
    assert f"{a_file} is a file, not a folder" in err
    # procfs takes no new files, whoever asks (root included, whom permission bits would not stop)
    err = _refused(capsys, "--name", "Ada Lovelace", "--notebook", str(RELEASE), "--out", "/proc/self/zips")
    assert (
        "--out /proc/self/zips: cannot write in /proc/self" in err
        and "pass --out a folder you can write" in err
    )


@pytest.mark.parametrize("browser", [None, "/bin/false"])  # none found; one that fails to print
def test_html_when_no_browser_prints(tmp_path: Path, browser: str | None) -> None:
    nb = nbformat.reads(json.dumps(_example("PS1_AdaLovelace.zip")), as_version=4)
    target, kind = submit.write_zip(Checked(nb=nb), "Ada Lovelace", tmp_path, assignment=PS1, browser=browser)
    assert kind == "HTML" and target.name == "PS1_AdaLovelace.zip"
    with zipfile.ZipFile(target) as zf:
        assert sorted(zf.namelist()) == ["PS1.html", NOTEBOOK]
        page = zf.read("PS1.html").decode()
    assert "<html" in page and pdf.PAGE_STYLE.read_text() in page  # it prints as the PDF would
    assert sorted(p.name for p in tmp_path.iterdir()) == ["PS1_AdaLovelace.zip"]


def test_refuses_a_browser_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "Google Chrome"
    args = ("--name", "Ada Lovelace", "--notebook", str(RELEASE), "--out", str(tmp_path / "out"))
    err = _refused(capsys, *args, "--browser", str(missing))
    assert f"--browser {missing} is not a program on this computer" in err
    monkeypatch.setenv("CHROMIUM", str(missing))
    assert f"$CHROMIUM ({missing}) is not a program on this computer" in _refused(capsys, *args)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_no_browser_found_ships_html_and_says_how_to_print(tmp_path: Path) -> None:
    """A machine with no Chrome, Chromium or Edge (on Linux: none on PATH) gets the HTML and the steps."""
    path = _write(tmp_path, _as_run(_example("PS1_AlanTuring.zip")))
    env = {k: v for k, v in os.environ.items() if k != "CHROMIUM"}
    env["PATH"] = str(Path(sys.executable).parent)  # the environment's own programs, no browser
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ps1"), "submit", "--name", "Alan Turing"]
        + ["--notebook", str(path), "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote " in done.stdout and "(notebook + HTML)" in done.stdout
    assert "no Chrome, Chromium or Edge found to print the PDF (install one, or pass --browser PATH)" in (
        done.stdout
    )
    assert "open PS1.html from the zip in a browser, print it to PS1.pdf" in done.stdout
    with zipfile.ZipFile(tmp_path / "out" / "PS1_AlanTuring.zip") as zf:
        assert sorted(zf.namelist()) == ["PS1.html", NOTEBOOK]


@pytest.mark.slow
def test_refuses_a_notebook_that_kills_the_kernel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = _as_run(kill_kernel(_example("PS1_AdaLovelace.zip")))
    index = next(i for i, c in enumerate(nb["cells"]) if "os._exit" in "".join(c["source"]))
    gid = nb["cells"][index]["metadata"]["nbgrader"]["grade_id"]
    path = _write(tmp_path, nb)
    assert (
        submit_cli.main(["--name", "Ada Lovelace", "--notebook", str(path), "--out", str(tmp_path / "o")])
        == 2
    )
    out, err = capsys.readouterr()
    assert out.startswith("running ") and err.count("\n") == 1
    assert f"cannot submit: cell {index + 1} ({gid}) killed the kernel" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_real_submission_runs_and_zips_with_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if pdf.find_browser() is None:
        pytest.skip(
            "no Chromium on this machine: the PDF step is covered by test_html_when_no_browser_prints"
        )
    path = _write(tmp_path, _as_run(_example("PS1_AlanTuring.zip")))  # half answered
    assert (
        submit_cli.main(["--name", "Alan Turing", "--notebook", str(path), "--out", str(tmp_path / "out")])
        == 0
    )
    printed = capsys.readouterr().out
    failing = printed.split("these visible tests fail: ")[1].split(" (")[0].split(", ")
    assert failing and set(failing) <= {g for g in PS1.graded if PS1.is_test(g)}
    target = tmp_path / "out" / "PS1_AlanTuring.zip"
    assert f"wrote {target} (notebook + PDF)" in printed
    with zipfile.ZipFile(target) as zf:
        assert sorted(zf.namelist()) == [NOTEBOOK, "PS1.pdf"]
        assert zf.read("PS1.pdf")[:5] == b"%PDF-"
        ran = json.loads(zf.read(NOTEBOOK))
    assert all(c.get("execution_count") for c in ran["cells"] if c["cell_type"] == "code" and c["source"])
