"""Time building a chain of n edf nodes, with today's CompNodes and with the linear-scan append it replaced.

    .venv/bin/python benchmarks/edf_graph.py

Every new node appends itself to `CompNodes`, and a node appended twice (course code appends itself
after `super().__init__()` already did) keeps only its later place. The old append looked for the node
in the whole list first, so building a graph of n nodes cost O(n^2); today a node is searched for only
if it was appended before. Both lists build the same chain of `Tanh` nodes in this process, interleaved,
best of several repeats; the table gives the seconds and their ratio.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import edf  # noqa: E402

SIZES, REPEATS = (1000, 4000, 16000), 3


class LinearScanNodeList(list):
    """The append of CompNodes before the change: a scan of the whole list per append."""

    def append(self, node):
        for i, listed in enumerate(self):
            if listed is node:
                del self[i]
                break
        super().append(node)


def build_chain(n: int) -> float:
    """Seconds to build Input -> Tanh -> ... -> Tanh (n nodes) in edf.CompNodes as it is now."""
    edf.clear_compgraph()
    start = time.perf_counter()
    y = edf.Input()
    for _ in range(n - 1):
        y = edf.Tanh(y)
    return time.perf_counter() - start


def best_of(n: int, node_list: list) -> float:
    edf.CompNodes = node_list  # CompNode.__init__ reads the module global, so this swaps the list in
    try:
        return min(build_chain(n) for _ in range(REPEATS))
    finally:
        edf.CompNodes = TODAY


TODAY = edf.CompNodes


def main() -> None:
    print(f"{'nodes':>6} {'today s':>9} {'old scan s':>11} {'old/today':>10}")
    for n in SIZES:
        old, today = best_of(n, LinearScanNodeList()), best_of(n, TODAY)
        assert len(TODAY) == n, "every node listed once"
        print(f"{n:>6} {today:>9.4f} {old:>11.4f} {old / today:>9.0f}x")


if __name__ == "__main__":
    main()
