"""state.json's one reader and one writer: entries survive a round trip, and files older runs wrote
(fewer fields, fields this version dropped) still load."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from autograder.course.layout import GradingFolder
from autograder.course.state import State, StateEntry, load_state, save_state

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
entries = st.builds(
    StateEntry,
    zip=texts,
    sha256=st.text("0123456789abcdef", min_size=64, max_size=64),
    submitted=st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
    status=st.sampled_from(["graded", "error"]),
    messages=st.lists(texts, max_size=3),
    sandbox=st.sampled_from(["bwrap", "rlimits", "off", ""]),
    seconds=st.none() | st.floats(0, 1e4),
)


def test_a_folder_never_graded_has_an_empty_state(tmp_path: Path) -> None:
    assert load_state(tmp_path) == State()


@given(students=st.dictionaries(texts.filter(bool), entries, max_size=4), secure=st.booleans())
def test_what_is_saved_loads_back_equal(tmp_path_factory, students: dict, secure: bool) -> None:
    out = tmp_path_factory.mktemp("out")
    state = State(students, "2017-01-12T18:00:00+00:00", "key", secure)
    save_state(out, state)
    assert load_state(out) == state


def test_a_state_file_of_an_older_run_loads(tmp_path: Path) -> None:
    """A run before `sandbox`, `worker` and `seconds` existed, with a key no version reads any more."""
    old = {
        "due": "2017-01-12T18:00:00+00:00",
        "students": {
            "Ada": {"zip": "PS1_Ada.zip", "sha256": "ab", "submitted": "2017-01-12T17:00:00+00:00",
                    "status": "graded", "messages": ["late"], "retired_field": 1},
        },
    }  # fmt: skip
    GradingFolder(tmp_path).state_file.write_text(json.dumps(old))
    state = load_state(tmp_path)
    ada = state.students["Ada"]
    assert (ada.zip, ada.status, ada.messages, ada.sandbox, ada.seconds) == (
        "PS1_Ada.zip",
        "graded",
        ["late"],
        "",
        None,
    )
    assert ada.submitted_at == datetime(2017, 1, 12, 17, tzinfo=UTC)
    assert (state.grading_key, state.secure) == ("", True)  # an unknown key regrades everyone


def test_saving_replaces_the_file_whole(tmp_path: Path) -> None:
    save_state(tmp_path, State({"Ada": StateEntry("PS1_Ada.zip", "ab", "2017-01-12T17:00:00+00:00")}))
    save_state(tmp_path, State())
    assert json.loads(GradingFolder(tmp_path).state_file.read_text())["students"] == {}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left beside it
