"""A match being made, as indices into the pool: its members and how it is ruled and ordered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from peerkit.match.pool import Pool
from peerkit.model import Match


@dataclass
class Draft:
    """A match being made, as pool indices."""

    members: list[int]
    locked: bool = False
    pinned: bool = False
    old: Match | None = None
    extra: list[str] = field(default_factory=list)


def directed_pair(pool: Pool, i: int, j: int) -> tuple[int, int, bool]:
    """(row, col, directed): the mentee first when one is a mentor and the other a mentee."""
    if pool.program.format == "mentoring":
        roles = pool.roles
        a, b = roles[i], roles[j]
        if a == "mentor" and b == "mentee":
            return j, i, True
        if a == "mentee" and b == "mentor":
            return i, j, True
    return i, j, False


def ruled_pairs(pool: Pool, members: Sequence[int]) -> list[tuple[int, int]]:
    """The pairs inside a match that are scored and ruled: mentor-mentee pairs in
    mentoring, every two members otherwise."""
    if len(members) == 2:  # most matches: their one pair, whatever the roles
        return [(members[0], members[1])]
    pairs = [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
    if pool.program.format == "mentoring":
        directed = [p for p in pairs if directed_pair(pool, *p)[2]]
        return directed or pairs
    return pairs


def mentoring_loads(pool: Pool, drafts: Sequence[Draft]) -> Counter[int]:
    """Mentees per mentor and mentors per mentee in `drafts` (a match may hold several)."""
    role = pool.roles
    loads = [0] * len(role)
    for draft in drafts:
        members = draft.members
        if len(members) == 2 and directed_pair(pool, *members)[2]:
            loads[members[0]] += 1  # most matches: a mentor and a mentee, one each
            loads[members[1]] += 1
            continue
        for i, load in match_loads(role, members).items():
            loads[i] += load
    return Counter({i: n for i, n in enumerate(loads) if n})


def match_loads(role: Sequence[str], members: Sequence[int]) -> dict[int, int]:
    """What one match adds to its members' loads (`role`: each pool member's): a mentor
    its mentees, a mentee its mentors; a member of another role is not in the dict."""
    mentors = [i for i in members if role[i] == "mentor"]
    mentees = [i for i in members if role[i] == "mentee"]
    return {**dict.fromkeys(mentors, len(mentees)), **dict.fromkeys(mentees, len(mentors))}


def order_members(pool: Pool, members: list[int]) -> list[int]:
    """Mentors first, then by id."""
    if pool.program.format != "mentoring":
        return sorted(members, key=lambda i: pool.members[i].id)
    if len(members) == 2:
        mentee, mentor, directed = directed_pair(pool, *members)
        if directed:  # most matches: a mentor and a mentee, the mentor first whatever the ids
            return [mentor, mentee]
    roles = pool.roles
    return sorted(members, key=lambda i: (roles[i] != "mentor", pool.members[i].id))


def id_key(match_id: str) -> tuple[str, int, str]:
    head, _, tail = match_id.rpartition("-")
    return (head, int(tail), "") if tail.isdigit() else (match_id, 0, match_id)
