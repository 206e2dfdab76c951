"""PS1's outside checks: each autograded question's decisive check, computed in the grader's process.

Student code runs in the same kernel as nbgrader's test cells, so it can make them pass without solving
anything (patch `np.allclose`, return objects whose `__eq__` always holds, strip `assert`s, memorise the
test images). The grader therefore appends one cell of its own, the probe, and scores a question only if
this module agrees with the probe's plain numbers (docs/instructor.md, "Outside checks of a problem set's
own"). The spec names this package (`checks = "outside_checks"` in problem_set.toml); nbgrader ignores it
(nbgrader_config.py), so it reaches no release, handout or kernel.

The interface, which any problem set's checks module follows (autograder/nbgrader_ext/checks_module.py
loads it from its path; nothing of `autograder` is imported here):

- `draw(rng, nonce, references) -> (source, drawn)`: the source of ONE code cell the grader appends to
  the student's notebook (run last, in the student's sandboxed kernel, it must print exactly one line
  `<nonce> <json object>` to stdout) and an opaque value handed back to `judge`. `rng` is a
  `numpy.random.Generator` seeded from `secrets`; `nonce` is the grader's, drawn afresh per notebook.
- `judge(drawn, result, missing, references) -> {grade_id: (passed, detail)}`: the verdict on every
  autograded cell this module checks. `result` is the probe line's JSON object, or None with `missing`
  saying why (no line, two lines, a wrong nonce, too long, not JSON). A failed cell scores 0; a cell
  missing from the answer is graded by its in-kernel tests only.
- `warm_up(references)`, optional: load data once per grading process (before workers fork).

`references` is the spec's `[references]` table plus what the grader adds: `folder` (the problem set's
folder in this grading copy, where its data files are), `call_seconds` and `total_seconds` (the probe's
time limits). Read your own files when the module loads: a loaded module is shared by every copy of the
same code, and the folder it was first loaded from may be gone.

Here: the probe is probe.py's text (probe_spec.py draws the calls and builds the cell), the answers
come from reference_math.py and digits.py, and probe_result.py judges each call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import digits
from .probe_result import QUESTIONS, Outcome, evaluate
from .probe_spec import ProbeSpec, draw_spec, probe_source

__all__ = ["QUESTIONS", "draw", "judge", "warm_up"]

N_POINTS = 4  # random points per function in Problems 1a and 1b
N_COMBOS = 3  # random (g, h, f) combinations for Problem 1b, besides Problem 1's own
N_SOFTMAX = 4  # random probability vectors for Problem 2


def draw(rng: np.random.Generator, nonce: str, references: dict[str, Any]) -> tuple[str, ProbeSpec]:
    """The probe cell's source and the calls it makes (their answers kept here)."""
    spec = draw_spec(rng, nonce, N_POINTS, n_combos=N_COMBOS, n_softmax=N_SOFTMAX)
    return probe_source(spec, references["call_seconds"], references["total_seconds"]), spec


def judge(
    drawn: ProbeSpec, result: dict[str, Any] | None, missing: str, references: dict[str, Any]
) -> dict[str, Outcome]:
    """(passed, detail) for each of QUESTIONS; all fail with `missing` when the probe gave no result."""
    return evaluate(drawn, result, missing, references)


def warm_up(references: dict[str, Any]) -> None:
    """Read Problem 3's test set now, so no job reads it."""
    digits.digits_test_set(references["folder"])
