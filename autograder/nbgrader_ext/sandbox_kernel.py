"""Launch one Jupyter kernel inside bubblewrap, with resource limits and a scrubbed environment.

This file is the `argv` of the sandbox kernelspec: jupyter_client runs it (outside any sandbox) as
`python sandbox_kernel.py --mode M --limits JSON [--font-list F] -f CONNECTION_FILE [kernel args]`,
with the notebook's directory as cwd. It then (1) puts itself in fresh pids/memory cgroups when it
can, (2) sets rlimits, and (3) execs bwrap, which runs ipykernel (through kernel_guard.py) with only
the Python environment, edf.py, kernel_guard.py and matplotlib's font list (read-only), the socket
directory and the cwd (writable) visible. It execs rather than waits so that the process jupyter_client owns
*is* the sandbox: signals, `is_alive()` and kill reach it directly.

Standard library only, on purpose: it runs before the kernel exists and must stay auditable.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MiB = 1 << 20
GiB = 1 << 30

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PREFIX = "edf-sandbox-"
BWRAP = "bwrap"
MPL_DIR = ".matplotlib"  # the kernel's MPLCONFIGDIR, in its HOME


@dataclass(frozen=True)
class Limits:
    """Every limit a sandboxed kernel runs under; the defaults are the grading defaults.

    memory_bytes bounds each process's address space (RLIMIT_AS: numpy raises MemoryError)
    and the whole sandbox (memory cgroup, which also counts files in the /tmp tmpfs).
    max_processes is enforced by a pids cgroup; RLIMIT_NPROC is set too but the kernel
    ignores it for uid 0, so as root only the cgroup bounds a fork bomb.
    memory_reserve_bytes is head-room the kernel (kernel_guard.py) gets between cells, above
    memory_bytes, to report a MemoryError and go on. output_chars caps each cell's output, cut in the
    kernel where it is printed and again when nbgrader saves the notebook (output_cap.CapOutputs).
    """

    memory_bytes: int = 2 * GiB
    memory_reserve_bytes: int = 256 * MiB
    output_chars: int = 100_000
    cpu_seconds: int = 300
    file_bytes: int = 64 * MiB
    max_processes: int = 64
    open_files: int = 1024
    tmp_bytes: int = 256 * MiB
    cell_timeout: int = 60
    notebook_timeout: int = 600

    def to_json(self) -> str:
        """Serialise for the kernelspec argv."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_mapping(cls, values: dict | None) -> Limits:
        """Defaults overridden by `values`; unknown keys are an error, not silently ignored."""
        values = dict(values or {})
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown sandbox limit(s): {sorted(unknown)}")
        return cls(**{k: int(v) for k, v in values.items()})


def python_roots() -> list[Path]:
    """Directories holding the interpreter and its packages (venv + the base it links to)."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent.parent}
    return sorted(roots | {p.resolve() for p in roots})


KERNEL_GUARD = Path(__file__).resolve().with_name("kernel_guard.py")
# Where the sandbox sees it: outside the repository's tree, of which the kernel sees edf.py alone.
KERNEL_GUARD_INSIDE = Path("/grader") / KERNEL_GUARD.name


def extra_source_files() -> list[Path]:
    """Top-level modules installed editable (edf.py): the venv maps `import edf` to the repo file."""
    # This file also runs as a script with only the standard library: no import of the grading package.
    repo = Path(__file__).resolve().parents[2]
    return [p for p in [repo / "edf.py"] if p.is_file()]


def kernel_env(home: str, parent_pid: int) -> dict[str, str]:
    """The whole environment the kernel sees: nothing of the grader's leaks in.

    JPY_PARENT_PID is the kernel's real parent (pid 1 of the sandbox's pid namespace under bwrap):
    ipykernel then exits if that parent dies, and does not print its "standalone kernel" banner.
    """
    path = os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])
    return {
        "PATH": path,
        "HOME": home,
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": f"{home}/{MPL_DIR}",
        # Figures are made but never drawn: drawing them (the inline backend's PNGs) was about a
        # quarter of a notebook's CPU time, and no grade depends on a picture. Students keep their
        # plots in their own notebook and PDF; the feedback page says so.
        "MPLBACKEND": "agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "JPY_PARENT_PID": str(parent_pid),
    }


def _system_binds() -> list[str]:
    """/usr read-only, and the merged-usr symlinks (/lib -> usr/lib) recreated as symlinks."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    for etc in ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts"):
        if Path(etc).exists():
            args += ["--ro-bind", etc, etc]
    return args


def bwrap_argv(
    workdir: Path, socket_dir: Path, limits: Limits, *, kernel_cmd: list[str], font_list: Path | None = None
) -> list[str]:
    """The bwrap command line. Order matters: /tmp tmpfs, then read-only binds, then writable ones."""
    args = [BWRAP, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += ["--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    args += _system_binds()
    for root in python_roots():
        args += ["--ro-bind", str(root), str(root)]
    for src in extra_source_files():
        args += ["--ro-bind", str(src), str(src)]
    args += ["--ro-bind", str(KERNEL_GUARD), str(KERNEL_GUARD_INSIDE)]
    if font_list is not None:  # read-only, inside the kernel's writable MPLCONFIGDIR (HOME is /tmp)
        args += ["--ro-bind", str(font_list), f"/tmp/{MPL_DIR}/{font_list.name}"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--bind", str(socket_dir), str(socket_dir)]
    args += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    args += ["--remount-ro", "/"]  # the skeleton (/work, /etc, ...) too: writes fail with EROFS
    args += ["--clearenv"]
    for key, value in kernel_env("/tmp", parent_pid=1).items():
        args += ["--setenv", key, value]
    return [*args, "--", *kernel_cmd]


def probe_bwrap() -> str | None:
    """None if bwrap can build a sandbox like ours here, else the reason it cannot."""
    exe = shutil.which(BWRAP)
    if exe is None:
        return "bwrap is not installed"
    cmd = bwrap_argv(Path("/tmp"), Path("/tmp"), Limits(), kernel_cmd=[sys.executable, "-c", "pass"])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap probe failed: {exc}"
    if proc.returncode != 0:
        return f"bwrap probe exited {proc.returncode}: {proc.stderr.strip()[-300:]}"
    return None


# --- cgroups: the only per-sandbox process cap that works for uid 0 ---------------------------


def _own_cgroup(controller: str) -> Path | None:
    """The directory of this process's cgroup for `controller` (v1), or the unified one (v2)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        v1 = CGROUP_ROOT / controller
        if controller in controllers.split(",") and v1.is_dir():
            return v1 / rel.lstrip("/")
    unified = [line.split(":", 2)[2] for line in lines if line.startswith("0::")]
    if unified and (CGROUP_ROOT / "cgroup.controllers").exists():
        return CGROUP_ROOT / unified[0].lstrip("/")
    return None


def cgroup_dirs(name: str) -> dict[str, Path]:
    """Where the pids and memory cgroups of sandbox `name` live (they may not exist)."""
    dirs = {}
    for controller in ("pids", "memory"):
        parent = _own_cgroup(controller)
        if parent is not None:
            dirs[controller] = parent / f"{CGROUP_PREFIX}{name}"
    return dirs


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def join_cgroups(name: str, limits: Limits) -> list[str]:
    """Create and enter per-sandbox cgroups; returns what is enforced (empty if nothing could be)."""
    enforced = []
    for controller, path in cgroup_dirs(name).items():
        try:
            path.mkdir(exist_ok=True)
            memory = limits.memory_bytes + limits.memory_reserve_bytes
            if controller == "pids":
                _write(path / "pids.max", str(limits.max_processes))
            elif (path / "memory.limit_in_bytes").exists():
                _write(path / "memory.limit_in_bytes", str(memory))
            else:
                _write(path / "memory.max", str(memory))
                _write(path / "memory.swap.max", "0")
            _write(path / "cgroup.procs", str(os.getpid()))
            enforced.append(controller)
        except OSError:
            continue
    return enforced


def set_rlimits(limits: Limits) -> None:
    """Per-process limits; inherited by bwrap and everything inside it."""
    cpu = limits.cpu_seconds
    memory = limits.memory_bytes + limits.memory_reserve_bytes  # kernel_guard lowers it for each cell
    pairs = {
        resource.RLIMIT_AS: (memory, memory),
        # soft < hard: the kernel gets SIGXCPU (exit 128+24, reported as a CPU limit), not SIGKILL
        resource.RLIMIT_CPU: (cpu, cpu + 5),
        resource.RLIMIT_FSIZE: (limits.file_bytes, limits.file_bytes),
        resource.RLIMIT_NPROC: (limits.max_processes, limits.max_processes),
        resource.RLIMIT_NOFILE: (limits.open_files, limits.open_files),
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, (soft, hard) in pairs.items():
        resource.setrlimit(which, (soft, hard))


def kernel_command(
    connection_file: str, limits: Limits, extra: list[str], *, guard: Path = KERNEL_GUARD
) -> list[str]:
    """ipykernel in this interpreter, guarded (kernel_guard.py at `guard`, as the kernel sees it)."""
    return [
        sys.executable,
        str(guard),
        f"--output-chars={limits.output_chars}",
        f"--memory-bytes={limits.memory_bytes}",
        f"--memory-reserve={limits.memory_reserve_bytes}",
        "-f",
        connection_file,
        *extra,
    ]


def main(argv: list[str] | None = None) -> int:
    """Parse, confine, exec. Never returns on success."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["bwrap", "rlimits-only", "auto"], default="auto")
    parser.add_argument("--limits", default="{}")
    parser.add_argument("--font-list", type=Path, help="matplotlib's font list, given to the kernel")
    parser.add_argument("-f", dest="connection_file", required=True)
    args, extra = parser.parse_known_args(argv)
    limits = Limits.from_mapping(json.loads(args.limits))
    connection_file = Path(args.connection_file).resolve()
    info = json.loads(connection_file.read_text())
    mode = args.mode
    if mode == "auto":
        mode = "bwrap" if probe_bwrap() is None else "rlimits-only"
    if mode == "bwrap" and info.get("transport") != "ipc":
        print(
            "sandbox kernel: bwrap mode needs transport='ipc' (TCP cannot cross the netns)", file=sys.stderr
        )
        return 2
    workdir = Path.cwd().resolve()
    guard = KERNEL_GUARD_INSIDE if mode == "bwrap" else KERNEL_GUARD
    cmd = kernel_command(str(connection_file), limits, extra, guard=guard)
    enforced = join_cgroups(connection_file.stem, limits)
    if "pids" not in enforced and os.getuid() == 0:
        print(
            "sandbox kernel: WARNING no pids cgroup and RLIMIT_NPROC does not bind uid 0: "
            "process count is unbounded (only CPU/wall-time limits stop a fork bomb)",
            file=sys.stderr,
        )
    set_rlimits(limits)
    font_list = args.font_list if args.font_list and args.font_list.is_file() else None
    if mode == "bwrap":
        os.execvp(
            BWRAP, bwrap_argv(workdir, connection_file.parent, limits, kernel_cmd=cmd, font_list=font_list)
        )
    home = connection_file.parent
    if font_list is not None:
        (home / MPL_DIR).mkdir(exist_ok=True)
        shutil.copy(font_list, home / MPL_DIR / font_list.name)
    os.execve(cmd[0], cmd, kernel_env(str(home), os.getppid()))
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
