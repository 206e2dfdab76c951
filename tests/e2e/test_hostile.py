"""Hostile submissions graded in one batch with honest ones by the real `python -m autograder grade`.

One session-scoped batch run (subprocess, `--out` in a temporary folder) over a folder holding the
honest zips and every attack of tests/helpers/cheating/catalog.py, and one run over the honest zips alone.
Each hostile row must match its expectation; each honest row must equal, column by column, its row
of the honest-only run; the repository's source and gradebooks, and every path outside `<out>` the
attacks aim at, must be untouched.

Environment knobs (for quick development runs only):
  HOSTILE_ONLY=Name,Name   grade only these students of the catalog (the honest ones always run);
  HOSTILE_UNSANDBOXED_OK=1 run even when the honest-only run does not report a bwrap sandbox (the
                           bombs then hit the machine: only with a HOSTILE_ONLY list that leaves them out).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers.cheating.catalog import (
    HONEST,
    NAMES,
    Catalog,
    autograded_points,
    build_catalog,
    copy_honest,
)
from helpers.ps1 import ASSIGNMENT, COURSE_DIR, NOTEBOOK, REPO_DIR

from autograder.grading import collect, coordinator
from autograder.grading.jobs import scratch_root

pytestmark = pytest.mark.slow

CELL_TIMEOUT = 30  # seconds per cell in the test runs (the course default is 120)
RUN_TIMEOUT = 900  # a run that takes longer is a hang


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts:
            h.update(str(p.relative_to(root)).encode() + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _gradebooks_outside(out_dirs: list[Path]) -> dict[str, str]:
    """sha256 of every gradebook.db of the repository (none may appear, change or vanish)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(REPO_DIR):
        dirnames[:] = [d for d in dirnames if d not in (".venv", ".git", "node_modules")]
        for name in filenames:
            if name.endswith(".db"):
                path = Path(dirpath) / name
                if not any(path.is_relative_to(o) for o in out_dirs):
                    found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _token_paths(token: str) -> list[str]:
    """Files or folders named after this run's token anywhere an attack could have reached."""
    hits = []
    for base in [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path.home(), REPO_DIR.parent]:
        try:
            hits += [str(p) for p in base.glob(f"*{token}*")]
        except OSError:
            continue
    for dirpath, dirnames, filenames in os.walk(REPO_DIR):
        dirnames[:] = [d for d in dirnames if d not in (".venv", ".git")]
        hits += [os.path.join(dirpath, n) for n in dirnames + filenames if token in n]
    return sorted(set(hits))


SANDBOXED = "sandbox: bwrap"  # what `python -m autograder grade` prints when kernels are confined


def _grade_cmd(zips: Path, times: Path, out: Path, source_args: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        str(zips),
        "--times",
        str(times),
        "--out",
        str(out),
    ] + source_args


def _short_timeout_source(root: Path) -> list[str]:
    """--source: a copy of the course's source with `c.Execute.timeout = CELL_TIMEOUT` in its config.

    grade.py copies `<source>/../../nbgrader_config.py` into the grading course; the copy is the
    repository's config with one line appended, so whatever else it configures still applies.
    """
    course = root / "short_timeout_course"
    src = course / "source" / ASSIGNMENT
    shutil.copytree(COURSE_DIR / "source" / ASSIGNMENT, src)  # the notebook and Problem 3's data
    base = (COURSE_DIR / "nbgrader_config.py").read_text()
    (course / "nbgrader_config.py").write_text(
        base + f"\n# hostile-catalog test run: a short per-cell timeout\nc.Execute.timeout = {CELL_TIMEOUT}\n"
    )
    return ["--source", str(src)]


def _run(cmd: list[str], cwd: Path) -> SimpleNamespace:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    seconds = time.monotonic() - start
    out = Path(cmd[cmd.index("--out") + 1])
    rows = {}
    if (out / "grades.csv").exists():
        with (out / "grades.csv").open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            rows = {r["student"]: r for r in reader}
    else:
        header = None
    return SimpleNamespace(proc=proc, seconds=seconds, out=out, rows=rows, header=header)


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    only = {n for n in os.environ.get("HOSTILE_ONLY", "").split(",") if n} or None
    root = tmp_path_factory.mktemp("hostile")
    canary = root / "canary"
    canary.mkdir()
    zips, out, out_honest = root / "zips", root / "out", root / "out_honest"
    catalog: Catalog = build_catalog(
        zips, out, canary, CELL_TIMEOUT, names=(only | set(HONEST)) if only else None
    )
    honest_times = copy_honest(catalog, root / "honest")
    source_args = _short_timeout_source(root)
    listing_before = sorted(p.name for p in root.iterdir())
    source_before = _tree_digest(COURSE_DIR / "source")
    gradebooks_before = _gradebooks_outside([out, out_honest])

    alone = _run(_grade_cmd(root / "honest", honest_times, out_honest, source_args), root)
    if SANDBOXED not in alone.proc.stdout and not os.environ.get("HOSTILE_UNSANDBOXED_OK"):
        pytest.fail(
            f"the honest-only run did not print {SANDBOXED!r}: refusing to grade memory/fork bombs and "
            f"file-system attacks unconfined on a shared machine.\n{alone.proc.stdout[-3000:]}"
            f"\n{alone.proc.stderr[-3000:]}"
        )
    batch = _run(_grade_cmd(zips, catalog.times, out, source_args), root)
    n = len(catalog.expected)
    print(f"\nhonest-only run: {alone.seconds:.1f} s; batch run ({n} students): {batch.seconds:.1f} s")
    print(batch.proc.stdout[-6000:])
    return SimpleNamespace(
        root=root,
        canary=canary,
        catalog=catalog,
        alone=alone,
        batch=batch,
        points=autograded_points(),
        listing_before=listing_before,
        source_before=source_before,
        gradebooks_before=gradebooks_before,
    )


def _autograded(out: Path, student: str) -> dict | None:
    path = out / "course" / "autograded" / student / ASSIGNMENT / NOTEBOOK
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _output_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        text = output.get("text", "")
        parts.append("".join(text) if isinstance(text, list) else text)
        if output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
    return "".join(parts)


def test_catalog_covers_every_student(hostile: SimpleNamespace) -> None:
    only = os.environ.get("HOSTILE_ONLY")
    assert only or list(hostile.catalog.expected) == list(NAMES)


def test_runs_complete(hostile: SimpleNamespace) -> None:
    for run in (hostile.alone, hostile.batch):
        assert run.proc.returncode == 0, run.proc.stderr[-4000:]
        assert run.header[:8] == [
            "student",
            "raw_score",
            "max_score",
            "late_days",
            "late_penalty",
            "score",
            "status",
            "message",
        ]
    assert set(hostile.batch.rows) == set(hostile.catalog.expected)
    assert set(hostile.alone.rows) == {n for n in HONEST if n in hostile.catalog.expected}
    assert hostile.alone.seconds + hostile.batch.seconds < 300, "both runs should take under 5 minutes"


@pytest.mark.parametrize("name", NAMES)
def test_grade_of_each_submission(hostile: SimpleNamespace, name: str) -> None:
    expected = hostile.catalog.expected.get(name)
    if expected is None:
        pytest.skip("not in HOSTILE_ONLY")
    row = hostile.batch.rows.get(name)
    problems = expected.problems(row, hostile.points)
    assert not problems, f"{name} ({expected.attack}): expected {expected.describe()}; got {row}: {problems}"


@pytest.mark.parametrize("name", HONEST)
def test_honest_rows_equal_the_honest_only_run(hostile: SimpleNamespace, name: str) -> None:
    alone, batch = hostile.alone.rows.get(name), hostile.batch.rows.get(name)
    assert alone is not None and batch is not None
    assert hostile.alone.header == hostile.batch.header
    assert batch == alone
    assert "flagged" not in batch["message"]


def test_no_attack_succeeded_in_any_kernel(hostile: SimpleNamespace) -> None:
    """Attacks print `LEAK ...` when they get through: no autograded notebook may hold one."""
    leaks = {}
    for name in hostile.catalog.expected:
        nb = _autograded(hostile.batch.out, name)
        for cell in nb["cells"] if nb else []:
            lines = [line for line in _output_text(cell).splitlines() if line.startswith("LEAK")]
            if lines:
                leaks.setdefault(name, []).extend(line[:200] for line in lines)
    assert not leaks, leaks


def test_attacks_ran_and_were_blocked(hostile: SimpleNamespace) -> None:
    """The attacks did run during grading (else the catalog tests nothing) and saw BLOCKED."""
    # Below /tmp a write lands in the sandbox's own tmpfs (allowed, never on the host): for a clone
    # under /tmp, the home folder is the place outside that must refuse.
    outside = Path.home() if REPO_DIR.is_relative_to("/tmp") else REPO_DIR
    for name, words in {
        "ReadSource": "BLOCKED no source notebook in reach",
        "GradebookAttack": "BLOCKED sqlite UPDATE",
        "WriteOutside": f"BLOCKED write {outside}/hostile_canary_",
    }.items():
        if name not in hostile.catalog.expected:
            continue
        nb = _autograded(hostile.batch.out, name)
        assert nb is not None, f"{name} was not autograded"
        text = "".join(_output_text(c) for c in nb["cells"])
        assert words in text, f"{name}: {text[:2000]}"


def test_edited_test_cells_are_restored(hostile: SimpleNamespace) -> None:
    if "EditedTest" not in hostile.catalog.expected:
        pytest.skip("not in HOSTILE_ONLY")
    nb = _autograded(hostile.batch.out, "EditedTest")
    source = json.loads((COURSE_DIR / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    for gid in ("p1a_tests", "p2_tests"):
        cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)
        original = next(
            c for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == gid
        )
        text = "".join(cell["source"])
        assert text.strip() != "pass" and "".join(original["source"]).strip() == text.strip(), text[:300]


def test_huge_output_is_limited(hostile: SimpleNamespace) -> None:
    if "HugeOutput" not in hostile.catalog.expected:
        pytest.skip("not in HOSTILE_ONLY")
    course = hostile.batch.out / "course"
    files = [
        course / "autograded" / "HugeOutput" / ASSIGNMENT / NOTEBOOK,
        course / "feedback" / "HugeOutput" / ASSIGNMENT / "PS1.html",
    ]
    sizes = {str(p.relative_to(course)): p.stat().st_size for p in files if p.exists()}
    assert sizes and all(s <= collect.MAX_NOTEBOOK_BYTES for s in sizes.values()), sizes


def test_gradebook_holds_no_forged_grades(hostile: SimpleNamespace) -> None:
    """Nobody graded anything by hand: a manual score or extra credit can only come from an attack."""

    con = sqlite3.connect(f"file:{hostile.batch.out / 'course' / 'gradebook.db'}?mode=ro", uri=True)
    try:
        manual = con.execute("SELECT count(*) FROM grade WHERE manual_score IS NOT NULL").fetchone()[0]
        extra = con.execute(
            "SELECT count(*) FROM grade WHERE extra_credit IS NOT NULL AND extra_credit != 0"
        ).fetchone()[0]
        students = {r[0] for r in con.execute("SELECT student_id FROM submitted_assignment")}
    finally:
        con.close()
    assert (manual, extra) == (0, 0)
    graded = {n for n, r in hostile.batch.rows.items() if r["status"] != "error"}
    assert graded <= students


def test_source_and_gradebooks_outside_out_untouched(hostile: SimpleNamespace) -> None:
    assert _tree_digest(COURSE_DIR / "source") == hostile.source_before
    outs = [hostile.batch.out, hostile.alone.out]
    assert _gradebooks_outside(outs) == hostile.gradebooks_before


def test_nothing_written_outside_out(hostile: SimpleNamespace) -> None:
    after = sorted(p.name for p in hostile.root.iterdir())
    assert after == sorted(hostile.listing_before + ["out", "out_honest"])
    assert list(hostile.canary.iterdir()) == []
    for folder in ("zips", "honest", "short_timeout_course"):  # only what the test itself wrote
        names = [p.name for p in (hostile.root / folder).rglob("*")]
        assert not [n for n in names if "hostile_" in n], names
    assert not [str(p) for p in hostile.catalog.outside_targets if p.exists()]
    assert _token_paths(hostile.catalog.token) == []


def test_no_scratch_left_behind(hostile: SimpleNamespace) -> None:
    """The workers' private courses (hostile notebooks, hidden tests) are gone once the run ends."""
    for run in (hostile.alone, hostile.batch):
        scratch = scratch_root(coordinator.scratch_name(run.out.resolve()))
        assert not scratch.exists() or not any(scratch.iterdir()), sorted(scratch.rglob("*"))[:20]


def test_catalog_table(hostile: SimpleNamespace) -> None:
    """Prints name | attack | expected | got (run with -s); fails only if a row is missing."""
    lines = ["| name | attack | expected | got |", "|---|---|---|---|"]
    for name, exp in hostile.catalog.expected.items():
        row = hostile.batch.rows.get(name) or {}
        scores = ", ".join(f"{q}={row.get(q, '')}" for q in hostile.points if row.get(q) not in ("", None))
        got = f"{row.get('status')} raw={row.get('raw_score')} [{scores}] {row.get('message', '')[:160]}"
        ok = "PASS" if not exp.problems(row or None, hostile.points) else "FAIL"
        lines.append(f"| {name} | {exp.attack} | {exp.describe()} | {ok}: {got} |")
    print("\n" + "\n".join(lines))
    assert set(hostile.batch.rows) >= set(hostile.catalog.expected)
