"""`peerkit match` on 1,000 members in teams of 4-6 beside greedy + swaps and CP-SAT.

    python benchmarks/match_groups.py [--members 1000]

peerkit runs as a user runs it, in a subprocess, writing rounds/bench.yaml; its
objective (each member's mean score with teammates, summed) and its reported bound come
from the round file. Greedy + swaps is peerkit's own start and swap descent without the
iterated local search (`effort=0`); CP-SAT (benchmarks/match.py's model, each member's
20 best partners) gets the same wall-clock time peerkit took. Goal: <= 15 s, and better
than both.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent)  # harness, not the stdlib's namesakes

from harness import best, peerkit  # noqa: E402
from match import groups_cpsat, make_roster  # noqa: E402

from peerkit.load.folder import load_folder  # noqa: E402
from peerkit.match import match_round  # noqa: E402


def main() -> None:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_roster(Path(tmp) / "groups", args.members, "groups")
        shutil.rmtree(folder.root / "rounds", ignore_errors=True)
        ours = best(peerkit("match", folder.root, "--round", "bench"), 1)
        text = (folder.root / "rounds" / "bench.yaml").read_text(encoding="utf-8")
        summary = yaml.safe_load(text)["summary"]
        shutil.rmtree(folder.root / "rounds")
        fresh, _ = load_folder(folder.root)
        assert fresh is not None
        greedy = match_round(fresh, "bench", effort=0.0).summary.total
        cpsat = groups_cpsat(fresh, ours.wall, partners=20)
    print(f"\ngroups of 4-6, {args.members} members")
    print(ours.line("peerkit match"))
    total, bound = float(summary["total"]), float(summary["bound"])
    print(
        f"{'peerkit objective':<34}{total:.2f} (bound {bound:.2f}, gap {summary['gap_percent']}%)"
    )
    print(
        f"{'greedy + swaps':<34}{greedy:.2f} ({100 * (total - greedy) / greedy:+.2f}% to peerkit)"
    )
    if cpsat is None or cpsat.objective is None:
        print(f"{'cp-sat, ' + f'{ours.wall:.1f} s':<34}no teams ({cpsat.status if cpsat else '-'})")
    else:
        print(
            f"{'cp-sat, ' + f'{ours.wall:.1f} s':<34}{cpsat.objective:.2f} "
            f"({100 * (total - cpsat.objective) / cpsat.objective:+.2f}% to peerkit)"
        )
    rivals = [greedy] + ([cpsat.objective] if cpsat and cpsat.objective is not None else [])
    met = ours.wall <= 15 and total >= max(rivals)
    print(f"{'goal (<= 15 s, best of the three)':<34}{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
