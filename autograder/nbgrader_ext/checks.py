"""Scores that code under test cannot forge: the decisive check of every question runs in the grader.

Student code runs in the same kernel as nbgrader's test cells, so it can make them pass without
solving anything: patch `np.allclose` or `edf.rel_error`, return objects whose `__eq__`/`__lt__`
always hold, strip `assert` statements with an IPython AST transformer, memorise the test images.
The in-kernel tests stay (they give students readable feedback), but a question only scores if an
outside check agrees:

1. `AppendProbe` (before Execute) appends one code cell, the probe, to the sanitized notebook. It calls
   the student's functions on inputs drawn now from a `secrets`-seeded generator (random points,
   random softmax sizes, other g/h/f for Problem 1b) and prints ONE line: a random nonce and JSON
   holding only floats. For Problem 3 it prints the trained weights, not an error rate.
2. Execute (or SandboxedExecute) runs the notebook, probe included, in one kernel: no second run.
3. `ApplyOutsideChecks` (after Execute) removes the probe cell, parses the nonce line (plain JSON:
   no student object survives), computes the reference answers and the Problem 3 test error in the
   grader's process, and zeroes every test cell whose outside check fails by putting an
   "OutsideCheckFailed" error first among its outputs. Disagreements with the in-kernel result are
   recorded in `nb.metadata["autograder"]["flags"]` for the instructor.

The probe itself is real code in probe.py, sent as that file's text. The calls and their answers are
drawn in probe_spec.py, the answers computed by reference_math.py and digits.py, and the probe's line
read and judged by probe_result.py; this module is the two nbgrader preprocessors. Enable the checks in
nbgrader_config.py, after `configure_nbgrader(c)` if the sandbox is used:

    from autograder.nbgrader_ext.checks import configure_outside_checks
    configure_outside_checks(c)
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from nbconvert.preprocessors import ClearMetadataPreprocessor, ExecutePreprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from nbgrader.converters import Autograde
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import determine_grade, is_grade
from traitlets import Float, Integer
from traitlets.utils.importstring import import_item

from autograder.nbgrader_ext.probe_result import QUESTIONS, Outcome, evaluate, read_probe
from autograder.nbgrader_ext.probe_spec import ProbeSpec, draw_spec, probe_source

RESOURCE_KEY = "outside_checks"
METADATA_KEY = "autograder"


# ---------------------------------------------------------------- applying verdicts to the notebook


def failure_output(detail: str) -> NotebookNode:
    """The error output that makes nbgrader's determine_grade give the cell 0 points."""
    return new_output(
        "error",
        ename="OutsideCheckFailed",
        evalue=detail,
        traceback=[f"\x1b[0;31mOutsideCheckFailed\x1b[0m: {detail}"],
    )


def apply_outcomes(nb: NotebookNode, outcomes: dict[str, Outcome]) -> list[dict[str, Any]]:
    """Zero failed test cells; return a flag for every cell where in-kernel and outside disagree."""
    flags = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not is_grade(cell) or grade_id not in outcomes:
            continue
        score, max_score = determine_grade(cell)
        in_kernel = score is not None and float(score) >= float(max_score)
        outcome = outcomes[grade_id]
        if not outcome.passed:
            # First, not last: determine_grade returns at the first execute_result (partial credit),
            # and kernel code can emit one, so an error appended after it would be ignored.
            cell.outputs.insert(0, failure_output(outcome.detail))
        if in_kernel != outcome.passed:
            flags.append(
                {
                    "grade_id": grade_id,
                    "in_kernel": in_kernel,
                    "outside": outcome.passed,
                    "detail": outcome.detail,
                }
            )
    return flags


def unchecked_test_cells(nb: NotebookNode) -> list[str]:
    """grade_ids of autograded code cells that no outside check covers."""
    ids = [
        c.metadata.get("nbgrader", {}).get("grade_id")
        for c in nb.cells
        if c.cell_type == "code" and is_grade(c)
    ]
    return [str(i) for i in ids if i not in QUESTIONS]


def _probe_seconds(cell: NotebookNode | None) -> float | None:
    """Wall time of the probe cell from nbclient's execution timestamps."""
    timing = (cell or {}).get("metadata", {}).get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return None
    return round((end - start).total_seconds(), 4)


def _pop_cell(nb: NotebookNode, cell_id: str) -> NotebookNode | None:
    for i, cell in enumerate(nb.cells):
        if cell.get("id") == cell_id:
            return nb.cells.pop(i)
    return None


class AppendProbe(NbGraderPreprocessor):
    """Append the grader's probe cell (inputs and nonce drawn now; kept in resources only)."""

    n_points = Integer(4, help="random points per function in Problems 1a and 1b").tag(config=True)
    n_combos = Integer(3, help="random (g, h, f) combinations for Problem 1b").tag(config=True)
    n_softmax = Integer(4, help="random probability vectors for Problem 2").tag(config=True)
    call_seconds = Float(10.0, help="time limit of each probe call (SIGALRM in the kernel)").tag(config=True)
    total_seconds = Float(60.0, help="no new probe call after this; keep below Execute.timeout").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict]:
        rng = np.random.default_rng(secrets.randbits(128))
        spec = draw_spec(rng, self.n_points, self.n_combos, n_softmax=self.n_softmax)
        nb.cells.append(
            new_code_cell(source=probe_source(spec, self.call_seconds, self.total_seconds), id=spec.cell_id)
        )
        resources[RESOURCE_KEY] = spec
        return nb, resources


class ApplyOutsideChecks(NbGraderPreprocessor):
    """Remove the probe cell, check its results in this process, zero and flag what fails."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict]:
        spec = resources.get(RESOURCE_KEY)
        if not isinstance(spec, ProbeSpec):
            raise RuntimeError(
                "ApplyOutsideChecks needs AppendProbe before Execute (configure_outside_checks)"
            )
        start = time.perf_counter()
        probe = _pop_cell(nb, spec.cell_id)
        result, missing = read_probe(probe, spec.nonce)
        outcomes = evaluate(spec, result, missing)
        flags = apply_outcomes(nb, outcomes)
        for flag in flags:
            self.log.warning("flagged for the instructor: %s", flag)
        unchecked = unchecked_test_cells(nb)
        if unchecked:  # a test cell added to the assignment later: only its in-kernel tests count
            self.log.warning("autograded cells without an outside check: %s", unchecked)
        nb.metadata[METADATA_KEY] = {  # replaces anything the submission put under this key
            "outside_checks": {q: {"passed": o.passed, "detail": o.detail} for q, o in outcomes.items()},
            "flags": flags,
            "unchecked": unchecked,
            "probe_seconds": _probe_seconds(probe),
            "check_seconds": round(time.perf_counter() - start, 4),
        }
        return nb, resources


# ---------------------------------------------------------------- configuration


def _step_class(step: Any) -> Any:
    """A preprocessor list entry (class, instance or dotted name) as a class."""
    if isinstance(step, str):
        return import_item(step)
    return step if isinstance(step, type) else type(step)


def configure_outside_checks(c: Any) -> None:
    """Put AppendProbe before and ApplyOutsideChecks after the Execute step of nbgrader autograde.

    Works on the default list or on one set earlier (e.g. by sandbox.configure_nbgrader); idempotent.
    """
    if "autograde_preprocessors" in c.Autograde:
        steps = list(c.Autograde.autograde_preprocessors)
    else:
        steps = list(Autograde.autograde_preprocessors.default())
    steps = [s for s in steps if _step_class(s) not in (AppendProbe, ApplyOutsideChecks)]
    executes = [i for i, s in enumerate(steps) if issubclass(_step_class(s), ExecutePreprocessor)]
    if len(executes) != 1:
        raise ValueError(f"expected one Execute step in Autograde.autograde_preprocessors, got {steps}")
    i = executes[0]
    steps[i : i + 1] = [AppendProbe, steps[i], ApplyOutsideChecks]
    c.Autograde.autograde_preprocessors = steps
    # ClearMetadataPreprocessor is off by default; should someone enable it, keep the flags.
    mask = set(ClearMetadataPreprocessor.preserve_nb_metadata_mask.default())
    if "preserve_nb_metadata_mask" in c.ClearMetadataPreprocessor:
        mask = set(c.ClearMetadataPreprocessor.preserve_nb_metadata_mask)
    c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = mask | {METADATA_KEY}


def collect_flags(autograded_dir: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Flags for the instructor per student, read from `autograded/<student>/<assignment>/*.ipynb`."""
    flags: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(Path(autograded_dir).glob("*/*/*.ipynb")):
        report = nbformat.read(path, as_version=4).metadata.get(METADATA_KEY, {})
        if report.get("flags"):
            flags.setdefault(path.parts[-3], []).extend(report["flags"])
    return flags
