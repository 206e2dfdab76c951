"""PS1's autograder: hand out the notebook, collect zips, grade them in a sandbox, report the grades.

Data flow, one folder per step (docs/architecture.md draws it):
    student/  (submit: check the notebook, zip it with a PDF; shipped in the handout as files)
    grading/  (collect each zip or nbgrader's submitted/ folder -> a job -> a worker runs nbgrader in
              a sandboxed kernel -> the single gradebook writer)
    nbgrader_ext/  (what nbgrader loads while grading: sandbox, outside checks, output cap, late policy,
              feedback without hidden tests)
    course/   (the grading copy of the nbgrader course, its gradebook, state.json, the run lock)
    results/  (grades.csv with the late penalty, extensions, manual grades, feedback pages, report.png,
              the Canvas import file)
    authoring/ (release notebook, jupytext pair, sample submissions, the student handout)
    cli/      (one thin module per command of `ps1` = `python -m autograder`)
`problem_set.py` reads a problem set's folder, `repository.py` says where a course and its outputs
are; `deadlines.py` reads times; `errors.py` is the one-line error of bad input.
"""

import sys

# jsonschema (loaded by nbformat) imports the optional `rfc3987_syntax` to check the "iri" string
# format, and that package builds its grammar when imported, a large part of every command's start
# (benchmarks/README.md). No notebook schema uses that format, so jsonschema is told it is absent.
if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
