"""Grading throughput: upstream sequential nbgrader vs `python -m autograder grade`, on the same zips.

    .venv/bin/python benchmarks/grading.py [--copies 16] [--repeats 2] [--configs abcde]
                                           [--scheduler tcp://127.0.0.1:8786] [--before COMMIT]

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
  (g) our command, `--workers 3` on a 2-core machine: a third job's kernel start and notebook fill
      whatever time the cores would wait. It bounds what starting kernels ahead could buy.

(b)-(d), (g) are timed from the command's start to its exit: Python start-up, building the course
(generate_assignment), checking the zips, grading, grades.csv and report.png included. BLAS and
OpenMP are held to one thread everywhere. Every run must give every copy full autograded marks.

For our command the table also gives its fixed cost: the time from the command's start to the first
job's start in a worker, plus the time from the last job's end to the command's exit (each job's
`started` and `seconds` in state.json, from the notebook's arrival in the worker to its result). It
gives the mean job time too, beside (e)'s mean notebook time.

Every notebook runs with the source folder's other files beside it (Problem 3's `digits.npz`), as
nbgrader gives them to an autograded notebook.

Every row also gives the CPU seconds per submission, whole run included: the user + system time of
the command and every process it starts (kernels, sandboxes, Dask workers), read from a cgroup of its
own (root only; `-` otherwise), so kernels killed with their sandbox count and other load on the
machine does not. (e) counts its pool and kernels, (a) its `nbgrader autograde` call.

`--before COMMIT` adds (c) and (e) of an earlier version of the bundle, interleaved with today's: the
commit's tree (`git archive`) is unpacked into the temporary folder, and its own command, solution and
source folder run with this environment.
"""

from __future__ import annotations

import argparse
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
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbgrader.api import Gradebook
from traitlets.config import Config

from autograder.nbgrader_ext.checks import METADATA_KEY

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers.ps1 import COURSE_DIR, SOLUTION_NOTEBOOK, SOURCE_DIR, SOURCE_NOTEBOOK  # noqa: E402 (tests/ is not a package on the path)

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
    "g": "(g) ours --workers 3 on 2 cores",
}
FLOOR_WORKERS = 2
BEFORE = {"c": "C", "e": "E"}  # today's configuration -> the same run of the `--before` tree
CONFIGS["C"] = "(c) --before: ours --workers 2"
CONFIGS["E"] = "(e) --before: bare nbclient, 2 at a time"


def env(python: str = PYTHON) -> dict[str, str]:
    """The venv's bin first on PATH (nbgrader runs `alembic`), one BLAS thread."""
    path = os.pathsep.join([str(Path(python).parent), os.environ.get("PATH", "")])
    return {**os.environ, **THREADS, "PATH": path}


@dataclass(frozen=True)
class Notebooks:
    """What a run grades: the students' notebook and the course's source folder, and the tree whose
    command grades them with its own Python environment (this checkout, or `--before`'s)."""

    solution: Path
    source_dir: Path
    tree: Path = REPO
    python: str = PYTHON


class CpuMeter:
    """CPU seconds of the processes that enter it and of all their descendants: a cgroup of its own (v1
    cpuacct, or v2), so kernels killed with their sandbox count as well, and other load on the machine
    does not. Without a writable cgroup hierarchy (not root) it measures nothing: `seconds` is None."""

    def __init__(self, name: str) -> None:
        v1, v2 = Path("/sys/fs/cgroup/cpuacct"), Path("/sys/fs/cgroup")
        root = v1 if (v1 / "cpuacct.usage").exists() else v2 if (v2 / "cpu.stat").exists() else None
        self.path = root / f"grading-bench-{name}-{os.getpid()}" if root else None
        try:
            if self.path:
                self.path.mkdir()
        except OSError:
            self.path = None

    def enter(self) -> None:
        """Move the calling process (and what it starts from now on) into the group."""
        if self.path:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float | None:
        if self.path is None:
            return None
        usage = self.path / "cpuacct.usage"
        if usage.exists():
            return int(usage.read_text()) / 1e9
        stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
        return int(stat["usage_usec"]) / 1e6

    def close(self) -> None:
        """Remove the group once its processes are gone (a kernel may take a moment to exit)."""
        for _ in range(100):
            try:
                if self.path:
                    self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def tree_at(commit: str, folder: Path) -> Notebooks:
    """The bundle as it was at `commit`, unpacked into `folder` with its own `make setup` (its pins, and
    its own editable install: the sandbox shows a kernel the tree's edf.py, which this checkout's
    environment would not import)."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    print(f"  setting up {commit} in {folder} (its own venv, about a minute)", file=sys.stderr, flush=True)
    subprocess.run(["make", "-s", "setup"], cwd=folder, check=True, capture_output=True)
    relative = SOURCE_DIR.relative_to(REPO)
    python = str(folder / ".venv" / "bin" / "python")
    return Notebooks(folder / SOLUTION_NOTEBOOK.relative_to(REPO), folder / relative, folder, python)


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


def nbgrader(course: Path, command: str, meter: CpuMeter | None = None) -> float:
    """Run `nbgrader <command> ps1 --force` in `course`; return its wall time (it must succeed)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [str(Path(PYTHON).parent / "nbgrader"), command, "ps1", "--force"],
        cwd=course,
        env=env(),
        capture_output=True,
        text=True,
        preexec_fn=meter.enter if meter else None,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader {command} failed:\n{proc.stderr[-2000:]}")
    return seconds


def upstream(work: Path, students: list[str], notebooks: Notebooks) -> tuple[float, float | None, float]:
    """(a): fresh course, generate (untimed), then one timed `nbgrader autograde` call; returns its
    wall time, its CPU seconds, and the time of the `nbgrader generate_feedback` call that would give
    the feedback pages ours makes."""
    course = work / "course"
    shutil.copytree(notebooks.source_dir, course / "source" / SOURCE_DIR.name)
    shutil.copy2(COURSE_DIR / "nbgrader_config.py", course / "nbgrader_config.py")
    nbgrader(course, "generate_assignment")
    for student in students:
        dest = course / "submitted" / student / "ps1"
        dest.mkdir(parents=True)
        shutil.copyfile(notebooks.solution, dest / "PS1.ipynb")
    meter = CpuMeter("a")
    seconds = nbgrader(course, "autograde", meter)
    cpu = meter.seconds()
    meter.close()
    check_upstream(course, students)
    return seconds, cpu, nbgrader(course, "generate_feedback")


def check_upstream(course: Path, students: list[str]) -> None:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.code_score for s in gb.assignment_submissions("ps1")}
    wrong = {s: scores.get(s) for s in students if scores.get(s) != 65}
    if wrong:
        raise SystemExit(f"(a) did not give full marks: {wrong}")


def _execute_bare(folder: str, notebooks: Notebooks) -> float:
    """Run one copy of the solution with nbclient in `folder`, in a kernel of the tree's own Python;
    return its process-local wall time."""
    os.environ.update(THREADS)
    start = time.perf_counter()
    nb = nbformat.read(notebooks.solution, as_version=4)
    spec = Path(folder) / "kernels" / "bench"
    spec.mkdir(parents=True)
    argv = [notebooks.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "bench", "language": "python"})
    )
    # IPC sockets in the notebook's folder, as our sandboxed kernels use: two kernels starting at
    # once over TCP can both pick the same free port (ZMQError: Address already in use). nbclient
    # still makes, and shuts down, its own kernel manager.
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(Path(folder) / "socket")
    specs = KernelSpecManager(kernel_dirs=[str(spec.parent)])
    km = KernelManager(kernel_name="bench", kernel_spec_manager=specs, config=config)
    client = NotebookClient(
        nb, km=km, timeout=600, kernel_name="bench", resources={"metadata": {"path": folder}}
    )
    client.update_config(config)
    client.execute()
    km.shutdown_kernel()  # nbclient leaves a kernel manager it was given running
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


@dataclass(frozen=True)
class BareRun:
    """One run of (e): wall time, mean time of one notebook, share of the machine busy, CPU seconds."""

    seconds: float
    mean: float
    busy: float
    cpu: float | None


def bare(work: Path, copies: int, notebooks: Notebooks) -> BareRun:
    """(e): `copies` executions of the solution notebook, FLOOR_WORKERS at a time, no grading at all,
    each in a folder holding the source folder's other files (the data)."""
    folders = []
    for i in range(copies):
        folder = work / f"nb{i:02d}"
        shutil.copytree(notebooks.source_dir, folder, ignore=shutil.ignore_patterns("*.ipynb"))
        shutil.copy2(notebooks.tree / "edf.py", folder)  # the tree's edf, whatever the venv maps `edf` to
        folders.append(str(folder))
    meter = CpuMeter("e")
    start, ticks = time.perf_counter(), cpu_ticks()
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(FLOOR_WORKERS, mp_context=fork, initializer=meter.enter) as pool:
        each = list(pool.map(_execute_bare, folders, [notebooks] * copies))
    seconds = time.perf_counter() - start
    busy, cpu = busy_since(ticks), meter.seconds()
    meter.close()
    return BareRun(seconds, sum(each) / len(each), busy, cpu)


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
    they are off), share of the machine's CPU time that was busy, CPU seconds of the command and of
    the processes it started."""

    seconds: float
    before: float
    after: float
    mean_job: float
    probe: float | None
    busy: float
    cpu: float | None

    @property
    def fixed(self) -> float:
        return self.before + self.after


def ours(
    work: Path,
    zips: Path,
    config: str,
    students: list[str],
    notebooks: Notebooks,
    scheduler: str | None = None,
) -> OurRun:
    """(b)-(d), (f): the whole command of `notebooks.tree`, timed from start to exit."""
    args = {
        "b": ["--workers", "1"],
        "c": ["--workers", "2"],
        "C": ["--workers", "2"],
        "g": ["--workers", "3"],
        "d": ["--workers", "1", "--no-sandbox-and-checks"],
        "f": ["--scheduler", scheduler or ""],
    }
    out = work / "out"
    cmd = [
        notebooks.python,
        "-m",
        "autograder",
        "grade",
        str(zips),
        "--times",
        str(zips.parent / "times.csv"),
        "--out",
        str(out),
        "--source",
        str(notebooks.source_dir),
        *args[config],
    ]
    meter = CpuMeter(config)
    began, start, ticks = time.time(), time.perf_counter(), cpu_ticks()
    proc = subprocess.run(
        cmd,
        cwd=notebooks.tree,
        env=env(notebooks.python),
        capture_output=True,
        text=True,
        preexec_fn=meter.enter,
    )
    seconds, busy, ended = time.perf_counter() - start, busy_since(ticks), time.time()
    cpu = meter.seconds()
    meter.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    with (out / "grades.csv").open() as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    wrong = {s: (rows[s]["status"], rows[s]["raw_score"]) for s in students if rows[s]["raw_score"] != "65"}
    if wrong:
        raise SystemExit(f"({config}) did not give full marks: {wrong}")
    before, after, mean_job = job_times(out, began, ended)
    return OurRun(seconds, before, after, mean_job, probe_seconds(out), busy, cpu)


@dataclass(frozen=True)
class Measured:
    """One configuration's run as the table shows it: wall time, CPU seconds, our fixed cost (None for
    (a) and (e)), mean time of one job or notebook (None for (a)), and its line of progress."""

    seconds: float
    cpu: float | None
    fixed: float | None
    mean: float | None
    said: str


def measure(
    config: str, work: Path, zips: Path, students: list[str], notebooks: Notebooks, scheduler: str | None
) -> Measured:
    """Run one configuration once."""
    if config == "a":
        seconds, cpu, feedback = upstream(work, students, notebooks)
        return Measured(seconds, cpu, None, None, f" (+ generate_feedback {feedback:.1f} s)")
    if config in "eE":
        run = bare(work, len(students), notebooks)
        return Measured(
            run.seconds, run.cpu, None, run.mean, f" (one notebook {run.mean:.2f} s, {cpu_note(run.busy)})"
        )
    run = ours(work, zips, config, students, notebooks, scheduler)
    said = f" (fixed cost {run.before:.2f} + {run.after:.2f} s, one job {run.mean_job:.2f} s"
    said += f", outside checks {run.probe:.3f} s" if run.probe is not None else ""
    return Measured(run.seconds, run.cpu, run.fixed, run.mean_job, said + f", {cpu_note(run.busy)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=16, help="submissions (default 16)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats, best kept (default 2)")
    parser.add_argument("--configs", default="abcde", help="which configurations, in order (default abcde)")
    parser.add_argument("--scheduler", help="address of a separately started Dask scheduler: adds (f)")
    parser.add_argument("--before", metavar="COMMIT", help="also run (c) and (e) of this commit's tree")
    args = parser.parse_args(argv)
    configs = [c for c in args.configs if c in "abcdeg"] + (["f"] if args.scheduler else [])
    if args.before:
        configs += [BEFORE[c] for c in configs if c in BEFORE]
    runs: dict[str, list[Measured]] = {}
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        trees = {"now": Notebooks(SOLUTION_NOTEBOOK, SOURCE_DIR)}
        if args.before:
            trees["before"] = tree_at(args.before, Path(tmp) / "before-tree")
        zips = {name: Path(tmp) / name / "inbox" / "zips" for name in trees}
        students = [make_zips(zips[name], args.copies, tree.solution) for name, tree in trees.items()][0]
        for rep in range(args.repeats):
            for config in configs:
                name = "before" if config in BEFORE.values() else "now"
                work = Path(tmp) / f"{config}{rep}"
                run = measure(config, work, zips[name], students, trees[name], args.scheduler)
                runs.setdefault(config, []).append(run)
                print(
                    f"  repeat {rep + 1}: {CONFIGS[config]}: {run.seconds:.1f} s, "
                    f"{run.cpu or 0:.1f} CPU-s{run.said}",
                    file=sys.stderr,
                    flush=True,
                )
                shutil.rmtree(work, ignore_errors=True)
    print_table(runs, args.copies, args.repeats)
    return 0


def _ratio(best: dict[str, float], base: str, key: str) -> str:
    return f"{best[base] / best[key]:5.2f}x" if base in best else "    -"


def print_table(runs: dict[str, list[Measured]], copies: int, repeats: int) -> None:
    """Every configuration's best time, per notebook, as a speed-up over (a) and as a cost over (e);
    its lowest CPU seconds per submission; our command's lowest fixed cost and mean job time; then
    each repeat's ratios on their own."""
    best = {key: min(r.seconds for r in each) for key, each in runs.items()}
    cpu = {key: min(r.cpu or 0 for r in each) / copies for key, each in runs.items()}
    print(f"\n{copies} copies of the reference solution, {os.cpu_count()} cores, best of {repeats}\n")
    print(
        f"| {'configuration':<42} | wall s | s / notebook | CPU s / sub | vs (a) | time / (e) "
        "| fixed s | one job s |"
    )
    print(f"| {'-' * 42} | -----: | -----------: | ----------: | -----: | ---------: | ------: | --------: |")
    for key in [k for k in "abcdefgCE" if k in best]:
        t = best[key]
        vs_e = f"{t / best['e']:9.2f}x" if "e" in best else "         -"
        fixed = [r.fixed for r in runs[key] if r.fixed is not None]
        means = [r.mean for r in runs[key] if r.mean is not None]
        fixed_s = f"{min(fixed):7.2f}" if fixed else "      -"
        job = f"{min(means):9.2f}" if means else "        -"
        print(
            f"| {CONFIGS[key]:<42} | {t:6.1f} | {t / copies:12.2f} | {cpu[key]:11.2f} "
            f"| {_ratio(best, 'a', key)} "
            f"| {vs_e} | {fixed_s} | {job} |"
        )
    print()
    walls = {key: [r.seconds for r in each] for key, each in runs.items()}
    for key in [k for k in "cf" if k in best]:
        if "a" in best:
            each = ", ".join(f"{a / c:.2f}x" for a, c in zip(walls["a"], walls[key]))
            print(f"({key}) vs (a): {best['a'] / best[key]:.2f}x faster; repeat by repeat {each}")
        if "e" in best:
            each = ", ".join(f"{c / e:.2f}x" for c, e in zip(walls[key], walls["e"]))
            print(
                f"({key}) vs (e): {best[key] / best['e']:.2f}x the bare notebooks' time; "
                f"repeat by repeat {each}"
            )
    for now, before in BEFORE.items():
        if now in runs and before in runs:
            each = ", ".join(f"{(n.cpu or 0) / (b.cpu or 1):.0%}" for n, b in zip(runs[now], runs[before]))
            walls_each = ", ".join(f"{n.seconds / b.seconds:.0%}" for n, b in zip(runs[now], runs[before]))
            print(
                f"({now}) now / before: CPU-s per submission {cpu[now] / cpu[before]:.0%} (target <= 60%), "
                f"repeat by repeat {each}; wall {best[now] / best[before]:.0%}, repeat by repeat {walls_each}"
            )
    if "b" in best and "d" in best:
        print(f"(b) vs (d): sandbox + outside checks cost {100 * (best['b'] / best['d'] - 1):+.0f}%")


if __name__ == "__main__":
    sys.exit(main())
