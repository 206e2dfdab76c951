"""Reading the probe's one line: `<nonce> <json object>` on the probe cell's stdout, and nothing forged."""

from __future__ import annotations

import json
from typing import Any

from nbformat import NotebookNode

MAX_PROBE_CHARS = 10_000_000  # the probe's line: its JSON may carry arrays (a small network's weights)


def read_probe(cell: NotebookNode | None, nonce: str) -> tuple[dict[str, Any] | None, str]:
    """The probe's parsed JSON object, or None and why it is missing (exactly one nonce line is accepted)."""
    if cell is None:
        return None, "the grader's probe cell is missing from the executed notebook"
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")
    lines = [line for line in text.splitlines() if line.startswith(nonce + " ")]
    if len(lines) != 1:
        errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", []) if o.get("ename")]
        why = f"it failed with {errors[0]}" if errors else "stdout redirected, or the kernel stopped?"
        found = "no result" if not lines else f"{len(lines)} results (forged output?)"
        return None, f"the grader's probe cell printed {found}: {why}"
    payload = lines[0][len(nonce) + 1 :]
    if len(payload) > MAX_PROBE_CHARS:
        return None, "the grader's probe printed more data than it can accept"
    try:
        result = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # a forged line may be anything
        return None, f"the grader's probe printed malformed JSON ({exc})"
    if not isinstance(result, dict):
        return None, "the grader's probe printed something other than a JSON object"
    return result, ""
