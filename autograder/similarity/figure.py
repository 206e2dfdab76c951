"""distribution.png: how alike every pair of the class is, code and written, flagged pairs marked.

Independently written correct answers are alike too; the histogram shows how much, so a reader can
see how far a flagged pair stands from the rest.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a file, never a window

import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)

from autograder.replace_file import replacing  # noqa: E402
from autograder.similarity.compare import KINDS, Pair  # noqa: E402

BINS = 50


def draw(path: Path, pairs: list[Pair], bars: dict[str, float]) -> Path:
    """One histogram per kind over all pairs (log count), the flag bar as a line, flagged pairs as
    red marks on the axis."""
    fig, axes = plt.subplots(1, len(KINDS), figsize=(10, 3.6), constrained_layout=True)
    for ax, kind in zip(axes, KINDS, strict=True):
        scores = [getattr(p, kind) for p in pairs]
        flagged = [s for s in scores if s >= bars[kind]]
        ax.hist(scores, bins=BINS, range=(0, 1), color="#7a9cc6", log=True)
        ax.axvline(bars[kind], color="#c0392b", linestyle="--", label=f"flagged from {bars[kind]:.2f}")
        ax.plot(
            flagged, [0.5] * len(flagged), "v", color="#c0392b", markersize=9, label=f"{len(flagged)} flagged"
        )
        ax.set_title(f"{kind} answers: {len(scores)} pairs")
        ax.set_xlabel("similarity (share of one answer found in the other)")
        ax.set_ylabel("pairs")
        ax.set_xlim(0, 1)
        ax.set_ylim(bottom=0.3)
        ax.legend(loc="upper right", fontsize=8)
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path
