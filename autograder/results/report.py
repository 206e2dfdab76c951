"""report.png (grade histogram, pass rate per question) and the results table printed after grading."""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker
from matplotlib.figure import Figure

from autograder.course import grading_course as cd
from autograder.results.grades_table import BASE_COLUMNS


def _num(x: object) -> float | None:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def question_columns(rows: list[dict]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for key in row:
            if key not in BASE_COLUMNS and key not in cols:
                cols.append(key)
    return cols


def make_report(out: Path, rows: list[dict]) -> Path:
    """Draw `<out>/report.png`: histogram of final scores, share of full marks per question."""
    cells = {c["grade_id"]: c["points"] for c in cd.graded_cells()}
    graded = [r for r in rows if r["status"] != "error"]
    scores = [_num(r["score"]) or 0.0 for r in graded]
    fig = Figure(figsize=(11, 4.2))  # no pyplot: no GUI backend, nothing global to close
    ax1, ax2 = fig.subplots(1, 2)
    maxs = _num(rows[0]["max_score"]) if rows else None
    ax1.hist(scores, bins=10, range=(0, maxs or 100), color="#4c72b0", edgecolor="white")
    errors = len(rows) - len(graded)
    ax1.set_title(f"Final scores ({len(graded)} graded, {errors} error)")
    ax1.set_xlabel("score (late penalty applied)")
    ax1.set_ylabel("students")
    ax1.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    names = list(cells)
    rates, counted = [], []
    for q in names:
        vals = [_num(r.get(q)) for r in graded]
        vals = [v for v in vals if v is not None]
        counted.append(len(vals))
        rates.append(100.0 * sum(v >= cells[q] - 1e-9 for v in vals) / len(vals) if vals else 0.0)
    ax2.barh(names[::-1], rates[::-1], color="#55a868")
    for y, (rate, n) in enumerate(zip(rates[::-1], counted[::-1])):
        ax2.text(
            min(rate, 70) + 1, y, f"{rate:.0f}% of {n}" if n else "not graded yet", va="center", fontsize=8
        )
    ax2.set_xlim(0, 100)
    ax2.set_xlabel("% of graded students with full marks")
    ax2.set_title("Pass rate per question")
    fig.tight_layout()
    path = Path(out) / "report.png"
    fig.savefig(path, dpi=90)
    return path


def table(rows: list[dict]) -> str:
    """Plain-text table of the results."""
    cols = ["student", "status", "raw_score", "late_days", "late_penalty", "score", "max_score"]
    head = cols + ["message"]
    lines = [[str(r.get(c, "")) for c in cols] + [str(r.get("message", ""))[:90]] for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    out = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)
