"""A problem set's own outside checks: the module its spec names (`checks`), loaded from its path.

The module lives in the problem set's folder, beside the spec: a package folder (`__init__.py` and
what it imports relatively) or one `.py` file. It defines `draw` and `judge`, and may define `warm_up`
(the interface: docs/instructor.md, "Outside checks of a problem set's own"). This module loads it,
refuses one that lacks `draw` or `judge`, and builds the `references` the grader passes to it.

Loaded modules are kept by the bytes of their files, not by their path: every job grades in its own
copy of the course, and all copies of one module are then one module, loaded (and warmed up) once per
process. A changed file is a new module.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder.errors import InputError

REQUIRED = ("draw", "judge")
CALL_SECONDS = 10.0  # time limit of each call the probe makes (SIGALRM in the kernel)
TOTAL_SECONDS = 60.0  # no new call after this; keep below Execute.timeout
ADDED = ("folder", "call_seconds", "total_seconds")  # what the grader adds to the spec's references

_loaded: dict[str, ModuleType] = {}


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.relative_to(path).parts
    )


def _entry(path: Path) -> Path:
    """The file to execute: a package's `__init__.py`, or the module file itself."""
    entry = path / "__init__.py" if path.is_dir() else path
    if path.suffix not in {"", ".py"} or not entry.is_file():
        raise InputError(
            f"{path}: no outside-checks module there (a package folder with __init__.py, or a .py file)"
        )
    return entry


def content_key(path: Path) -> str:
    """SHA-256 of the module's files (names and bytes): equal for every copy of the same code."""
    h = hashlib.sha256()
    for file in _files(path):
        h.update(file.relative_to(path.parent).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(file.read_bytes()).digest())
    return h.hexdigest()


def load(path: str | Path) -> ModuleType:
    """The checks module at `path` (a package folder or a .py file), loaded once per content.

    InputError (one line, naming the file) if it is not there, fails to import, or lacks `draw` or
    `judge`.
    """
    path = Path(path).resolve()
    entry = _entry(path)
    key = content_key(path)
    if key in _loaded:
        return _loaded[key]
    name = f"_outside_checks_{key[:16]}"  # relative imports inside the package resolve under this name
    locations = [str(path)] if path.is_dir() else None
    spec = importlib.util.spec_from_file_location(name, entry, submodule_search_locations=locations)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        missing = [f for f in REQUIRED if not callable(getattr(module, f, None))]
        if missing:
            raise InputError(
                f"{entry}: outside checks must define {' and '.join(f'{f}()' for f in missing)} "
                "(docs/instructor.md, outside checks of a problem set's own)"
            )
    except Exception as exc:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[loaded]
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{entry}: the outside checks fail to load ({type(exc).__name__}: {exc})") from exc
    _loaded[key] = module
    return module


def references_for(
    path: str | Path,
    references: dict[str, Any],
    *,
    call_seconds: float = CALL_SECONDS,
    total_seconds: float = TOTAL_SECONDS,
) -> dict[str, Any]:
    """What `draw`, `judge` and `warm_up` get: the spec's references, the problem set's folder (the
    module's own, in this copy of the course) and the probe's time limits."""
    clash = sorted(set(ADDED) & set(references))
    if clash:
        raise InputError(f"[references] may not use the names the grader adds: {clash}")
    folder = str(Path(path).resolve().parent)
    return {**references, "folder": folder, "call_seconds": call_seconds, "total_seconds": total_seconds}


def check(path: str | Path, references: dict[str, Any]) -> None:
    """Load the module and check the references once, before grading (InputError, one line): the
    references must be plain JSON values, which a course's config carries as JSON text."""
    load(path)
    references_for(path, references)
    try:
        json.dumps(references)
    except (TypeError, ValueError) as exc:
        raise InputError(f"[references] must hold numbers, strings, lists and tables only ({exc})") from exc


def warm_up(path: str | Path | None, references: dict[str, Any]) -> None:
    """Load the module at `path` and run its `warm_up`, if it has one (nothing when `path` is None)."""
    if path is None:
        return
    module = load(path)
    if callable(getattr(module, "warm_up", None)):
        module.warm_up(references_for(path, references))
