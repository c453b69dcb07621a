"""Matching benchmark: time, score and the gap to an optimum or a bound, per format and size.

    python benchmarks/match.py            # 100, 1,000 and 10,000 members (groups: 100, 1,000)
    python benchmarks/match.py --quick    # 100 and 1,000 members

Random rosters: 3 goals, 3 offers and 2 obstacles of 40 topics, levels 1-5, six
timezones, 20 departments with `not_same: [department]`. Figures:

- mentoring: `gap` is to the exact optimum (a dense assignment) where peerkit went sparse;
- pairs: `bound` is the best cycle cover (assignment on the symmetric score matrix), an
  upper bound on any pairing; `exact` runs the blossom algorithm on every feasible pair
  (up to 1,000 members);
- groups: peerkit's iterated local search against greedy-with-swaps (peerkit's own start
  plus swap descent) and, when OR-Tools is installed (`pip install peerkit[bench]`), a
  10-second CP-SAT run on the same roster; `bound` is each member's best possible
  teammates, a simple (loose) upper bound.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The script's own folder would come first on sys.path, and benchmarks/calendar.py would
# then stand in for the standard library's calendar module.
sys.path[0] = str(ROOT)

from peerkit.load import load_folder  # noqa: E402
from peerkit.match import match_round  # noqa: E402
from peerkit.model import Folder  # noqa: E402

TOPICS = [f"topic {k}" for k in range(40)]
ZONES = [
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
]


def make_roster(root: Path, count: int, fmt: str, seed: int = 1) -> Folder:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yaml").write_text(
        "name: Benchmark\ntimezone: UTC\nstart: 2027-01-01\nend: 2027-12-31\n"
        f"format: {fmt}\ncapacity: 2\ngroup_size: {{min: 4, max: 6}}\n"
        "matching:\n  seed: 1\n  rules:\n    not_same: [department]\n  diversity: [industry]\n",
        encoding="utf-8",
    )
    lines = [
        "id,name,role,department,timezone,goals,offers,obstacles,"
        "knowledge,experience,authority,industry"
    ]
    for k in range(count):
        role = ("mentor" if k % 3 == 0 else "mentee") if fmt == "mentoring" else "peer"
        lines.append(
            f"m{k:05d},Member {k},{role},dept{rng.randrange(20)},{rng.choice(ZONES)},"
            f"{';'.join(rng.sample(TOPICS, 3))},{';'.join(rng.sample(TOPICS, 3))},"
            f"{';'.join(rng.sample(TOPICS, 2))},{rng.randint(1, 5)},{rng.randint(1, 5)},"
            f"{rng.randint(1, 5)},industry{rng.randrange(10)}"
        )
    (root / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder, problems = load_folder(root)
    assert folder is not None, problems
    return folder


def timed(make: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = make()
    return value, time.perf_counter() - start


def pool_of(folder: Folder) -> Any:
    from peerkit.match.pool import build_pool

    return build_pool(folder, list(folder.members), "bench")


def mentoring_exact(folder: Folder) -> float:
    """The exact optimum by a dense assignment, whatever the roster size."""
    import numpy as np

    from peerkit.match.solve import _mentoring_dense

    pool = pool_of(folder)
    mentors = [i for i, m in enumerate(pool.members) if m.role == "mentor"]
    mentees = [i for i, m in enumerate(pool.members) if m.role == "mentee"]
    capacity = np.array([pool.members[i].capacity for i in mentors])
    solved = _mentoring_dense(
        pool, np.array(mentees), np.array(mentors), capacity, lambda _p, _d: None
    )
    return sum(solved.scores)


def pairs_reference(folder: Folder, exact: bool) -> tuple[float, float | None]:
    """(cycle-cover bound, exact blossom optimum on every feasible pair or None)."""
    import numpy as np
    import rustworkx as rx

    from peerkit.match.solve import SCALE, cycle_cover_bound, dense_pairs

    pool = pool_of(folder)
    free = np.arange(pool.size)
    score, ok = dense_pairs(pool, free)
    bound = cycle_cover_bound(score, ok)
    if not exact:
        return bound, None
    a, b = np.nonzero(np.triu(ok, 1))
    graph = rx.PyGraph()
    graph.add_nodes_from(range(pool.size))
    weights = np.rint(score[a, b] * SCALE).astype(np.int64).tolist()
    graph.add_edges_from(list(zip(a.tolist(), b.tolist(), weights, strict=True)))
    matched = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda w: w)
    return bound, float(sum(score[x, y] for x, y in matched))


def groups_cpsat(folder: Folder, seconds: float) -> float | None:
    """Teams by CP-SAT in `seconds` (None when OR-Tools is missing or finds nothing)."""
    try:
        from ortools.sat.python import cp_model
    except ImportError:
        return None
    import numpy as np

    from peerkit.match.groups import plan_sizes
    from peerkit.match.rules import feasible_block
    from peerkit.match.score import score_block

    pool = pool_of(folder)
    n = pool.size
    idx = np.arange(n)
    score, ok = score_block(pool, idx, idx), feasible_block(pool, idx, idx)
    sizes = plan_sizes(n, 4, 6)
    model = cp_model.CpModel()
    x = {(i, g): model.NewBoolVar(f"x{i}_{g}") for i in range(n) for g in range(len(sizes))}
    for i in range(n):
        model.AddExactlyOne(x[i, g] for g in range(len(sizes)))
    for g, size in enumerate(sizes):
        model.Add(sum(x[i, g] for i in range(n)) == size)
    terms = []
    for i in range(n):
        for j in range(i + 1, n):
            for g, size in enumerate(sizes):
                if not ok[i, j]:
                    model.AddBoolOr([x[i, g].Not(), x[j, g].Not()])
                    continue
                y = model.NewBoolVar("")
                model.AddImplication(y, x[i, g])
                model.AddImplication(y, x[j, g])
                terms.append(round(2000 * float(score[i, j]) / (size - 1)) * y)
    model.Maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return float(solver.ObjectiveValue()) / 1000


def row(*cells: object) -> None:
    print("  ".join(f"{c!s:>12}" for c in cells), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 members only")
    parser.add_argument("--cpsat-seconds", type=float, default=10.0)
    args = parser.parse_args()
    sizes = [100, 1000] if args.quick else [100, 1000, 10000]
    with tempfile.TemporaryDirectory() as tmp:
        print("\nmentoring (capacity 2, a third are mentors)")
        row("members", "seconds", "total", "exact", "gap %", "matched")
        for count in sizes:
            folder = make_roster(Path(tmp) / f"mentoring-{count}", count, "mentoring")
            result, seconds = timed(lambda f=folder: match_round(f, "bench"))
            total = result.summary["total"]
            best = total if result.summary["optimal"] else mentoring_exact(folder)
            gap = 100 * (best - total) / best if best else 0.0
            row(
                count,
                f"{seconds:.2f}",
                f"{total:.2f}",
                f"{best:.2f}",
                f"{gap:.4f}",
                result.summary["matched"],
            )
        print("\npairs")
        row("members", "seconds", "total", "exact", "bound", "gap %")
        for count in sizes:
            folder = make_roster(Path(tmp) / f"pairs-{count}", count, "pairs")
            result, seconds = timed(lambda f=folder: match_round(f, "bench"))
            total = result.summary["total"]
            bound, exact = pairs_reference(folder, exact=count <= 1000)
            gap = 100 * (bound - total) / bound if bound else 0.0
            shown = f"{exact:.2f}" if exact is not None else "-"
            row(count, f"{seconds:.2f}", f"{total:.2f}", shown, f"{bound:.2f}", f"{gap:.4f}")
        print("\ngroups of 4-6 (objective: each member's mean score with teammates, summed)")
        row("members", "seconds", "peerkit", "greedy+swap", "cp-sat", "bound", "gap %")
        for count in [c for c in sizes if c <= 1000]:
            folder = make_roster(Path(tmp) / f"groups-{count}", count, "groups")
            result, seconds = timed(lambda f=folder: match_round(f, "bench"))
            greedy = match_round(folder, "bench", effort=0.0).summary["total"]
            cpsat = groups_cpsat(folder, args.cpsat_seconds) if count <= 100 else None
            summary = result.summary
            row(
                count,
                f"{seconds:.2f}",
                f"{summary['total']:.2f}",
                f"{greedy:.2f}",
                "-" if cpsat is None else f"{cpsat:.2f}",
                f"{summary['bound']:.2f}",
                f"{summary['gap_percent']:.2f}",
            )


if __name__ == "__main__":
    main()
