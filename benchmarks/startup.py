"""How long `peerkit --help` takes, beside a bare Typer app's start-up (best of N runs)."""

from __future__ import annotations

import subprocess
import sys
import time

RUNS = 7
BARE = (
    "import typer\n"
    "app = typer.Typer()\n"
    "@app.command()\n"
    "def hello() -> None:\n    pass\n"
    "@app.command()\n"
    "def bye() -> None:\n    pass\n"
    "app()\n"
)


def best_of(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    python = sys.executable
    bare = best_of([python, "-c", BARE, "--help"])
    peerkit = best_of([python, "-m", "peerkit", "--help"])
    interpreter = best_of([python, "-c", "pass"])
    print(f"{'python -c pass':<22}{interpreter * 1000:8.0f} ms")
    print(f"{'bare typer --help':<22}{bare * 1000:8.0f} ms")
    print(f"{'peerkit --help':<22}{peerkit * 1000:8.0f} ms")
    print(f"{'peerkit overhead':<22}{(peerkit - bare) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
