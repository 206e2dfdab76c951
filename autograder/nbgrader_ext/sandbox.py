"""Run untrusted notebooks in a sandboxed Jupyter kernel (bubblewrap + rlimits + cgroups).

Only the kernel is confined; nbclient / nbgrader stay outside and talk to it over Unix sockets
(`transport="ipc"`), because TCP on loopback cannot cross the kernel's private network namespace.
The command line that builds the sandbox lives in `sandbox_kernel.py` (the kernelspec's argv);
this module provides:

- `SandboxedKernelManager`: a jupyter_client manager that always launches that kernelspec, with
  a private socket directory, a per-notebook wall-clock watchdog and a post-mortem report;
- `SandboxedExecute` / `configure_nbgrader(c)`: the nbgrader route (config only);
- `run_sandboxed(...)`: one notebook run in the sandbox outside nbgrader, returning an
  `ExecutionResult` (the sandbox's own tests use it; grading goes through nbgrader's route);
- `sandbox_mode()`: "bwrap" or "rlimits-only" (the loud fallback when bwrap cannot run).

nbgrader (0.9.6) configuration, in nbgrader_config.py:

    from autograder.nbgrader_ext.sandbox import configure_nbgrader
    configure_nbgrader(c, mode="bwrap", limits={"memory_bytes": 2 << 30})  # mode="bwrap": no fallback

`c.Execute.kernel_manager_class = ...` does NOT work: Execute.__init__ passes the class as a
keyword argument, which wins over config. And traitlets only logs an exception raised while
loading nbgrader_config.py, then grades with defaults, i.e. unsandboxed: check the log.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute
from traitlets import Dict, Enum, default

from autograder.machine_cache import cache_dir
from autograder.nbgrader_ext import limit_notes
from autograder.nbgrader_ext.kernel_guard import EVENTS_SUFFIX, MEMORY_EVENT, OUTPUT_EVENT
from autograder.nbgrader_ext.sandbox_kernel import (
    CGROUP_PREFIX,
    MPL_DIR,
    Limits,
    cgroup_dirs,
    kernel_env,
    probe_bwrap,
)
from autograder.repository import GRADEBOOK_FILE

LAUNCHER = Path(__file__).with_name("sandbox_kernel.py")
KERNEL_NAME = "edf-sandbox"
MODES = ("auto", "bwrap", "rlimits-only")

__all__ = [
    "ExecutionResult",
    "Limits",
    "SandboxedExecute",
    "SandboxedKernelManager",
    "configure_nbgrader",
    "run_sandboxed",
    "sandbox_mode",
    "sandbox_warning",
    "write_kernelspec",
]


@functools.cache
def sandbox_warning() -> str | None:
    """Why bwrap cannot be used here (probed once per process), or None when it can."""
    return probe_bwrap()


def sandbox_mode() -> str:
    """ "bwrap" when kernels are confined, "rlimits-only" when only limits and env scrubbing apply."""
    return "bwrap" if sandbox_warning() is None else "rlimits-only"


def resolve_mode(requested: str) -> str:
    """Turn "auto" into a concrete mode; refuse "bwrap" where it cannot run; warn on fallback."""
    if requested not in MODES:
        raise ValueError(f"sandbox mode must be one of {MODES}, not {requested!r}")
    reason = sandbox_warning()
    if requested == "bwrap" and reason is not None:
        raise RuntimeError(f"sandbox mode 'bwrap' required but unavailable: {reason}")
    if requested == "auto" and reason is not None:
        warnings.warn(
            f"SANDBOX DISABLED: {reason}; kernels run unconfined with rlimits and a scrubbed env only",
            RuntimeWarning,
            stacklevel=2,
        )
        return "rlimits-only"
    return "bwrap" if requested == "auto" else requested


@functools.cache
def font_list() -> Path | None:
    """matplotlib's font list as a sandboxed kernel sees the fonts, built once per machine and version.

    A kernel starts with an empty MPLCONFIGDIR, so its first plot would scan the fonts again (in every
    notebook); the launcher hands it this file instead. It is built with an empty HOME,
    like the kernel's, and kept in the machine's cache. None if matplotlib cannot build it here.
    """
    try:
        version = importlib.metadata.version("matplotlib")
    except importlib.metadata.PackageNotFoundError:
        return None
    folder = cache_dir() / f"matplotlib-{version}-fonts"
    found = sorted(folder.glob("fontlist-*.json"))
    if found:
        return found[-1]
    with tempfile.TemporaryDirectory(prefix="edf-fonts-") as home:
        env = kernel_env(home, os.getpid())
        build = [sys.executable, "-c", "import matplotlib.font_manager"]
        proc = subprocess.run(build, env=env, capture_output=True, timeout=300)
        built = sorted((Path(home) / MPL_DIR).glob("fontlist-*.json"))
        if proc.returncode != 0 or not built:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(built[-1], folder / built[-1].name)  # atomic: workers may build at once
    return folder / built[-1].name


def kernelspec_json(limits: Limits, mode: str) -> dict[str, Any]:
    """The kernelspec: jupyter_client fills {connection_file}; the launcher builds the sandbox."""
    argv = [sys.executable, str(LAUNCHER), "--mode", mode, "--limits", limits.to_json()]
    fonts = font_list()
    if fonts is not None:
        argv += ["--font-list", str(fonts)]
    return {
        "argv": [*argv, "-f", "{connection_file}"],
        "display_name": f"Python 3 (sandboxed, {mode})",
        "language": "python",
        "interrupt_mode": "message",  # SIGINT to the process group would kill bwrap itself
        "metadata": {"sandbox": {"mode": mode, "limits": json.loads(limits.to_json())}},
    }


def write_kernelspec(kernels_dir: Path, limits: Limits | None = None, mode: str = "auto") -> Path:
    """Write `<kernels_dir>/edf-sandbox/kernel.json` for `KernelSpecManager(kernel_dirs=[...])`."""
    spec_dir = Path(kernels_dir) / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = kernelspec_json(limits or Limits(), resolve_mode(mode))
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return spec_dir


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels always run in the sandbox, whatever kernel the notebook names.

    Configure with `c.SandboxedKernelManager.limits = {"memory_bytes": ..., ...}` (see `Limits`)
    and `c.SandboxedKernelManager.mode = "bwrap"` to refuse to run without bubblewrap.
    """

    limits = Dict(help="Overrides of autograder.nbgrader_ext.sandbox_kernel.Limits defaults").tag(config=True)
    mode = Enum(list(MODES), default_value="auto", help="auto falls back loudly").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("kernel_name", None)  # a notebook must not pick an unconfined kernel
        super().__init__(kernel_name=KERNEL_NAME, **kwargs)
        self.transport = "ipc"
        self.sandbox_dir: Path | None = None
        self.report: dict[str, Any] = {"events": []}
        self._watchdog: threading.Timer | None = None
        self._process: Any = None

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @property
    def effective_limits(self) -> Limits:
        """The defaults with this manager's configured overrides applied."""
        return Limits.from_mapping(self.limits)

    def _prepare_sandbox_dir(self) -> None:
        """Private dir: ipc/ (sockets, connection file; the sandbox sees it) and kernels/ (the spec)."""
        if self.sandbox_dir is not None:
            return
        _sweep_stale_cgroups()
        self.sandbox_dir = Path(tempfile.mkdtemp(prefix="edf-sbx-"))
        ipc = self.sandbox_dir / "ipc"  # bound writable into the sandbox; kernels/ is not
        ipc.mkdir()
        self.ip = str(ipc / "socket")
        self.connection_file = str(ipc / f"kernel-{uuid.uuid4().hex}.json")
        mode = resolve_mode(self.mode)
        self.report["mode"] = mode
        if mode != "bwrap":
            self.log.warning("SANDBOX DISABLED (%s): kernel runs with rlimits only", sandbox_warning())
        kernels = self.sandbox_dir / "kernels"
        write_kernelspec(kernels, self.effective_limits, mode)
        self.kernel_spec_manager = KernelSpecManager(kernel_dirs=[str(kernels)])

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        self._prepare_sandbox_dir()
        assert self.sandbox_dir is not None
        if not kw.get("cwd"):
            # Never default to the grader's cwd (it may be the course root with gradebook.db).
            empty = self.sandbox_dir / "work"
            empty.mkdir(exist_ok=True)
            kw["cwd"] = str(empty)
        check_workdir(Path(kw["cwd"]))
        self.report["workdir"] = str(Path(kw["cwd"]).resolve())
        return await super()._async_pre_start_kernel(**kw)

    pre_start_kernel = _async_pre_start_kernel  # type: ignore[assignment]

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)
        # Keep the Popen: the provisioner drops it once reaped, and its exit status explains a death.
        self._process = getattr(self.provisioner, "process", None)

    _launch_kernel = _async_launch_kernel  # type: ignore[assignment]

    async def _async_post_start_kernel(self, **kw: Any) -> None:
        await super()._async_post_start_kernel(**kw)
        self.report["started"] = time.monotonic()
        self._watchdog = threading.Timer(self.effective_limits.notebook_timeout, self._watchdog_fire)
        self._watchdog.daemon = True
        self._watchdog.start()

    post_start_kernel = _async_post_start_kernel  # type: ignore[assignment]

    def _watchdog_fire(self) -> None:
        """Per-notebook wall-clock limit: kill the whole sandbox; nbclient then sees a dead kernel."""
        pgid = getattr(self.provisioner, "pgid", None)
        seconds = self.effective_limits.notebook_timeout
        self.report["events"].append(f"notebook wall-time limit ({seconds} s) reached: kernel killed")
        self.report["watchdog"] = True
        if pgid:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._process is not None and self._process.poll() is not None:
            self.report["returncode"] = self._process.returncode
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._collect_cgroups()
            self._collect_events()
            if self.sandbox_dir is not None:
                shutil.rmtree(self.sandbox_dir, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources  # type: ignore[assignment]

    def _collect_cgroups(self) -> None:
        """Record OOM kills / refused forks, then remove the per-kernel cgroups."""
        name = Path(self.connection_file).stem if self.connection_file else ""
        for controller, path in cgroup_dirs(name).items() if name else []:
            if not path.name.startswith(CGROUP_PREFIX) or not path.is_dir():
                continue
            self.report.update(_cgroup_stats(controller, path))
            _remove_cgroup(path)

    def _collect_events(self) -> None:
        """What the kernel wrote to its events file (kernel_guard.py): MemoryErrors, cut outputs, a crash.

        `output_cut` holds [execution count, cap, characters dropped] per cut cell.
        """
        if not self.connection_file:
            return
        text = _read(Path(self.connection_file).with_suffix(EVENTS_SUFFIX))
        lines = text.splitlines()
        self.report["memory_errors"] = sum(line == MEMORY_EVENT for line in lines)
        cut = [line.split()[1:] for line in lines if line.startswith(OUTPUT_EVENT + " ")]
        self.report["output_cut"] = [
            [int(n) for n in c] for c in cut if len(c) == 3 and all(n.isdigit() for n in c)
        ]
        fatal = [line for line in lines if line.startswith("Fatal Python error")]
        if fatal:
            self.report["fatal"] = fatal[0][:200]


def check_workdir(workdir: Path) -> None:
    """Refuse a writable bind that would expose the grader: the course root or the Python env."""
    work = workdir.resolve()
    if work == Path("/") or (work / GRADEBOOK_FILE).exists():
        raise ValueError(f"refusing to sandbox with workdir {work}: it holds the gradebook")
    for protected in {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), LAUNCHER.parent}:
        if protected == work or protected.is_relative_to(work):
            raise ValueError(f"refusing to sandbox with workdir {work}: it contains {protected}")


def _cgroup_stats(controller: str, path: Path) -> dict[str, int]:
    """Counters worth reporting: OOM kills (memory) and refused forks (pids)."""
    stats: dict[str, int] = {}
    for fname, key in [("memory.oom_control", "oom_kill"), ("memory.events", "oom_kill")]:
        text = _read(path / fname)
        for line in text.splitlines():
            parts = line.split()
            if controller == "memory" and len(parts) == 2 and parts[0] == key:
                stats["oom_kills"] = int(parts[1])
    if controller == "pids":
        for line in _read(path / "pids.events").splitlines():
            if line.startswith("max "):
                stats["forks_refused"] = int(line.split()[1])
    return stats


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _sweep_stale_cgroups() -> None:
    """rmdir empty sandbox cgroups left by a grader that crashed (busy ones refuse rmdir).

    Only those older than a minute: a parallel worker's fresh cgroup is empty until its launcher
    writes its pid, and removing it then would start that kernel without a process cap.
    """
    now = time.time()
    for parent in {p.parent for p in cgroup_dirs("x").values()}:
        for stale in parent.glob(f"{CGROUP_PREFIX}*"):
            with contextlib.suppress(OSError):
                if now - stale.stat().st_mtime > 60:
                    stale.rmdir()


def _remove_cgroup(path: Path) -> None:
    """Kill anything left (a forked child that escaped the process group) and rmdir."""
    for pid in _read(path / "cgroup.procs").split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    for _ in range(50):
        try:
            path.rmdir()
            return
        except OSError:
            time.sleep(0.02)


class SandboxedExecute(Execute):
    """nbgrader's Execute preprocessor with the sandboxed kernel manager.

    Needed because nbgrader 0.9.6's Execute.__init__ passes kernel_manager_class as a keyword,
    which beats configuration: `c.Execute.kernel_manager_class = ...` is silently ignored.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        # The kernel is thrown away once the last cell has run: a graceful shutdown only waits for
        # it to exit, polling, in every notebook.
        kwargs.setdefault("shutdown_kernel", "immediate")
        super().__init__(*args, **kwargs)


def configure_nbgrader(c: Any, limits: dict[str, int] | None = None, mode: str = "auto") -> None:
    """Make `nbgrader autograde` execute every submission with SandboxedExecute.

    Replaces Execute in Autograde.autograde_preprocessors, keeping nbgrader's other steps.
    """
    steps = list(Autograde.autograde_preprocessors.default())
    c.Autograde.autograde_preprocessors = [SandboxedExecute if s is Execute else s for s in steps]
    c.SandboxedKernelManager.mode = mode
    if limits:
        c.SandboxedKernelManager.limits = dict(limits)


@dataclass
class ExecutionResult:
    """What happened to one notebook: status is ok | error | timeout | memory | kernel_died."""

    status: str
    message: str
    mode: str
    seconds: float
    errors: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True only for a clean run (no cell errors, no limits hit)."""
        return self.status == "ok"


def run_sandboxed(
    path_in: str | Path,
    path_out: str | Path,
    workdir: str | Path,
    *,
    limits: Limits | dict[str, int] | None = None,
    mode: str = "auto",
) -> ExecutionResult:
    """Execute `path_in` in a sandboxed kernel whose cwd is `workdir`; write outputs to `path_out`.

    Cell errors do not stop the run (like nbgrader); a timeout, CPU/memory kill or kernel
    death does, and the partial notebook is still written so the grader can show it.
    """
    lim = limits if isinstance(limits, Limits) else Limits.from_mapping(limits)
    nb = nbformat.read(str(path_in), as_version=4)
    km = SandboxedKernelManager(limits=json.loads(lim.to_json()), mode=mode)
    client = NotebookClient(
        nb, km=km, timeout=lim.cell_timeout, allow_errors=True, resources={"metadata": {"path": str(workdir)}}
    )
    start = time.monotonic()
    failure: Exception | None = None
    try:
        client.execute()
    except (CellTimeoutError, DeadKernelError, RuntimeError) as exc:
        failure = exc  # RuntimeError: "Kernel died before replying to kernel_info"
    finally:
        _stop(km)
        nbformat.write(nb, str(path_out))
    errors = _cell_errors(nb)
    status, message = _classify(failure, errors, km.report, lim=lim)
    return ExecutionResult(
        status, message, km.report.get("mode", "?"), time.monotonic() - start, errors, km.report
    )


def _stop(km: SandboxedKernelManager) -> None:
    """Kill and clean up: nbclient leaves running a kernel manager it was handed."""
    try:
        if km.has_kernel:
            run_sync(km._async_kill_kernel)()
    finally:
        run_sync(km.cleanup_resources)()


def _cell_errors(nb: nbformat.NotebookNode) -> list[str]:
    """`Ename: evalue` of every error output, in order."""
    return [
        f"{out.get('ename')}: {out.get('evalue')}"
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def _classify(
    failure: Exception | None, errors: list[str], report: dict[str, Any], *, lim: Limits
) -> tuple[str, str]:
    """One status and a message a grader can show to the student, naming the limit that was hit."""
    if isinstance(failure, CellTimeoutError):
        return "timeout", f"wall time: a cell ran longer than the limit of {lim.cell_timeout} s per cell"
    if failure is not None:
        return _death_reason(report, lim, failure)
    oom = report.get("oom_kills")
    if oom or report.get("memory_errors") or any(e.startswith("MemoryError") for e in errors):
        how = f"{oom} process(es) killed" if oom else "MemoryError"
        return "memory", f"{limit_notes.memory(lim)} ({how})"
    if errors:
        return "error", f"{len(errors)} cell error(s); first: {errors[0]}"
    return "ok", "notebook ran without errors"


def _death_reason(report: dict[str, Any], lim: Limits, exc: Exception) -> tuple[str, str]:
    """Explain a dead kernel from the watchdog flag, cgroup counters, the kernel's events, the exit status."""
    reason = limit_notes.failure("", [report], lim, cell_timeout=lim.cell_timeout)
    if reason is None:
        return "kernel_died", f"{limit_notes.kernel_death(report)}: {exc}"
    reason = reason.removesuffix(limit_notes.NOT_GRADED)
    return ("memory" if reason.startswith("memory") else "timeout" if "time" in reason else "error"), reason
