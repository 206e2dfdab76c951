"""The hostile-submission catalog: zips that attack the grader, next to honest ones, with expectations.

`build_catalog(folder, out=...)` writes `PS1_<Name>.zip` files and `times.csv` into `folder` and returns
name -> `Expected`. Every notebook is the release notebook (`notebooks/PS1.ipynb`) filled with the
reference answers of `solutions/PS1_solution.ipynb`, then attacked: a few lines put at the top of an
answer cell (so the attack runs while nbgrader executes it), a test cell edited, deleted or copied, or
the zip itself malformed. Attacks that succeed print `LEAK <what>`, attempts that fail print
`BLOCKED <what>`, so a test can read the autograded notebooks instead of trusting the attack's cells.

Expected scores are derived from the source notebook's points, never hard-coded: an `Expected` with
status "ok" names the autograded questions that must score 0 and every other one must get full marks.
"""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.nbgrader_ext.sandbox_kernel import Limits
from helpers import ps1
from helpers.ps1 import NOTEBOOK, REPO_DIR, SOURCE_DIR

RELEASE = REPO_DIR / "notebooks" / NOTEBOOK
SOLUTION = REPO_DIR / "solutions" / "PS1_solution.ipynb"
SOURCE = SOURCE_DIR / NOTEBOOK
ON_TIME = "2017-01-12 10:00 America/Chicago"  # the deadline is 2017-01-12 12:00 America/Chicago
EARLIER = "2017-01-11 10:00 America/Chicago"
HONEST = ("HonestAda", "HonestBabbage", "HonestCurie", "HonestPartial")
HOSTILE = (
    "MonkeyPatch",
    "LyingObjects",
    "ReadSource",
    "GradebookAttack",
    "WriteOutside",
    "DeletedTest",
    "EditedTest",
    "ForgedGradeCell",
    "DuplicateTest",
    "InfiniteLoop",
    "MemoryBomb",
    "OsExit",
    "ForkBomb",
    "ForkForever",
    "MemoryCaught",
    "Sleeper",
    "HugeOutput",
    "DebugPrints",
    "HugeFile",
    "FakePass",
    "ZipBomb",
    "SymlinkMember",
    "DotDotMember",
    "AbsoluteMember",
    "NonUtf8Name",
    "TwiceNewerBroken",
    "TwiceOlderBroken",
)
NAMES = HONEST + HOSTILE  # every student of the batch, in catalog order
MARKER = re.compile(r"^\s*#+\s*(BEGIN|END) SOLUTION\s*$")
FLAGGED = "flagged for the instructor"


def autograded_points() -> dict[str, float]:
    """grade_id -> points of every autograded test cell of the repo's source notebook."""
    return {q.grade_id: float(q.points) for q in ps1.QUESTIONS if not q.manual}


@dataclass
class Expected:
    """What grades.csv must say about one student.

    status "ok": every autograded question scores full marks except those in `zero` (0 points),
    raw_score is their sum. status "error": raw_score, score and every question are empty.
    `message` holds regular expressions that must all be found in the message (case-insensitive).
    `alternatives`: other outcomes that are acceptable too (e.g. "0 on that question" or "error").
    """

    attack: str
    status: str
    zero: tuple[str, ...] = ()
    message: tuple[str, ...] = ()
    alternatives: tuple[Expected, ...] = ()
    honest: bool = False
    scores: dict[str, float] | None = None  # exact per-question scores, instead of `zero`

    def describe(self) -> str:
        parts = [self.status]
        if self.status != "error":
            parts.append("0 on " + ", ".join(self.zero) if self.zero else "full marks")
        parts += [f"/{m}/" for m in self.message]
        text = ", ".join(parts)
        return " OR ".join([text, *(a.describe() for a in self.alternatives)])

    def expected_scores(self, points: dict[str, float]) -> dict[str, float]:
        if self.scores is not None:
            return dict(self.scores)
        return {q: 0.0 if q in self.zero else p for q, p in points.items()}

    def _problems(self, row: dict[str, str], points: dict[str, float]) -> list[str]:
        problems = []
        if row.get("status") != self.status:
            problems.append(f"status {row.get('status')!r}, expected {self.status!r}")
        message = row.get("message", "")
        for pattern in self.message:
            if not re.search(pattern, message, re.IGNORECASE):
                problems.append(f"message lacks /{pattern}/: {message!r}")
        if self.status == "error":
            filled = {k: row.get(k) for k in ["raw_score", "score", *points] if row.get(k) not in ("", None)}
            if filled:
                problems.append(f"an error row must have empty scores, got {filled}")
            return problems
        want = self.expected_scores(points)
        for q, p in want.items():
            got = row.get(q, "")
            if got == "" or abs(float(got) - p) > 1e-9:
                problems.append(f"{q} = {got!r}, expected {p:g}")
        raw = row.get("raw_score", "")
        if raw == "" or abs(float(raw) - sum(want.values())) > 1e-9:
            problems.append(f"raw_score = {raw!r}, expected {sum(want.values()):g}")
        return problems

    def problems(self, row: dict[str, str] | None, points: dict[str, float]) -> list[str]:
        """Empty when `row` matches this expectation or one of its alternatives."""
        if row is None:
            return ["no row in grades.csv"]
        first = self._problems(row, points)
        if not first:
            return []
        for alt in self.alternatives:
            if not alt._problems(row, points):
                return []
        return first


@dataclass
class Catalog:
    """What build_catalog wrote: expectations, the times file, and paths the attacks aim at."""

    expected: dict[str, Expected]
    times: Path
    token: str
    outside_targets: list[Path] = field(default_factory=list)  # must not exist after the run
    honest_zips: list[Path] = field(default_factory=list)


# ------------------------------------------------------------------------------ notebooks


def _text(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _gid(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def reference_notebook(fill: tuple[str, ...] | None = None) -> dict:
    """The release notebook with the reference answers in its answer cells (all, or those in `fill`)."""
    solution = json.loads(SOLUTION.read_text(encoding="utf-8"))
    answers = {
        _gid(c): "\n".join(line for line in _text(c).split("\n") if not MARKER.match(line))
        for c in solution["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    nb = json.loads(RELEASE.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = _gid(cell)
        is_answer = cell.get("metadata", {}).get("nbgrader", {}).get("solution") and gid in answers
        if is_answer and (fill is None or gid in fill):
            cell["source"] = answers[gid]
    return nb


def _cell(nb: dict, grade_id: str) -> dict:
    return next(c for c in nb["cells"] if _gid(c) == grade_id)


def prepend(nb: dict, grade_id: str, code: str) -> dict:
    """A copy of `nb` with `code` at the top of cell `grade_id`."""
    nb = copy.deepcopy(nb)
    cell = _cell(nb, grade_id)
    cell["source"] = code.strip("\n") + "\n\n" + _text(cell)
    return nb


def replace(nb: dict, grade_id: str, code: str) -> dict:
    """A copy of `nb` whose cell `grade_id` holds only `code`."""
    nb = copy.deepcopy(nb)
    _cell(nb, grade_id)["source"] = code.strip("\n") + "\n"
    return nb


def append(nb: dict, grade_id: str, code: str) -> dict:
    """A copy of `nb` with `code` at the end of cell `grade_id` (it overrides earlier definitions)."""
    nb = copy.deepcopy(nb)
    cell = _cell(nb, grade_id)
    cell["source"] = _text(cell) + "\n\n" + code.strip("\n") + "\n"
    return nb


def nb_bytes(nb: dict) -> bytes:
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()


def write_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, (2017, 1, 1, 0, 0, 0)), data, compress_type=compression)
    return path


# ------------------------------------------------------------------------------ attack code

REPORT = """
def _report(label, fn):
    try:
        fn()
    except BaseException as exc:
        print("BLOCKED", label, type(exc).__name__)
        return False
    print("LEAK", label)
    return True
"""

WRONG_P1A = """
def edf_gradient(x0: float) -> float:  # builds the right graph, returns a wrong number
    edf.clear_compgraph()
    x = edf.Parameter(x0)
    y = edf.Sin(x)
    z = edf.Square(x)
    u = edf.Add(edf.Mul(y, z), edf.Square(y))
    edf.Forward()
    edf.Backward(u)
    return float(x.grad) + 1.0


def chain_rule_gradient(x0: float) -> float:
    return 0.0
"""

WRONG_P2 = """
def softmax_jacobian(p):
    p = np.asarray(p, dtype=float)
    return np.zeros((len(p), len(p)))
"""

WRONG_NAIVE = """
def naive_second_derivative(x0, g, h, f):
    return 0.0 * np.asarray(x0, dtype=float)
"""

MONKEYPATCH = """
# Every closeness check the tests use now passes, whatever the answers are.
import numpy.testing


def _always_close(a, b, *args, **kwargs):
    return np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, dtype=bool)


np.allclose = lambda *args, **kwargs: True
np.isclose = _always_close
numpy.isclose = _always_close
numpy.testing.assert_allclose = lambda *args, **kwargs: None
edf.rel_error = lambda *args, **kwargs: 0.0
"""

LIARS = """
class _Liar(float):
    \"\"\"A float that equals, exceeds and undercuts everything and converts to a wrong value.\"\"\"

    def __new__(cls, value=0.0):
        return super().__new__(cls, 0.0)

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__
    __hash__ = float.__hash__

    def __float__(self):
        return 0.0

    def __sub__(self, other):
        return _Liar()

    __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __sub__

    def __abs__(self):
        return _Liar()

    def __bool__(self):
        return True


def edf_gradient(x0):
    return _Liar()


def chain_rule_gradient(x0):
    return _Liar()
"""

LIARS_P1B = """
def gradient(x0, g, h, f):
    return _Liar()


def naive_second_derivative(x0, g, h, f):
    return _Liar()


def true_second_derivative(x0, g, h, f):
    return _Liar()
"""

STRIP_ASSERTS = """
# From now on every `assert` statement is removed before a cell runs, and the tests "pass" loudly.
import ast as _ast


class _NoAsserts(_ast.NodeTransformer):
    def visit_Assert(self, node):
        return _ast.Pass()


get_ipython().ast_transformers.append(_NoAsserts())
print("Problem 1b (naive sweep): visible checks passed")
print("Problem 1b (true second derivative): visible checks passed")
print("All tests passed")
"""

FAKE_PASS_P2 = """
print("Problem 2: visible checks passed")
print("All tests passed")
"""

INFINITE_LOOP = """
while True:
    pass
"""

MEMORY_BOMB = """
_hog = np.ones(1 << 30)  # 8 GiB of float64, every page touched
print("LEAK memory 8 GiB allocated")
"""

FORK_BOMB = """
import os as _os
import time as _time

_kids = []
for _ in range(2000):
    try:
        _pid = _os.fork()
    except OSError as _exc:
        print("BLOCKED fork after", len(_kids), "children:", type(_exc).__name__)
        break
    if _pid == 0:
        _time.sleep(2)
        _os._exit(0)
    _kids.append(_pid)
else:
    print("LEAK fork: 2000 children")
for _pid in _kids:
    _os.waitpid(_pid, 0)
"""

FORK_FOREVER = """
import os as _os

while True:  # every copy forks too, until the sandbox refuses
    _os.fork()
"""

MEMORY_CAUGHT = """
_blocks = []
try:
    while True:  # 50 MB at a time up to the limit
        _blocks.append(bytearray(50 << 20))
except MemoryError:
    print("BLOCKED memory after", len(_blocks) * 50, "MB")
_blocks = None
"""

DEBUG_PRINTS = """
for _i in range(1_000_000):  # 100 MB of debug prints
    print("debug: step", _i, "of the loop", "." * 70)
"""

HUGE_FILE = """
with open("scratch.bin", "wb") as _fh:
    for _ in range(200):  # 200 MiB
        _fh.write(bytes(1 << 20))
"""

OS_EXIT = """
import os as _os

_os._exit(1)
"""

HUGE_OUTPUT = """
import sys as _sys

_line = "x" * ((1 << 20) - 1) + "\\n"
for _ in range(300):  # 300 MB
    _sys.stdout.write(_line)
"""


def sleeper(seconds: int) -> str:
    return f"import time as _time\n\n_time.sleep({seconds})\n"


def read_source(out: Path) -> str:
    """Try to get the reference answer of Problem 2 from the source notebook or any graded notebook."""
    course = out / "course"
    paths = [
        SOURCE,
        course / "source" / "ps1" / NOTEBOOK,
        course / "release" / "ps1" / NOTEBOOK,
        REPO_DIR / "solutions" / "PS1_solution.ipynb",
        *[Path("../" * depth + "source/ps1/" + NOTEBOOK) for depth in range(1, 6)],
        *[Path("../" * depth + "autograded") for depth in range(1, 5)],
    ]
    roots = [str(out), str(REPO_DIR.parent), "/tmp", "/"]
    return (
        REPORT
        + f"""
import glob as _glob
import json as _json
import os as _os

_stolen = None


def _steal(path):  # True when `path` held the reference answer of Problem 2 (now defined here)
    global _stolen
    text = open(path, encoding="utf-8").read()
    if "np.diag(p) - np.outer(p, p)" not in text or "_steal(" in text:  # not the own notebook
        return False
    for _c in _json.loads(text)["cells"]:
        if _c.get("id") == "p2_code":
            exec("".join(_c["source"]), globals())
            _stolen = _stolen or path
            return True
    return False


def _try(path):
    try:
        found = _steal(path)
    except BaseException as exc:
        print("BLOCKED read", path, type(exc).__name__)
    else:
        print(("LEAK reference answer in " if found else "READ (no reference answer) ") + path)


for _p in {[str(p) for p in paths]!r}:
    if _os.path.isdir(_p):
        for _q in _glob.glob(_os.path.join(_p, "*", "ps1", "{NOTEBOOK}")):
            _try(_q)
    else:
        _try(_p)
_seen = 0
for _root in {roots!r}:  # any PS1.ipynb or gradebook in reach (bounded walk)
    for _dir, _subdirs, _files in _os.walk(_root):
        _subdirs[:] = [d for d in _subdirs if d not in (".venv", ".git", "proc", "sys", "usr", "lib")]
        _seen += 1
        if _seen > 20000:
            break
        for _f in _files:
            if _f in ("{NOTEBOOK}", "PS1_solution.ipynb"):
                try:
                    _steal(_os.path.join(_dir, _f))
                except BaseException:
                    pass
if _stolen:
    print("LEAK the reference answer of Problem 2 was read from", _stolen)
else:
    print("BLOCKED no source notebook in reach")
"""
    )


def gradebook_attack(out: Path) -> str:
    """Overwrite, corrupt, delete the gradebook; sqlite UPDATE every grade to full marks."""
    paths = [str(out / "course" / "gradebook.db")] + ["../" * d + "gradebook.db" for d in range(1, 6)]
    return (
        REPORT
        + f"""
import os as _os
import sqlite3 as _sqlite3


def _full_marks(path):
    con = _sqlite3.connect("file:" + path + "?mode=rw", uri=True)
    try:
        con.execute("UPDATE grade SET manual_score = 1000, needs_manual_grade = 0")
        con.execute("UPDATE submitted_assignment SET extra_credit = 1000")
        con.commit()
    finally:
        con.close()


def _corrupt(path):
    with open(path, "r+b") as fh:  # r+b: never creates a file
        fh.seek(0)
        fh.write(b"not a database any more" * 100)


for _p in {paths!r}:
    _report("sqlite UPDATE " + _p, lambda p=_p: _full_marks(p))
    _report("corrupt " + _p, lambda p=_p: _corrupt(p))
    _report("delete " + _p, lambda p=_p: _os.remove(p))
"""
    )


def write_outside(targets: list[Path], repo_files: list[Path]) -> str:
    """Create files outside the grading folder; open the repo's files for writing (without writing).

    A create that works inside the sandbox may land in its private /tmp: it prints `WROTE`, and the
    test looks for the files on the host. Opening a repository file for writing is a `LEAK`.
    """
    return (
        REPORT
        + f"""
import os as _os


def _create(path):
    _os.makedirs(_os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as fh:
        fh.write("written by a hostile submission")


for _p in {[str(t) for t in targets]!r}:
    try:
        _create(_p)
    except BaseException as exc:
        print("BLOCKED write", _p, type(exc).__name__)
    else:
        print("WROTE (in the kernel's view)", _p)
for _p in {[str(t) for t in repo_files]!r}:
    _report("open for writing " + _p, lambda p=_p: open(p, "r+").close())
"""
    )


# ------------------------------------------------------------------------------ the catalog


def build_catalog(
    folder: Path,
    out: Path,
    canary_dir: Path,
    cell_timeout: int = 30,
    names: set[str] | None = None,
) -> Catalog:
    """Write the honest and hostile zips into `folder` and their times into `folder/times.csv`.

    `out` is the --out folder of the run (attacks aim at its gradebook and source copy); `canary_dir`
    an existing folder outside `out` that attacks try to write into. `cell_timeout` is the run's
    per-cell limit (the sleeper sleeps past it). `names` keeps only those students (for quick runs).
    """
    folder, out, canary_dir = Path(folder), Path(out).resolve(), Path(canary_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    points = autograded_points()
    full = reference_notebook()
    partial = reference_notebook(fill=("p1a_code", "p1b_code", "p1a_written", "p1b_written"))
    outside = [
        canary_dir / f"hostile_canary_{token}.txt",
        canary_dir / f"hostile_dir_{token}" / "x.txt",
        Path(f"/tmp/hostile_canary_{token}.txt"),
        Path(f"/tmp/hostile_dir_{token}/x.txt"),
        Path(f"/var/tmp/hostile_canary_{token}.txt"),
        Path(f"/dev/shm/hostile_canary_{token}.txt"),
        REPO_DIR / f"hostile_canary_{token}.txt",
        SOURCE_DIR / f"hostile_canary_{token}.txt",
        Path.home() / f"hostile_canary_{token}.txt",
        *[Path("../" * d + f"hostile_rel_{d}_{token}.txt") for d in range(2, 6)],
    ]
    code = REPO_DIR / "autograder"
    repo_files = [
        SOURCE,
        REPO_DIR / "edf.py",
        code / "grading" / "coordinator.py",
        code / "nbgrader_ext" / "checks.py",
        SOURCE_DIR / "outside_checks" / "reference_math.py",
    ]
    lim = Limits()
    memory = rf"memory: the notebook hit the sandbox's limit of {lim.memory_bytes >> 20:,} MiB"
    processes = rf"processes: the notebook hit the sandbox's limit of {lim.max_processes} processes"
    output_cut = rf"output of cell p1a_code cut at {lim.output_chars:,} characters \(the limit\)"

    expected: dict[str, Expected] = {}
    zips: dict[str, dict[str, bytes] | bytes] = {}
    times: dict[str, str] = {}

    def add(name: str, exp: Expected, members: dict[str, bytes] | bytes, when: str = ON_TIME, file=None):
        expected[name] = exp
        fname = file or f"PS1_{name}.zip"
        zips[fname] = members
        times[fname] = when

    def nb_zip(nb: dict) -> dict[str, bytes]:
        return {NOTEBOOK: nb_bytes(nb), "PS1.pdf": b"%PDF-1.4\n% written answers\n"}

    # --- honest submissions (their rows must equal an honest-only run, column by column)
    for name in HONEST[:3]:
        add(name, Expected("none: the reference solution", "ok", honest=True), nb_zip(full))
    add(
        "HonestPartial",
        Expected("none: Problems 1a and 1b only", "ok", zero=("p2_tests", "p3_tests"), honest=True),
        nb_zip(partial),
    )

    # 1. monkeypatched closeness checks, wrong answers
    nb = prepend(full, "p1a_code", MONKEYPATCH)
    nb = append(nb, "p1a_code", WRONG_P1A)
    nb = replace(nb, "p2_code", WRONG_P2)
    add(
        "MonkeyPatch",
        Expected(
            "np.allclose/isclose/testing.assert_allclose/edf.rel_error always pass; 1a and 2 wrong "
            "(the patched rel_error also fails 1b's own `rel_error(true, naive) > 0.1`: 0 there too)",
            "ok",
            zero=("p1a_tests", "p1b_true_tests", "p2_tests"),
            message=(FLAGGED,),
        ),
        nb_zip(nb),
    )
    # 2. lying objects
    nb = append(full, "p1a_code", LIARS)
    nb = append(nb, "p1b_code", LIARS_P1B)
    add(
        "LyingObjects",
        Expected(
            "answers are float subclasses whose ==, <, >, float() lie (1a, 1b)",
            "ok",
            zero=("p1a_tests", "p1b_naive_tests", "p1b_true_tests"),
        ),
        nb_zip(nb),
    )
    # 3. reading the source notebook / hidden tests; the own answer to 2 is wrong
    nb = replace(full, "p2_code", WRONG_P2 + read_source(out))
    add(
        "ReadSource",
        Expected(
            "read source/ps1/PS1.ipynb (absolute, <out>/course, ../, walk) for 2's answer",
            "ok",
            zero=("p2_tests",),
        ),
        nb_zip(nb),
    )
    # 4. gradebook: sqlite UPDATE to full marks, corrupt, delete; the own answer to 2 is wrong
    nb = replace(full, "p2_code", WRONG_P2)
    nb = prepend(nb, "p1a_code", gradebook_attack(out))
    add(
        "GradebookAttack",
        Expected(
            "UPDATE grades to full marks, corrupt, delete <out>/course/gradebook.db and ../*",
            "ok",
            zero=("p2_tests",),
        ),
        nb_zip(nb),
    )
    # writing outside the grading folder
    add(
        "WriteOutside",
        Expected("create files in /tmp, the repo, $HOME, a canary dir; open repo files for writing", "ok"),
        nb_zip(prepend(full, "p1b_code", write_outside(outside, repo_files))),
    )
    # 5. test cells deleted, edited, duplicated
    nb = copy.deepcopy(full)
    nb["cells"] = [c for c in nb["cells"] if _gid(c) != "p2_tests"]
    add(
        "DeletedTest",
        Expected(
            "p2_tests cell deleted", "ok", message=("deleted test cells restored from the source: p2_tests",)
        ),
        nb_zip(nb),
    )
    nb = replace(full, "p2_code", WRONG_P2)
    for gid in ("p1a_tests", "p2_tests"):
        _cell(nb, gid)["source"] = "pass\n"
        _cell(nb, gid)["metadata"]["nbgrader"]["points"] = 1000
    add(
        "EditedTest",
        Expected(
            "p1a_tests and p2_tests replaced by `pass`, their points set to 1000; 2 wrong",
            "ok",
            zero=("p2_tests",),
        ),
        nb_zip(nb),
    )
    nb = copy.deepcopy(full)
    forged = {
        "cell_type": "code",
        "execution_count": None,
        "id": "bonus_tests",
        "metadata": {
            "nbgrader": {
                "grade": True,
                "grade_id": "bonus_tests",
                "locked": True,
                "points": 100,
                "schema_version": 3,
                "solution": False,
                "task": False,
            }
        },
        "outputs": [],
        "source": 'print("All tests passed")\n',
    }
    nb["cells"].insert(len(nb["cells"]) - 1, forged)
    add(
        "ForgedGradeCell",
        Expected(
            "a new graded test cell `bonus_tests` worth 100 points that always passes",
            "ok",
            alternatives=(Expected("", "error", message=("bonus_tests",)),),
        ),
        nb_zip(nb),
    )
    nb = copy.deepcopy(full)
    at = next(i for i, c in enumerate(nb["cells"]) if _gid(c) == "p2_tests")
    nb["cells"].insert(at + 1, copy.deepcopy(nb["cells"][at]))
    add(
        "DuplicateTest",
        Expected(
            "p2_tests cell copied (same cell id)", "error", message=("duplicate nbgrader cell ids: p2_tests",)
        ),
        nb_zip(nb),
    )
    # 6. infinite loop in an answer cell
    add(
        "InfiniteLoop",
        Expected(
            "`while True: pass` at the top of p1b_code",
            "ok",
            zero=("p1b_naive_tests", "p1b_true_tests"),
            message=(rf"wall time: cell p1b_code ran longer than the limit of {cell_timeout} s per cell",),
        ),
        nb_zip(prepend(full, "p1b_code", INFINITE_LOOP)),
    )
    # 7. memory bomb
    add(
        "MemoryBomb",
        Expected(
            "np.ones(2**30) (8 GiB) at the top of p2_code",
            "ok",
            zero=("p2_tests",),
            message=(memory + r" in cell p2_code \(MemoryError\)",),
        ),
        nb_zip(prepend(full, "p2_code", MEMORY_BOMB)),
    )
    # 8. os._exit
    add(
        "OsExit",
        Expected("os._exit(1) at the top of p3_code", "error", message=("kernel died", "no limit hit")),
        nb_zip(prepend(full, "p3_code", OS_EXIT)),
    )
    # 9. fork bomb (children sleep 2 s, then exit; the parent reaps them)
    add(
        "ForkBomb",
        Expected(
            "fork up to 2000 children at the top of p1a_code",
            "ok",
            message=(processes,),
        ),
        nb_zip(prepend(full, "p1a_code", FORK_BOMB)),
    )
    add(
        "ForkForever",
        Expected(
            "`while True: os.fork()` at the top of p1a_code (every copy forks too)",
            "ok",
            zero=("p1a_tests",),
            message=(processes,),
        ),
        nb_zip(prepend(full, "p1a_code", FORK_FOREVER)),
    )
    add(
        "MemoryCaught",
        Expected(
            "allocate 50 MB blocks until MemoryError, caught in the cell, at the top of p1b_code",
            "ok",
            message=(memory,),
        ),
        nb_zip(prepend(full, "p1b_code", MEMORY_CAUGHT)),
    )
    # 10. sleep past the per-cell timeout
    add(
        "Sleeper",
        Expected(
            f"time.sleep({cell_timeout + 60}) at the top of p2_code (cell timeout {cell_timeout} s)",
            "ok",
            zero=("p2_tests",),
            message=(rf"wall time: cell p2_code ran longer than the limit of {cell_timeout} s per cell",),
        ),
        nb_zip(prepend(full, "p2_code", sleeper(cell_timeout + 60))),
    )
    # 11. huge output, huge file
    add(
        "HugeOutput",
        Expected("writes 300 MB to stdout at the top of p1a_code", "ok", message=(output_cut,)),
        nb_zip(prepend(full, "p1a_code", HUGE_OUTPUT)),
    )
    add(
        "DebugPrints",
        Expected("prints a million debug lines (100 MB) at the top of p1a_code", "ok", message=(output_cut,)),
        nb_zip(prepend(full, "p1a_code", DEBUG_PRINTS)),
    )
    add(
        "HugeFile",
        Expected(
            "writes a 200 MiB file at the top of p1a_code",
            "ok",
            zero=("p1a_tests",),
            message=(
                rf"file size: cell p1a_code wrote past the sandbox's limit of {lim.file_bytes >> 20} MiB",
            ),
        ),
        nb_zip(prepend(full, "p1a_code", HUGE_FILE)),
    )
    # 12. fake "passed" lines after stripping every assert; 1b naive and 2 wrong
    nb = prepend(full, "p1b_code", STRIP_ASSERTS)
    nb = append(nb, "p1b_code", WRONG_NAIVE)
    nb = replace(nb, "p2_code", WRONG_P2 + FAKE_PASS_P2)
    add(
        "FakePass",
        Expected(
            "IPython AST transformer strips asserts, prints 'visible checks passed'; 1b naive and 2 wrong",
            "ok",
            zero=("p1b_naive_tests", "p2_tests"),
            message=(FLAGGED,),
        ),
        nb_zip(nb),
    )
    # 13. malformed zips
    honest_nb = nb_bytes(full)
    add(
        "ZipBomb",
        Expected("a 210 MB member (deflated to ~200 kB)", "error", message=("zip bomb",)),
        {NOTEBOOK: honest_nb, "data.bin": b"\0" * (210 << 20)},
    )
    add(
        "SymlinkMember",
        Expected("a symlink member notes.txt -> /etc/passwd", "error", message=("symbolic link",)),
        b"symlink",
    )
    add(
        "DotDotMember",
        Expected("a member ../../../hostile_dotdot.txt", "error", message=("leaves its folder",)),
        {NOTEBOOK: honest_nb, f"../../../hostile_dotdot_{token}.txt": b"escaped"},
    )
    add(
        "AbsoluteMember",
        Expected(f"a member /tmp/hostile_abs_{token}.txt", "error", message=("absolute path",)),
        {NOTEBOOK: honest_nb, f"/tmp/hostile_abs_{token}.txt": b"escaped"},
    )
    add(
        "NonUtf8Name",
        Expected("a member name with bytes e9 ff (no UTF-8 flag)", "error", message=("not valid UTF-8",)),
        b"latin1",
    )
    # 14. two zips from one student
    broken = nb_bytes(full)[:-400]  # cut short: not valid JSON
    add(
        "TwiceNewerBroken",
        Expected(
            "older zip honest, newer one's notebook cut short",
            "error",
            message=(r"2 zips from this student: graded the latest", "not valid JSON"),
        ),
        {NOTEBOOK: broken},
        file="PS1_TwiceNewerBroken.zip",
    )
    zips["PS1_Twice NewerBroken.zip"], times["PS1_Twice NewerBroken.zip"] = nb_zip(full), EARLIER
    add(
        "TwiceOlderBroken",
        Expected(
            "older zip's notebook cut short, newer one honest",
            "ok",
            message=(r"2 zips from this student: graded the latest, ignored PS1_Twice OlderBroken\.zip",),
        ),
        nb_zip(full),
        file="PS1_TwiceOlderBroken.zip",
    )
    zips["PS1_Twice OlderBroken.zip"], times["PS1_Twice OlderBroken.zip"] = {NOTEBOOK: broken}, EARLIER

    for name, exp in expected.items():  # the catalog must name questions the notebook has
        unknown = {q for e in (exp, *exp.alternatives) for q in e.zero} - set(points)
        if unknown:
            raise ValueError(f"{name}: no autograded question {sorted(unknown)} in the source notebook")
    if names is not None:
        expected = {k: v for k, v in expected.items() if k in names}
        keep = {k for k in zips if re.sub(r"[^A-Za-z0-9_-]", "", k[4:-4]) in names}
        zips = {k: v for k, v in zips.items() if k in keep}

    written = []
    for fname, members in zips.items():
        path = folder / fname
        if members == b"symlink":
            with zipfile.ZipFile(path, "w") as zf:
                zf.writestr(zipfile.ZipInfo(NOTEBOOK, (2017, 1, 1, 0, 0, 0)), honest_nb)
                info = zipfile.ZipInfo("notes.txt", (2017, 1, 1, 0, 0, 0))
                info.external_attr = 0o120777 << 16
                zf.writestr(info, "/etc/passwd")
        elif members == b"latin1":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                zf.writestr(zipfile.ZipInfo(NOTEBOOK, (2017, 1, 1, 0, 0, 0)), honest_nb)
                zf.writestr(zipfile.ZipInfo("notes_XX.txt", (2017, 1, 1, 0, 0, 0)), b"x")
            path.write_bytes(buf.getvalue().replace(b"notes_XX", b"notes_\xe9\xff"))
        else:
            write_zip(path, members)
        written.append(path)
    times_csv = folder.parent / f"{folder.name}_times.csv"
    times_csv.write_text(
        "file,timestamp\n" + "".join(f"{f},{times[f]}\n" for f in sorted(zips)), encoding="utf-8"
    )
    honest_zips = [folder / f"PS1_{n}.zip" for n in HONEST if n in expected]
    targets = [p for p in outside if p.is_absolute()] + [Path(f"/tmp/hostile_abs_{token}.txt")]
    return Catalog(expected, times_csv, token, targets, honest_zips)


def copy_honest(catalog: Catalog, folder: Path) -> Path:
    """The honest zips alone in `folder`, with their own times file; returns that times file."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in catalog.honest_zips:
        shutil.copy2(path, folder / path.name)
    lines = catalog.times.read_text(encoding="utf-8").splitlines()
    names = {p.name for p in catalog.honest_zips}
    keep = [lines[0]] + [line for line in lines[1:] if line.split(",")[0] in names]
    times = folder.parent / f"{folder.name}_times.csv"
    times.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return times
