"""Solving a round in each format (pairs, mentoring, groups) into drafts, with the reasons of
those the solver left out."""

from __future__ import annotations

from dataclasses import dataclass

from peerkit.match.describe import why_unmatched
from peerkit.match.draft import Draft, mentoring_loads
from peerkit.match.pool import Pool
from peerkit.match.results import Progress


@dataclass
class Solved:
    """What a format's solver made: new drafts, why the others were left out, whether the
    result is proven optimal, and an upper bound on the best total of the new matches."""

    made: list[Draft]
    reasons: dict[int, str]  # pool index -> why unmatched (the --fill steps may change it)
    exact: bool
    bound: float


def solve_pairs_round(pool: Pool, taken: set[int], progress: Progress) -> Solved:
    """Pairs of the members not `taken` (an odd one joins the pair they fit best)."""
    import numpy as np

    from peerkit.match.rules import feasible_block
    from peerkit.match.score import score_block
    from peerkit.match.solve import solve_pairs

    free = [i for i in range(pool.size) if i not in taken]
    solved = solve_pairs(pool, np.array(free, dtype=np.int64), progress)
    made = [Draft(list(pair)) for pair in solved.matches]
    matched = {i for d in made for i in d.members}
    left = [i for i in free if i not in matched]
    reasons: dict[int, str] = {}
    # An odd member joins the pair they fit best as a trio (each pair takes at most one).
    if left and made:
        pairs = np.array([d.members for d in made], dtype=np.int64)
        flat = pairs.ravel()
        for i in sorted(left, key=lambda k: pool.members[k].id):
            row = np.array([i])
            ok = feasible_block(pool, row, flat)[0].reshape(-1, 2).all(axis=1)
            ok &= np.array([len(d.members) == 2 for d in made])
            if not ok.any():
                continue
            gain = score_block(pool, row, flat)[0].reshape(-1, 2).sum(axis=1)
            best = int(np.argmax(np.where(ok, gain, -np.inf)))
            made[best].members.append(i)
    return Solved(made, reasons, solved.exact and not left, solved.bound)


def solve_mentoring_round(pool: Pool, drafts: list[Draft], progress: Progress) -> Solved:
    """Mentees to mentors with room left after the kept `drafts` (capacity counts mentees)."""
    import numpy as np

    from peerkit.match.solve import solve_mentoring

    program = pool.program
    per = program.matching.mentors_per_mentee
    reasons: dict[int, str] = {}
    used = mentoring_loads(pool, drafts)  # capacity counts mentees, not matches
    mentors, capacity, mentees, wanted, taken = [], [], [], [], []
    for i, member in enumerate(pool.members):
        if member.role == "mentor":
            room = member.capacity - used[i]
            if room > 0:
                mentors.append(i)
                capacity.append(room)
                taken.append(used[i])
            elif member.capacity == 0 and not used[i]:
                reasons[i] = "capacity is 0 in the roster"
        elif member.role == "mentee":
            need = per - used[i]
            if need > 0:
                mentees.append(i)
                wanted.append(need)
        elif not used[i]:
            reasons[i] = (
                "role is peer; in mentoring every member needs `role: mentor` or `role: mentee`"
            )
    solved = solve_mentoring(
        pool,
        np.array(mentees, dtype=np.int64),
        np.array(mentors, dtype=np.int64),
        np.array(capacity, dtype=np.int64),
        np.array(wanted, dtype=np.int64),
        progress,
        taken=np.array(taken, dtype=np.int64),
        spread=program.matching.spread,
    )
    made = [Draft(list(pair)) for pair in solved.matches]
    return Solved(made, reasons, solved.exact, solved.bound)


def solve_groups_round(
    pool: Pool, drafts: list[Draft], seed: int, effort: float, progress: Progress
) -> Solved:
    """Teams around the locked `drafts`; pinned drafts become blocks inside a team (and
    are taken out of `drafts`: the team that holds them replaces them)."""
    from peerkit.match.groups import make_teams

    program = pool.program
    locked = [d for d in drafts if d.locked]
    pins = [d for d in drafts if d.pinned]
    for pin in pins:
        drafts.remove(pin)
    free = [i for i in range(pool.size) if i not in {k for d in locked for k in d.members}]
    blocks = [p.members for p in pins]
    size = program.group_size
    teams = make_teams(
        pool, free, blocks, size.min, size.max, seed, effort=effort, progress=progress
    )
    reasons: dict[int, str] = {}
    for i in teams.bench:
        reasons[i] = (
            f"every team was full (group_size.max {size.max}); "
            "raise group_size.max or lower group_size.min to make room"
            if len(free) >= size.min
            else f"fewer than group_size.min ({size.min}) members were left to make a team"
        )
    for i in teams.repaired:
        reasons[i] = why_unmatched(pool, i, team=True)
    made = []
    pinned_sets = [set(b) for b in blocks]
    for team in teams.teams:
        made.append(Draft(list(team), pinned=any(s <= set(team) for s in pinned_sets)))
    return Solved(made, reasons, False, teams.bound)
