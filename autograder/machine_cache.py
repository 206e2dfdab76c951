"""Where autograder keeps what it builds once per machine: `$XDG_CACHE_HOME/autograder` (by default
`~/.cache/autograder`). Everything there can be deleted at any time; it is built again when needed."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The cache folder (not created here)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "autograder"
