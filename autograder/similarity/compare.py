"""How alike two students' answers are, by copydetect (winnowed k-gram fingerprints).

Code is tokenized first (Pygments' Python lexer): every variable becomes V, every function F, every
string S, comments and blank lines go, so renaming, commenting and spacing change nothing; written
answers are compared as text.

What the release notebook gives everyone (every code cell: given code, stubs, visible tests; every
markdown cell: the questions) is distribution text and matches nothing, even pasted into an answer:
every k-gram of it is copydetect's boilerplate, removed from every student's fingerprint. In code, a
given cell pasted whole is also blanked before fingerprinting: once names are V and F, the k-grams
that straddle its edges ("...V)defF(V):...") are alike in anyone's paste and would still match.

A pair's similarity in a kind is copydetect's: the share of one student's fingerprinted tokens that
also appear in the other's, the larger of the two shares (a student who copied one question of
three is found from the copier's side as from the other).

copydetect hashes k-grams with Python's `hash()`, which each process salts at random: the same class
would give slightly different scores on each run. So the work runs in worker processes started with
a fixed PYTHONHASHSEED (one per core, each comparing its share of the pairs): every run of the
report is the same.
"""

from __future__ import annotations

import io
import itertools
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
from copydetect.detector import CodeFingerprint, compare_files

KINDS = ("code", "written")
NOISE = 25  # copydetect's noise threshold: matches shorter than this many tokens (characters) are ignored
GUARANTEE = 30  # ... and matches at least this long are always found
WINDOW = GUARANTEE - NOISE + 1
HASH_SEED = "0"

Texts = dict[str, str]  # kind -> every answer of that kind, joined


@dataclass(frozen=True)
class Distribution:
    """What the release notebook gives every student, per kind: its answer cells' text, joined as a
    student's answers are (stubs, placeholders), and each of its other cells (given code, visible
    tests, question text)."""

    stubs: Texts
    given: dict[str, list[str]]


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


def fingerprint(
    text: str, kind: str, boilerplate: set[int] | None = None, *, window: int = WINDOW
) -> CodeFingerprint:
    """copydetect's fingerprint of one student's answers of one kind, boilerplate removed."""
    stream, skip = io.StringIO(text), list(boilerplate or ())
    if kind == "code":
        return CodeFingerprint("answers.py", NOISE, window, skip, fp=stream, language="python")
    return CodeFingerprint("answers.txt", NOISE, window, skip, filter=False, fp=stream)


def boilerplate(distribution: Distribution, kind: str) -> set[int]:
    """The hash of every k-gram of the distribution text, not only the winnowed ones: a passage
    pasted into an answer is winnowed among other neighbours than in the release, so its picks may
    be k-grams the release's own fingerprint skipped. The given cells are joined in order, so a run
    of them pasted together is covered across its joins."""
    texts = [distribution.stubs[kind], "\n\n".join(distribution.given[kind])]
    return set().union(*(fingerprint(text, kind, window=1).hashes for text in texts))


def blank_pasted(code: str, given: list[str]) -> str:
    """`code` with every given cell found in it on whole lines turned to spaces (newlines kept):
    copydetect drops whitespace, and the length is kept, so the offsets of matches still point into
    the text as the student wrote it. Stubs left as released are not blanked, only boilerplate: a
    notebook answered in part would otherwise be measured on its few answers alone, and two short
    answers making the same EDF calls share half their tokens (0.51 in the tests' class)."""
    for text in sorted(filter(str.strip, given), key=len, reverse=True):
        pasted = re.compile(rf"^{re.escape(text)}$", re.MULTILINE)
        code = pasted.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), code)
    return code


def similarity(one: CodeFingerprint, other: CodeFingerprint) -> float:
    """copydetect's similarity of two fingerprints (0 when they share none)."""
    if not one.hashes & other.hashes:
        return 0.0
    _, (s1, s2), _ = compare_files(one, other)
    return float(max(s1, s2))


# ------------------------------------------------------------- in the worker processes

_PRINTS: dict[str, dict[str, CodeFingerprint]] = {}  # student -> kind -> fingerprint, per worker


def class_prints(
    texts: dict[str, Texts], distribution: Distribution
) -> dict[str, dict[str, CodeFingerprint]]:
    """Every student's fingerprint per kind, less every k-gram of the distribution text (and, in
    code, with pasted given cells blanked)."""
    skip = {kind: boilerplate(distribution, kind) for kind in KINDS}
    prints = {}
    for student, mine in texts.items():
        own = {"code": blank_pasted(mine["code"], distribution.given["code"]), "written": mine["written"]}
        prints[student] = {kind: fingerprint(own[kind], kind, skip[kind]) for kind in KINDS}
    return prints


def _load(texts: dict[str, Texts], distribution: Distribution) -> None:
    _PRINTS.update(class_prints(texts, distribution))


def _rows(students: list[str]) -> list[Pair]:
    """Each of `students` against every student after it (in sorted order)."""
    everyone = sorted(_PRINTS)
    pairs = []
    for a in students:
        for b in everyone[everyone.index(a) + 1 :]:
            scores = (similarity(_PRINTS[a][kind], _PRINTS[b][kind]) for kind in KINDS)
            pairs.append(Pair(a, b, *scores))
    return pairs


def _marks(pair: tuple[str, str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per kind, where each side's matching passages are: (2, n) arrays of start and end offsets."""
    found = {}
    for kind in KINDS:
        _, _, (one, other) = compare_files(_PRINTS[pair[0]][kind], _PRINTS[pair[1]][kind])
        found[kind] = (np.asarray(one, dtype=int).reshape(2, -1), np.asarray(other, dtype=int).reshape(2, -1))
    return found


# ------------------------------------------------------------- in the command's process


class Comparison:
    """Seeded worker processes holding the fingerprints of a class (use as a context manager)."""

    def __init__(self, texts: dict[str, Texts], distribution: Distribution, workers: int) -> None:
        # Set while the pool lives: its workers start on demand, each reading the seed at its start.
        self.saved_seed = os.environ.get("PYTHONHASHSEED")
        os.environ["PYTHONHASHSEED"] = HASH_SEED
        self.workers = max(1, workers)
        self.pool = ProcessPoolExecutor(
            self.workers, mp_context=get_context("spawn"), initializer=_load, initargs=(texts, distribution)
        )
        self.students = sorted(texts)

    def __enter__(self) -> Comparison:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown()
        if self.saved_seed is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = self.saved_seed

    def pairs(self) -> list[Pair]:
        """Every pair of students, most alike (code + written) first."""
        shares = [self.students[i :: self.workers * 4] for i in range(self.workers * 4)]
        found = itertools.chain.from_iterable(self.pool.map(_rows, shares))
        return sorted(found, key=lambda p: (-p.total, p.a, p.b))

    def marks(self, pairs: list[Pair]) -> list[dict[str, tuple[np.ndarray, np.ndarray]]]:
        """The matching passages of each of `pairs`, in order."""
        return list(self.pool.map(_marks, [(p.a, p.b) for p in pairs]))
