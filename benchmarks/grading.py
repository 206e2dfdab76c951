"""Grading throughput: upstream sequential nbgrader vs `python -m autograder grade`, on the same zips.

    .venv/bin/python benchmarks/grading.py [--copies 8] [--repeats 2]

Every submission is a copy of the reference solution (`solutions/PS1_solution.ipynb`) zipped as
`PS1_StudentNN.zip`, all on time. Four configurations, interleaved, each repeated, best time kept:

  (a) upstream: a fresh course (`nbgrader generate_assignment`, not timed), the notebooks placed in
      submitted/, then ONE timed `nbgrader autograde ps1` CLI call over all students (default
      Execute, no sandbox, no outside checks);
  (b) our command, `--workers 1` (sandbox + outside checks, in-process worker);
  (c) our command, `--workers 2` (a local Dask cluster, one worker per core);
  (d) our command, `--workers 1 --no-sandbox-and-checks` (what the sandbox and checks cost).

(b)-(d) are timed from the command's start to its exit: Python start-up, building the course
(generate_assignment), checking the zips, grading, grades.csv and report.png included. BLAS and
OpenMP are held to one thread everywhere. Every run must give every copy full autograded marks.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.ps1 import COURSE_DIR, SOLUTION_NOTEBOOK

REPO = Path(__file__).resolve().parent.parent
SOLUTION = SOLUTION_NOTEBOOK
PYTHON = sys.executable
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CONFIGS = {
    "a": "(a) nbgrader autograde, sequential CLI",
    "b": "(b) ours --workers 1 (sandbox + checks)",
    "c": "(c) ours --workers 2 (sandbox + checks)",
    "d": "(d) ours --workers 1, no sandbox/checks",
}


def env() -> dict[str, str]:
    """The venv's bin first on PATH (nbgrader runs `alembic`), one BLAS thread."""
    path = os.pathsep.join([str(Path(PYTHON).parent), os.environ.get("PATH", "")])
    return {**os.environ, **THREADS, "PATH": path}


def make_zips(folder: Path, copies: int) -> list[str]:
    """`copies` zips of the reference solution; returns the student ids."""
    folder.mkdir(parents=True)
    data = SOLUTION.read_bytes()
    students = [f"Student{i:02d}" for i in range(1, copies + 1)]
    rows = ["file,timestamp"]
    for student in students:
        with zipfile.ZipFile(folder / f"PS1_{student}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("PS1.ipynb", data)
        rows.append(f"PS1_{student}.zip,2017-01-12 10:00 America/Chicago")
    (folder.parent / "times.csv").write_text("\n".join(rows) + "\n")
    return students


def nbgrader(course: Path, command: str) -> float:
    """Run `nbgrader <command> ps1 --force` in `course`; return its wall time (it must succeed)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(Path(PYTHON).parent / "nbgrader"), command, "ps1", "--force"],
        cwd=course,
        env=env(),
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader {command} failed:\n{proc.stderr[-2000:]}")
    return seconds


def upstream(work: Path, students: list[str]) -> tuple[float, float]:
    """(a): fresh course, generate (untimed), then one timed `nbgrader autograde` call; also the
    time of the `nbgrader generate_feedback` call that would give the feedback pages ours makes."""
    course = work / "course"
    shutil.copytree(COURSE_DIR / "source", course / "source")
    shutil.copy2(COURSE_DIR / "nbgrader_config.py", course / "nbgrader_config.py")
    nbgrader(course, "generate_assignment")
    for student in students:
        dest = course / "submitted" / student / "ps1"
        dest.mkdir(parents=True)
        shutil.copyfile(SOLUTION, dest / "PS1.ipynb")
    seconds = nbgrader(course, "autograde")
    check_upstream(course, students)
    return seconds, nbgrader(course, "generate_feedback")


def check_upstream(course: Path, students: list[str]) -> None:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.code_score for s in gb.assignment_submissions("ps1")}
    wrong = {s: scores.get(s) for s in students if scores.get(s) != 65}
    if wrong:
        raise SystemExit(f"(a) did not give full marks: {wrong}")


def ours(work: Path, zips: Path, config: str, students: list[str]) -> float:
    """(b)-(d): the whole command, timed from start to exit."""
    args = {
        "b": ["--workers", "1"],
        "c": ["--workers", "2"],
        "d": ["--workers", "1", "--no-sandbox-and-checks"],
    }
    out = work / "out"
    cmd = [
        PYTHON,
        "-m",
        "autograder",
        "grade",
        str(zips),
        "--times",
        str(zips.parent / "times.csv"),
        "--out",
        str(out),
        *args[config],
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    with (out / "grades.csv").open() as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    wrong = {s: (rows[s]["status"], rows[s]["raw_score"]) for s in students if rows[s]["raw_score"] != "65"}
    if wrong:
        raise SystemExit(f"({config}) did not give full marks: {wrong}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8, help="submissions (default 8)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats, best kept (default 2)")
    args = parser.parse_args(argv)
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        zips = Path(tmp) / "inbox" / "zips"
        students = make_zips(zips, args.copies)
        for rep in range(args.repeats):
            for config in CONFIGS:
                work = Path(tmp) / f"{config}{rep}"
                if config == "a":
                    seconds, feedback = upstream(work, students)
                    best["a+"] = min(best.get("a+", float("inf")), seconds + feedback)
                else:
                    seconds = ours(work, zips, config, students)
                best[config] = min(best.get(config, float("inf")), seconds)
                print(f"  repeat {rep + 1}: {CONFIGS[config]}: {seconds:.1f} s", file=sys.stderr, flush=True)
                shutil.rmtree(work, ignore_errors=True)
    print_table(best, args.copies, args.repeats)
    return 0


def print_table(best: dict[str, float], copies: int, repeats: int) -> None:
    print(f"\n{copies} copies of the reference solution, {os.cpu_count()} cores, best of {repeats}\n")
    print(f"| {'configuration':<42} | wall s | s / notebook | vs (a) |")
    print(f"| {'-' * 42} | -----: | -----------: | -----: |")
    labels = dict(CONFIGS)
    labels["a+"] = "(a') (a) + nbgrader generate_feedback CLI"
    for key in ["a", "a+", "b", "c", "d"]:
        label, t = labels[key], best[key]
        print(f"| {label:<42} | {t:6.1f} | {t / copies:12.2f} | {best['a'] / t:5.2f}x |")
    print(f"\n(c) vs (a): {best['a'] / best['c']:.2f}x faster (target >= 1.7x)")
    print(f"(c) vs (a'), same outputs (grades + feedback pages): {best['a+'] / best['c']:.2f}x faster")
    cost = 100 * (best["b"] / best["d"] - 1)
    print(f"(b) vs (d): sandbox + outside checks cost {cost:+.0f}% (target <= +25%)")


if __name__ == "__main__":
    sys.exit(main())
