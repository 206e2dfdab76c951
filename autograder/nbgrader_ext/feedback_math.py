"""Feedback pages that typeset their math offline: a template of our own and a copy of MathJax.

nbgrader's feedback template loads MathJax from a CDN and ignores `HTMLExporter.mathjax_url`, and
nbgrader's API forces `HTMLExporter.template_name = "feedback"`. So our folder `templates/feedback` is
put before nbgrader's in the template search path: nbconvert merges same-named template folders, takes
`index.html.j2` from nbgrader's and `mathjax.html.j2` from ours, which shadows nbconvert's. Each page
then loads `../../.mathjax/MathJax.js`: the copy of the pip package `jupyter-server-mathjax` that
`install_mathjax` puts in `<course>/feedback/.mathjax` (a name no student id can take). The feedback
folder therefore typesets with no network wherever it is copied as a whole; a single page taken out of
it falls back to the CDN.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbgrader

TEMPLATES = Path(__file__).resolve().parent / "templates"
MATHJAX_FOLDER = ".mathjax"  # in feedback/; student ids are letters, digits, - and _ only
# nbgrader's own template folder, where `feedback/index.html.j2` (our base template) lives.
NBGRADER_TEMPLATES = (
    Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"
)


def mathjax_static() -> Path:
    """The folder of MathJax 2.7 files in the installed `jupyter-server-mathjax` (found without importing)."""
    spec = importlib.util.find_spec("jupyter_server_mathjax")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        static = Path(folder) / "static"
        if (static / "MathJax.js").is_file():
            return static
    raise RuntimeError("jupyter-server-mathjax is not installed: pip install -r requirements.txt")


def configure_feedback_math(c) -> None:  # c: the traitlets config of nbgrader_config.py
    """Feedback pages with our `mathjax.html.j2` (nbgrader keeps a configured template search path)."""
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES), str(NBGRADER_TEMPLATES)]


def install_mathjax(feedback: Path) -> Path:
    """Copy MathJax into `feedback/.mathjax` unless the same files are there; return that folder."""
    static = mathjax_static()
    target = Path(feedback) / MATHJAX_FOLDER
    stamp = target / ".source"
    if stamp.is_file() and stamp.read_text() == str(static):
        return target
    partial = Path(feedback) / (MATHJAX_FOLDER + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(static, partial)
    (partial / ".source").write_text(str(static))
    shutil.rmtree(target, ignore_errors=True)
    partial.replace(target)
    return target
