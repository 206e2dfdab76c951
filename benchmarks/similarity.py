"""`ps1 similarity` on large classes: wall time and peak memory against the number of students.

    .venv/bin/python benchmarks/similarity.py [--students 50 150 300] [--repeats 2]

Each class is made of notebooks whose every answer cell is drawn at random from the answers of
tests/helpers/similarity_class.py (the reference solution, the two other independent sets, the
wrong and the blank ones), disguised at random (names renamed, blocks reordered, comments added)
so that no two notebooks are the same. The notebooks are laid out as `ps1 grade` leaves them
(state.json, course/source/ and release/, course/submitted/<student>/ps1/PS1.ipynb): what `similarity` reads.
The command runs as a subprocess, sizes interleaved, best of the repeats; peak memory is the
largest resident set of the command and of its worker processes (getrusage of the children). The
ratios compare each size with the smallest: the pairs grow with the square of the students.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.course.state import State, StateEntry, save_state

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers.ps1 import ASSIGNMENT, NOTEBOOK, RELEASE_NOTEBOOK, SOURCE_DIR  # noqa: E402
from helpers.similarity_class import CODE_IDS, WRITTEN_IDS, disguise, notebook, students  # noqa: E402

PS1 = Path(sys.executable).parent / "ps1"
SOURCES = ("Ada", "Babbage", "Curie", "Wrong", "Blank1")


def make_class(folder: Path, size: int, rng: random.Random) -> Path:
    """A grading folder's layout with `size` generated notebooks."""
    pool = students()
    release = folder / "course" / "release" / ASSIGNMENT / NOTEBOOK
    release.parent.mkdir(parents=True)
    shutil.copy(RELEASE_NOTEBOOK, release)
    shutil.copytree(SOURCE_DIR, folder / "course" / "source" / ASSIGNMENT)  # the course knows its problem set
    state = State()
    for i in range(size):
        name = f"Student{i:03d}"
        answers = {}
        for grade_id in CODE_IDS + WRITTEN_IDS:
            text = pool[rng.choice(SOURCES)].get(grade_id)
            if text is not None:
                answers[grade_id] = disguise(text) if grade_id in CODE_IDS and rng.random() < 0.5 else text
        path = folder / "course" / "submitted" / name / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(notebook(answers)))
        state.students[name] = StateEntry(f"PS1_{name}.zip", "", "2017-01-12T16:00:00+00:00")
    save_state(folder, state)
    return folder


def run(folder: Path) -> tuple[float, float]:
    """Wall seconds and the peak resident memory (MiB) of one `ps1 similarity` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([str(PS1), "similarity", str(folder)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ps1 similarity failed:\n{done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far, in KiB
    return seconds, max(peak, before) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[50, 150, 300])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    best: dict[int, float] = {}
    memory: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="similarity-bench-") as tmp:
        classes = {n: make_class(Path(tmp) / f"class{n}", n, random.Random(n)) for n in args.students}
        for rep in range(args.repeats):
            for n, folder in classes.items():
                seconds, peak = run(folder)
                best[n] = min(best.get(n, seconds), seconds)
                memory[n] = peak
                print(
                    f"  repeat {rep + 1}: {n} students: {seconds:.1f} s, peak {peak:.0f} MiB", file=sys.stderr
                )
    base = min(best)
    print(
        f"\n| students | pairs | wall s (best of {args.repeats}) | vs {base} | peak MiB (largest process) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: |")
    for n in sorted(best):
        print(f"| {n} | {n * (n - 1) // 2} | {best[n]:.1f} | {best[n] / best[base]:.1f}x | {memory[n]:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
