"""`python -m autograder submit`: refusals are fast; one real run executes the notebook and prints a PDF."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.cli import submit as submit_cli
from autograder.ps1 import EXAMPLES_DIR, NOTEBOOK, REPO_DIR
from autograder.student import pdf, submit
from autograder.student.submit import Checked, SubmitError

EXAMPLES = EXAMPLES_DIR
RELEASE = REPO_DIR / "notebooks" / NOTEBOOK


def _example(name: str) -> dict:
    with zipfile.ZipFile(EXAMPLES / name) as zf:
        return json.loads(zf.read(NOTEBOOK))


def _as_run(nb: dict) -> dict:
    for n, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"] = n
    return nb


def _write(tmp_path: Path, nb: dict) -> Path:
    path = tmp_path / "nb" / NOTEBOOK
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def test_zip_name() -> None:
    assert submit.zip_name("Ada Lovelace") == "PS1_AdaLovelace.zip"
    assert submit.zip_name("  José  Núñez-Ortiz ") == "PS1_JoseNunez-Ortiz.zip"
    with pytest.raises(SubmitError, match="no letters"):
        submit.zip_name("!!!")


def test_refuses_missing_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert submit_cli.main(["--notebook", str(RELEASE), "--out", str(tmp_path)]) == 2
    assert (
        'your name is missing: python -m autograder submit --name "Your Full Name"' in capsys.readouterr().err
    )
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_notebook_that_is_not_ps1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=1)])
    path = tmp_path / "Other.ipynb"
    nbformat.write(other, path)
    assert submit_cli.main(["--name", "Ada Lovelace", "--notebook", str(path), "--out", str(tmp_path)]) == 2
    assert "is not the PS1 notebook" in capsys.readouterr().err
    path.write_text("not json")
    assert submit_cli.main(["--name", "Ada Lovelace", "--notebook", str(path), "--out", str(tmp_path)]) == 2
    assert "is not a readable notebook" in capsys.readouterr().err


def test_refuses_a_notebook_never_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb = _example("PS1_AdaLovelace.zip")
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
    path = _write(tmp_path, nb)
    assert submit_cli.main(["--name", "Ada Lovelace", "--notebook", str(path), "--out", str(tmp_path)]) == 2
    assert "was never run: open it, choose Run > Run All Cells" in capsys.readouterr().err


def test_refuses_deleted_and_duplicated_graded_cells(tmp_path: Path) -> None:
    reference = submit.reference_cells()
    tests = [g for g, m in reference.items() if m.get("grade") and not m.get("solution")]
    nb = _as_run(_example("PS1_AdaLovelace.zip"))
    deleted = dict(
        nb, cells=[c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != tests[0]]
    )
    with pytest.raises(SubmitError, match=f"graded cells were deleted: {tests[0]}"):
        submit.load_and_check(_write(tmp_path, deleted), reference)
    copy = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == tests[0])
    with pytest.raises(SubmitError, match=f"graded cells appear twice: {tests[0]}"):
        submit.load_and_check(_write(tmp_path, dict(nb, cells=[*nb["cells"], copy])), reference)


def test_html_when_no_pdf_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    monkeypatch.setattr(pdf, "webpdf", lambda nb, path: False)
    nb = nbformat.reads(json.dumps(_example("PS1_AdaLovelace.zip")), as_version=4)
    target, kind = submit.write_zip(Checked(nb=nb), "Ada Lovelace", tmp_path)
    assert kind == "HTML" and target.name == "PS1_AdaLovelace.zip"
    with zipfile.ZipFile(target) as zf:
        assert sorted(zf.namelist()) == ["PS1.html", NOTEBOOK]
        assert b"<html" in zf.read("PS1.html")


@pytest.mark.slow
def test_real_submission_runs_and_zips_with_pdf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if pdf.find_chromium() is None:
        pytest.skip("no Chromium on this machine: the PDF step is covered by test_html_when_no_pdf_engine")
    path = _write(tmp_path, _as_run(_example("PS1_AlanTuring.zip")))  # half answered
    assert (
        submit_cli.main(["--name", "Alan Turing", "--notebook", str(path), "--out", str(tmp_path / "out")])
        == 0
    )
    printed = capsys.readouterr().out
    reference = submit.reference_cells()
    failing = printed.split("these visible tests fail: ")[1].split(" (")[0].split(", ")
    assert failing and set(failing) <= {g for g, m in reference.items() if m.get("grade")}
    target = tmp_path / "out" / "PS1_AlanTuring.zip"
    assert f"wrote {target} (notebook + PDF)" in printed
    with zipfile.ZipFile(target) as zf:
        assert sorted(zf.namelist()) == [NOTEBOOK, "PS1.pdf"]
        assert zf.read("PS1.pdf")[:5] == b"%PDF-"
        ran = json.loads(zf.read(NOTEBOOK))
    assert all(c.get("execution_count") for c in ran["cells"] if c["cell_type"] == "code" and c["source"])
