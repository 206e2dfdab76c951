"""Cap the size of every cell's output before nbgrader saves the autograded notebook.

nbgrader's LimitOutput counts lines only: one `print("x" * 10**8)` is a single line, and 100 MB of it
would reach the autograded notebook, the feedback page and the instructor's disk. This preprocessor
keeps at most `max_chars` characters of each text output (stream text, text/* and JSON data) and drops
larger images, leaving a note where it cut.
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Int

NOTE = "\n... [output cut by the grader: {dropped:,} more characters]\n"


def _cut(text: str | list[str], limit: int) -> str | list[str]:
    """text, or its first `limit` characters and a note saying how much was dropped."""
    joined = "".join(text) if isinstance(text, list) else text
    if len(joined) <= limit:
        return text
    return joined[:limit] + NOTE.format(dropped=len(joined) - limit)


class CapOutputs(Preprocessor):
    """Trim each output of a code cell to at most `max_chars` characters."""

    max_chars = Int(100_000, help="largest text output kept per output, in characters").tag(config=True)

    def preprocess_cell(self, cell: Any, resources: dict, index: int) -> tuple[Any, dict]:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _cut(output["text"], self.max_chars)
            data = output.get("data", {})
            for mime in list(data):
                value = data[mime]
                if not isinstance(value, str | list):
                    continue  # JSON data: small by nature of what the notebook displays
                if mime.startswith("image/") and len("".join(value)) > self.max_chars * 20:
                    data[mime] = ""  # a 2 MB+ picture is not a plot of this problem set
                    data["text/plain"] = "[image dropped by the grader: too large]"
                elif not mime.startswith("image/"):
                    data[mime] = _cut(value, self.max_chars)
        return cell, resources


def configure_output_cap(c: Any, max_chars: int | None = None) -> None:
    """Run CapOutputs right after nbgrader's LimitOutput in `c.Autograde.autograde_preprocessors`."""
    steps = list(c.Autograde.autograde_preprocessors)
    if CapOutputs in steps:
        return
    names = [getattr(s, "__name__", str(s)).rsplit(".", 1)[-1] for s in steps]
    at = names.index("LimitOutput") + 1 if "LimitOutput" in names else len(steps)
    c.Autograde.autograde_preprocessors = [*steps[:at], CapOutputs, *steps[at:]]
    if max_chars is not None:
        c.CapOutputs.max_chars = max_chars
