"""Small EDF graphs the edf tests share: inputs, labels, and one builder per op (rng, B, n) -> graph."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import edf

Builder = Callable[[np.random.Generator, int, int], tuple[edf.CompNode, list[edf.CompNode]]]


@pytest.fixture(autouse=True)
def fresh_graph(monkeypatch: pytest.MonkeyPatch):
    """Every test starts from an empty float64 graph and leaves none behind (import it to use it)."""
    monkeypatch.setattr(edf, "DT", np.float64)
    monkeypatch.setattr(edf, "learning_rate", edf.learning_rate)
    edf.clear_compgraph()
    yield
    edf.clear_compgraph()


def data_input(value, requires_grad: bool = True) -> edf.Input:
    """An Input holding `value` in float64; requires_grad=True so that its gradient can be checked."""
    x = edf.Input(requires_grad=requires_grad)
    x.value = np.array(value, dtype=np.float64)
    return x


def labels(rng: np.random.Generator, B: int, K: int) -> edf.Input:
    """B integer class labels in 0..K-1."""
    y = edf.Input()
    y.value = rng.integers(0, K, size=B)
    return y


def away_from_zero(rng: np.random.Generator, shape, low: float = 0.1, high: float = 2.0) -> np.ndarray:
    """Values with low <= |x| <= high, so that central differences never straddle Relu's kink."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


def unary(op: Callable, low: float = 0.0, high: float = 2.0, **kw) -> Builder:
    """op(x, **kw) of one (B, n) input: normal values, or values away from zero when low > 0."""

    def build(rng, B, n):
        x = data_input(away_from_zero(rng, (B, n), low, high) if low else rng.normal(size=(B, n)))
        return op(x, **kw), [x]

    return build


def binary(op: Callable) -> Builder:
    """op(a, b) of two (B, n) inputs."""

    def build(rng, B, n):
        a, b = data_input(rng.normal(size=(B, n))), data_input(rng.normal(size=(B, n)))
        return op(a, b), [a, b]

    return build


def affine(extra_outputs: int) -> Builder:
    """Affine from n inputs to n + extra_outputs, with a nonzero bias."""

    def build(rng, B, n):
        x = data_input(rng.normal(size=(B, n)))
        Phi = edf.AffineParams(n, n + extra_outputs, rng=rng)
        Phi.b.value[:] = rng.normal(size=n + extra_outputs)
        return edf.Affine(Phi, x), [x, Phi.w, Phi.b]

    return build


def logloss(low: float) -> Builder:
    """LogLoss of probabilities in [low, 1) (not normalised: LogLoss alone does not need it)."""

    def build(rng, B, n):
        p = data_input(rng.uniform(low, 1.0, size=(B, n)))
        return edf.LogLoss(p, labels(rng, B, n)), [p]

    return build


def softmax(rng: np.random.Generator, B: int, n: int):
    s = data_input(rng.normal(size=(B, n)))
    return edf.Softmax(s), [s]


def softmax_logloss(rng: np.random.Generator, B: int, n: int):
    s = data_input(rng.normal(size=(B, n)))
    return edf.LogLoss(edf.Softmax(s), labels(rng, B, n)), [s]


def matmul(rng: np.random.Generator, B: int, n: int):
    a, b = data_input(rng.normal(size=(B, n))), data_input(rng.normal(size=(n, n + 2)))
    return edf.MatMul(a, b), [a, b]
