"""PS1's outside checks (nbgrader_course/source/ps1/outside_checks/) for tests, loaded as the grader loads
them (autograder/nbgrader_ext/checks_module.py: the same module object), with their submodules and the
references the grader passes them."""

from __future__ import annotations

import importlib

import numpy as np

from autograder.nbgrader_ext import checks_module
from helpers.ps1 import PROBLEM_SET

PATH = PROBLEM_SET.folder / PROBLEM_SET.checks_name
PACKAGE = checks_module.load(PATH)
REFERENCES = checks_module.references_for(PATH, PROBLEM_SET.references)
FOLDER = REFERENCES["folder"]  # where digits.npz is

probe = importlib.import_module(f"{PACKAGE.__name__}.probe")
probe_spec = importlib.import_module(f"{PACKAGE.__name__}.probe_spec")
probe_result = importlib.import_module(f"{PACKAGE.__name__}.probe_result")
reference_math = importlib.import_module(f"{PACKAGE.__name__}.reference_math")
digits = importlib.import_module(f"{PACKAGE.__name__}.digits")


def drawn(seed: int, nonce: str = "n0nce"):  # -> probe_spec.ProbeSpec
    """PS1's calls drawn from a seeded generator, as `draw` draws them."""
    return PACKAGE.draw(np.random.default_rng(seed), nonce, REFERENCES)[1]
