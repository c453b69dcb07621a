"""A `--fill` round's places for those who wait: a free seat in a kept match, the
longest-waiting first, and what the round changed from the one before."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from peerkit.match.draft import Draft, id_key
from peerkit.match.fill import FillPlan
from peerkit.match.pool import Pool
from peerkit.match.results import MatchResult
from peerkit.model import RoundChanges, Unmatched


def fill_changes(
    plan: FillPlan, results: Sequence[MatchResult], unmatched: Sequence[Unmatched]
) -> RoundChanges:
    """What a `--fill` round changed from the round before (the round file's summary)."""
    before = {m.id: set(m.members) for m in plan.kept}
    kept = [r for r in results if r.id in before]
    return RoundChanges(
        plan.previous.name,
        kept=len(kept),
        new=sum(r.id not in before for r in results),
        grown=tuple(sorted(r.id for r in kept if set(r.members) - before[r.id])),
        ended=tuple(sorted((m.id for m in plan.broken), key=id_key)),
        left=tuple(plan.left),
        paused=tuple(plan.paused),
        joined=tuple(plan.members("joined")),
        returned=tuple(plan.returned),
        orphaned=tuple(plan.members("orphaned")),
        unmatched=tuple(u.member for u in unmatched),
    )


def seat_in_kept(
    pool: Pool, drafts: list[Draft], waiting: dict[int, dt.date], reasons: dict[int, str]
) -> list[str]:
    """A `--fill` member left without a match takes a free seat in a kept match (a kept pair
    becomes a trio; a kept team below group_size.max takes one more), longest-waiting first,
    where they fit everyone under the rules: the smallest such match, then the best score."""
    import numpy as np

    from peerkit.match.score import score_block

    program = pool.program
    if program.format == "mentoring":
        return []  # mentors with room take new mentees in the solver already
    limit = 3 if program.format == "pairs" else program.group_size.max
    taken = {i for d in drafts for i in d.members}
    notes = []
    for i in sorted(waiting, key=lambda k: (waiting[k], pool.members[k].id)):
        if i in taken:
            continue
        room = [d for d in drafts if d.locked and d.old is not None and len(d.members) < limit]
        fits = _fits_each(pool, i, [d.members for d in room])
        seats = [d for d, ok in zip(room, fits, strict=True) if ok]
        if not seats:
            continue
        flat = np.array([k for d in seats for k in d.members], dtype=np.int64)
        scores = score_block(pool, np.array([i]), flat)[0]
        bounds = np.cumsum([0] + [len(d.members) for d in seats])
        gains = [float(scores[a:b].sum()) for a, b in itertools.pairwise(bounds)]
        # the smallest match first (the seat a leaver freed), then the best fit
        best = max(range(len(seats)), key=lambda k: (-len(seats[k].members), gains[k], -k))
        draft = seats[best]
        draft.members.append(i)
        taken.add(i)
        reasons.pop(i, None)
        assert draft.old is not None
        notes.append(
            f"{pool.members[i].id} joins kept match {draft.old.id} (no new match could be "
            "made for them; they fit everyone in it under the rules)"
        )
    return notes


def prefer_waiting(
    pool: Pool, drafts: list[Draft], waiting: dict[int, dt.date], reasons: dict[int, str]
) -> list[str]:
    """When there is not room for every `--fill` member, the longest-waiting come first: an
    unmatched member takes the place of one in a new match who has waited less, where
    they fit its other members under the rules (repeated until no such swap is left)."""
    from collections import Counter

    fresh = [d for d in drafts if not d.locked and not d.pinned]
    count = Counter(i for d in drafts for i in d.members)
    notes = []
    for _ in range(len(waiting) + 1):
        queue = sorted(
            (i for i in waiting if not count[i] and _may_swap(pool, i)),
            key=lambda k: (waiting[k], pool.members[k].id),
        )
        done = False
        for u in queue:
            places = [
                (d, v, _partners(pool, [k for k in d.members if k != v], u))
                for d in fresh
                for v in d.members
                if v in waiting
                and count[v] == 1
                and waiting[v] > waiting[u]
                and pool.members[v].role == pool.members[u].role
            ]
            fits = _fits_each(pool, u, [partners for _, _, partners in places])
            choices = [
                (waiting[v], pool.members[v].id, d, v)
                for (d, v, _), ok in zip(places, fits, strict=True)
                if ok
            ]
            if not choices:
                continue
            _, _, draft, v = max(choices, key=lambda c: (c[0], c[1]))
            draft.members[draft.members.index(v)] = u
            count[u], count[v] = 1, 0
            reasons.pop(u, None)
            a, b = pool.members[u], pool.members[v]
            reasons[v] = (
                f"waiting since {waiting[v]}; the place went to {a.id}, waiting longer "
                f"(since {waiting[u]}): the longest-waiting are matched first"
            )
            notes.append(
                f"{a.id} (waiting since {waiting[u]}) takes {b.id}'s place (since "
                f"{waiting[v]}): the longest-waiting are matched first"
            )
            done = True
            break
        if not done:
            break
    return notes


def _partners(pool: Pool, members: Sequence[int], newcomer: int) -> list[int]:
    """The members of a match that `newcomer` must fit under the rules: the mentor (or the
    mentees) in mentoring, everyone in pairs and groups."""
    others = [k for k in members if k != newcomer]
    if pool.program.format != "mentoring":
        return others
    role = pool.members[newcomer].role
    return [k for k in others if pool.members[k].role != role]


def _fits_each(pool: Pool, newcomer: int, groups: Sequence[Sequence[int]]) -> list[bool]:
    """`_fits` for many groups at once (one block of rules)."""
    import numpy as np

    from peerkit.match.rules import feasible_block

    flat = np.array([k for group in groups for k in group], dtype=np.int64)
    if not len(flat):
        return [False] * len(groups)
    ok = feasible_block(pool, np.array([newcomer]), flat)[0]
    found, at = [], 0
    for group in groups:
        found.append(bool(group) and bool(ok[at : at + len(group)].all()))
        at += len(group)
    return found


def _may_swap(pool: Pool, i: int) -> bool:
    member = pool.members[i]
    if pool.program.format == "mentoring":
        return member.role == "mentee" or (member.role == "mentor" and member.capacity > 0)
    return True
