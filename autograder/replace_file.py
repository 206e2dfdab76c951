"""Files replaced whole: written under a temporary name beside their place, then renamed over it.

A rename within one folder is atomic, so a reader (or a run killed mid-write) sees the old file or
the new one, never half of one. Every file the tool rewrites in place goes through `replacing`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """The temporary path to write `path`'s new content to; it replaces `path` when the block ends,
    and is removed if the block raises. It keeps `path`'s suffix (matplotlib and numpy choose the
    format by it)."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def replace_text(path: Path, text: str) -> None:
    """Replace `path` by a file holding `text` (UTF-8)."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
