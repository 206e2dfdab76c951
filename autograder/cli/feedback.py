"""`ps1 feedback <out>`: rebuild every student's feedback page (and grades.csv) from the current gradebook.

Run it after grading by hand in formgrader: each page then shows the manual points and comments of the
written answers, the automatic points, the late days and penalty on the final total, the final score
and the status, as grades.csv does, and still no hidden test. `ps1 export` and `ps1 manual` run it too.
"""

from __future__ import annotations

from autograder.cli.folder_arguments import add_folder_arguments, checked_folder
from autograder.cli.parsing import command_parser
from autograder.results.feedback_pages import refresh


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("feedback", __doc__)
    add_folder_arguments(parser)
    args = parser.parse_args(argv)
    checked_folder(args)
    rows, pages = refresh(args.out)
    for page in pages:
        print(page)
    print(
        f"rebuilt {len(pages)} feedback page(s) of {len(rows)} student(s); grades: {args.out / 'grades.csv'}"
    )
    return 0
