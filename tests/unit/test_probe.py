"""PS1's probe (nbgrader_course/source/ps1/outside_checks/probe.py) called directly as a function, and sent
as its file's text."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import types

import numpy as np
import pytest
from helpers.ps1_checks import drawn, probe, probe_spec, reference_math

LIBRARY = {"u": reference_math.UNIVARIATE, "b": reference_math.BIVARIATE}
LIMITS = {"max_values": 1000, "call_seconds": 2.0, "total_seconds": 5.0}


def run(calls: list[dict], ns: dict, limits: dict | None = None) -> tuple[str, dict]:
    """Call the probe on `calls`; return the nonce it printed and its parsed JSON."""
    spec = {"nonce": "n0nce", "calls": calls, "library": LIBRARY, "limits": limits or LIMITS}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        probe._grader_probe(json.dumps(spec), ns)
    nonce, payload = out.getvalue().rstrip("\n").split(" ", 1)
    return nonce, json.loads(payload)


def test_plain_numbers_come_back_for_floats_lists_and_errors() -> None:
    ns = {
        "edf_gradient": lambda x: 2.0 * x,
        "softmax_jacobian": lambda p: np.diag(p) - np.outer(p, p),
        "broken": lambda x: 1 / 0,
    }
    calls = [
        {"id": 0, "fn": "edf_gradient", "out": "float", "x": 1.5},
        {"id": 1, "fn": "softmax_jacobian", "out": "list", "p": [0.25, 0.75]},
        {"id": 2, "fn": "broken", "out": "float", "x": 0.0},
        {"id": 3, "fn": "missing", "out": "float", "x": 0.0},
    ]
    nonce, result = run(calls, ns)
    assert nonce == "n0nce"
    assert result["0"] == {"value": 3.0}
    assert np.allclose(result["1"]["value"], [[0.1875, -0.1875], [-0.1875, 0.1875]])
    assert result["2"]["error"].startswith("ZeroDivisionError")
    assert result["3"]["error"].startswith("KeyError")


def test_problem_1b_functions_are_built_from_the_library() -> None:
    """g, h and f arrive as named tuples of numpy callables: f(g(x), h(x)) at x."""
    ns = {"gradient": lambda x, g, h, f: f.f(g.f(x), h.f(x))}
    call = {"id": 0, "fn": "gradient", "out": "float", "x": 0.3, "g": "sin", "h": "square", "f": "problem1"}
    _, result = run([call], ns)
    y, z = np.sin(0.3), 0.3**2
    assert result["0"]["value"] == pytest.approx(y * z + y**2)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGALRM")
def test_an_endless_function_is_stopped_and_not_called_again() -> None:
    def endless(x):
        while True:
            pass

    calls = [{"id": i, "fn": "endless", "out": "float", "x": 0.0} for i in range(3)]
    _, result = run(calls, {"endless": endless}, {**LIMITS, "call_seconds": 0.2})
    assert "no result within 0.2 s" in result["0"]["error"]
    assert result["1"]["error"] == "not called: endless timed out before"


def test_the_network_is_reported_as_weights_only() -> None:
    """p_out's Affine layers are found through `inputs` and reported as lists of floats."""
    w, b = types.SimpleNamespace(value=np.ones((2, 3))), types.SimpleNamespace(value=np.zeros(3))
    layer = types.SimpleNamespace(Phi=types.SimpleNamespace(w=w, b=b), inputs=[])
    p_out = types.SimpleNamespace(inputs=[layer])
    _, result = run(
        [{"id": 0, "fn": "mlp", "out": "mlp"}], {"p_out": p_out, "history": {"test error": [0.1]}}
    )
    value = result["0"]["value"]
    assert value["layers"] == [{"w": [[1.0] * 3] * 2, "b": [0.0] * 3}] and value["reported"] == 0.1


def test_the_cell_sent_to_the_kernel_is_this_file_then_one_call() -> None:
    source = probe_spec.probe_source(drawn(0))
    text = probe_spec.PROBE_FILE.read_text(encoding="utf-8")
    assert source.startswith(text)
    tail = source[len(text) :].strip().splitlines()
    assert tail[0].startswith("_grader_probe(") and tail[0].endswith(", globals())")
    assert tail[1] == "del _grader_probe"
