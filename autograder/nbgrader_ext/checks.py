"""Scores that code under test cannot forge: the decisive check of every question runs in the grader.

Student code runs in the same kernel as nbgrader's test cells, so it can make them pass without
solving anything: patch `np.allclose`, return objects whose `__eq__`/`__lt__` always hold, strip
`assert` statements with an IPython AST transformer, memorise the test images. The in-kernel tests
stay (they give students readable feedback), but a question only scores if an outside check agrees.
What to check is the problem set's own: a module in its folder (checks_module.py loads it; its
interface is in docs/instructor.md, "Outside checks of a problem set's own"). This module is the
problem-set-free part, two nbgrader preprocessors:

1. `AppendProbe` (before Execute) draws a nonce (`secrets`) and a generator seeded from `secrets`, asks
   the module's `draw` for one code cell, the probe, and appends it to the sanitized notebook.
2. Execute (or SandboxedExecute) runs the notebook, probe included, in one kernel: no second run.
3. `ApplyOutsideChecks` (after Execute) removes the probe cell, reads its one `<nonce> <json>` line
   (probe_line.py: plain JSON, no student object survives), asks the module's `judge` for a verdict per
   autograded cell, and zeroes every test cell whose check fails by putting an "OutsideCheckFailed" error
   first among its outputs. Disagreements with the in-kernel result are recorded in
   `nb.metadata["autograder"]["flags"]` for the instructor; autograded cells no check covers (all of them
   when the problem set has no checks module) are listed as "unchecked": their in-kernel tests count.

Enable the checks in nbgrader_config.py, after `configure_nbgrader(c)` if the sandbox is used:

    from autograder.nbgrader_ext.checks import configure_outside_checks
    configure_outside_checks(c, "<folder of the problem set>/<its checks module>", {...references...})
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import nbformat
import numpy as np
from nbconvert.preprocessors import ClearMetadataPreprocessor, ExecutePreprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from nbgrader.converters import Autograde
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import determine_grade, is_grade
from traitlets import Dict, Float, Unicode
from traitlets.utils.importstring import import_item

from autograder.nbgrader_ext.checks_module import CALL_SECONDS, TOTAL_SECONDS, load, references_for
from autograder.nbgrader_ext.kernel_guard import UNCAPPED_CELL_MARKER
from autograder.nbgrader_ext.probe_line import read_probe

RESOURCE_KEY = "outside_checks"
METADATA_KEY = "autograder"
PROBE_ID_PREFIX = "grader-probe-"


class Outcome(NamedTuple):
    """The outside verdict on one graded test cell."""

    passed: bool
    detail: str


@dataclass(frozen=True)
class Probe:
    """What AppendProbe drew, kept in nbconvert resources (never in the notebook) for ApplyOutsideChecks."""

    module: ModuleType | None  # None: the problem set has no outside checks, no probe cell
    references: dict[str, Any]
    nonce: str = ""
    cell_id: str = ""
    drawn: Any = None  # the module's own value from `draw`, handed back to `judge`


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


def unchecked_test_cells(nb: NotebookNode, checked: Iterable[str]) -> list[str]:
    """grade_ids of autograded code cells that no outside check covers (not among `checked`)."""
    checked = set(checked)
    ids = [
        c.metadata.get("nbgrader", {}).get("grade_id")
        for c in nb.cells
        if c.cell_type == "code" and is_grade(c)
    ]
    return [str(i) for i in ids if i not in checked]


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
    """Append the problem set's probe cell (drawn now; what was drawn is kept in resources only)."""

    checks_module = Unicode(
        "", help="the problem set's outside-checks module: a package folder or a .py file ('': none)"
    ).tag(config=True)
    references = Dict(help="the spec's [references], passed to the checks module").tag(config=True)
    call_seconds = Float(CALL_SECONDS, help="time limit of each probe call (SIGALRM in the kernel)").tag(
        config=True
    )
    total_seconds = Float(TOTAL_SECONDS, help="no new probe call after this; keep below Execute.timeout").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict]:
        if not self.checks_module:
            resources[RESOURCE_KEY] = Probe(module=None, references={})
            return nb, resources
        module = load(self.checks_module)
        references = references_for(
            self.checks_module,
            self.references,
            call_seconds=self.call_seconds,
            total_seconds=self.total_seconds,
        )
        nonce, cell_id = secrets.token_hex(16), PROBE_ID_PREFIX + secrets.token_hex(6)
        source, drawn = module.draw(np.random.default_rng(secrets.randbits(128)), nonce, references)
        if not isinstance(source, str):
            raise TypeError(f"{module.__file__}: draw() must return (the probe cell's source, a value)")
        nb.cells.append(new_code_cell(source=f"{UNCAPPED_CELL_MARKER}\n{source}", id=cell_id))
        resources[RESOURCE_KEY] = Probe(module, references, nonce, cell_id, drawn)
        return nb, resources


def judge(probe: Probe, cell: NotebookNode | None) -> dict[str, Outcome]:
    """The module's verdicts on the probe cell's line, checked to be {grade_id: (passed, detail)}."""
    result, missing = read_probe(cell, probe.nonce)
    verdicts = probe.module.judge(probe.drawn, result, missing, probe.references)
    if not isinstance(verdicts, dict) or not all(_is_verdict(v) for v in verdicts.values()):
        raise TypeError(f"{probe.module.__file__}: judge() must return {{grade_id: (passed, detail)}}")
    return {str(q): Outcome(bool(v[0]), v[1]) for q, v in verdicts.items()}


def _is_verdict(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], bool | np.bool_)
        and isinstance(value[1], str)
    )


class ApplyOutsideChecks(NbGraderPreprocessor):
    """Remove the probe cell, check its results in this process, zero and flag what fails."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict]:
        probe = resources.get(RESOURCE_KEY)
        if not isinstance(probe, Probe):
            raise RuntimeError(
                "ApplyOutsideChecks needs AppendProbe before Execute (configure_outside_checks)"
            )
        start = time.perf_counter()
        cell = _pop_cell(nb, probe.cell_id) if probe.module is not None else None
        outcomes = judge(probe, cell) if probe.module is not None else {}
        flags = apply_outcomes(nb, outcomes)
        for flag in flags:
            self.log.warning("flagged for the instructor: %s", flag)
        unchecked = unchecked_test_cells(nb, outcomes)
        if unchecked:  # no checks module, or a cell it does not check: only its in-kernel tests count
            self.log.warning("autograded cells without an outside check: %s", unchecked)
        nb.metadata[METADATA_KEY] = {  # replaces anything the submission put under this key
            "outside_checks": {q: {"passed": o.passed, "detail": o.detail} for q, o in outcomes.items()},
            "flags": flags,
            "unchecked": unchecked,
            "probe_seconds": _probe_seconds(cell),
            "check_seconds": round(time.perf_counter() - start, 4),
        }
        return nb, resources


# ---------------------------------------------------------------- configuration


def _step_class(step: Any) -> Any:
    """A preprocessor list entry (class, instance or dotted name) as a class."""
    if isinstance(step, str):
        return import_item(step)
    return step if isinstance(step, type) else type(step)


def configure_outside_checks(
    c: Any, module: str | Path | None = None, references: dict[str, Any] | None = None
) -> None:
    """Put AppendProbe before and ApplyOutsideChecks after the Execute step of nbgrader autograde.

    `module` is the problem set's checks module (its path; None: no outside checks, or set
    `c.AppendProbe.checks_module` elsewhere) and `references` the spec's [references]. Works on the
    default list or on one set earlier (e.g. by sandbox.configure_nbgrader); idempotent.
    """
    if module is not None:
        c.AppendProbe.checks_module = str(module)
        c.AppendProbe.references = dict(references or {})
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
