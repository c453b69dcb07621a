"""`peerkit match` on a 10,000-member pairs roster beside rustworkx on the same candidate graph.

    python benchmarks/match_pairs.py [--members 10000] [--partners 10] [--times 1]

The roster is generated as for benchmarks/match.py (members.csv: 3 goals, 3 offers and 2
obstacles of 40 topics, levels, six timezones, `not_same: [department]`). peerkit runs
as a user runs it, in a subprocess, writing rounds/bench.yaml. The anchor
(benchmarks/anchors/match_pairs_rustworkx.py) scores with peerkit's library and runs
rustworkx's maximum-weight matching on each member's `--partners` best partners (the graph
peerkit's blossom step uses at 10,000). Printed: wall and CPU seconds, peak memory, the
ratio, both totals, peerkit's reported bound (the cycle-cover bound) and its gap.
Goal: <= 12 s, gap to the reported bound <= 0.1%.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent)  # harness, not the stdlib's namesakes

from harness import PYTHON, ROOT, best, peerkit, ratio  # noqa: E402
from match_mentoring import write_folder  # noqa: E402

ANCHOR = ROOT / "benchmarks" / "anchors" / "match_pairs_rustworkx.py"


def main() -> None:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=10)
    parser.add_argument("--times", type=int, default=1, help="runs each; the fastest counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_folder(Path(tmp) / "pairs", args.members, spread=False, fmt="pairs")
        argv = [PYTHON, str(ANCHOR), str(folder), "--partners", str(args.partners)]
        anchor = best(argv, args.times)
        theirs = json.loads(subprocess.run(argv, check=True, capture_output=True).stdout)
        runs = []
        for _ in range(args.times):
            shutil.rmtree(folder / "rounds", ignore_errors=True)
            runs.append(best(peerkit("match", folder, "--round", "bench"), 1))
        ours = min(runs, key=lambda r: r.wall)
        text = (folder / "rounds" / "bench.yaml").read_text(encoding="utf-8")
        summary = yaml.safe_load(text)["summary"]
    print(f"\npairs, {args.members} members from members.csv")
    print(anchor.line(f"anchor: rustworkx, {args.partners} best"))
    print(ours.line("peerkit match"))
    print(ratio("peerkit / anchor", ours, anchor))
    bound = float(summary["bound"])
    print(
        f"{'total score':<34}anchor {theirs['total']} ({theirs['pairs']} pairs), "
        f"peerkit {summary['total']} ({summary['matches']} matches)"
    )
    print(
        f"{'reported bound (cycle cover)':<34}{bound}: peerkit {summary['gap_percent']}% below, "
        f"anchor {100 * (bound - theirs['total']) / bound:.3f}% below"
    )
    met = ours.wall <= 12 and float(summary["gap_percent"]) <= 0.1
    print(f"{'goal (<= 12 s, gap <= 0.1%)':<34}{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
