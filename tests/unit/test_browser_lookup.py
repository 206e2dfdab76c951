"""Where submit finds a browser to print the PDF with, on each system students use.

Each test builds the install tree of one system in tmp_path (the files the installers of Chrome,
Chromium and Edge leave) and asks `locate_browser` with that system's name, environment and home; the
`which` function is the standard library's, searching a PATH made of fake folders.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.authoring.handout import README_TEMPLATE
from autograder.student.pdf import PATH_NAMES, install_places, locate_browser


def _install(path: Path) -> Path:
    """An executable file at `path` (what an installer leaves)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def _which_on(*folders: Path):
    """`shutil.which` searching only `folders`."""
    path = ":".join(str(f) for f in folders)
    return lambda name: shutil.which(name, path=path)


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Path]:
    """An empty machine: a root standing for `/`, a home, an empty bin folder on PATH."""
    places = {"root": tmp_path / "root", "home": tmp_path / "home", "bin": tmp_path / "bin"}
    for folder in places.values():
        folder.mkdir()
    return places


def test_linux_names_on_path_in_order(machine: dict[str, Path]) -> None:
    which = _which_on(machine["bin"])
    assert locate_browser("Linux", {}, machine["home"], which=which, root=machine["root"]) is None
    edge = _install(machine["bin"] / "microsoft-edge-stable")
    assert locate_browser("Linux", {}, machine["home"], which=which, root=machine["root"]) == str(edge)
    chrome = _install(machine["bin"] / "google-chrome")
    assert locate_browser("Linux", {}, machine["home"], which=which, root=machine["root"]) == str(chrome)
    chromium = _install(machine["bin"] / "chromium")
    assert locate_browser("Linux", {}, machine["home"], which=which, root=machine["root"]) == str(chromium)


def test_linux_looks_nowhere_else(machine: dict[str, Path]) -> None:
    """An app bundle or a Program Files tree means nothing on Linux: only PATH counts there."""
    _install(machine["root"] / "Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
    _install(machine["home"] / "Program Files/Google/Chrome/Application/chrome.exe")
    env = {"ProgramFiles": str(machine["home"] / "Program Files")}
    assert install_places("Linux", env, machine["home"], root=machine["root"]) == []
    assert (
        locate_browser("Linux", env, machine["home"], which=_which_on(machine["bin"]), root=machine["root"])
        is None
    )


@pytest.mark.parametrize(
    "app",
    [
        "Google Chrome.app/Contents/MacOS/Google Chrome",
        "Chromium.app/Contents/MacOS/Chromium",
        "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    ],
)
def test_macos_app_bundles(machine: dict[str, Path], app: str) -> None:
    which = _which_on(machine["bin"])
    mine = _install(machine["home"] / "Applications" / app)  # installed for one user only
    assert locate_browser("Darwin", {}, machine["home"], which=which, root=machine["root"]) == str(mine)
    everyone = _install(machine["root"] / "Applications" / app)  # /Applications comes first
    assert locate_browser("Darwin", {}, machine["home"], which=which, root=machine["root"]) == str(everyone)


def test_macos_prefers_chrome_then_chromium_then_edge(machine: dict[str, Path]) -> None:
    which = _which_on(machine["bin"])
    apps = machine["root"] / "Applications"
    edge = _install(apps / "Microsoft Edge.app/Contents/MacOS/Microsoft Edge")
    assert locate_browser("Darwin", {}, machine["home"], which=which, root=machine["root"]) == str(edge)
    chromium = _install(apps / "Chromium.app/Contents/MacOS/Chromium")
    assert locate_browser("Darwin", {}, machine["home"], which=which, root=machine["root"]) == str(chromium)
    chrome = _install(apps / "Google Chrome.app/Contents/MacOS/Google Chrome")
    assert locate_browser("Darwin", {}, machine["home"], which=which, root=machine["root"]) == str(chrome)


def test_macos_an_app_bundle_given_by_hand(machine: dict[str, Path]) -> None:
    """`--browser "/Applications/Google Chrome.app"` (the name Finder shows) means the program inside."""
    bundle = machine["root"] / "Applications" / "Google Chrome.app"
    program = _install(bundle / "Contents/MacOS/Google Chrome")
    which = _which_on(machine["bin"])
    assert locate_browser("Darwin", {}, machine["home"], which=which, explicit=str(bundle)) == str(program)
    assert locate_browser("Darwin", {}, machine["home"], which=which, explicit=str(program)) == str(program)


def test_macos_an_empty_app_folder_is_not_a_browser(machine: dict[str, Path]) -> None:
    (machine["root"] / "Applications/Google Chrome.app/Contents/MacOS").mkdir(parents=True)
    which = _which_on(machine["bin"])
    assert locate_browser("Darwin", {}, machine["home"], which=which, root=machine["root"]) is None


def _windows_env(machine: dict[str, Path]) -> dict[str, str]:
    """%ProgramFiles%, %ProgramFiles(x86)% and %LocalAppData% of a fake Windows machine."""
    folders = {
        "ProgramFiles": machine["root"] / "Program Files",
        "ProgramFiles(x86)": machine["root"] / "Program Files (x86)",
        "LocalAppData": machine["home"] / "AppData" / "Local",
    }
    for folder in folders.values():
        folder.mkdir(parents=True)
    return {name: str(folder) for name, folder in folders.items()}


def test_windows_edge_that_ships_with_windows(machine: dict[str, Path]) -> None:
    env = _windows_env(machine)
    which = _which_on(machine["bin"])
    assert locate_browser("Windows", env, machine["home"], which=which) is None
    edge = _install(Path(env["ProgramFiles(x86)"]) / "Microsoft/Edge/Application/msedge.exe")
    assert locate_browser("Windows", env, machine["home"], which=which) == str(edge)


@pytest.mark.parametrize("root", ["ProgramFiles", "ProgramFiles(x86)", "LocalAppData"])
@pytest.mark.parametrize(
    "exe",
    [
        "Google/Chrome/Application/chrome.exe",
        "Microsoft/Edge/Application/msedge.exe",
        "Chromium/Application/chrome.exe",
    ],
)
def test_windows_each_install_place(machine: dict[str, Path], root: str, exe: str) -> None:
    env = _windows_env(machine)
    installed = _install(Path(env[root]) / exe)
    assert locate_browser("Windows", env, machine["home"], which=_which_on(machine["bin"])) == str(installed)


def test_windows_chrome_before_edge_and_missing_variables(machine: dict[str, Path]) -> None:
    env = _windows_env(machine)
    which = _which_on(machine["bin"])
    _install(Path(env["ProgramFiles(x86)"]) / "Microsoft/Edge/Application/msedge.exe")
    chrome = _install(Path(env["LocalAppData"]) / "Google/Chrome/Application/chrome.exe")
    per_machine = locate_browser("Windows", env, machine["home"], which=which)
    assert per_machine is not None and per_machine.endswith("msedge.exe")  # %ProgramFiles(x86)% first
    only_user = {"LocalAppData": env["LocalAppData"]}  # the other variables unset
    assert locate_browser("Windows", only_user, machine["home"], which=which) == str(chrome)


@pytest.mark.parametrize("system", ["Linux", "Darwin", "Windows"])
def test_path_comes_before_install_places(machine: dict[str, Path], system: str) -> None:
    env = _windows_env(machine)
    _install(Path(env["ProgramFiles"]) / "Google/Chrome/Application/chrome.exe")
    _install(machine["root"] / "Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
    on_path = _install(machine["bin"] / "microsoft-edge")
    which = _which_on(machine["bin"])
    assert locate_browser(system, env, machine["home"], which=which, root=machine["root"]) == str(on_path)


def test_every_path_name_is_looked_for(machine: dict[str, Path]) -> None:
    which = _which_on(machine["bin"])
    for name in PATH_NAMES:
        only = _install(machine["bin"] / name)
        assert locate_browser("Linux", {}, machine["home"], which=which) == str(only), name
        only.unlink()


@pytest.mark.parametrize("system", ["Linux", "Darwin", "Windows"])
def test_an_explicit_choice_comes_first_and_is_never_replaced(machine: dict[str, Path], system: str) -> None:
    which = _which_on(machine["bin"])
    found = _install(machine["bin"] / "chromium")
    mine = _install(machine["home"] / "browsers" / "my-chrome")
    flag = _install(machine["home"] / "browsers" / "flag-chrome")
    env = {"CHROMIUM": str(mine)}
    assert locate_browser(system, env, machine["home"], which=which) == str(mine)
    assert locate_browser(system, env, machine["home"], which=which, explicit=str(flag)) == str(flag)
    # a name on PATH works as well as a path
    assert locate_browser(system, {"CHROMIUM": "chromium"}, machine["home"], which=which) == str(found)
    # an explicit choice that names nothing gives None (submit refuses it), not some other browser
    missing = str(machine["home"] / "no-such-browser")
    assert locate_browser(system, {"CHROMIUM": missing}, machine["home"], which=which) is None
    assert locate_browser(system, env, machine["home"], which=which, explicit=missing) is None
    # an empty $CHROMIUM is no choice
    assert locate_browser(system, {"CHROMIUM": ""}, machine["home"], which=which) == str(found)


def test_the_handout_readme_says_where_submit_looks_and_what_to_install() -> None:
    readme = README_TEMPLATE.read_text(encoding="utf-8")
    for words in (
        "Google Chrome, Chromium or Microsoft Edge",
        "Edge comes with Windows 10 and 11",
        "`/Applications` or `~/Applications`",
        "`Program Files`",
        "`AppData\\Local`",
        "`--browser PATH_TO_IT`",
        "`CHROMIUM`",
        "`sudo apt install chromium`",
    ):
        assert words in readme, words
    assert all(f"`{name}`" in readme for name in ("chromium", "google-chrome", "microsoft-edge"))
