"""The sandboxed kernel against hostile notebooks: real kernels, real bwrap, no mocks.

Each hostile behaviour is a small notebook (tests/helpers/cheating/sandbox_escapes.py) executed through
the sandbox's `run_sandboxed`; the last tests run real `nbgrader autograde` on a tiny course with the
sandbox configured.
Timings (kernel start, autograde both ways) are printed: run with `-s` to see them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import nbformat
import pytest
from helpers.cheating.sandbox_escapes import build_notebook
from helpers.ps1 import COURSE_DIR, DIGITS_FILE, REPO_DIR, SOURCE_DIR
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from traitlets.config import Config

from autograder.nbgrader_ext import sandbox_kernel
from autograder.nbgrader_ext.sandbox import (
    SandboxedExecute,
    SandboxedKernelManager,
    configure_nbgrader,
    font_list,
    resolve_mode,
    run_sandboxed,
    sandbox_mode,
    sandbox_warning,
)

REPO = REPO_DIR
needs_bwrap = pytest.mark.skipif(
    sandbox_mode() != "bwrap", reason=f"bubblewrap cannot run here: {sandbox_warning()}"
)


def run_case(name: str, tmp_path: Path, targets: dict | None = None, **limits: int):
    """Build hostile notebook `name`, execute it sandboxed in tmp_path/work; return (result, stdout)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    if targets is not None:
        (work / "targets.json").write_text(json.dumps(targets))
    nb_in = build_notebook(name, tmp_path / f"{name}.ipynb")
    nb_out = tmp_path / f"{name}.out.ipynb"
    result = run_sandboxed(nb_in, nb_out, work, limits=limits or None)
    nb = nbformat.read(str(nb_out), as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    return result, text


def no_leaks(text: str) -> None:
    assert "LEAK" not in text, text
    assert "BLOCKED" in text, text


# --- what the sandbox must block ----------------------------------------------------------------


@needs_bwrap
def test_honest_notebook_runs_fine_and_quickly(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    shutil.copy(SOURCE_DIR / DIGITS_FILE, tmp_path / "work")  # as nbgrader copies the source folder's files
    result, text = run_case("honest", tmp_path)
    assert result.status == "ok", result
    assert result.mode == "bwrap"
    assert "(1257, 64) (540, 64)" in text and "done" in text
    assert (tmp_path / "work" / "result.txt").read_text() == "ok"  # the workdir is writable
    assert result.seconds < 20


@needs_bwrap
def test_figures_are_made_but_not_drawn(tmp_path: Path) -> None:
    """The honest case plots and shows a figure: under the grading kernel's Agg backend no picture is
    drawn (the inline backend would have put a PNG in the cell's outputs)."""
    (tmp_path / "work").mkdir()
    shutil.copy(SOURCE_DIR / DIGITS_FILE, tmp_path / "work")
    result, text = run_case("honest", tmp_path)
    assert result.status == "ok", result
    nb = nbformat.read(str(tmp_path / "honest.out.ipynb"), as_version=4)
    plot = next(c for c in nb.cells if "plt.plot" in c.source)
    assert plot.outputs == [], plot.outputs
    assert "done" in text


@needs_bwrap
def test_cannot_read_outside_workdir(tmp_path: Path) -> None:
    secret = tmp_path / "other_student" / "ps1.ipynb"  # a sibling of the workdir
    secret.parent.mkdir()
    secret.write_text("answers")
    reads = [str(secret), str(REPO / "pyproject.toml"), "/root/.bashrc", "/etc/passwd", "/etc/shadow"]
    reads += [str(p) for p in sorted((COURSE_DIR / "source").rglob("*"))[:3]]
    lists = [str(REPO), "/root", "/etc", str(tmp_path)]
    result, text = run_case("read_outside", tmp_path, {"read": reads, "list": lists})
    no_leaks(text)
    assert text.count("BLOCKED read") == len(reads)
    assert "FileNotFoundError" in text or "PermissionError" in text
    listed = {
        line.split(" ", 2)[1]: json.loads(line.split(" ", 2)[2])
        for line in text.splitlines()
        if line.startswith("LIST")
    }
    assert set(listed[str(REPO)]) <= {"edf.py", ".venv"}  # only the read-only binds
    assert listed["/root"] == [".pyenv"] or listed["/root"] == []
    assert set(listed["/etc"]) <= {"ld.so.cache", "localtime", "fonts"}
    assert listed[str(tmp_path)] == ["work"]


@needs_bwrap
def test_cannot_write_outside_workdir(tmp_path: Path) -> None:
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    writes = [
        str(REPO / "edf.py"),
        str(REPO / "pwned.txt"),
        str(sibling / "x"),
        "/usr/x",
        "/etc/x",
        "/root/x",
    ]
    result, text = run_case("write_outside", tmp_path, {"write": writes + ["/tmp/x"]})
    # Inside, /tmp is the sandbox's own tmpfs: where the repo or tmp_path live below /tmp (a CI clone),
    # a write there may succeed in the sandbox; what matters is the host, checked below.
    for path in writes:
        if not path.startswith("/tmp/"):
            assert f"BLOCKED write {path} " in text, text
    assert "pwned" not in (REPO / "edf.py").read_text()
    assert not (REPO / "pwned.txt").exists() and not (sibling / "x").exists()
    # /tmp is a private tmpfs: writing there works but never reaches the host
    assert "LEAK write /tmp/x" in text and not Path("/tmp/x").exists()


@needs_bwrap
def test_network_is_off(tmp_path: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    try:
        result, text = run_case("network", tmp_path, {"port": port})
    finally:
        server.close()
    no_leaks(text)
    assert "BLOCKED host-server" in text and "BLOCKED internet" in text
    assert not accepted


@needs_bwrap
def test_environment_is_scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "s3cret")
    result, text = run_case("env", tmp_path)
    env = dict(eval(text))  # a printed list of (key, value) pairs
    assert "GRADER_SECRET_TOKEN" not in env and "s3cret" not in text
    assert env["HOME"] == "/tmp" and "/root" not in text
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert not set(env) & {"VIRTUAL_ENV", "SSH_AUTH_SOCK", "JUPYTER_PATH", "PYTHONPATH"}


# --- resource limits ----------------------------------------------------------------------------


@needs_bwrap
def test_kernels_share_a_read_only_font_list(tmp_path: Path) -> None:
    """matplotlib in the kernel loads the grader's font list instead of scanning the fonts again."""
    assert font_list() is not None
    result, text = run_case("fonts", tmp_path)
    assert result.status == "ok", result
    assert "FONTS loaded" in text, text
    assert f"LISTS ['{font_list().name}']" in text, text
    no_leaks(text)


@needs_bwrap
def test_memory_bomb_is_stopped_and_reported(tmp_path: Path) -> None:
    result, text = run_case("memory_bomb", tmp_path)
    assert result.status == "memory", result
    assert "MemoryError" in result.errors[0]
    assert "still alive" in text  # the kernel survived; the host never saw 8 GiB


@needs_bwrap
def test_memory_cgroup_bounds_the_sandbox_as_a_whole(tmp_path: Path) -> None:
    # 4 children x 800 MiB: each is under RLIMIT_AS, together they exceed the 2 GiB cgroup.
    result, _ = run_case("memory_bomb_children", tmp_path)
    if "memory" not in sandbox_kernel.cgroup_dirs("probe"):
        pytest.skip("no writable memory cgroup here")
    assert result.status == "memory" and result.report["oom_kills"] >= 1, result


@needs_bwrap
def test_fork_bomb_is_bounded_and_the_run_ends(tmp_path: Path) -> None:
    start = time.monotonic()
    result, text = run_case("fork_bomb", tmp_path, max_processes=64)
    forked = int(text.split("forked")[1].split()[0])
    assert forked < 64, text  # the pids cgroup counts threads too, so fewer than 64 processes
    assert result.status == "error" and "BlockingIOError" in result.errors[0]
    assert time.monotonic() - start < 20  # the sleeping children die with the sandbox


@needs_bwrap
def test_infinite_loop_ends_at_cell_timeout(tmp_path: Path) -> None:
    result, text = run_case("infinite_loop", tmp_path, cell_timeout=3)
    assert result.status == "timeout" and "limit of 3 s per cell" in result.message, result
    assert "never" not in text and result.seconds < 15


@needs_bwrap
def test_cpu_time_limit_kills_a_busy_kernel(tmp_path: Path) -> None:
    result, _ = run_case("cpu_burn", tmp_path, cpu_seconds=2, cell_timeout=30)
    assert result.status == "timeout" and "limit of 2 s of CPU time" in result.message, result


@needs_bwrap
def test_notebook_watchdog_ends_a_slow_notebook(tmp_path: Path) -> None:
    result, _ = run_case("slow_cells", tmp_path, notebook_timeout=3, cell_timeout=30)
    assert result.status == "timeout" and "limit of 3 s per notebook" in result.message, result
    assert result.seconds < 10


@needs_bwrap
def test_os_exit_is_reported_as_kernel_death(tmp_path: Path) -> None:
    result, text = run_case("os_exit", tmp_path)
    assert result.status == "kernel_died" and "exit status 1" in result.message, result
    assert "bye" in text and "never" not in text


@needs_bwrap
def test_huge_file_stopped_by_file_size_limit(tmp_path: Path) -> None:
    result, text = run_case("huge_file", tmp_path)
    assert result.status == "error" and "File too large" in result.errors[0], result
    assert "MiB written 64" in text
    assert (tmp_path / "work" / "big.bin").stat().st_size <= 64 << 20


def run_cells(cells: list[str], tmp_path: Path, **limits: int):
    """Execute a notebook of `cells` sandboxed; return (result, [text of each cell's outputs])."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    nb_in, nb_out = tmp_path / "cells.ipynb", tmp_path / "cells.out.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), nb_in)
    result = run_sandboxed(nb_in, nb_out, work, limits=limits or None)
    nb = nbformat.read(str(nb_out), as_version=4)
    texts = ["".join(o.get("text", "") + o.get("evalue", "") for o in c.get("outputs", [])) for c in nb.cells]
    return result, texts


@needs_bwrap
def test_an_output_flood_is_cut_in_the_kernel_and_the_cell_runs_to_its_end(tmp_path: Path) -> None:
    flood = 'for i in range(300):\n    print("x" * 1_000_000)  # 300 MB\nanswer = 42'
    start = time.monotonic()
    result, texts = run_cells([flood, "print(answer)"], tmp_path, output_chars=5000, cell_timeout=60)
    seconds = time.monotonic() - start
    print(f"\n300 MB printed in one cell, cut at 5,000 characters: {seconds:.1f} s")
    assert result.status == "ok", result
    assert texts[0].count("x") == 5000, texts[0][-300:]
    printed = 300 * 1_000_001  # each print: a million x and a newline
    assert f"[output cut by the grader at 5,000 characters (the limit): {printed - 5000:,} more" in texts[0]
    assert texts[1] == "42\n"  # the flooding cell's definitions were made
    assert result.report["output_cut"] == [[1, 5000, printed - 5000]]
    assert seconds < 30


@needs_bwrap
def test_a_fork_bomb_whose_copies_fork_too_leaves_the_kernel_working(tmp_path: Path) -> None:
    bomb = "import os\nwhile True:\n    os.fork()"
    thread = "import threading\nt = threading.Thread(target=print, args=('thread ran',))\nt.start(); t.join()"
    result, texts = run_cells([bomb, thread, "print('one kernel answers')"], tmp_path, max_processes=48)
    assert result.report["forks_refused"] > 0, result
    assert "Resource temporarily unavailable" in texts[0]
    assert texts[1] == "thread ran\n"  # the copies are gone: the kernel can start threads again
    assert texts[2] == "one kernel answers\n"  # once: no copy of the kernel replies on its sockets
    assert result.errors == ["BlockingIOError: [Errno 11] Resource temporarily unavailable"]


# --- configuration and fallback -----------------------------------------------------------------


def test_rlimits_only_fallback_is_loud_and_still_limited(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sandbox_kernel, "BWRAP", "bwrap-not-installed")
    monkeypatch.setattr("autograder.nbgrader_ext.sandbox.probe_bwrap", sandbox_kernel.probe_bwrap)
    sandbox_warning.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="SANDBOX DISABLED"):
            assert resolve_mode("auto") == "rlimits-only"
        with pytest.raises(RuntimeError, match="required but unavailable"):
            resolve_mode("bwrap")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result, text = run_case("memory_bomb", tmp_path)
        assert result.mode == "rlimits-only" and result.status == "memory", result
    finally:
        sandbox_warning.cache_clear()


def test_refuses_a_workdir_that_exposes_the_grader(tmp_path: Path) -> None:
    (tmp_path / "gradebook.db").write_text("")
    nb_in = build_notebook("env", tmp_path / "env.ipynb")
    for workdir in (tmp_path, REPO, REPO / ".venv" / ".."):
        with pytest.raises(ValueError, match="refusing to sandbox"):
            run_sandboxed(nb_in, tmp_path / "out.ipynb", workdir)


@needs_bwrap
def test_kernel_start_overhead(tmp_path: Path) -> None:
    def start_stop(cls: type) -> float:
        km = cls()
        t0 = time.monotonic()
        run_sync(km.start_kernel)(cwd=str(tmp_path))
        kc = km.client()
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=30)
        elapsed = time.monotonic() - t0
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)
        return elapsed

    plain = statistics.median(start_stop(AsyncKernelManager) for _ in range(3))
    boxed = statistics.median(start_stop(SandboxedKernelManager) for _ in range(3))
    print(f"\nkernel start (median of 3): plain {plain:.2f} s, sandboxed {boxed:.2f} s")
    assert boxed < plain + 3.0


# --- nbgrader autograde end to end --------------------------------------------------------------

ANSWER = "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION"
TEST = "assert add(2, 3) == 5\nassert add(-1, 1) == 0"
HOSTILE_ANSWER = """import glob, os
course = os.path.abspath('../../..')
for path in [course + '/gradebook.db', course + '/source/ps1/ps1.ipynb', *glob.glob(course + '/*')]:
    try:
        open(path, 'rb').read(16)
        print('LEAK', path)
    except OSError as exc:
        print('BLOCKED', path, type(exc).__name__)
print('SEEN', sorted(os.listdir(course)))
def add(a, b):
    return a + b"""


def _cell(source: str, **meta) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "locked": False, "solution": False, "grade": False}
    cell.metadata["nbgrader"].update(meta)
    return cell


def make_course(root: Path) -> None:
    """A one-notebook course: one autograded answer, one 2-point test cell, two submissions."""
    cells = [
        _cell(ANSWER, solution=True, grade_id="answer"),
        _cell(TEST, grade=True, locked=True, grade_id="t", points=2),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "source" / "ps1").mkdir(parents=True)
    nbformat.write(nb, str(root / "source" / "ps1" / "ps1.ipynb"))
    nbgrader(root, "generate_assignment", "ps1", "--force")
    for student, answer in [("honest", "def add(a, b):\n    return a + b"), ("hostile", HOSTILE_ANSWER)]:
        sub = nbformat.read(str(root / "release" / "ps1" / "ps1.ipynb"), as_version=4)
        sub.cells[0].source = answer
        (root / "submitted" / student / "ps1").mkdir(parents=True)
        nbformat.write(sub, str(root / "submitted" / student / "ps1" / "ps1.ipynb"))


def write_config(root: Path, sandboxed: bool) -> None:
    lines = ["c = get_config()", f"c.CourseDirectory.root = {str(root)!r}", "c.Execute.timeout = 30"]
    if sandboxed:
        lines += [
            "from autograder.nbgrader_ext.sandbox import configure_nbgrader",
            "configure_nbgrader(c, mode='bwrap')",
        ]
    (root / "nbgrader_config.py").write_text("\n".join(lines) + "\n")


def nbgrader(root: Path, *args: str) -> float:
    t0 = time.monotonic()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # nbgrader runs alembic
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return time.monotonic() - t0


def scores_and_output(root: Path) -> tuple[dict[str, float], str]:

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission("ps1", s).score for s in ("honest", "hostile")}
    nb = nbformat.read(str(root / "autograded" / "hostile" / "ps1" / "ps1.ipynb"), as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    return scores, text


@needs_bwrap
@pytest.mark.slow
def test_nbgrader_autograde_with_sandboxed_kernel(tmp_path: Path) -> None:
    root = tmp_path / "course"
    root.mkdir()
    write_config(root, sandboxed=False)
    make_course(root)
    plain_time = nbgrader(root, "autograde", "ps1", "--force")
    plain_scores, plain_text = scores_and_output(root)
    assert "LEAK" in plain_text and "gradebook.db" in plain_text  # unsandboxed, the probe does read them

    write_config(root, sandboxed=True)
    boxed_time = nbgrader(root, "autograde", "ps1", "--force")
    scores, text = scores_and_output(root)
    print(f"\nautograde 2 submissions: plain {plain_time:.1f} s, sandboxed {boxed_time:.1f} s")
    assert scores == {"honest": 2.0, "hostile": 2.0} and plain_scores == scores
    assert "LEAK" not in text and "BLOCKED" in text
    assert f"BLOCKED {root}/gradebook.db" in text and f"BLOCKED {root}/source/ps1/ps1.ipynb" in text
    assert "SEEN ['autograded']" in text  # the course root holds only the path to the workdir


def test_configure_nbgrader_swaps_only_execute() -> None:

    c = Config()
    configure_nbgrader(c, limits={"memory_bytes": 1 << 30})
    steps = c.Autograde.autograde_preprocessors
    default = Autograde.autograde_preprocessors.default()
    assert steps[0] is SandboxedExecute and steps[1:] == default[1:] and default[0] is Execute
    assert SandboxedExecute(config=c).kernel_manager_class is SandboxedKernelManager
    assert SandboxedKernelManager(config=c).effective_limits.memory_bytes == 1 << 30
