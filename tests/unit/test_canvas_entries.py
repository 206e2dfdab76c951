"""Reading the entries of Canvas's submissions download (grading/canvas_download.py) and grouping them
by Canvas user (grading/coordinator.canvas_candidates), without grading anything."""

from __future__ import annotations

from pathlib import Path

from autograder.grading import canvas_download
from autograder.grading.coordinator import canvas_candidates


def test_entry_names_as_canvas_writes_them() -> None:
    entry = canvas_download.parse_entry(Path("lovelaceada_LATE_12345_678901_PS1_AdaLovelace-2.zip"))
    assert entry is not None
    assert (entry.user_id, entry.attachment_id, entry.late, entry.file) == (
        "12345",
        678901,
        True,
        "PS1_AdaLovelace-2.zip",
    )
    assert entry.student_id("PS1_") == ("AdaLovelace", None)
    assert canvas_download.parse_entry(Path("PS1_AdaLovelace.zip")) is None
    assert canvas_download.parse_entry(Path("ada_12_x_PS1.zip")) is None  # the attachment id is a number


def test_users_not_names_make_students(tmp_path: Path) -> None:
    for name in (
        "lovelaceada_1_10_PS1_AdaLovelace.zip",
        "lovelaceada_1_30_PS1_AdaLovelace-2.zip",
        "lovelaceada_1_20_PS1_AdaLovelace-1.zip",
        "smithjo_2_11_PS1_JoSmith.zip",
        "smithjo_3_12_PS1_JoSmith.zip",  # another Jo Smith, another Canvas user
        "smithjo_2_13_photo.png",
    ):
        (tmp_path / name).write_bytes(name.encode())
    assert canvas_download.is_canvas_download(tmp_path)
    found, notes = canvas_candidates(tmp_path, {}, "PS1_")
    assert [c.canvas.attachment_id for c in found["AdaLovelace"]] == [30, 20, 10]  # newest first
    assert {s: found[s][0].canvas.user_id for s in found} == {
        "AdaLovelace": "1",
        "JoSmith_2": "2",
        "JoSmith_3": "3",
    }
    assert any("2 Canvas users sent zips of this name" in n for n in notes)
    assert "smithjo_2_13_photo.png: not a zip, skipped (Canvas user 2)" in notes
