"""The installed `ps1` console script: every command of autograder/__main__.py, --help on each, --version."""

from __future__ import annotations

import subprocess
from importlib.metadata import version

import pytest
from helpers.commands import PS1, run_ps1

from autograder.__main__ import COMMANDS, DISTRIBUTION


def test_version_comes_from_the_package_metadata() -> None:
    done = run_ps1("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"ps1 {version(DISTRIBUTION)}"


def test_top_level_help_lists_every_command() -> None:
    done = run_ps1("--help")
    assert done.returncode == 0
    for name, text in COMMANDS.items():
        assert f"{name}" in done.stdout and text in done.stdout


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help(command: str) -> None:
    done = run_ps1(command, "--help", timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: ps1 {command}")


def test_script_is_the_same_program_as_python_m() -> None:
    assert PS1.exists()
    assert "autograder.__main__" in PS1.read_text()


def test_the_course_tool_is_grader_and_ps1_its_alias() -> None:
    grader = PS1.with_name("grader")
    done = subprocess.run([str(grader), "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == f"grader {version(DISTRIBUTION)}"
    helped = subprocess.run([str(grader), "grade", "--help"], capture_output=True, text=True, check=False)
    assert helped.stdout.startswith("usage: grader grade") and "--assignment ID" in helped.stdout
