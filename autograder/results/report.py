"""report.png (scores, students per status, each question's results) and the table printed after grading.

One picture, three panels: the histogram of final scores; how many students are ok, late, too_late
or error; and for each question the share of students with full marks, some points, none, and, for a
written answer, still awaiting grading (drawn grey, never as 0%), with the mean points of those graded.
`report_data` computes every number drawn, so tests can read what the figure shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.course.layout import GradingFolder
from autograder.problem_set import ProblemSet, Question
from autograder.replace_file import replacing
from autograder.results.grades_table import GradesRow

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STATUSES = ("ok", "late", "too_late", "error")
SEGMENTS = ("full", "partial", "zero", "awaiting")  # one stacked bar per question, in this order
COLORS = {"full": "#55a868", "partial": "#dd8452", "zero": "#c44e52", "awaiting": "#d0d0d0"}
LABELS = {
    "full": "full marks",
    "partial": "some points",
    "zero": "no points",
    "awaiting": "awaiting grading",
}
DPI = 90  # report.png is FIGSIZE * DPI pixels
FIGSIZE = (13, 5.2)
STATUS_COLORS = {"ok": "#55a868", "late": "#dd8452", "too_late": "#8172b3", "error": "#c44e52"}


@dataclass(frozen=True)
class QuestionStats:
    """One question over the students that were graded (status other than error)."""

    grade_id: str
    points: float
    manual: bool
    counts: dict[str, int]  # SEGMENTS -> students
    mean: float | None  # mean points of the students whose cell is graded; None if none is

    @property
    def students(self) -> int:
        return sum(self.counts.values())

    def share(self, segment: str) -> float:
        """Percent of the students in this segment (what the bar's segment is drawn as)."""
        return 100.0 * self.counts[segment] / self.students if self.students else 0.0

    def label(self) -> str:
        graded = self.students - self.counts["awaiting"]
        if not graded:
            return f"not graded yet ({self.counts['awaiting']} awaiting)"
        mean = f"mean {points_text(self.mean)}/{points_text(self.points)}"
        text = f"{mean}, full marks {self.counts['full']} of {graded}"
        return text + (f", {self.counts['awaiting']} awaiting" if self.counts["awaiting"] else "")


@dataclass(frozen=True)
class ReportData:
    """Every number report.png draws."""

    scores: list[float]  # final scores of graded students (late penalty applied)
    max_score: float
    status_counts: dict[str, int]
    questions: list[QuestionStats]


def _num(x: object) -> float | None:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def points_text(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}".removesuffix(".0")


def question_stats(question: Question, graded_rows: list[GradesRow]) -> QuestionStats:
    """Count full / partial / zero / awaiting for one question; an empty cell is awaiting, not 0."""
    counts = dict.fromkeys(SEGMENTS, 0)
    values = []
    for row in graded_rows:
        value = _num(row.cells.get(question.grade_id))
        if value is None:
            counts["awaiting"] += 1
            continue
        values.append(value)
        if value >= question.points - 1e-9:
            counts["full"] += 1
        elif value > 0:
            counts["partial"] += 1
        else:
            counts["zero"] += 1
    mean = sum(values) / len(values) if values else None
    return QuestionStats(question.grade_id, question.points, question.manual, counts, mean)


def report_data(rows: list[GradesRow], ps: ProblemSet) -> ReportData:
    """The figure's numbers from grades.csv rows (as export returns them, or read back from the file)."""
    graded = [r for r in rows if r.status != "error"]
    status_counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    return ReportData(
        scores=[_num(r.score) or 0.0 for r in graded],
        max_score=float(ps.total_points),
        status_counts=status_counts,
        questions=[question_stats(q, graded) for q in ps.questions],
    )


def _draw_scores(ax, data: ReportData) -> None:
    ax.hist(data.scores, bins=10, range=(0, data.max_score), color="#4c72b0", edgecolor="white")
    ax.set_title(f"Final scores ({len(data.scores)} graded)")
    ax.set_xlabel("score (late penalty applied)")
    ax.set_ylabel("students")
    ax.locator_params(axis="y", integer=True)


def _draw_statuses(ax, data: ReportData) -> None:
    counts = [data.status_counts[s] for s in STATUSES]
    bars = ax.bar(STATUSES, counts, color=[STATUS_COLORS[s] for s in STATUSES])
    ax.bar_label(bars, fontsize=8)
    ax.set_title("Students per status")
    ax.set_ylabel("students")
    ax.set_ylim(0, max(counts + [1]) * 1.2)
    ax.locator_params(axis="y", integer=True)


def _draw_questions(ax, data: ReportData) -> None:
    names = [q.grade_id for q in data.questions][::-1]  # first question on top
    left = [0.0] * len(names)
    for segment in SEGMENTS:
        widths = [q.share(segment) for q in data.questions][::-1]
        ax.barh(
            names,
            widths,
            left=left,
            color=COLORS[segment],
            label=LABELS[segment],
            hatch="//" if segment == "awaiting" else None,
            edgecolor="white",
            gid=segment,
        )
        left = [a + b for a, b in zip(left, widths)]
    for y, q in enumerate(data.questions[::-1]):
        ax.text(101, y, q.label(), va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of graded students (status not error)")
    ax.set_title("Each question: full marks, mean points, awaiting grading")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4, fontsize=8, frameon=False)


def preload() -> None:
    """Import matplotlib now. It is heavy, so no command pays for it at its start: `grade`
    calls this in a thread once a core falls idle near the end of grading, and `figure` otherwise."""
    import matplotlib.figure  # noqa: PLC0415, F401 - heavy, imported late on purpose (see above)


def figure(data: ReportData) -> Figure:
    """The whole picture as a matplotlib Figure (no pyplot: no GUI backend, nothing global to close)."""
    from matplotlib.figure import Figure  # noqa: PLC0415 - heavy, imported late on purpose (preload)

    fig = Figure(figsize=FIGSIZE)
    grid = fig.add_gridspec(2, 2, width_ratios=(1, 1.9), height_ratios=(1.3, 1))
    _draw_scores(fig.add_subplot(grid[0, 0]), data)
    _draw_statuses(fig.add_subplot(grid[1, 0]), data)
    _draw_questions(fig.add_subplot(grid[:, 1]), data)
    fig.subplots_adjust(left=0.05, right=0.8, bottom=0.16, top=0.93, wspace=0.42, hspace=0.6)
    return fig


def make_report(out: Path, rows: list[GradesRow]) -> Path:
    """Draw `<out>/report.png` from grades.csv rows."""
    where = GradingFolder(Path(out))
    with replacing(where.report_png) as tmp:
        figure(report_data(rows, where.course.problem_set)).savefig(tmp, dpi=DPI)
    return where.report_png


def table(rows: list[GradesRow]) -> str:
    """Plain-text table of the results."""
    cols = ["student", "status", "raw_score", "late_days", "late_penalty", "score", "max_score"]
    head = cols + ["message"]
    lines = [[str(getattr(r, c)) for c in cols] + [r.message[:90]] for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)
