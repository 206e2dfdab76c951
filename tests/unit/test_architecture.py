"""The layout holds: folders are layers with no import cycles, and every module says what it is for."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.ps1 import REPO_DIR

MODULES = sorted((REPO_DIR / "autograder").rglob("*.py"))


def test_import_contracts_hold() -> None:
    """import-linter's contracts in pyproject.toml: layers by folder, a self-contained student package
    (the handout ships it as files), no cycles within a folder.

    It reads every import, those inside functions included, so a cycle cannot hide in a function."""
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=REPO_DIR, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "3 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO_DIR)))
def test_every_module_opens_with_what_it_is_for(path: Path) -> None:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert doc and len(doc.splitlines()[0]) > 20, f"{path}: first line should say what the module is for"


def test_no_lazy_import_without_a_reason() -> None:
    """ruff's PLC0415 is on: an import inside a function needs a `noqa: PLC0415` with a comment."""
    ruff = Path(sys.executable).with_name("ruff")
    proc = subprocess.run(
        [str(ruff), "check", "--select", "PLC0415", "--output-format", "concise", "."],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout
    for path in MODULES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "noqa: PLC0415" in line:
                window = " ".join(lines[max(0, i - 8) : i + 1])
                assert "on purpose" in window or "heavy" in window, f"{path}:{i + 1}: say why it is lazy"


@pytest.mark.parametrize(
    ("command", "heavy"),
    [("grade", ("matplotlib",)), ("submit", ("nbgrader", "dask", "matplotlib"))],
)
def test_command_start_skips_heavy_imports(command: str, heavy: tuple[str, ...]) -> None:
    """What a command does not load at its start: `grade` imports matplotlib (0.25 s) only once a core
    falls idle near the end (results/report.py, preload), `submit` runs on a student's laptop."""
    code = f"import sys, autograder.cli.{command}; print(sorted({{m.split('.')[0] for m in sys.modules}}))"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_DIR, capture_output=True, text=True, check=True
    )
    loaded = set(ast.literal_eval(proc.stdout))
    assert not loaded & set(heavy), f"`ps1 {command}` imports {loaded & set(heavy)} at its start"
