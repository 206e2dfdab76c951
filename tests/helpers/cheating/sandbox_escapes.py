"""Hostile (and one honest) notebooks for the sandbox tests, built from source strings.

Each notebook reports what it managed to do by printing `LEAK ...` (a sandbox failure) or
`BLOCKED ...` lines, so a test can assert on the output instead of trusting the cell's own asserts.
Inputs that depend on the host (a port, paths of secrets) are read from `targets.json` in the
notebook's working directory, which the test writes before executing.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

PROBE = """
import json, os
targets = json.load(open("targets.json")) if os.path.exists("targets.json") else {}
def probe(label, fn):
    try:
        fn()
    except Exception as exc:
        print("BLOCKED", label, type(exc).__name__)
    else:
        print("LEAK", label)
"""

CASES: dict[str, list[str]] = {
    "honest": [
        "import edf, numpy as np, matplotlib\nimport matplotlib.pyplot as plt",
        "plt.plot(np.arange(10) ** 2)\nplt.show()",
        "with np.load('digits.npz') as d:\n    print(d['train_images'].shape, d['test_images'].shape)",
        "x = edf.Input()\nopen('result.txt', 'w').write('ok')\nprint('done')",
    ],
    "read_outside": [
        PROBE,
        "for path in targets['read']:\n    probe('read ' + path, lambda p=path: open(p).read())",
        "for path in targets['list']:\n    print('LIST', path, json.dumps(sorted(os.listdir(path))))",
    ],
    "write_outside": [
        PROBE,
        "for path in targets['write']:\n    probe('write ' + path, lambda p=path: open(p, 'w').write('x'))",
    ],
    "network": [
        PROBE,
        "import socket\n"
        "def connect(addr):\n"
        "    with socket.create_connection(addr, timeout=3):\n"
        "        pass\n"
        "probe('host-server', lambda: connect(('127.0.0.1', targets['port'])))\n"
        "probe('internet', lambda: connect(('8.8.8.8', 53)))",
    ],
    "env": ["import os\nprint(sorted(os.environ.items()))"],
    "fonts": [
        PROBE,
        "import io, logging\n"
        "log = io.StringIO()\n"
        "logger = logging.getLogger('matplotlib.font_manager')\n"
        "logger.addHandler(logging.StreamHandler(log))\n"
        "logger.setLevel(logging.INFO)\n"
        "import matplotlib.font_manager\n"
        "print('FONTS', 'rebuilt' if 'generated new fontManager' in log.getvalue() else 'loaded')",
        "folder = os.environ['MPLCONFIGDIR']\n"
        "lists = [f for f in os.listdir(folder) if f.startswith('fontlist')]\n"
        "print('LISTS', lists)\n"
        "probe('font list', lambda: open(os.path.join(folder, lists[0]), 'a').write('x'))\n"
        "open(os.path.join(folder, 'other.txt'), 'w').write('its folder stays writable')",
    ],
    "memory_bomb": [
        "import numpy as np\nx = np.ones(1 << 30)  # 8 GiB of float64",
        "print('still alive')",
    ],
    "memory_bomb_children": [
        "import os, time\n"
        "pids = []\n"
        "for _ in range(4):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        try:\n"
        "            block = bytearray(800 << 20)\n"
        "            block[::4096] = b'x' * len(block[::4096])  # touch every page\n"
        "            time.sleep(3)\n"
        "        finally:\n"
        "            os._exit(0)\n"
        "    pids.append(pid)\n"
        "for pid in pids:\n"
        "    print(pid, os.waitpid(pid, 0))",
    ],
    "fork_bomb": [
        "import os, time\n"
        "n = 0\n"
        "try:\n"
        "    for _ in range(1000):\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(60)\n"
        "            os._exit(0)\n"
        "        n += 1\n"
        "finally:\n"
        "    print('forked', n)",
    ],
    "infinite_loop": ["while True:\n    pass", "print('never')"],
    "cpu_burn": ["import threading\nwhile True:\n    sum(range(10000))"],
    "slow_cells": ["import time\ntime.sleep(2)"] * 4,
    "os_exit": ["print('bye')", "import os\nos._exit(1)", "print('never')"],
    "huge_file": [
        "chunk = b'x' * (1 << 20)\n"
        "written = 0\n"
        "try:\n"
        "    with open('big.bin', 'wb') as f:\n"
        "        for _ in range(1024):\n"
        "            f.write(chunk)\n"
        "            f.flush()\n"
        "            written += 1\n"
        "finally:\n"
        "    print('MiB written', written)",
    ],
}


def build_notebook(name: str, dest: Path) -> Path:
    """Write case `name` as a python3 notebook at `dest` (the sandbox must ignore that kernel name)."""
    nb = new_notebook(cells=[new_code_cell(src) for src in CASES[name]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    dest = Path(dest)
    nbformat.write(nb, str(dest))
    return dest
