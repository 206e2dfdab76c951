"""The conda environment and the pinned pip requirements describe the same packages and versions."""

import re
import sys
from importlib.metadata import version

import yaml
from helpers.ps1 import REPO_DIR

REPO = REPO_DIR


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"requirements.txt: {line!r} is not pinned with =="
            pins[canonical(name)] = version
    return pins


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, _, version = dep.partition("=")
            pins[canonical(name)] = version
    return pins


def test_every_conda_package_is_pinned_to_the_same_version_for_pip() -> None:
    pip, conda = pip_pins(), conda_pins()
    conda.pop("pip")
    python = conda.pop("python")
    assert python in {"3.11", "3.12"}
    mismatched = {name: (v, pip.get(name)) for name, v in conda.items() if pip.get(name) != v}
    assert not mismatched, f"environment.yml vs requirements.txt (conda, pip): {mismatched}"


def test_the_packages_the_issue_names_are_in_both_files() -> None:
    needed = {"numpy", "matplotlib", "jupyterlab", "notebook", "nbformat", "nbgrader"}
    assert needed <= set(conda_pins())
    assert needed <= set(pip_pins())


def test_the_conda_file_holds_no_package_only_the_tests_need() -> None:
    """scikit-learn (the digits file's test), SciPy and Playwright (browser tests) are dev pins only."""
    assert {"scikit-learn", "scipy", "playwright"} <= set(pip_pins())
    assert not {"scikit-learn", "scipy", "playwright"} & set(conda_pins())


def test_this_interpreter_matches_the_pins() -> None:

    assert sys.version_info >= (3, 11)
    for name in ("numpy", "nbgrader", "matplotlib", "scikit-learn"):
        assert version(name) == pip_pins()[name]
