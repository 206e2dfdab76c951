"""`python -m autograder handout` (`make handout`): write the student handout dist/PS1/ and dist/PS1.zip."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.authoring.handout import DIST_DIR, HandoutError, build
from autograder.cli.submit import assignment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder handout", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DIST_DIR, help=f"output folder (default {DIST_DIR})")
    args = parser.parse_args(argv)
    try:
        folder, archive = build(assignment().to_json(), args.out)
    except HandoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write the handout into {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"handout: {folder}/ and {archive}")
    return 0
