"""Grading throughput: upstream sequential nbgrader vs `python -m autograder grade`, on the same zips.

    .venv/bin/python benchmarks/grading.py [--copies 16] [--repeats 2] [--configs abcde]
                                           [--scheduler tcp://127.0.0.1:8786]

Every submission is a copy of the reference solution (`solutions/PS1_solution.ipynb`) zipped as
`PS1_StudentNN.zip`, all on time. The configurations, interleaved, each repeated, best time kept:

  (a) upstream: a fresh course (`nbgrader generate_assignment`, not timed), the notebooks placed in
      submitted/, then ONE timed `nbgrader autograde ps1` CLI call over all students (default
      Execute, no sandbox, no outside checks);
  (b) our command, `--workers 1` (sandbox + outside checks, in-process worker);
  (c) our command, `--workers 2` (a local Dask cluster, one worker per core);
  (d) our command, `--workers 1 --no-sandbox-and-checks` (what the sandbox and checks cost);
  (e) the floor: the same notebooks executed bare with nbclient (no nbgrader, no sandbox, no checks,
      no feedback), two at a time in two forked processes, timed from the pool's start to the last
      notebook's end;
  (f) our command with `--scheduler ADDRESS`: a Dask cluster started separately (`dask scheduler`,
      two `dask worker ADDRESS --nthreads 1`); only with --scheduler.

(b)-(d) are timed from the command's start to its exit: Python start-up, building the course
(generate_assignment), checking the zips, grading, grades.csv and report.png included. BLAS and
OpenMP are held to one thread everywhere. Every run must give every copy full autograded marks.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
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
    "e": "(e) bare nbclient, 2 at a time",
    "f": "(f) ours --scheduler (separate Dask)",
}
FLOOR_WORKERS = 2


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


def _execute_bare(folder: str) -> float:
    """Run one copy of the solution with nbclient in `folder`; return its process-local wall time."""
    os.environ.update(THREADS)
    start = time.perf_counter()
    nb = nbformat.read(SOLUTION, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}}).execute()
    return time.perf_counter() - start


def bare(work: Path, copies: int) -> float:
    """(e): `copies` executions of the solution notebook, FLOOR_WORKERS at a time, no grading at all."""
    folders = []
    for i in range(copies):
        folder = work / f"nb{i:02d}"
        folder.mkdir(parents=True)
        folders.append(str(folder))
    start = time.perf_counter()
    with ProcessPoolExecutor(FLOOR_WORKERS, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_execute_bare, folders))
    return time.perf_counter() - start


def ours(work: Path, zips: Path, config: str, students: list[str], scheduler: str | None = None) -> float:
    """(b)-(d), (f): the whole command, timed from start to exit."""
    args = {
        "b": ["--workers", "1"],
        "c": ["--workers", "2"],
        "d": ["--workers", "1", "--no-sandbox-and-checks"],
        "f": ["--scheduler", scheduler or ""],
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
    parser.add_argument("--copies", type=int, default=16, help="submissions (default 16)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats, best kept (default 2)")
    parser.add_argument("--configs", default="abcde", help="which configurations, in order (default abcde)")
    parser.add_argument("--scheduler", help="address of a separately started Dask scheduler: adds (f)")
    args = parser.parse_args(argv)
    configs = [c for c in args.configs if c in CONFIGS and c != "f"] + (["f"] if args.scheduler else [])
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        zips = Path(tmp) / "inbox" / "zips"
        students = make_zips(zips, args.copies)
        for rep in range(args.repeats):
            for config in configs:
                work = Path(tmp) / f"{config}{rep}"
                if config == "a":
                    seconds, feedback = upstream(work, students)
                    best["a+"] = min(best.get("a+", float("inf")), seconds + feedback)
                elif config == "e":
                    seconds = bare(work, args.copies)
                else:
                    seconds = ours(work, zips, config, students, args.scheduler)
                best[config] = min(best.get(config, float("inf")), seconds)
                print(f"  repeat {rep + 1}: {CONFIGS[config]}: {seconds:.1f} s", file=sys.stderr, flush=True)
                shutil.rmtree(work, ignore_errors=True)
    print_table(best, args.copies, args.repeats)
    return 0


def _ratio(best: dict[str, float], base: str, key: str) -> str:
    return f"{best[base] / best[key]:5.2f}x" if base in best else "    -"


def print_table(best: dict[str, float], copies: int, repeats: int) -> None:
    """Every configuration's best time, per notebook, as a speed-up over (a) and as a cost over (e)."""
    print(f"\n{copies} copies of the reference solution, {os.cpu_count()} cores, best of {repeats}\n")
    print(f"| {'configuration':<42} | wall s | s / notebook | vs (a) | time / (e) |")
    print(f"| {'-' * 42} | -----: | -----------: | -----: | ---------: |")
    labels = dict(CONFIGS)
    labels["a+"] = "(a') (a) + nbgrader generate_feedback CLI"
    for key in [k for k in ["a", "a+", "b", "c", "d", "e", "f"] if k in best]:
        t = best[key]
        vs_e = f"{t / best['e']:9.2f}x" if "e" in best else "         -"
        print(f"| {labels[key]:<42} | {t:6.1f} | {t / copies:12.2f} | {_ratio(best, 'a', key)} | {vs_e} |")
    print()
    for key in [k for k in ["c", "f"] if k in best]:
        if "a" in best:
            print(f"({key}) vs (a): {best['a'] / best[key]:.2f}x faster (target >= 1.9x)")
        if "e" in best:
            print(f"({key}) vs (e): {best[key] / best['e']:.2f}x the bare notebooks' time (target <= 1.15x)")
    if "b" in best and "d" in best:
        print(f"(b) vs (d): sandbox + outside checks cost {100 * (best['b'] / best['d'] - 1):+.0f}%")


if __name__ == "__main__":
    sys.exit(main())
