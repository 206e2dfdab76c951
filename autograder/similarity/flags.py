"""Which pairs stand out from the class: the rule that flags a pair in one kind of answer.

Correct answers written independently are alike too, and more so in code, where names are set aside
and everyone makes the same EDF calls: in the tests' class independently written notebooks reach
0.35 in code and 0.05 in written answers, planted copies 0.94 (code) and 0.34 (written). A pair is
flagged in a kind when its similarity is at least that kind's MINIMUM and far above the class's
typical pair: more than SPREADS robust spreads (median absolute deviations) above the median.

The bar never exceeds 1, the score of identical answers: in a class whose typical pair is already
alike, median + SPREADS spreads can pass 1 (1.07 on the bundled examples), and identical copies would
then never be flagged.
"""

from __future__ import annotations

import numpy as np

SPREADS = 6.0
MINIMUM = {"code": 0.5, "written": 0.2}


def threshold(kind: str, scores: list[float]) -> float:
    """The similarity from which a pair is flagged in `kind` (a score at or above it), given every
    pair's score in it; at most 1, so identical answers are always flagged."""
    if not scores:
        return 1.0
    values = np.asarray(scores, dtype=float)
    median = float(np.median(values))
    spread = float(np.median(np.abs(values - median)))
    return min(max(MINIMUM[kind], median + SPREADS * spread), 1.0)
