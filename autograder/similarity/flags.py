"""Which pairs stand out from the class: the rule that flags a pair in one kind of answer.

Correct answers written independently are alike too (the same short formula, the same EDF calls),
so a fixed bar would flag honest pairs in one kind and miss copies in the other. A pair is flagged
in a kind when its similarity is far above the class's typical pair, more than SPREADS robust
spreads (median absolute deviations) above the median of all pairs, and at least MINIMUM.
"""

from __future__ import annotations

import numpy as np

SPREADS = 6.0
MINIMUM = 0.2


def threshold(scores: list[float]) -> float:
    """The similarity from which a pair of this kind is flagged, given every pair's score."""
    if not scores:
        return 1.0
    values = np.asarray(scores, dtype=float)
    median = float(np.median(values))
    spread = float(np.median(np.abs(values - median)))
    return max(MINIMUM, median + SPREADS * spread)
