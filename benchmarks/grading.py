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

For our command the table also gives its fixed cost: the time from the command's start to the first
job's start in a worker, plus the time from the last job's end to the command's exit (each job's
`started` and `seconds` in state.json, from the notebook's arrival in the worker to its result). It
gives the mean job time too, beside (e)'s mean notebook time.

Every notebook runs with the source folder's other files beside it (Problem 3's `digits.npz`), as
nbgrader gives them to an autograded notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader.api import Gradebook
from traitlets.config import Config

from autograder.nbgrader_ext.checks import METADATA_KEY
from autograder.ps1 import COURSE_DIR, SOLUTION_NOTEBOOK, SOURCE_DIR, SOURCE_NOTEBOOK

REPO = Path(__file__).resolve().parent.parent
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


@dataclass(frozen=True)
class Notebooks:
    """What a run grades: the students' notebook and the course's source folder."""

    solution: Path
    source_dir: Path


def make_zips(folder: Path, copies: int, solution: Path) -> list[str]:
    """`copies` zips of the reference solution; returns the student ids."""
    folder.mkdir(parents=True)
    data = solution.read_bytes()
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


def upstream(work: Path, students: list[str], notebooks: Notebooks) -> tuple[float, float]:
    """(a): fresh course, generate (untimed), then one timed `nbgrader autograde` call; also the
    time of the `nbgrader generate_feedback` call that would give the feedback pages ours makes."""
    course = work / "course"
    shutil.copytree(notebooks.source_dir, course / "source" / SOURCE_DIR.name)
    shutil.copy2(COURSE_DIR / "nbgrader_config.py", course / "nbgrader_config.py")
    nbgrader(course, "generate_assignment")
    for student in students:
        dest = course / "submitted" / student / "ps1"
        dest.mkdir(parents=True)
        shutil.copyfile(notebooks.solution, dest / "PS1.ipynb")
    seconds = nbgrader(course, "autograde")
    check_upstream(course, students)
    return seconds, nbgrader(course, "generate_feedback")


def check_upstream(course: Path, students: list[str]) -> None:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.code_score for s in gb.assignment_submissions("ps1")}
    wrong = {s: scores.get(s) for s in students if scores.get(s) != 65}
    if wrong:
        raise SystemExit(f"(a) did not give full marks: {wrong}")


def _execute_bare(folder: str, solution: Path) -> float:
    """Run one copy of the solution with nbclient in `folder`; return its process-local wall time."""
    os.environ.update(THREADS)
    start = time.perf_counter()
    nb = nbformat.read(solution, as_version=4)
    # IPC sockets in the notebook's folder, as our sandboxed kernels use: two kernels starting at
    # once over TCP can both pick the same free port (ZMQError: Address already in use). nbclient
    # still makes, and shuts down, its own kernel manager.
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(Path(folder) / "socket")
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": folder}})
    client.update_config(config)
    client.execute()
    return time.perf_counter() - start


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (/proc/stat): kernels in a sandbox or in a
    worker that is killed at the end count too, which a process's own CPU accounting misses."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def busy_since(before: tuple[int, int]) -> float:
    """Share of the machine's CPU time that was busy since `before` (cpu_ticks)."""
    busy, total = cpu_ticks()
    return (busy - before[0]) / max(1, total - before[1])


def cpu_note(busy: float) -> str:
    """How busy the machine's cores were during a run."""
    return f"cores busy {busy:.0%} of the time"


def bare(work: Path, copies: int, notebooks: Notebooks) -> tuple[float, float, float]:
    """(e): `copies` executions of the solution notebook, FLOOR_WORKERS at a time, no grading at all,
    each in a folder holding the source folder's other files (the data). Returns the wall time, the
    mean time of one notebook and the share of CPU time busy."""
    folders = []
    for i in range(copies):
        folder = work / f"nb{i:02d}"
        shutil.copytree(notebooks.source_dir, folder, ignore=shutil.ignore_patterns("*.ipynb"))
        folders.append(str(folder))
    start, ticks = time.perf_counter(), cpu_ticks()
    with ProcessPoolExecutor(FLOOR_WORKERS, mp_context=multiprocessing.get_context("fork")) as pool:
        each = list(pool.map(_execute_bare, folders, [notebooks.solution] * copies))
    return time.perf_counter() - start, sum(each) / len(each), busy_since(ticks)


def job_times(out: Path, began: float, ended: float) -> tuple[float, float, float]:
    """(start, tail, mean job seconds) of a run from its state.json: start is the time from the
    command's start (`began`, epoch seconds) to the first job's start in a worker, tail the time
    from the last job's end to the command's exit (`ended`)."""
    entries = list(json.loads((out / "state.json").read_text())["students"].values())
    starts = [datetime.fromisoformat(e["started"]).timestamp() for e in entries]
    ends = [t + e["seconds"] for t, e in zip(starts, entries, strict=True)]
    return min(starts) - began, ended - max(ends), sum(e["seconds"] for e in entries) / len(entries)


def probe_seconds(out: Path) -> float | None:
    """Mean time of the outside checks per notebook: the probe cell in the kernel (nbclient's
    timestamps) plus the comparisons in the worker, from the autograded notebooks' metadata."""
    each = []
    for path in (out / "course" / "autograded").glob(f"*/*/{SOURCE_NOTEBOOK.name}"):
        meta = json.loads(path.read_text())["metadata"].get(METADATA_KEY)
        if meta and meta.get("probe_seconds") is not None:
            each.append(meta["probe_seconds"] + meta["check_seconds"])
    return sum(each) / len(each) if each else None


@dataclass(frozen=True)
class OurRun:
    """One run of our command: wall time, its fixed cost (the time before the first job started in a
    worker, and after the last one ended), mean job time, mean time of the outside checks (None when
    they are off), share of the machine's CPU time that was busy."""

    seconds: float
    before: float
    after: float
    mean_job: float
    probe: float | None
    busy: float

    @property
    def fixed(self) -> float:
        return self.before + self.after


def ours(
    work: Path, zips: Path, config: str, students: list[str], source_dir: Path, scheduler: str | None = None
) -> OurRun:
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
        "--source",
        str(source_dir),
        *args[config],
    ]
    began, start, ticks = time.time(), time.perf_counter(), cpu_ticks()
    proc = subprocess.run(cmd, cwd=REPO, env=env(), capture_output=True, text=True)
    seconds, busy, ended = time.perf_counter() - start, busy_since(ticks), time.time()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    with (out / "grades.csv").open() as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    wrong = {s: (rows[s]["status"], rows[s]["raw_score"]) for s in students if rows[s]["raw_score"] != "65"}
    if wrong:
        raise SystemExit(f"({config}) did not give full marks: {wrong}")
    before, after, mean_job = job_times(out, began, ended)
    return OurRun(seconds, before, after, mean_job, probe_seconds(out), busy)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=16, help="submissions (default 16)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats, best kept (default 2)")
    parser.add_argument("--configs", default="abcde", help="which configurations, in order (default abcde)")
    parser.add_argument("--scheduler", help="address of a separately started Dask scheduler: adds (f)")
    args = parser.parse_args(argv)
    configs = [c for c in args.configs if c in CONFIGS and c != "f"] + (["f"] if args.scheduler else [])
    runs: dict[str, list[float]] = {}  # configuration -> wall time of each repeat
    extra: dict[str, list[tuple[float, float]]] = {}  # ours: (fixed cost, mean job); (e): (0, mean notebook)
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="grading-bench-"))
        notebooks = Notebooks(SOLUTION_NOTEBOOK, SOURCE_DIR)
        zips = Path(tmp) / "inbox" / "zips"
        students = make_zips(zips, args.copies, notebooks.solution)
        for rep in range(args.repeats):
            for config in configs:
                work = Path(tmp) / f"{config}{rep}"
                said = ""
                if config == "a":
                    seconds, feedback = upstream(work, students, notebooks)
                    runs.setdefault("a+", []).append(seconds + feedback)
                elif config == "e":
                    seconds, mean, busy = bare(work, args.copies, notebooks)
                    extra.setdefault(config, []).append((0.0, mean))
                    said = f" (one notebook {mean:.2f} s, {cpu_note(busy)})"
                else:
                    run = ours(work, zips, config, students, notebooks.source_dir, args.scheduler)
                    seconds = run.seconds
                    extra.setdefault(config, []).append((run.fixed, run.mean_job))
                    said = f" (fixed cost {run.before:.2f} + {run.after:.2f} s, one job {run.mean_job:.2f} s"
                    said += f", outside checks {run.probe:.3f} s" if run.probe is not None else ""
                    said += f", {cpu_note(run.busy)})"
                runs.setdefault(config, []).append(seconds)
                print(
                    f"  repeat {rep + 1}: {CONFIGS[config]}: {seconds:.1f} s{said}",
                    file=sys.stderr,
                    flush=True,
                )
                shutil.rmtree(work, ignore_errors=True)
    print_table(runs, extra, args.copies, args.repeats)
    return 0


def _ratio(best: dict[str, float], base: str, key: str) -> str:
    return f"{best[base] / best[key]:5.2f}x" if base in best else "    -"


def print_table(
    runs: dict[str, list[float]],
    extra: dict[str, list[tuple[float, float]]],
    copies: int,
    repeats: int,
) -> None:
    """Every configuration's best time, per notebook, as a speed-up over (a) and as a cost over (e);
    our command's lowest fixed cost and mean job time; then each repeat's ratios on their own."""
    best = {key: min(times) for key, times in runs.items()}
    print(f"\n{copies} copies of the reference solution, {os.cpu_count()} cores, best of {repeats}\n")
    print(f"| {'configuration':<42} | wall s | s / notebook | vs (a) | time / (e) | fixed s | one job s |")
    print(f"| {'-' * 42} | -----: | -----------: | -----: | ---------: | ------: | --------: |")
    labels = dict(CONFIGS)
    labels["a+"] = "(a') (a) + nbgrader generate_feedback CLI"
    for key in [k for k in ["a", "a+", "b", "c", "d", "e", "f"] if k in best]:
        t = best[key]
        vs_e = f"{t / best['e']:9.2f}x" if "e" in best else "         -"
        fixed = f"{min(f for f, _ in extra[key]):7.2f}" if key in extra and key != "e" else "      -"
        job = f"{min(m for _, m in extra[key]):9.2f}" if key in extra else "        -"
        print(
            f"| {labels[key]:<42} | {t:6.1f} | {t / copies:12.2f} | {_ratio(best, 'a', key)} | {vs_e} "
            f"| {fixed} | {job} |"
        )
    print()
    for key in [k for k in ["c", "f"] if k in best]:
        if "a" in best:
            each = ", ".join(f"{a / c:.2f}x" for a, c in zip(runs["a"], runs[key]))
            print(
                f"({key}) vs (a): {best['a'] / best[key]:.2f}x faster (target >= 1.9x); "
                f"repeat by repeat {each}"
            )
        if "e" in best:
            each = ", ".join(f"{c / e:.2f}x" for c, e in zip(runs[key], runs["e"]))
            print(
                f"({key}) vs (e): {best[key] / best['e']:.2f}x the bare notebooks' time (target <= 1.15x); "
                f"repeat by repeat {each}"
            )
        fixed = ", ".join(f"{f:.2f} s" for f, _ in extra[key])
        print(f"({key}) fixed cost (before the first job + after the last one; target < 2 s): {fixed}")
    if "b" in best and "d" in best:
        print(f"(b) vs (d): sandbox + outside checks cost {100 * (best['b'] / best['d'] - 1):+.0f}%")


if __name__ == "__main__":
    sys.exit(main())
