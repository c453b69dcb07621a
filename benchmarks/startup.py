"""How long `peerkit --help` takes, beside a bare two-command Typer app (best of N runs).

    python benchmarks/startup.py [RUNS]

Goal: at most 1.2 x the bare app. What peerkit imports at start-up is listed by
`python -X importtime -m peerkit --help`.
"""

from __future__ import annotations

import sys

from harness import PYTHON, best, peerkit, ratio

BARE = (
    "import typer\n"
    "app = typer.Typer()\n"
    "@app.command()\n"
    "def hello() -> None:\n    pass\n"
    "@app.command()\n"
    "def bye() -> None:\n    pass\n"
    "app()\n"
)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    interpreter = best([PYTHON, "-c", "pass"], runs)
    bare = best([PYTHON, "-c", BARE, "--help"], runs)
    ours = best(peerkit("--help"), runs)
    print(f"best of {runs} runs")
    print(interpreter.line("python -c pass"))
    print(bare.line("bare typer app --help"))
    print(ours.line("peerkit --help"))
    print(ratio("peerkit / bare typer", ours, bare, goal=1.2))


if __name__ == "__main__":
    main()
