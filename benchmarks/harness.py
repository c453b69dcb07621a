"""What every benchmark measures: a command run in a subprocess as a user runs it.

`run` times the whole process (start-up, reading, writing its output) and reads its
peak memory and CPU time from the kernel's record of that one child (os.wait4), so a
figure never mixes two runs. The machine is shared: CPU seconds say what the command
costs when wall-clock time is stretched by other work.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass(frozen=True)
class Run:
    wall: float  # seconds, start to exit
    cpu: float  # user + system seconds of the process
    peak_mb: float  # peak resident memory
    output: int  # bytes written to stdout
    code: int  # exit code

    def line(self, label: str) -> str:
        return (
            f"{label:<34}{self.wall:7.2f} s  (cpu {self.cpu:6.2f} s)  "
            f"{self.peak_mb:6.0f} MB  {self.output / 1e6:6.1f} MB out"
        )


def run(argv: list[str], cwd: Path | None = None, check: bool = True) -> Run:
    """Run `argv` with stdout to a file (read back as a pipe would be) and stderr discarded."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-out-{os.getpid()}"
    with out_path.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, cwd=cwd)
        assert process.stderr is not None
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    size = out_path.stat().st_size
    out_path.unlink()
    if check and process.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({process.returncode}):\n{errors.decode()[-2000:]}")
    return Run(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,  # kilobytes on Linux
        size,
        process.returncode,
    )


def best(argv: list[str], times: int, cwd: Path | None = None) -> Run:
    """The fastest of `times` runs (by wall-clock time)."""
    return min((run(argv, cwd) for _ in range(times)), key=lambda r: r.wall)


def ratio(label: str, ours: Run, anchor: Run, goal: float | None = None) -> str:
    """`ours / anchor` by wall-clock and by CPU time, with the goal when there is one."""
    wanted = f" (goal <= {goal:g} x)" if goal else ""
    return (
        f"{label:<34}{ours.wall / anchor.wall:7.2f} x wall, "
        f"{ours.cpu / anchor.cpu:5.2f} x cpu{wanted}"
    )


def peerkit(*args: str | Path) -> list[str]:
    """The command line of `peerkit ARGS`: the `peerkit` script installed beside this
    interpreter, what a user types (`python -m peerkit` when there is none; it also
    imports runpy, 6 ms)."""
    script = Path(PYTHON).parent / "peerkit"
    command = [str(script)] if script.is_file() else [PYTHON, "-m", "peerkit"]
    return [*command, *(str(a) for a in args)]
