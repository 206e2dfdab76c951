"""The student handout: `dist/PS1/` and `dist/PS1.zip`, everything a student needs and no answer.

What goes in: the release notebook with Problem 3's data file beside it, `edf.py`, the submit command
(`submit.py` and the package `autograder/student/` copied as `ps1_submit/`, with `assignment.json`
written from PS1's spec and the release's nbgrader metadata), `requirements.txt` (the subset
of the repository's pins that the notebook, EDF and submit need, with all their dependencies),
`environment.yml` for conda, and a README made from PS1's spec (points, deadline, late
policy). Nothing else: no source notebook, no solutions, no grader. Both outputs are written to
temporary names and renamed; the zip is reproducible (sorted members, fixed times).
"""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import sys
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path
from string import Template

from packaging.requirements import Requirement

from autograder.problem_set import ProblemSet
from autograder.repository import REPO_DIR, release_notebook

# autograder/student/, shipped as files: read, never imported (authoring/ and student/ are siblings).
STUDENT_PACKAGE_DIR = Path(__file__).resolve().parents[1] / "student"
STUDENT_PACKAGE = "ps1_submit"  # the name autograder/student/ has in the handout
ASSIGNMENT_FILE = "assignment.json"
README_TEMPLATE = Path(__file__).resolve().parent / "templates" / "handout_README.md"
# To open and run the notebook: not imported by any shipped file. Nothing else is added by hand: submit
# prints the PDF with a Chrome, Edge or Chromium the student already has, so Playwright stays out.
STUDENT_TOOLS = ("jupyterlab", "notebook", "ipykernel")
SHIPPED_MODULES = {"edf", STUDENT_PACKAGE}  # in the handout as files, not installed
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13", "3.14")  # pyproject.toml: requires-python >= 3.11
FIXED_TIME = (2017, 1, 1, 0, 0, 0)
SETUP_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
SUBMIT_COMMAND = '.venv/bin/python submit.py --name "Your Full Name"'

LAUNCHER = '''"""Hand in {title}: `python submit.py --name "Your Full Name"` runs {notebook} and zips it."""

import sys
from pathlib import Path

from {package} import command
from {package}.assignment import Assignment

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    assignment = Assignment.read(HERE / "{package}" / "{facts}")
    sys.exit(command.main(sys.argv[1:], assignment, HERE / assignment.notebook, prog="python submit.py"))
'''


class HandoutError(Exception):
    """The handout cannot be built from this repository; the message says what is inconsistent."""


def heading(ps: ProblemSet) -> str:
    """The release notebook's first Markdown heading ("Problem Set 1: ..."), for the README."""
    release = json.loads(release_notebook(ps).read_text(encoding="utf-8"))
    for cell in release["cells"]:
        if cell["cell_type"] == "markdown":
            first = "".join(cell["source"]).lstrip().splitlines()[0]
            if first.startswith("# "):
                return first[2:].strip()
    return ps.title


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def repo_pins(path: Path = REPO_DIR / "requirements.txt") -> dict[str, str]:
    """Canonical name -> the pinned line of the repository's requirements.txt."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            pins[canonical(Requirement(line).name)] = line
    return pins


def imported_modules(code: str) -> set[str]:
    """Top-level names of the absolute imports in `code` (IPython magics and shell lines skipped)."""
    python = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())
    names = set()
    for node in ast.walk(ast.parse(python)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def shipped_code(ps: ProblemSet) -> list[str]:
    """The Python the student runs: EDF, the release's code cells and the submit package."""
    release = json.loads(release_notebook(ps).read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in release["cells"] if c["cell_type"] == "code"]
    code.append((REPO_DIR / "edf.py").read_text(encoding="utf-8"))
    code += [p.read_text(encoding="utf-8") for p in student_package_files() if p.suffix == ".py"]
    return code


def root_distributions(ps: ProblemSet) -> set[str]:
    """Distributions the student needs directly: the tools, and whatever the shipped code imports."""
    by_module = packages_distributions()
    modules = set().union(*(imported_modules(code) for code in shipped_code(ps))) - SHIPPED_MODULES
    roots = {canonical(t) for t in STUDENT_TOOLS}
    for module in modules - set(sys.stdlib_module_names):
        roots |= {canonical(d) for d in by_module.get(module, [])}
    return roots


def only_for_old_pythons(req: Requirement) -> bool:
    """A requirement that only Pythons older than the handout supports need (e.g. `tomli` before 3.11)."""
    marker = str(req.marker)
    if not re.search(r"python_(full_)?version", marker) or re.search(
        r"platform|os_name|implementation", marker
    ):
        return False
    return not any(
        req.marker.evaluate({"python_version": v, "python_full_version": f"{v}.0"}) for v in SUPPORTED_PYTHONS
    )


def student_requirements(ps: ProblemSet) -> list[str]:
    """Pinned lines for the roots and everything they require, as this environment resolves them.

    Extras a requirement asks for (`jsonschema[format-nongpl]`) are followed; dependencies for other
    platforms (a marker false here, e.g. `sys_platform == "win32"`) keep their marker, pinned when the
    repository pins them."""
    pins = repo_pins()
    needed, elsewhere = set(), {}
    todo: list[tuple[str, frozenset[str]]] = [(name, frozenset()) for name in sorted(root_distributions(ps))]
    done = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in done:
            continue
        done.add((name, extras))
        if name not in pins:
            raise HandoutError(f"{name} is needed by the handout but not pinned in requirements.txt")
        needed.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            raise HandoutError(f"{name} is pinned but not installed here: run `make setup`") from None
        for line in requires:
            req = Requirement(line)
            wanted = canonical(req.name), frozenset(req.extras)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in {"", *extras}):
                todo.append(wanted)
            elif "extra" not in str(req.marker) and not only_for_old_pythons(req):
                base = pins.get(wanted[0], f"{req.name}{req.specifier}")
                elsewhere[wanted[0]] = f"{base}; {req.marker}"
    lines = [pins[n] for n in sorted(needed)]
    return lines + [elsewhere[n] for n in sorted(set(elsewhere) - needed)]


def conda_environment(needed: set[str]) -> str:
    """The repository's environment.yml cut down to what the handout needs (no editable install)."""
    lines = [
        "# The problem set's conda environment: `conda env create -f environment.yml`, `conda activate ps1`."
    ]
    for line in (REPO_DIR / "environment.yml").read_text(encoding="utf-8").splitlines():
        item = line.strip()
        if line.startswith("#") or item.startswith("- pip:") or item.startswith("- -e"):
            continue
        if item.startswith("- ") and "=" in item:
            name = item[2:].split("=")[0]
            if name != "python" and canonical(name) not in needed:
                continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def _points_rows(ps: ProblemSet) -> str:
    return "\n".join(
        f"| `{q.grade_id}` | {q.title} | {'by hand' if q.manual else 'automatically'} | {q.points:g} |"
        for q in ps.questions
    )


def _file_rows(ps: ProblemSet) -> str:
    """One README row per file handed out beside the notebook (PS1: its digits)."""
    return "".join(
        f"| `{name}` | data the notebook reads: keep it next to `{ps.notebook}` |\n"
        for name in ps.files
        if name != ps.notebook
    )


def readme(ps: ProblemSet) -> str:
    manual = sum(q.points for q in ps.questions if q.manual)
    late = ps.late
    grace = f" (the first {late.grace_minutes} minutes count as on time)" if late.grace_minutes else ""
    return Template(README_TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=ps.notebook_id,
        heading=heading(ps),
        notebook=ps.notebook,
        file_rows=_file_rows(ps),
        setup=SETUP_COMMAND,
        submit=SUBMIT_COMMAND,
        zip_prefix=ps.zip_prefix,
        due=ps.due,
        percent=f"{late.percent_per_day:g}",
        grace=grace,
        max_days=late.max_days,
        points_rows=_points_rows(ps),
        manual=f"{manual:g}",
        automatic=f"{ps.total_points - manual:g}",
        total=f"{ps.total_points:g}",
    )


def handout_files(assignment_json: str, ps: ProblemSet) -> dict[str, bytes]:
    """Path inside the handout folder -> content: the whole handout.

    `assignment_json` is what submit checks against (`Assignment.to_json()` of the student package,
    made by the caller from the release and the problem set's spec)."""
    requirements = student_requirements(ps)
    needed = {canonical(Requirement(line).name) for line in requirements if ";" not in line}
    release = release_notebook(ps)
    files = {name: (release.parent / name).read_bytes() for name in ps.files}  # the notebook among them
    files |= {
        "edf.py": (REPO_DIR / "edf.py").read_bytes(),
        "requirements.txt": ("\n".join(requirements) + "\n").encode(),
        "environment.yml": conda_environment(needed).encode(),
        "README.md": readme(ps).encode(),
        "submit.py": LAUNCHER.format(
            title=ps.notebook_id, notebook=ps.notebook, package=STUDENT_PACKAGE, facts=ASSIGNMENT_FILE
        ).encode(),
        f"{STUDENT_PACKAGE}/{ASSIGNMENT_FILE}": (assignment_json + "\n").encode(),
    }
    for path in student_package_files():
        files[f"{STUDENT_PACKAGE}/{path.relative_to(STUDENT_PACKAGE_DIR).as_posix()}"] = path.read_bytes()
    return files


def student_package_files() -> list[Path]:
    """Every file of autograder/student/ (modules and any data they read), without bytecode."""
    return sorted(
        p
        for p in STUDENT_PACKAGE_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}
    )


def zip_bytes(files: dict[str, bytes], top: str) -> bytes:
    """A reproducible zip: members sorted, under `top/`, with fixed times and permissions."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{top}/{name}", FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    return buf.getvalue()


def build(assignment_json: str, dist: Path, ps: ProblemSet) -> tuple[Path, Path]:
    """Write `dist/<notebook id>/` and its zip (PS1: `dist/PS1/`, `dist/PS1.zip`), replacing older
    ones; return both paths."""
    files = handout_files(assignment_json, ps)
    dist.mkdir(parents=True, exist_ok=True)
    title = ps.notebook_id
    folder, archive = dist / title, dist / f"{title}.zip"
    staging = Path(tempfile.mkdtemp(prefix=f".{title}-", dir=dist))
    staging.chmod(0o755)  # mkdtemp's folder is private; the handout is not
    try:
        for name, data in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        (staging / archive.name).write_bytes(zip_bytes(files, title))
        if folder.exists():
            shutil.rmtree(folder)
        (staging / archive.name).replace(archive)
        staging.replace(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder, archive
