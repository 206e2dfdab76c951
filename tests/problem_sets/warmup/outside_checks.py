"""The warm-up's outside check: `square_grad` called at points drawn for each notebook, judged here.

The interface every problem set's checks follow (docs/instructor.md, "Outside checks of a problem
set's own"): `draw` gives the probe cell's source, run last in the student's kernel, and `judge` reads
the one line it prints. Nothing the kernel returns is trusted beyond plain numbers.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

PROBE = """
def _warmup_probe(nonce, points, ns):
    import json, sys
    import numpy
    out = {}
    for i, x in enumerate(points):
        try:
            out[str(i)] = numpy.asarray(ns["square_grad"](numpy.array(x)), dtype=float).tolist()
        except BaseException as exc:
            out[str(i)] = "error: " + type(exc).__name__
    sys.stdout.write(nonce + " " + json.dumps(out) + "\\n")
    sys.stdout.flush()
"""


def draw(rng: np.random.Generator, nonce: str, references: dict[str, Any]) -> tuple[str, list]:
    """Three random arrays of random lengths; the cell calls the student's `square_grad` on each."""
    points = [rng.normal(size=int(n)).tolist() for n in rng.integers(1, 6, size=3)]
    return PROBE + f"\n_warmup_probe({nonce!r}, {json.dumps(points)}, globals())\n", points


def judge(
    drawn: list, result: dict[str, Any] | None, missing: str, references: dict[str, Any]
) -> dict[str, tuple[bool, str]]:
    """w2_tests passes when every answer is 2x to the spec's relative tolerance."""
    if result is None:
        return {"w2_tests": (False, f"the grader's check got no answer: {missing}")}
    for i, x in enumerate(drawn):
        got = result.get(str(i))
        try:
            ok = np.allclose(np.asarray(got, dtype=float), 2 * np.asarray(x), rtol=references["rtol"], atol=0)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            return {"w2_tests": (False, f"square_grad({x}) gave {got}, not 2x")}
    return {"w2_tests": (True, "")}
