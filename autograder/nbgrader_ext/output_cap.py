"""Cap the size of every cell's output before nbgrader saves the autograded notebook.

nbgrader's LimitOutput counts lines only: one `print("x" * 10**8)` is a single line, and 100 MB of it
would reach the autograded notebook, the feedback page and the instructor's disk. This preprocessor
keeps a cell's outputs, in order, while they fit in `max_chars` characters (error outputs always), and
says how much it dropped, in the words of the kernel's own cut (kernel_guard.NOTE), which stream
output meets first; this pass catches what the kernel does not count (rich displays, results).
The cap's value has one home: sandbox_kernel.Limits.output_chars.
"""

from __future__ import annotations

import re
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Int

from autograder.nbgrader_ext.kernel_guard import NOTE, NOTE_PATTERN
from autograder.nbgrader_ext.sandbox_kernel import Limits


def _size(output: dict) -> int:
    """Characters an output holds: its stream text and every str/list value of its data.

    A note of the kernel's own cut does not count: a cell cut there holds exactly the cap plus it.
    """
    parts = [output.get("text", "")] + list(output.get("data", {}).values())
    texts = ["".join(p) for p in parts if isinstance(p, str | list)]
    return sum(len(t) - sum(len(m.group(0)) for m in re.finditer(NOTE_PATTERN, t)) for t in texts)


class CapOutputs(Preprocessor):
    """Keep at most `max_chars` characters of output per code cell; drop the rest with a note.

    The budget is per cell, not per output: the kernel streams a long print in many small chunks.
    """

    enabled = True  # nbconvert runs a Preprocessor only when enabled (off by default)
    max_chars = Int(Limits().output_chars, help="largest output kept per cell, in characters").tag(
        config=True
    )

    def preprocess_cell(self, cell: Any, resources: dict, index: int) -> tuple[Any, dict]:
        outputs = cell.get("outputs", [])
        sizes = [_size(o) for o in outputs]
        if sum(sizes) <= self.max_chars:
            return cell, resources
        kept, used = [], 0
        for output, size in zip(outputs, sizes):
            if output.get("output_type") == "error" or used + size <= self.max_chars:
                kept.append(output)  # errors decide the grade: always kept
                used += size
        note = NOTE.format(cap=self.max_chars, dropped=sum(sizes) - used)
        kept.append(nbformat.v4.new_output("stream", name="stderr", text=note))
        cell["outputs"] = kept
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
