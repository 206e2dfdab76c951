"""The right answers of Problems 1 and 2, computed in the grader's process from the library of functions
that the probe also builds in the kernel (Problem 1b draws its g, h and f from it)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

# Functions for Problem 1b as numpy expressions: the probe builds them in the kernel, the grader
# builds the same ones here. Every entry is entire (no domain errors) and tested by finite differences.
UNIVARIATE: dict[str, tuple[str, str, str]] = {  # f, f', f''
    "sin": ("np.sin(x)", "np.cos(x)", "-np.sin(x)"),
    "cos": ("np.cos(x)", "-np.sin(x)", "-np.cos(x)"),
    "exp": ("np.exp(x)", "np.exp(x)", "np.exp(x)"),
    "square": ("x**2", "2 * x", "2 + 0 * x"),
    "cube": ("x**3", "3 * x**2", "6 * x"),
    "tanh": ("np.tanh(x)", "1 - np.tanh(x)**2", "-2 * np.tanh(x) * (1 - np.tanh(x)**2)"),
}
BIVARIATE: dict[str, tuple[str, str, str, str, str, str]] = {  # f, fy, fz, fyy, fzz, fyz
    "problem1": ("y * z + y**2", "z + 2 * y", "y + 0 * z", "2 + 0 * y", "0 * y", "1 + 0 * y"),
    "A": ("y**2 * z + np.sin(z)", "2 * y * z", "y**2 + np.cos(z)", "2 * z", "-np.sin(z)", "2 * y"),
    "B": (
        "np.exp(y) * z + z**3",
        "np.exp(y) * z",
        "np.exp(y) + 3 * z**2",
        "np.exp(y) * z",
        "6 * z",
        "np.exp(y)",
    ),
    "C": (
        "np.sin(y * z)",
        "z * np.cos(y * z)",
        "y * np.cos(y * z)",
        "-z**2 * np.sin(y * z)",
        "-y**2 * np.sin(y * z)",
        "np.cos(y * z) - y * z * np.sin(y * z)",
    ),
    "D": ("y**3 - y * z**2", "3 * y**2 - z**2", "-2 * y * z", "6 * y", "-2 * y", "-2 * z"),
}
PROBLEM1 = ("sin", "square", "problem1")


@functools.cache
def univariate(name: str) -> tuple[Any, Any, Any]:
    """(g, g', g'') of a library function, as numpy callables."""
    return tuple(eval(f"lambda x: {e}", {"np": np}) for e in UNIVARIATE[name])  # noqa: S307 (constants)


@functools.cache
def bivariate(name: str) -> tuple[Any, ...]:
    """(f, fy, fz, fyy, fzz, fyz) of a library function, as numpy callables."""
    return tuple(eval(f"lambda y, z: {e}", {"np": np}) for e in BIVARIATE[name])  # noqa: S307


def ell_prime_terms(x: np.ndarray) -> list[np.ndarray]:
    """The terms of d/dx [sin(x) x^2 + sin(x)^2] (Problem 1a), whose sum is the derivative."""
    return [2 * x * np.sin(x), x**2 * np.cos(x), 2 * np.sin(x) * np.cos(x)]


def chain_terms(fn: str, x: np.ndarray, names: tuple[str, str, str]) -> list[np.ndarray]:
    """The terms of gradient / naive / true second derivative of l = f(g(x), h(x)) at x."""
    (g, g1, g2), (h, h1, h2) = univariate(names[0]), univariate(names[1])
    _, fy, fz, fyy, fzz, fyz = bivariate(names[2])
    y, z = g(x), h(x)
    if fn == "gradient":
        return [fy(y, z) * g1(x), fz(y, z) * h1(x)]
    if fn == "naive_second_derivative":
        return [fyy(y, z) * g2(x), fzz(y, z) * h2(x)]
    return [
        fyy(y, z) * g1(x) ** 2,
        fy(y, z) * g2(x),
        fzz(y, z) * h1(x) ** 2,
        fz(y, z) * h2(x),
        2 * fyz(y, z) * g1(x) * h1(x),
    ]


def softmax_jacobian_reference(p: np.ndarray) -> np.ndarray:
    """diag(p) - p p^T."""
    return np.diag(p) - np.outer(p, p)


def stable_softmax(s: np.ndarray) -> np.ndarray:
    """Softmax of a logit vector, shifted by its max."""
    e = np.exp(s - s.max())
    return e / e.sum()
