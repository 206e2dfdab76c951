"""autograder/problem_set.py: a problem set's folder read into one value, and every wrong spec refused."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from helpers.ps1 import COURSE_DIR, SOURCE_DIR

from autograder import problem_set
from autograder.errors import InputError
from autograder.problem_set import SPEC_FILE, graded_cells


def copy_course(tmp_path: Path, *ids: str) -> Path:
    """A course folder with PS1's folder copied under each of `ids`."""
    for problem_set_id in ids:
        shutil.copytree(SOURCE_DIR, tmp_path / "source" / problem_set_id)
    return tmp_path


def edit_spec(folder: Path, old: str, new: str) -> None:
    spec = folder / SPEC_FILE
    text = spec.read_text()
    assert old in text
    spec.write_text(text.replace(old, new))


def test_the_questions_and_points_are_the_notebooks() -> None:
    ps = problem_set.load(SOURCE_DIR)
    assert [(q.grade_id, q.points, q.manual) for q in ps.questions] == graded_cells(ps.source_notebook)
    spec = tomllib.loads((SOURCE_DIR / SPEC_FILE).read_text())
    assert {q.grade_id: q.title for q in ps.questions} == spec["titles"]
    assert ps.total_points == sum(points for _, points, _ in graded_cells(ps.source_notebook))
    assert ps.notebook in ps.files and all((SOURCE_DIR / name).is_file() for name in ps.files)


def test_the_only_problem_set_is_the_default(tmp_path: Path) -> None:
    assert problem_set.select(COURSE_DIR).id == "ps1"
    course = copy_course(tmp_path, "ps1", "ps2")
    assert problem_set.ids(course) == ["ps1", "ps2"]
    assert problem_set.select(course, "ps2").folder == course / "source" / "ps2"
    with pytest.raises(InputError, match=r"choose one with --assignment ID"):
        problem_set.select(course)
    with pytest.raises(InputError, match=r"no problem set 'ps9'.*\['ps1', 'ps2'\]"):
        problem_set.select(course, "ps9")


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ('p3_tests = "Problem 3: MLP test error"', "", r"untitled \['p3_tests'\]"),
        ("[titles]", '[titles]\np9_tests = "a cell"', r"not in the notebook \['p9_tests'\]"),
        ('zip_prefix = "PS1_"', "", r"missing keys \['zip_prefix'\]"),
        ("[late]", 'colour = "red"\n[late]', r"unknown keys \['colour'\]"),
        ("grace_minutes = 0", "", r"\[late\] must hold exactly"),
        ('deadline = "2017-01-12 12:00"', 'deadline = "next Friday"', "deadline or timezone unreadable"),
        ('timezone = "America/Chicago"', 'timezone = "Mars/Olympus"', "deadline or timezone unreadable"),
        ('files = ["PS1.ipynb", "digits.npz"]', 'files = ["digits.npz"]', "files must list the notebook"),
        ('"PS1.ipynb"', '"PS2.ipynb"', "the notebook 'PS2.ipynb' is not in"),
        ('title = "Problem Set 1"', 'title = "Problem Set 1', "cannot read the problem set's spec"),
    ],
)
def test_a_wrong_spec_is_refused_in_one_line(tmp_path: Path, old: str, new: str, said: str) -> None:
    folder = copy_course(tmp_path, "ps1") / "source" / "ps1"
    edit_spec(folder, old, new)
    with pytest.raises(InputError, match=said) as refused:
        problem_set.load(folder)
    assert str(folder / SPEC_FILE) in str(refused.value) and "\n" not in str(refused.value)
