"""What the probe asks: the calls drawn for one grading run (inputs in the probe, answers kept here),
and the probe cell's source built from probe.py."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import probe
from .reference_math import (
    BIVARIATE,
    PROBLEM1,
    UNIVARIATE,
    chain_terms,
    ell_prime_terms,
    softmax_jacobian_reference,
    stable_softmax,
)

MAX_MLP_VALUES = 200_000  # the probe refuses to report larger networks (the reference has 4,810 values)
PROBE_FILE = Path(probe.__file__)
# Read once, when the package loads: a loaded copy of the checks may outlive the folder it came from.
PROBE_TEXT = PROBE_FILE.read_text(encoding="utf-8")


@dataclass
class Call:
    """One call the probe makes; `expected`/`terms` stay in the grader (never in the probe)."""

    id: int
    grade_id: str
    fn: str
    args: dict[str, Any]
    out: str = "float"  # how the probe converts the result: "float" or "list"
    expected: np.ndarray | None = None
    scale: np.ndarray | None = None  # size of the terms: rounding error scales with it, not the sum
    rtol: float = 1e-8
    atol: float = 1e-12

    def probe_json(self) -> dict[str, Any]:
        return {"id": self.id, "fn": self.fn, "out": self.out, **self.args}


@dataclass
class ProbeSpec:
    """What `draw` drew; the grader keeps it (never in the notebook) and hands it back to `judge`."""

    nonce: str
    calls: list[Call] = field(default_factory=list)

    def add(self, grade_id: str, fn: str, args: dict[str, Any], **kw: Any) -> Call:
        call = Call(len(self.calls), grade_id, fn, args, **kw)
        self.calls.append(call)
        return call


def _terms_call(
    spec: ProbeSpec, grade_id: str, fn: str, *, x: Any, terms: list[np.ndarray], **kw: Any
) -> None:
    """A call whose reference is the sum of `terms`, compared relative to the sum of their sizes."""
    stacked = np.asarray(terms, dtype=float)
    expected, scale = stacked.sum(axis=0), np.abs(stacked).sum(axis=0)
    spec.add(grade_id, fn, {"x": x, **kw.pop("args", {})}, expected=expected, scale=scale, **kw)


def _add_p1a(spec: ProbeSpec, rng: np.random.Generator, n_points: int) -> None:
    for x in rng.uniform(-4.0, 4.0, n_points).tolist():
        for fn in ("edf_gradient", "chain_rule_gradient"):
            _terms_call(spec, "p1a_tests", fn, x=x, terms=ell_prime_terms(np.float64(x)))


def _p1b_combos(rng: np.random.Generator, n_combos: int) -> list[tuple[str, str, str]]:
    """Problem 1's own functions plus random (g, h, f) from the library."""
    uni, bi = sorted(UNIVARIATE), sorted(BIVARIATE)
    draws = [(str(rng.choice(uni)), str(rng.choice(uni)), str(rng.choice(bi))) for _ in range(n_combos)]
    return [PROBLEM1, *draws]


def _add_p1b(spec: ProbeSpec, rng: np.random.Generator, n_points: int, *, n_combos: int) -> None:
    xs = rng.uniform(-1.5, 1.5, n_points)
    tests = {
        "naive_second_derivative": "p1b_naive_tests",
        "gradient": "p1b_true_tests",
        "true_second_derivative": "p1b_true_tests",
    }
    for g, h, f in _p1b_combos(rng, n_combos):
        names = {"g": g, "h": h, "f": f}
        for fn, grade_id in tests.items():
            for x in xs.tolist():  # scalars, then the whole array at once (elementwise)
                terms = chain_terms(fn, np.float64(x), (g, h, f))
                _terms_call(spec, grade_id, fn, x=x, terms=terms, args=names)
            terms = chain_terms(fn, xs, (g, h, f))
            _terms_call(spec, grade_id, fn, x=xs.tolist(), terms=terms, args=names, out="list")


def _random_probabilities(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """Sizes both below and above the notebook's K = 4; mild, wide and very peaked logits."""
    sizes = [int(rng.integers(2, 4)), int(rng.integers(5, 13))]
    sizes += [int(rng.integers(2, 13)) for _ in range(max(0, n - 2))]
    peaks = [0.0, 0.0, 30.0, 1000.0]
    ps = []
    for i, k in enumerate(sizes):
        s = rng.normal(size=k) * float(rng.choice([1.0, 5.0]))
        s[rng.integers(k)] += peaks[i % len(peaks)]
        ps.append(stable_softmax(s))
    return ps


def _add_p2(spec: ProbeSpec, rng: np.random.Generator, n: int) -> None:
    for p in _random_probabilities(rng, n):
        J = softmax_jacobian_reference(p)
        scale = np.diag(p) + np.outer(p, p)
        args = {"p": p.tolist()}
        spec.add("p2_tests", "softmax_jacobian", args, out="list", expected=J, scale=scale, rtol=1e-9)


def draw_spec(
    rng: np.random.Generator, nonce: str, n_points: int = 4, *, n_combos: int = 3, n_softmax: int = 4
) -> ProbeSpec:
    """Draw every input of one grading run (the nonce is the grader's, never from `rng`). Problem 3
    goes first: later calls rebuild EDF graphs."""
    spec = ProbeSpec(nonce=nonce)
    spec.add("p3_tests", "mlp", {}, out="mlp")
    _add_p1a(spec, rng, n_points)
    _add_p1b(spec, rng, n_points, n_combos=n_combos)
    _add_p2(spec, rng, n_softmax)
    return spec


# ---------------------------------------------------------------- the probe cell (runs in the kernel)


def probe_source(spec: ProbeSpec, call_seconds: float = 10.0, total_seconds: float = 60.0) -> str:
    """The probe cell's code: probe.py's text, then one call with the calls, the function library
    and the limits embedded as one JSON string."""
    payload = {
        "nonce": spec.nonce,
        "calls": [c.probe_json() for c in spec.calls],
        "library": {"u": UNIVARIATE, "b": BIVARIATE},
        "limits": {
            "max_values": MAX_MLP_VALUES,
            "call_seconds": float(call_seconds),
            "total_seconds": float(total_seconds),
        },
    }
    call = f"\n\n_grader_probe({json.dumps(payload)!r}, globals())\ndel _grader_probe\n"
    return PROBE_TEXT + call
