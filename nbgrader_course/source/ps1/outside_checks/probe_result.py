"""Judging each call of the probe's result against the reference, in the grader's process.

The grader has already read the probe's one line (nonce checked, JSON parsed); what it gives here is plain
JSON: numbers, lists, strings and objects, nothing the kernel made.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .digits import mlp_test_error
from .probe_spec import Call, ProbeSpec
from .reference_math import BIVARIATE

# Every autograded cell of PS1's notebook has an outside check (tests/unit/test_outside_checks.py).
QUESTIONS = ("p1a_tests", "p1b_naive_tests", "p1b_true_tests", "p2_tests", "p3_tests")


class Outcome(NamedTuple):
    """The outside verdict on one graded test cell: the (passed, detail) pair `judge` returns."""

    passed: bool
    detail: str


def _floats(value: Any) -> np.ndarray:
    """JSON numbers (or nested lists of them) as a float array; anything else raises ValueError."""
    if isinstance(value, bool) or value is None or isinstance(value, str | dict):
        raise ValueError(f"not a number: {value!r:.60}")
    return np.asarray(value, dtype=float)  # ragged or string-holding lists raise here


def _label(call: Call) -> str:
    if "p" in call.args:
        return f"{call.fn}(p of size {len(call.args['p'])})"
    x = call.args["x"]
    xs = f"x = {len(x)} points at once" if isinstance(x, list) else f"{x:.6g}"
    if "g" not in call.args:
        return f"{call.fn}({xs})"
    g, h, f = call.args["g"], call.args["h"], call.args["f"]
    return f"{call.fn}({xs}, g = {g}, h = {h}, f(y, z) = {BIVARIATE[f][0]})"


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=8, threshold=6) if np.ndim(a) else f"{float(a):.10g}"


def check_value(call: Call, entry: Any) -> str | None:
    """Why the probe's `entry` for `call` is wrong, or None when it matches the reference."""
    label = _label(call)
    if not isinstance(entry, dict) or not ("value" in entry or "error" in entry):
        return f"{label}: no result from the probe"
    if "error" in entry:
        return f"{label} raised {str(entry['error'])[:300]}"
    try:
        actual = _floats(entry["value"])
    except (TypeError, ValueError, ArithmeticError) as exc:  # ArithmeticError: ints beyond float
        return f"{label} returned something that is not numbers ({exc})"
    expected = np.asarray(call.expected, dtype=float)
    if actual.shape != expected.shape:
        return f"{label} returned shape {actual.shape}, expected {expected.shape}"
    ok = np.abs(actual - expected) <= call.rtol * np.asarray(call.scale) + call.atol  # NaN: not ok
    if bool(np.all(ok)):
        return None
    if actual.ndim == 0:
        return f"{label} = {_fmt(actual)}, expected {_fmt(expected)}"
    i = tuple(int(k) for k in np.argwhere(~ok)[0])
    return f"{label}: entry {i} = {_fmt(actual[i])}, expected {_fmt(expected[i])} ({int((~ok).sum())} wrong)"


def _mlp_layers(value: Any, shape: tuple[int, int]) -> tuple[list[np.ndarray], str]:
    """(w1, b1, w2, b2) from the probe's report, ordered by shape; raises ValueError if unusable."""
    if not isinstance(value, dict) or not isinstance(value.get("layers"), list):
        raise ValueError("no layers reported")
    layers = [(_floats(d.get("w")), _floats(d.get("b"))) for d in value["layers"] if isinstance(d, dict)]
    kinds = ", ".join(str(k) for k in value.get("kinds", []) if isinstance(k, str))[:200]
    if len(layers) != 2:
        raise ValueError(f"expected 2 Affine layers reachable from p_out, found {len(layers)} ({kinds})")
    n_in, n_out = shape
    for (w1, b1), (w2, b2) in (layers, layers[::-1]):  # whichever order chains n_in -> H -> n_out
        h = w1.shape[1] if w1.ndim == 2 else -1
        if w1.shape == (n_in, h) and b1.shape == (h,) and w2.shape == (h, n_out) and b2.shape == (n_out,):
            break
    else:
        shapes = [a.shape for pair in layers for a in pair]
        raise ValueError(f"weights of shapes {shapes} do not make a {n_in}-H-{n_out} network")
    if not all(np.all(np.isfinite(a)) for a in (w1, b1, w2, b2)):
        raise ValueError("weights are not all finite")
    return [w1, b1, w2, b2], kinds


def check_mlp(entry: Any, references: dict[str, Any]) -> str | None:
    """Why the network reported by the probe fails, or None if its test error, recomputed on the digits
    of the problem set's folder, is below the spec's `p3_max_error`."""
    if not isinstance(entry, dict) or "value" not in entry:
        err = entry.get("error") if isinstance(entry, dict) else None
        return f"could not read the network p_out: {str(err)[:300]}"
    try:
        weights, kinds = _mlp_layers(entry["value"], tuple(references["mlp_shape"]))
    except (TypeError, ValueError, ArithmeticError) as exc:
        return f"could not read the network p_out: {exc}"
    error, max_error = mlp_test_error(tuple(weights), references["folder"]), references["p3_max_error"]
    if error < max_error:
        return None
    reported = entry["value"].get("reported")
    said = f"; the notebook reported {reported:.2%}" if isinstance(reported, float) else ""
    return (
        f"test error recomputed by the grader from p_out's weights (Affine-ReLU-Affine) is {error:.2%}, "
        f"needs < {max_error:.0%}{said}; graph nodes: {kinds}"
    )


def evaluate(
    spec: ProbeSpec, result: dict[str, Any] | None, missing: str, references: dict[str, Any]
) -> dict[str, Outcome]:
    """The outside verdict for every question (all fail with `missing` when there is no result)."""
    if result is None:
        return {q: Outcome(False, missing) for q in QUESTIONS}
    failures: dict[str, list[str]] = {q: [] for q in QUESTIONS}
    for call in spec.calls:
        entry = result.get(str(call.id))
        why = check_mlp(entry, references) if call.fn == "mlp" else check_value(call, entry)
        if why:
            failures[call.grade_id].append(why)
    outcomes = {}
    for q, whys in failures.items():
        more = f" (and {len(whys) - 1} more)" if len(whys) > 1 else ""
        outcomes[q] = Outcome(not whys, whys[0] + more if whys else "passed")
    return outcomes
