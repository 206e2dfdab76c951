"""generate_assignment's output is kept in the machine's cache and copied into new grading folders:
the same source gives the same files, a changed source is generated again, a broken cache is no error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import ps1

from autograder.course import grading_course as cd

RELEASE = Path("release") / ps1.ASSIGNMENT / ps1.NOTEBOOK


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return cd.template_cache()


def test_a_new_grading_folder_copies_what_the_first_generated(tmp_path: Path, cache: Path) -> None:
    first, second = tmp_path / "one" / "course", tmp_path / "two" / "course"
    cd.prepare(first, mathjax=False)
    kept = sorted(cache.iterdir())
    assert [p.name for p in kept] == [cd.generated_key(cd.template_dir(first))]
    cd.prepare(second, mathjax=False)
    assert sorted(cache.iterdir()) == kept
    tpl = cd.template_dir(second)
    # generate_assignment gives every row a new random id: equal bytes mean the kept file was copied
    assert (tpl / cd.DEFAULT_DB).read_bytes() == (kept[0] / cd.DEFAULT_DB).read_bytes()
    assert (tpl / RELEASE).read_bytes() == (cd.template_dir(first) / RELEASE).read_bytes()
    assert (second / RELEASE).read_bytes() == (tpl / RELEASE).read_bytes()
    with cd.gradebook(second) as gb:
        cells = {c.name for c in gb.find_notebook(ps1.NOTEBOOK_ID, ps1.ASSIGNMENT).grade_cells}
    assert cells == {q.grade_id for q in ps1.QUESTIONS}


def test_a_changed_source_is_generated_again(tmp_path: Path, cache: Path) -> None:
    cd.prepare(tmp_path / "one" / "course", mathjax=False)
    source = tmp_path / "changed" / ps1.ASSIGNMENT
    shutil.copytree(ps1.SOURCE_DIR, source)
    nb = json.loads((source / ps1.NOTEBOOK).read_text())
    first_markdown = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    first_markdown["source"] = "".join(first_markdown["source"]) + "\n\nA sentence added by the test."
    (source / ps1.NOTEBOOK).write_text(json.dumps(nb, indent=1))
    course = tmp_path / "two" / "course"
    cd.prepare(course, source=source, mathjax=False)
    assert len(list(cache.iterdir())) == 2
    assert "A sentence added by the test." in (course / RELEASE).read_text()


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path, cache: Path) -> None:
    cache.parent.parent.mkdir(parents=True)
    cache.parent.write_text("a file where the cache folder should be")
    course = tmp_path / "one" / "course"
    cd.prepare(course, mathjax=False)
    assert (course / RELEASE).is_file() and (cd.template_dir(course) / cd.DEFAULT_DB).is_file()
