"""Run `ps1 <command>` as the instructor does: the installed console script, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers.ps1 import REPO_DIR

PS1 = Path(sys.executable).parent / "ps1"  # installed by `pip install -e .` ([project.scripts])


def run_ps1(*args: object, timeout: float = 600) -> subprocess.CompletedProcess:
    """`ps1 args...` run from the repository; stdout and stderr captured as text."""
    return subprocess.run(
        [str(PS1), *map(str, args)], cwd=REPO_DIR, capture_output=True, text=True, timeout=timeout
    )


def refused(proc: subprocess.CompletedProcess, *words: str) -> str:
    """Assert the command refused its input as promised: exit 2, one line on stderr holding `words`."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]
