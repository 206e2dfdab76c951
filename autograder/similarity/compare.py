"""How alike two students' answers are, by copydetect (winnowed k-gram fingerprints).

Code is tokenized first (Pygments' Python lexer): every variable becomes V, every function F, every
string S, comments and blank lines go, so renaming, commenting and spacing change nothing; written
answers are compared as text. Fingerprints of the release's text of the answer cells are removed
from every notebook's (boilerplate), so the stubs everyone starts from match nothing.

A pair's similarity in a kind is copydetect's: the share of one student's fingerprinted tokens that
also appear in the other's, the larger of the two shares (a student who copied one question of
three is found from the copier's side as from the other).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from copydetect.detector import CodeFingerprint, compare_files

from autograder.similarity.answers import Answers

KINDS = ("code", "written")
NOISE = 25  # copydetect's noise threshold: matches shorter than this many tokens (characters) are ignored
GUARANTEE = 30  # ... and matches at least this long are always found
WINDOW = GUARANTEE - NOISE + 1


@dataclass(frozen=True)
class Pair:
    """Two students (a < b) and their similarity in each kind, 0 to 1."""

    a: str
    b: str
    code: float
    written: float

    @property
    def total(self) -> float:
        return self.code + self.written


def fingerprint(text: str, kind: str, boilerplate: Iterable[int] = ()) -> CodeFingerprint:
    """copydetect's fingerprint of one student's answers of one kind, boilerplate removed."""
    stream = io.StringIO(text)
    if kind == "code":
        return CodeFingerprint("answers.py", NOISE, WINDOW, list(boilerplate), fp=stream, language="python")
    return CodeFingerprint("answers.txt", NOISE, WINDOW, list(boilerplate), filter=False, fp=stream)


def boilerplate(release: Answers) -> dict[str, set[int]]:
    """The fingerprints of the release's answer cells, per kind."""
    return {kind: fingerprint(release.text(kind), kind).hashes for kind in KINDS}


def similarity(one: CodeFingerprint, other: CodeFingerprint) -> float:
    """copydetect's similarity of two fingerprints (0 when they share none)."""
    if not one.hashes & other.hashes:
        return 0.0
    _, (s1, s2), _ = compare_files(one, other)
    return float(max(s1, s2))


def matches(one: CodeFingerprint, other: CodeFingerprint) -> tuple[np.ndarray, np.ndarray]:
    """Where each side's matching passages are: (2, n) arrays of start and end character offsets."""
    _, _, (slices1, slices2) = compare_files(one, other)
    return np.asarray(slices1, dtype=int).reshape(2, -1), np.asarray(slices2, dtype=int).reshape(2, -1)


def compare_all(prints: dict[str, dict[str, CodeFingerprint]]) -> list[Pair]:
    """Every pair of students (`prints`: student -> kind -> fingerprint), most alike first."""
    pairs = [
        Pair(a, b, *(similarity(prints[a][kind], prints[b][kind]) for kind in KINDS))
        for a, b in itertools.combinations(sorted(prints), 2)
    ]
    return sorted(pairs, key=lambda p: (-p.total, p.a, p.b))
