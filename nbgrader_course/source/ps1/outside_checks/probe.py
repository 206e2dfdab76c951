"""The probe: code PS1's outside checks run at the end of a student's notebook, in the student's kernel.

probe_spec.py sends the TEXT of this file as the probe cell, followed by a call
`_grader_probe(spec_json, globals())`. It calls the student's functions on the grader's inputs and
writes one line to stdout: the nonce, then JSON holding only numbers. The grader compares those
numbers with its own references in its own process; nothing the kernel returns is trusted further.

Written for a hostile namespace: the notebook's own names (np, print, Univariate, ...) may have been
replaced by the submission, so every import is inside the function and output goes to sys.stdout
directly. Problem 1 and 2 calls run with edf.DT = float64, as the test cells did (an honest Problem 3
may switch EDF to float32). A SIGALRM per call and a total budget keep one endless function from
costing every question. Imported as a module, the same function is unit-tested directly.
"""


def _grader_probe(spec_json, ns):
    """Run every call of `spec_json` against the functions in `ns`; print `nonce <json>` once."""
    # Imports live here on purpose (noqa PLC0415): at the notebook's top level they would rebind the
    # student's names, and the student may have replaced the module-level ones.
    import json  # noqa: PLC0415
    import signal  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import time  # noqa: PLC0415
    from collections import namedtuple  # noqa: PLC0415

    import numpy  # noqa: PLC0415

    spec = json.loads(spec_json)
    limits = spec["limits"]
    univariate = namedtuple("Univariate", "f d1 d2")
    bivariate = namedtuple("Bivariate", "f fy fz fyy fzz fyz")

    def build(kind, params, name):
        exprs = spec["library"][kind][name]
        return [eval("lambda " + params + ": " + e, {"np": numpy}) for e in exprs]

    def args(call):
        if "p" in call:
            return (numpy.array(call["p"], dtype=float),)
        x = numpy.array(call["x"], dtype=float) if isinstance(call["x"], list) else float(call["x"])
        if "g" not in call:
            return (x,)
        g, h = univariate(*build("u", "x", call["g"])), univariate(*build("u", "x", call["h"]))
        return (x, g, h, bivariate(*build("b", "y, z", call["f"])))

    def reachable(root):
        seen, stack, nodes = set(), [root], []
        while stack and len(nodes) < 10000:
            node = stack.pop()
            if id(node) not in seen:
                seen.add(id(node))
                nodes.append(node)
                stack.extend(getattr(node, "inputs", ()) or ())
        return nodes

    def mlp():
        nodes = reachable(ns["p_out"])
        layers = [n for n in nodes if hasattr(getattr(n, "Phi", None), "w")]
        arrays = [[numpy.asarray(v, dtype=float) for v in (n.Phi.w.value, n.Phi.b.value)] for n in layers]
        if sum(a.size for pair in arrays for a in pair) > limits["max_values"]:
            raise ValueError("network too large for the grader's check")
        try:
            reported = float(ns["history"]["test error"][-1])
        except BaseException:
            reported = None
        kinds = sorted({type(n).__name__ for n in nodes})
        layers = [{"w": w.tolist(), "b": b.tolist()} for w, b in arrays]
        return {"layers": layers, "kinds": kinds, "reported": reported}

    edf = sys.modules.get("edf")
    saved_dt = getattr(edf, "DT", None)

    def run(call):
        if call["fn"] == "mlp":
            return mlp()
        if saved_dt is not None:  # as in the test cells, whatever a later cell chose for training
            edf.DT = numpy.float64
        value = ns[call["fn"]](*args(call))
        return float(value) if call["out"] == "float" else numpy.asarray(value, dtype=float).tolist()

    def describe(exc):
        try:
            return (type(exc).__name__ + ": " + str(exc))[:300]
        except BaseException:
            return type(exc).__name__

    def on_alarm(signum, frame):
        raise TimeoutError("no result within " + str(limits["call_seconds"]) + " s")

    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
    except BaseException:
        previous = None
    out, stuck, budget = {}, set(), time.monotonic() + limits["total_seconds"]
    for call in spec["calls"]:
        if call["fn"] in stuck or time.monotonic() > budget:
            total = "ran past the probe's " + str(limits["total_seconds"]) + " s"
            why = "timed out before" if call["fn"] in stuck else total
            out[call["id"]] = {"error": "not called: " + call["fn"] + " " + why}
            continue
        try:
            if previous is not None:
                signal.setitimer(signal.ITIMER_REAL, limits["call_seconds"])
            out[call["id"]] = {"value": run(call)}
        except BaseException as exc:
            if isinstance(exc, (TimeoutError, KeyboardInterrupt)):  # alarm, or nbclient's interrupt
                stuck.add(call["fn"])
            out[call["id"]] = {"error": describe(exc)}
        finally:
            if previous is not None:
                signal.setitimer(signal.ITIMER_REAL, 0)
    if previous is not None:
        signal.signal(signal.SIGALRM, previous)
    if saved_dt is not None:
        edf.DT = saved_dt
    sys.stdout.write(spec["nonce"] + " " + json.dumps(out) + "\n")
    sys.stdout.flush()
