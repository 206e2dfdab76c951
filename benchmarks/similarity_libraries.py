"""copydetect against compare50 on the same class of code answers: wall time, and whether a copy
with every identifier renamed still ranks first.

    .venv/bin/python benchmarks/similarity_libraries.py --compare50 /path/to/venv/bin/python [--students 300]

compare50 1.2.15 cannot be installed beside the grader (it pins attrs<21), so it runs from its own
virtual environment, given by --compare50. Both tools run as subprocesses on the same files (one
code.py per student: the answer cells, each drawn at random from the independent answer sets of
tests/helpers/similarity_class.py, half of them disguised), the release's code as distribution
code, runs interleaved, best of the repeats. A second, small class (Ada, Babbage, Curie and Copy,
Ada's code disguised) shows which pair each tool ranks first.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from copydetect import CopyDetector

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers.similarity_class import CODE_IDS, disguise, students  # noqa: E402

COPYDETECT = Path(sys.executable).parent / "copydetect"
SOURCES = ("Ada", "Babbage", "Curie")


def write_student(folder: Path, name: str, code: str) -> None:
    """One student's code answers as `folder/name/code.py`."""
    (folder / name).mkdir(parents=True)
    (folder / name / "code.py").write_text(code)


def big_class(folder: Path, size: int, rng: random.Random) -> list[Path]:
    """`size` students, every code cell from a random independent source, half disguised."""
    pool = students()
    for i in range(size):
        cells = [pool[rng.choice(SOURCES)].get(g, "") for g in CODE_IDS]
        code = "\n\n".join(disguise(c) if c and rng.random() < 0.5 else c for c in cells)
        write_student(folder, f"s{i:03d}", code)
    return sorted(folder.iterdir())


def planted_class(folder: Path) -> list[Path]:
    """Three independent correct solutions and a disguised copy of the first."""
    pool = students()
    code = {name: "\n\n".join(pool[name].get(g, "") for g in CODE_IDS) for name in SOURCES}
    code["Copy"] = "\n\n".join(disguise(pool["Ada"][g]) for g in CODE_IDS)
    for name, text in code.items():
        write_student(folder, name, text)
    return sorted(folder.iterdir())


def run_copydetect(subs: list[Path], out: Path) -> float:
    """Seconds of one copydetect run (every submission against every other)."""
    parent = str(subs[0].parent)
    start = time.perf_counter()
    subprocess.run(
        [str(COPYDETECT), "-t", parent, "-e", "py", "-O", str(out / "copydetect.html"), "-a"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def run_compare50(python: str, subs: list[Path], out: Path) -> float:
    """Seconds of one compare50 run (structure pass: names and comments set aside)."""
    start = time.perf_counter()
    subprocess.run(
        [python, "-m", "compare50", *map(str, subs), "-p", "structure", "-o", str(out / "c50"), "-n", "50"],
        check=True,
        capture_output=True,
        input=b"y\n",
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare50", required=True, help="python of a venv with compare50==1.2.15")
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="similarity-libs-") as tmp:
        subs = big_class(Path(tmp) / "class", args.students, random.Random(args.students))
        times: dict[str, float] = {}
        for rep in range(args.repeats):
            out = Path(tmp) / f"out{rep}"
            out.mkdir()
            for tool, seconds in (
                ("copydetect", run_copydetect(subs, out)),
                ("compare50", run_compare50(args.compare50, subs, out)),
            ):
                times[tool] = min(times.get(tool, seconds), seconds)
                print(f"  repeat {rep + 1}: {tool}: {seconds:.1f} s", file=sys.stderr)
        print(f"{args.students} students, best of {args.repeats}:")
        for tool, seconds in times.items():
            print(f"  {tool}: {seconds:.1f} s ({seconds / times['copydetect']:.1f}x copydetect)")
        planted = planted_class(Path(tmp) / "planted")
        out = Path(tmp) / "planted-out"
        out.mkdir()
        run_compare50(args.compare50, planted, out)
        print(
            f"first pair of the planted class: copydetect {copydetect_first(planted)}, "
            f"compare50 {compare50_first(out)}"
        )
    return 0


def copydetect_first(subs: list[Path]) -> str:
    """The pair copydetect finds most alike, with its score."""
    detector = CopyDetector(test_dirs=[str(subs[0].parent)], extensions=["py"], silent=True, autoopen=False)
    detector.run()
    sim1, sim2, file1, file2, *_ = detector.get_copied_code_list()[0]
    names = sorted(Path(f).parent.name for f in (file1, file2))
    return f"{'/'.join(names)} ({max(sim1, sim2):.2f})"


def compare50_first(out: Path) -> str:
    """The pair on compare50's first match page (it ranks by its first pass)."""
    page = (out / "c50" / "match_1.html").read_text()
    names = sorted({m.group(1) for m in re.finditer(r"/planted/([A-Za-z]+)", page)})
    return "/".join(names)


if __name__ == "__main__":
    sys.exit(main())
