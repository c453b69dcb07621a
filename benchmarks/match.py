"""Matching benchmark: time, score and the gap to an optimum or a bound, per format and size.

    python benchmarks/match.py            # 100, 1,000 and 10,000 members (pairs also 2,000;
                                          # groups: 100, 1,000)
    python benchmarks/match.py --quick    # 100 and 1,000 members

Random rosters: 3 goals, 3 offers and 2 obstacles of 40 topics, levels 1-5, six
timezones, 20 departments with `not_same: [department]`. Figures:

- mentoring: `gap` is to the exact optimum (a dense assignment) when peerkit's flow is not
  proven optimal;
- pairs: `exact` gives the blossom algorithm every feasible pair (up to
  `--exact-limit` members); `bound` is the best cycle cover (assignment on the
  symmetric score matrix), an upper bound on any pairing; `proven` is peerkit's own
  claim of optimality (its LP-dual proof, up to 4,000 members);
- groups: peerkit's iterated local search against greedy-with-swaps (peerkit's own start
  plus swap descent) and, when OR-Tools is installed (`pip install peerkit[bench]`), a
  10-second CP-SAT run on the same roster, its teams scored by peerkit's objective;
  `bound` is each member's best possible teammates, a simple (loose) upper bound, and
  `cp-sat bound` CP-SAT's own proven bound when its model holds every pair.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The script's own folder would come first on sys.path, and benchmarks/calendar.py would
# then stand in for the standard library's calendar module.
sys.path[0] = str(ROOT)

from peerkit.load.folder import load_folder  # noqa: E402
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
    """The exact optimum by a dense assignment on every (mentee, mentor slot) cell, whatever
    the roster size: most mentees first, then (matching.spread) most mentors with one."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    from peerkit.match.rules import feasible_block
    from peerkit.match.score import score_block

    pool = pool_of(folder)
    mentors = np.array([i for i, m in enumerate(pool.members) if m.role == "mentor"])
    mentees = np.array([i for i, m in enumerate(pool.members) if m.role == "mentee"])
    capacity = np.array([pool.members[i].capacity for i in mentors])
    score = score_block(pool, mentees, mentors, directed=True)
    ok = feasible_block(pool, mentees, mentors)
    slot_of = np.repeat(np.arange(len(mentors)), capacity)
    later = np.concatenate([np.arange(c) > 0 for c in capacity])
    top = float(np.abs(score).max()) + 1.0
    penalty = top * (len(mentees) + 1) if folder.program.matching.spread else 0.0
    bonus = (penalty + top) * (len(mentees) + 1)
    value = np.where(ok[:, slot_of], score[:, slot_of] + bonus - np.where(later, penalty, 0), 0)
    rows, cols = linear_sum_assignment(value, maximize=True)
    chosen = ok[rows, slot_of[cols]]
    return float(score[rows[chosen], slot_of[cols[chosen]]].sum())


def pairs_reference(folder: Folder, exact: bool) -> tuple[float, float | None]:
    """(cycle-cover bound, the blossom optimum with every feasible pair an edge, or None)."""
    import numpy as np

    from peerkit.match.solve import SCALE, _blossom, cycle_cover_bound, dense_pairs

    pool = pool_of(folder)
    free = np.arange(pool.size)
    score, ok = dense_pairs(pool, free)
    bound = cycle_cover_bound(score, ok)
    if not exact:
        return bound, None
    a, b = np.nonzero(np.triu(ok, 1))
    weight = np.rint(score[a, b] * SCALE)
    matched = _blossom(pool.size, a, b, weight)
    # In the round file's 3 decimals, as peerkit's matches are compared below.
    return bound, sum(round(float(score[x, y]), 3) for x, y in matched)


@dataclass
class CpSat:
    """A CP-SAT run on a groups roster: its teams scored as peerkit scores them."""

    objective: float | None  # None: no teams found in the time
    bound: float | None  # CP-SAT's proven upper bound, when its model had every pair
    status: str
    pairs: int  # pair terms in the model


def groups_cpsat(folder: Folder, seconds: float, partners: int | None = None) -> CpSat | None:
    """Teams by CP-SAT in `seconds` (None when OR-Tools is missing).

    The model: a team number per member, a count of members per team, the rule-breaking
    pairs kept apart, and a yes/no "same team" variable for each pair worth scoring
    (all pairs, or each member's `partners` best when the roster is large) carrying that
    pair's score. Teams are interchangeable, so member k may only open team k at most
    (first members in order). Its teams are then scored with peerkit's objective.
    """
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
    teams = len(sizes)
    equal = len(set(sizes)) == 1 and sum(sizes) == n
    model = cp_model.CpModel()
    team = [model.NewIntVar(0, min(k, teams - 1), f"t{k}") for k in range(n)]
    x = [[model.NewBoolVar("") for _ in range(teams)] for _ in range(n)]
    for k in range(n):
        model.AddExactlyOne(x[k])
        model.Add(team[k] == sum(g * x[k][g] for g in range(teams)))
    for g, size in enumerate(sizes):
        model.Add(sum(x[k][g] for k in range(n)) == size)
    if equal:  # the lowest-numbered member of team g+1 comes after team g's
        opened = [model.NewIntVar(0, teams - 1, "") for _ in range(n)]
        model.Add(opened[0] == team[0])
        for k in range(1, n):
            model.AddMaxEquality(opened[k], [opened[k - 1], team[k]])
            model.Add(team[k] <= opened[k - 1] + 1)
    a, b = np.nonzero(np.triu(~ok, 1))
    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        model.Add(team[i] != team[j])
    if partners is None or partners >= n - 1:
        pa, pb = np.nonzero(np.triu(ok, 1))
    else:
        masked = np.where(ok, score, -np.inf)
        np.fill_diagonal(masked, -np.inf)
        best = np.argpartition(-masked, partners - 1, axis=1)[:, :partners]
        rows = np.repeat(idx, partners)
        cols = best.ravel()
        good = np.isfinite(masked[rows, cols])
        keys = np.unique(np.minimum(rows, cols)[good] * n + np.maximum(rows, cols)[good])
        pa, pb = keys // n, keys % n
    factor = 2 / (sum(sizes) / teams - 1)  # each member's mean: a pair counts twice / (size-1)
    terms = []
    for i, j in zip(pa.tolist(), pb.tolist(), strict=True):
        weight = round(1000 * factor * float(score[i, j]))
        if weight <= 0:
            continue
        same = model.NewBoolVar("")
        model.Add(team[i] == team[j]).OnlyEnforceIf(same)
        terms.append(weight * same)
    model.Maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    status = solver.Solve(model)
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return CpSat(None, None, name, len(terms))
    found = [solver.Value(t) for t in team]
    members = [[k for k in range(n) if found[k] == g] for g in range(teams)]
    objective = 0.0
    for group in members:
        block = score[np.ix_(group, group)]
        objective += float(block.sum() - np.trace(block)) / max(len(group) - 1, 1)
    complete = equal and (partners is None or partners >= n - 1)
    bound = solver.BestObjectiveBound() / 1000 if complete else None
    return CpSat(objective, bound, name, len(terms))


def row(*cells: object) -> None:
    print("  ".join(f"{c!s:>12}" for c in cells), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 members only")
    parser.add_argument("--cpsat-seconds", type=float, default=10.0)
    parser.add_argument(
        "--exact-limit",
        type=int,
        default=2000,
        help="largest pairs roster also solved on every feasible pair (slow: ~1 min at 2,000)",
    )
    args = parser.parse_args()
    sizes = [100, 1000] if args.quick else [100, 1000, 10000]
    pair_sizes = [100, 1000] if args.quick else [100, 1000, 2000, 10000]
    with tempfile.TemporaryDirectory() as tmp:
        print("\nmentoring (capacity 2, a third are mentors)")
        row("members", "seconds", "total", "exact", "gap %", "matched")
        for count in sizes:
            folder = make_roster(Path(tmp) / f"mentoring-{count}", count, "mentoring")
            result, seconds = timed(lambda f=folder: match_round(f, "bench"))
            total = result.summary.total
            best = total if result.summary.optimal else mentoring_exact(folder)
            gap = 100 * (best - total) / best if best else 0.0
            row(
                count,
                f"{seconds:.2f}",
                f"{total:.2f}",
                f"{best:.2f}",
                f"{gap:.4f}",
                result.summary.matched,
            )
        print(
            "\npairs (exact: every feasible pair given to the blossom algorithm; "
            "gap: to exact where run, else to the bound)"
        )
        row("members", "seconds", "total", "exact", "bound", "gap %", "proven")
        for count in pair_sizes:
            folder = make_roster(Path(tmp) / f"pairs-{count}", count, "pairs")
            result, seconds = timed(lambda f=folder: match_round(f, "bench"))
            total = sum(m.score for m in result.matches)
            bound, exact = pairs_reference(folder, exact=count <= args.exact_limit)
            best = exact if exact is not None else bound
            gap = round(100 * (best - total) / best, 6) + 0.0 if best else 0.0
            shown = f"{exact:.2f}" if exact is not None else "-"
            row(
                count,
                f"{seconds:.2f}",
                f"{total:.2f}",
                shown,
                f"{bound:.2f}",
                f"{gap:.4f}",
                "yes" if result.summary.optimal else "no",
            )
        print(
            "\ngroups of 4-6 (objective: each member's mean score with teammates, summed; "
            f"cp-sat: {args.cpsat_seconds:g} s on 2 workers, all pairs up to 200 members, "
            "each member's 20 best above; bound: each member's best possible teammates)"
        )
        row(
            "members",
            "seconds",
            "peerkit",
            "greedy+swap",
            "cp-sat",
            "cp-sat bound",
            "bound",
            "gap %",
            "best",
        )
        for count in [c for c in sizes if c <= 1000]:
            folder = make_roster(Path(tmp) / f"groups-{count}", count, "groups")
            result, seconds = timed(lambda f=folder: match_round(f, "bench"))
            greedy = match_round(folder, "bench", effort=0.0).summary.total
            cpsat = groups_cpsat(folder, args.cpsat_seconds, partners=None if count <= 200 else 20)
            summary = result.summary
            ours = summary.total
            if cpsat is None:
                theirs, their_bound = "not installed", "-"
            elif cpsat.objective is None:
                theirs, their_bound = f"none ({cpsat.status.lower()})", "-"
            else:
                theirs = f"{cpsat.objective:.2f}"
                their_bound = "-" if cpsat.bound is None else f"{cpsat.bound:.2f}"
            rivals = {"greedy+swap": greedy}
            if cpsat is not None and cpsat.objective is not None:
                rivals["cp-sat"] = cpsat.objective
            winner, top = max(rivals.items(), key=lambda kv: kv[1])
            best = (
                f"peerkit +{100 * (ours - top) / top:.1f}% over {winner}"
                if ours >= top
                else f"{winner} +{100 * (top - ours) / ours:.1f}%"
            )
            row(
                count,
                f"{seconds:.2f}",
                f"{ours:.2f}",
                f"{greedy:.2f}",
                theirs,
                their_bound,
                f"{summary.bound:.2f}",
                f"{summary.gap_percent:.2f}",
                best,
            )


if __name__ == "__main__":
    main()
