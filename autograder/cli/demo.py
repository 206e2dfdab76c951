"""`ps1 demo` (what `make demo` runs): the instructor's loop on the examples, from grading to feedback.

It grades the sample zips of `nbgrader_course/examples/ps1/` (made by autograder/authoring/examples.py
from the source notebook: the full solution, a partial one, the untouched release, late and too-late
hand-ins and broken submissions) into `build/grading/`, exactly as `ps1 grade nbgrader_course/examples/ps1
--times nbgrader_course/examples/ps1/times.csv --extensions nbgrader_course/examples/ps1/extensions.csv --out
build/grading` would, and prints the table of results. Then it grades the written answers by hand
(`ps1 manual build/grading nbgrader_course/examples/ps1/manual_grades.csv`), which rebuilds grades.csv and
every feedback page, and prints where one student's page is. It exits non-zero when the solution does
not get every autograded point or the blank release gets any.
"""

from __future__ import annotations

from pathlib import Path

from autograder.cli.parsing import command_parser
from autograder.grading import coordinator
from autograder.grading.inputs import read_times
from autograder.grading.request import GradeRequest, only_problem_set
from autograder.repository import REPO_DIR, examples_dir
from autograder.results import report
from autograder.results.feedback_pages import page_path, refresh
from autograder.results.grades_table import GradesRow
from autograder.results.manual_grades import import_manual

DEMO_OUT = REPO_DIR / "build" / "grading"


def grade_examples(out: Path | None = None, force: bool = False) -> list[GradesRow]:
    """Grade the examples with their times.csv and extensions.csv; return the grades.csv rows."""
    ps = only_problem_set()
    examples = examples_dir(ps)
    request = GradeRequest(
        folder=examples,
        out=out or DEMO_OUT,
        problem_set=ps,
        times=read_times(examples / "times.csv", ps.timezone),
        extensions_csv=examples / "extensions.csv",
        force=force,
    )
    return coordinator.run(request)


def grade_by_hand(out: Path) -> list[GradesRow]:
    """Import the examples' manual grades; print the new table and one student's rebuilt page."""
    sheet = examples_dir(only_problem_set()) / "manual_grades.csv"
    rows, _ = refresh(out, lambda: import_manual(out, sheet))
    report.make_report(out, rows)
    print(f"\nafter grading the written answers by hand ({sheet.relative_to(REPO_DIR)}):")
    print(report.table(rows))
    return rows


def main(argv: list[str] | None = None) -> int:
    command_parser("demo", __doc__).parse_args(argv)
    rows = {row.student: row for row in grade_examples()}
    solution, blank = rows["AdaLovelace"], rows["UntouchedRelease"]
    print(
        f"\nsolution (AdaLovelace): {solution.raw_score} autograded points; "
        f"untouched release: {blank.raw_score} points"
    )
    final = {row.student: row for row in grade_by_hand(DEMO_OUT)}
    kurt = final["KurtGodel"]
    print(f"extension: KurtGodel is {kurt.status} ({kurt.message})")
    ada = final["AdaLovelace"]
    print(f"AdaLovelace after hand grading: {ada.score} / {ada.max_score} ({ada.status})")
    print(f"her rebuilt feedback page: {page_path(DEMO_OUT, 'AdaLovelace')}")
    return 0 if float(blank.raw_score) == 0 and solution.status == "ok" else 1
