"""Safe reading of submitted zips and notebooks (collect.py); no nbgrader run needed."""

from __future__ import annotations

import io
import json
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from autograder.grading import collect
from autograder.grading.collect import SubmissionError, check_notebook, read_submission, student_id_from_zip

NB = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {},
    "cells": [
        {
            "cell_type": "code",
            "source": "x = 1",
            "metadata": {"nbgrader": {"grade_id": "ans", "solution": True}},
        },
        {
            "cell_type": "code",
            "source": "assert x",
            "metadata": {"nbgrader": {"grade_id": "test", "grade": True, "locked": True, "points": 1}},
        },
    ],
}
NB_BYTES = json.dumps(NB).encode()


def make_zip(path: Path, members: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return path


def refused(path: Path) -> str:
    with pytest.raises(SubmissionError) as err:
        read_submission(path, "PS1.ipynb")
    return str(err.value)


def test_good_zip_returns_only_the_notebook(tmp_path: Path) -> None:
    sub = read_submission(
        make_zip(tmp_path / "a.zip", {"PS1.ipynb": NB_BYTES, "PS1.pdf": b"%PDF-1.4"}), "PS1.ipynb"
    )
    assert sub.notebook == NB_BYTES and sub.warnings == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip"]  # nothing extracted


def test_notebook_in_a_folder_or_with_another_name(tmp_path: Path) -> None:
    sub = read_submission(make_zip(tmp_path / "a.zip", {"PS1_Ada/ps1 (1).ipynb": NB_BYTES}), "PS1.ipynb")
    assert sub.notebook == NB_BYTES and "graded as PS1.ipynb" in sub.warnings[0]
    macos = {
        "PS1.ipynb": NB_BYTES,
        "__MACOSX/._PS1.ipynb": b"x",
        ".ipynb_checkpoints/PS1-checkpoint.ipynb": b"{}",
    }
    assert read_submission(make_zip(tmp_path / "b.zip", macos), "PS1.ipynb").member == "PS1.ipynb"


def test_not_a_zip_and_corrupt_zip(tmp_path: Path) -> None:
    (tmp_path / "t.zip").write_text("hello")
    assert refused(tmp_path / "t.zip") == "not a zip file"
    good = make_zip(tmp_path / "g.zip", {"PS1.ipynb": NB_BYTES * 20}).read_bytes()
    (tmp_path / "cut.zip").write_bytes(good[: len(good) // 2])
    assert refused(tmp_path / "cut.zip").startswith("corrupt zip")
    damaged = bytearray(good)
    start = damaged.index(b"PK\x03\x04") + 30 + len("PS1.ipynb") + 5
    damaged[start : start + 20] = b"\x00" * 20  # compressed data broken, directory intact
    (tmp_path / "bad.zip").write_bytes(bytes(damaged))
    assert refused(tmp_path / "bad.zip").startswith("corrupt zip")


def test_no_notebook_and_several_notebooks(tmp_path: Path) -> None:
    assert refused(make_zip(tmp_path / "a.zip", {"PS1.pdf": b"%PDF"})) == "no notebook (.ipynb) in the zip"
    msg = refused(make_zip(tmp_path / "b.zip", {"PS1.ipynb": NB_BYTES, "old/PS1.ipynb": NB_BYTES}))
    assert msg.startswith("several notebooks") and "old/PS1.ipynb" in msg


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../../x.ipynb", "leaves its folder"),
        ("a/../../evil.txt", "leaves its folder"),
        ("/etc/passwd", "absolute"),
    ],
)
def test_path_traversal_and_absolute_names(tmp_path: Path, name: str, words: str) -> None:
    assert words in refused(make_zip(tmp_path / "a.zip", {"PS1.ipynb": NB_BYTES, name: b"x"}))
    assert not (tmp_path.parent / "x.ipynb").exists()


def test_windows_style_names(tmp_path: Path) -> None:
    assert "leaves its folder" in refused(
        make_zip(tmp_path / "a.zip", {"PS1.ipynb": NB_BYTES, "..\\..\\x": b"1"})
    )
    assert "absolute" in refused(make_zip(tmp_path / "b.zip", {"PS1.ipynb": NB_BYTES, "C:/x": b"1"}))


def test_symlink_member(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "a.zip", {"PS1.ipynb": b"/etc/passwd"}, symlinks=("PS1.ipynb",))
    assert "symbolic link" in refused(path)


def test_zip_bomb_declared_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect, "MAX_TOTAL_BYTES", 100_000)
    path = make_zip(tmp_path / "a.zip", {"PS1.ipynb": NB_BYTES, "zeros.bin": b"\0" * 1_000_000})
    assert path.stat().st_size < 5_000
    assert "zip bomb" in refused(path)


def test_notebook_larger_than_declared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip whose headers lie about the size is caught by reading at most the cap."""
    monkeypatch.setattr(collect, "MAX_NOTEBOOK_BYTES", 10_000)
    data = bytearray(make_zip(tmp_path / "g.zip", {"PS1.ipynb": b" " * 50_000}).read_bytes())
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size fields
        at = data.index(sig)
        data[at + offset : at + offset + 4] = struct.pack("<I", 100)
    (tmp_path / "lie.zip").write_bytes(bytes(data))
    msg = refused(tmp_path / "lie.zip")
    assert "unpacks past" in msg or "corrupt" in msg


def test_notebook_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect, "MAX_NOTEBOOK_BYTES", 1000)
    assert "limit 1000" in refused(make_zip(tmp_path / "a.zip", {"PS1.ipynb": b" " * 5000}))


def test_non_utf8_member_name(tmp_path: Path) -> None:
    data = bytearray(make_zip(tmp_path / "g.zip", {"PS1.ipynb": NB_BYTES, "notes_XX.txt": b"x"}).read_bytes())
    data = bytearray(bytes(data).replace(b"notes_XX", b"notes_\xff\xfe"))
    (tmp_path / "n.zip").write_bytes(bytes(data))
    assert "not valid UTF-8" in refused(tmp_path / "n.zip")


def test_utf8_names_are_fine(tmp_path: Path) -> None:
    assert read_submission(
        make_zip(tmp_path / "a.zip", {"PS1.ipynb": NB_BYTES, "Übung.pdf": b"x"}), "PS1.ipynb"
    ).notebook


def test_student_ids() -> None:
    assert student_id_from_zip(Path("PS1_AdaLovelace.zip"), "PS1_") == ("AdaLovelace", None)
    assert student_id_from_zip(Path("PS1_Ada Lovelace.zip"), "PS1_")[0] == "AdaLovelace"
    sid, warning = student_id_from_zip(Path("emmy noether (2).zip"), "PS1_")
    assert sid == "emmynoether2" and "not PS1_<FullName>.zip" in warning
    assert student_id_from_zip(Path("PS1_../../etc.zip"), "PS1_")[0] == "etc"
    assert student_id_from_zip(Path("PS1_日本.zip"), "PS1_")[0].startswith("unnamed_")
    assert student_id_from_zip(Path("PS1_José Núñez.zip"), "PS1_")[0] == "JoseNunez"
    sid, warning = student_id_from_zip(Path(b"\xe9t\xe9.zip".decode("utf-8", "surrogateescape")), "PS1_")
    assert sid == "t" and "\ufffdt\ufffd.zip" in warning and "\udce9" not in warning


def test_check_notebook() -> None:
    nb, warnings = check_notebook(NB_BYTES, ["test"], ["ans", "test"], notebook="PS1.ipynb")
    assert nb["cells"] and warnings == []
    with pytest.raises(SubmissionError, match="not valid JSON"):
        check_notebook(b'{"cells": [', ["test"], ["ans", "test"], notebook="PS1.ipynb")
    with pytest.raises(SubmissionError, match="not UTF-8"):
        check_notebook(b"\xff\xfe{}", ["test"], ["ans", "test"], notebook="PS1.ipynb")
    with pytest.raises(SubmissionError, match="not a Jupyter notebook"):
        check_notebook(b"[1, 2]", ["test"], ["ans", "test"], notebook="PS1.ipynb")
    dup = dict(NB, cells=NB["cells"] + [NB["cells"][1]])
    with pytest.raises(SubmissionError, match="duplicate nbgrader cell ids: test"):
        check_notebook(json.dumps(dup).encode(), ["test"], ["ans", "test"], notebook="PS1.ipynb")
    deleted = dict(NB, cells=NB["cells"][:1])
    nb, warnings = check_notebook(
        json.dumps(deleted).encode(), ["test"], ["ans", "test"], notebook="PS1.ipynb"
    )
    restored, warnings = collect.restore_missing_cells(nb, NB)
    assert warnings == ["deleted test cells restored from the source: test"]
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in restored["cells"]] == ["ans", "test"]
    with pytest.raises(SubmissionError, match="not the PS1.ipynb notebook"):
        check_notebook(NB_BYTES, ["q9"], ["q8", "q9"], notebook="PS1.ipynb")
    forged = {"grade_id": "bonus", "grade": True, "locked": True, "points": 100}
    extra = dict(
        NB, cells=[*NB["cells"], {"cell_type": "code", "source": "", "metadata": {"nbgrader": forged}}]
    )
    with pytest.raises(SubmissionError, match="cells the assignment does not have: bonus"):
        check_notebook(json.dumps(extra).encode(), ["test"], ["ans", "test"], notebook="PS1.ipynb")


def test_module_says_why_not_zip_collect() -> None:
    assert "zip_collect" in (collect.__doc__ or "")


def test_in_memory_zip_has_no_side_effects() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("PS1.ipynb", NB_BYTES)
    assert zipfile.is_zipfile(io.BytesIO(buf.getvalue()))
