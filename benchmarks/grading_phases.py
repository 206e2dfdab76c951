"""Where the fixed cost of `ps1 grade` goes: the wall time of each step before the first job and after
the last result, on N copies of the reference solution.

    .venv/bin/python benchmarks/grading_phases.py [--copies 16] [--workers 2] [--repeats 2]

Each repeat runs the command in a fresh Python process (importing it is a phase) with timers around
the coordinator's steps: the pool's start, the course build (`generate_assignment`), the hand-over to
the pool, the last result recorded, grades.csv, the check of the feedback pages, report.png, and the
process's exit (timed from outside); the first job's start and the last job's end in the workers come
from state.json. The steps are wrapped, not changed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers.ps1 import SOLUTION_NOTEBOOK  # noqa: E402 (tests/ is not a package on the path)

REPO = Path(__file__).resolve().parent.parent
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
PHASES = [  # (label, from mark, to mark)
    ("start Python, import the command", "start", "imported"),
    ("start the Dask pool (fork the workers)", "imported", "pool started"),
    ("build the course (generate_assignment)", "pool started", "course built"),
    ("check the zips, hand the jobs over", "course built", "jobs sent"),
    ("Dask starts the first job in a worker", "jobs sent", "first job"),
    ("grade (first job's start to last job's end)", "first job", "last job"),
    ("the last result back and recorded", "last job", "last result"),
    ("grades.csv", "last result", "grades.csv"),
    ("check the feedback pages", "grades.csv", "pages checked"),
    ("report.png", "pages checked", "report.png"),
    ("exit", "report.png", "exited"),
]


def timed(marks: dict[str, float], label: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func`, noting in `marks` when it returned (wall clock: the parent started the clock)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = func(*args, **kwargs)
        marks[label] = time.time()
        return result

    return wrapper


def child(argv: list[str]) -> None:
    """Run `ps1 grade argv` here with timers; print the marks as JSON on the last line."""
    # Heavy, imported here on purpose: the parent does not need them, and their import is a phase.
    from autograder.cli import grade  # noqa: PLC0415
    from autograder.grading import coordinator, pool  # noqa: PLC0415

    marks = {"imported": time.time()}
    for cls in (pool.DaskPool, pool.InProcessPool):
        cls.start = timed(marks, "pool started", cls.start)
    coordinator.cd.prepare = timed(marks, "course built", coordinator.cd.prepare)
    coordinator.make_template = timed(marks, "jobs sent", coordinator.make_template)
    coordinator._grade_all = timed(marks, "last result", coordinator._grade_all)
    coordinator.export = timed(marks, "grades.csv", coordinator.export)
    coordinator._rebuild_feedback = timed(marks, "pages checked", coordinator._rebuild_feedback)
    coordinator.report.make_report = timed(marks, "report.png", coordinator.report.make_report)
    code = grade.main(argv)
    print(json.dumps(marks))
    sys.exit(code)


def make_zips(folder: Path, copies: int) -> None:
    folder.mkdir(parents=True)
    for i in range(1, copies + 1):
        with zipfile.ZipFile(folder / f"PS1_Student{i:02d}.zip", "w") as zf:
            zf.write(SOLUTION_NOTEBOOK, "PS1.ipynb")


def one_run(zips: Path, out: Path, workers: int) -> dict[str, float]:
    """The marks of one run of the command in a fresh process, exit included."""
    cmd = [sys.executable, __file__, "--child", str(zips), "--out", str(out), "--workers", str(workers)]
    cmd += ["--due", "2030-01-01 00:00 UTC"]
    start = time.time()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env={**os.environ, **THREADS})
    end = time.time()
    if proc.returncode != 0:
        raise SystemExit(f"grade failed:\n{proc.stderr[-2000:]}")
    marks = json.loads(proc.stdout.strip().splitlines()[-1])
    jobs = json.loads((out / "state.json").read_text())["students"].values()
    begun = [datetime.fromisoformat(j["started"]).timestamp() for j in jobs]
    marks["first job"] = min(begun)
    marks["last job"] = max(b + j["seconds"] for b, j in zip(begun, jobs, strict=True))
    return {"start": 0.0, "exited": end - start} | {k: v - start for k, v in marks.items()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="grading-phases-") as tmp:
        make_zips(Path(tmp) / "zips", args.copies)
        for rep in range(args.repeats):
            runs.append(one_run(Path(tmp) / "zips", Path(tmp) / f"out{rep}", args.workers))
            print(f"  repeat {rep + 1}: {runs[-1]['exited']:.1f} s", file=sys.stderr, flush=True)
    print(f"\n`ps1 grade`, {args.copies} copies, --workers {args.workers}: seconds per phase, each repeat\n")
    print(f"| {'phase':<40} | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " |")
    print(f"| {'-' * 40} | " + " | ".join("----:" for _ in runs) + " |")
    for label, begin, end in PHASES:
        print(f"| {label:<40} | " + " | ".join(f"{r[end] - r[begin]:5.2f}" for r in runs) + " |")
    fixed = [r["first job"] + r["exited"] - r["last job"] for r in runs]
    each = ", ".join(f"{f:.2f} s" for f in fixed)
    print(f"\nfixed cost (before the first job starts + after the last one ends): {each}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
