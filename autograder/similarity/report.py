"""`OUT/similarity/`: the pairs of a graded class ranked by how alike their answers are.

    index.html          the pairs by total (flagged ones first among the most alike), each with its
                        rank in code and in written answers; the distribution figure
    pairs.csv           every pair: both students, code, written, total, flagged, page
    distribution.png    the similarity of every pair, per kind, flagged pairs marked
    pairs/A__B.html     one listed pair side by side, matching passages marked
    .mathjax/           MathJax for the written answers' math, offline

Reads the grading folder only (state.json, the submitted notebooks, the release notebook); writes
nothing else, so no grade, status or message can change.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from autograder.course.layout import GradingFolder
from autograder.errors import InputError
from autograder.nbgrader_ext.feedback_math import install_mathjax
from autograder.nbgrader_ext.page_style import page_mathjax
from autograder.replace_file import replacing
from autograder.results.answer_html import answer_html
from autograder.results.grades_table import graded_state
from autograder.similarity import compare, figure
from autograder.similarity.answers import Answers, answer_layout, given_cells, read_answers
from autograder.similarity.flags import threshold

LISTED = 50  # pairs on the index page (and with a page of their own) beyond the flagged ones
HEADER = [
    "student_a",
    "student_b",
    "code",
    "written",
    "total",
    "code_rank",
    "written_rank",
    "flagged",
    "page",
]
MAX_PAGES = 200  # at most this many pairs get a page (the most alike): the rest are in pairs.csv
WORKERS = max(1, len(os.sched_getaffinity(0)))  # comparing processes: one per core
TEMPLATES = Path(__file__).resolve().parent / "templates"
Ranks = dict[str, dict[compare.Pair, int]]  # kind -> pair -> its place by that kind alone (1: most alike)
STYLE = (TEMPLATES / "similarity.css").read_text(encoding="utf-8")


@dataclass
class ClassAnswers:
    """The answers of every readable notebook of a graded class, what the release gives every
    student, and what was missing."""

    layout: dict[str, str]
    distribution: compare.Distribution
    students: dict[str, Answers] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # "student (why)"


def release_distribution(release: Path, layout: dict[str, str]) -> compare.Distribution:
    """What the release notebook at `release` gives every student: its stubs and its other cells."""
    stubs = read_answers(release, layout)
    return compare.Distribution({k: stubs.text(k) for k in compare.KINDS}, given_cells(release))


def read_class(out: Path) -> ClassAnswers:
    """Every graded student's submitted notebook; InputError if the folder was never graded."""
    state = graded_state(out)
    release = GradingFolder(out).course.release_notebook
    if not release.is_file():
        raise InputError(f"{out} has no release notebook ({release}): run `ps1 grade ... --out {out}` again")
    layout = answer_layout(release)
    found = ClassAnswers(layout, release_distribution(release, layout))
    for student in sorted(state.students):
        path = GradingFolder(out).course.submitted_notebook(student)
        if not path.is_file():
            found.missing.append(f"{student} (no notebook: {state.students[student].status})")
            continue
        try:
            found.students[student] = read_answers(path, layout)
        except InputError as exc:
            found.missing.append(f"{student} ({exc})")
    return found


def _page_name(pair: compare.Pair) -> str:
    return f"pairs/{pair.a}__{pair.b}.html"


def _code_parts(text: str, start: int, slices) -> list[tuple[str, bool]]:
    """The cell's text (at `start` in the joined answers) cut into (text, matched) runs."""
    end = start + len(text)
    marks = sorted(
        (max(s, start), min(e, end)) for s, e in zip(*slices, strict=True) if s < end and e > start
    )
    parts, at = [], start
    for s, e in marks:
        if s > at:
            parts.append((text[at - start : s - start], False))
        if e > max(s, at):
            parts.append((text[max(s, at) - start : e - start], True))
        at = max(at, e)
    parts.append((text[at - start :], False))
    return [p for p in parts if p[0]]


def _written_parts(text: str, start: int, slices) -> list[tuple[str, bool]]:
    """The cell's paragraphs as HTML (math left for MathJax), each with whether a match falls in it."""
    parts, at = [], start
    for paragraph in text.split("\n\n"):
        end = at + len(paragraph)
        hit = any(s < end and e > at for s, e in zip(*slices, strict=True))
        if paragraph.strip():
            parts.append((answer_html(paragraph), hit))
        at = end + 2
    return parts


def _cells(answers: dict[str, Answers], pair: compare.Pair, marks: dict) -> list[dict]:
    cells = []
    for kind in compare.KINDS:
        starts = {pair.a: 0, pair.b: 0}
        texts = {s: getattr(answers[s], kind) for s in (pair.a, pair.b)}
        for grade_id in texts[pair.a]:
            sides = []
            for side, student in enumerate((pair.a, pair.b)):
                text = texts[student][grade_id]
                cut = _code_parts if kind == "code" else _written_parts
                sides.append({"student": student, "parts": cut(text, starts[student], marks[kind][side])})
                starts[student] += len(text) + 2
            cells.append({"grade_id": grade_id, "kind": kind, "sides": sides})
    return cells


def _flagged(pair: compare.Pair, bars: dict[str, float]) -> str:
    return ", ".join(kind for kind in compare.KINDS if getattr(pair, kind) >= bars[kind])


def write_report(out: Path, found: ClassAnswers, workers: int = WORKERS) -> Path:
    """Compare the class and write `OUT/similarity/`; return the index page."""
    texts = {s: {k: a.text(k) for k in compare.KINDS} for s, a in found.students.items()}
    with compare.Comparison(texts, found.distribution, workers) as comparison:
        pairs = comparison.pairs()
        bars = {k: threshold(k, [getattr(p, k) for p in pairs]) for k in compare.KINDS}
        flagged = [p for p in pairs if _flagged(p, bars)]
        shown = flagged + [p for p in pairs if not _flagged(p, bars)][:LISTED]
        listed = sorted(shown, key=lambda p: (-p.total, p.a, p.b))[:MAX_PAGES]
        marks = comparison.marks(listed)
    folder = GradingFolder(out).similarity_dir
    (folder / "pairs").mkdir(parents=True, exist_ok=True)
    install_mathjax(folder)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2"]))
    for pair, mark in zip(listed, marks, strict=True):
        page = env.get_template("pair.html.j2").render(
            a=pair.a,
            b=pair.b,
            code=pair.code,
            written=pair.written,
            flagged=_flagged(pair, bars),
            cells=_cells(found.students, pair, mark),
            style=STYLE,
            mathjax_settings=page_mathjax(),
        )
        (folder / _page_name(pair)).write_text(page, encoding="utf-8")
    ranks = {kind: _ranks(pairs, kind) for kind in compare.KINDS}
    _write_csv(folder / "pairs.csv", pairs, bars, ranks=ranks, pages=set(map(_page_name, listed)))
    figure.draw(folder / "distribution.png", pairs, bars)
    index = env.get_template("index.html.j2").render(
        students=len(found.students),
        pairs_total=len(pairs),
        rows=_index_rows(listed, bars, ranks),
        bars=bars,
        style=STYLE,
        notes=[f"not compared: {m}" for m in found.missing] + _unlisted(flagged, listed),
    )
    with replacing(folder / "index.html") as tmp:
        tmp.write_text(index, encoding="utf-8")
    return folder / "index.html"


def _index_rows(listed: list[compare.Pair], bars: dict[str, float], ranks: Ranks) -> list[dict]:
    """The index page's rows, in the order of `listed` (by total), each with its rank in each kind."""
    return [
        {
            "rank": i,
            "a": p.a,
            "b": p.b,
            "code": p.code,
            "written": p.written,
            "total": p.total,
            "code_rank": ranks["code"][p],
            "written_rank": ranks["written"][p],
            "flagged": _flagged(p, bars),
            "page": _page_name(p),
        }
        for i, p in enumerate(listed, 1)
    ]


def _unlisted(flagged: list[compare.Pair], listed: list[compare.Pair]) -> list[str]:
    left = len(set(flagged) - set(listed))
    if not left:
        return []
    return [f"{left} more flagged pair(s) than the {MAX_PAGES} shown: every pair is in pairs.csv"]


def _write_csv(
    path: Path, pairs: list[compare.Pair], bars: dict[str, float], *, ranks: Ranks, pages: set[str]
) -> None:
    with replacing(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for p in pairs:
            page = _page_name(p) if _page_name(p) in pages else ""
            scores = [f"{p.code:.3f}", f"{p.written:.3f}", f"{p.total:.3f}"]
            writer.writerow(
                [p.a, p.b, *scores, ranks["code"][p], ranks["written"][p], _flagged(p, bars), page]
            )


def _ranks(pairs: list[compare.Pair], kind: str) -> dict[compare.Pair, int]:
    """Each pair's place when ranked by one kind alone (1: the most alike)."""
    ordered = sorted(pairs, key=lambda p: (-getattr(p, kind), p.a, p.b))
    return {p: i for i, p in enumerate(ordered, 1)}
