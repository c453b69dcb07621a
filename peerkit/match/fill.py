"""`peerkit match --fill`: a round that takes over mid-program and keeps what still works.

The round before is the latest to start before the new one (by date, never by name). One
of its matches is *whole* on the new round's start when, counting only the members active
that day (not left, not on a pause):

- pairs: at least two members remain (a pair needs both; a trio that lost one goes on as
  a pair);
- mentoring: its mentor and at least one of its mentees remain;
- groups: at least `group_size.min` members remain (and at least two).

A whole match is kept as a locked match: same id, its remaining members, its day, time and
place. Every other member active on the start is matched afresh: the *orphaned* (their
match fell apart), the *joined* (in no earlier round), the *returned* (back from a pause)
and those *waiting* (unmatched before). When there is not room for all of them, the one
who has waited longest comes first. A member waits since:

- orphaned: the day their match stopped being whole (the departure that broke it);
- returned: the day after their pause ended;
- waiting: the start of the first round of the streak of rounds they were unmatched in;
- joined: the new round's start (they have not waited yet).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from peerkit.errors import UsageError
from peerkit.model import Folder, Match, Member, Program, Round
from peerkit.timeline import earlier_rounds


@dataclass(frozen=True)
class FillPlan:
    """What a `--fill` round keeps from the round before, and who it matches afresh."""

    previous: Round
    start: dt.date
    kept: tuple[Match, ...]  # whole matches, with the members still active on `start`
    broken: tuple[Match, ...]  # matches of the round before that fell apart
    left: tuple[str, ...]  # in the round before, gone for good (left, inactive, off the roster)
    paused: tuple[str, ...]  # in the round before, on a pause on `start`
    returned: tuple[str, ...]  # back from a pause since the round before began (kept or not)
    kind: Mapping[str, str]  # each member matched afresh: orphaned, returned, waiting, joined
    since: Mapping[str, dt.date]  # each member matched afresh: waiting since

    def members(self, kind: str) -> tuple[str, ...]:
        return tuple(sorted(m for m, k in self.kind.items() if k == kind))

    def waited(self, member_id: str) -> int:
        """Days member `member_id` has waited for a match by the round's start."""
        return (self.start - self.since.get(member_id, self.start)).days


def whole(program: Program, folder: Folder, members: Collection[str]) -> bool:
    """Whether a match with these (remaining) members still works (see the module doc)."""
    if program.format == "mentoring":
        roles = [m.role for m in (folder.member(i) for i in members) if m is not None]
        return roles.count("mentor") == 1 and roles.count("mentee") >= 1
    if program.format == "groups":
        return len(members) >= max(2, program.group_size.min)
    return len(members) >= 2


def _departure(member: Member | None, day: dt.date, floor: dt.date) -> dt.date:
    """The day a member stopped taking part (as of `day`), never before `floor`."""
    if member is None or not member.active:
        return floor
    if member.left is not None and member.left <= day:
        return max(member.left, floor)
    for begin, until in member.pauses:
        if begin <= day <= until:
            return max(begin, floor)
    return floor


def _fell_apart(folder: Folder, match: Match, day: dt.date, floor: dt.date) -> dt.date:
    """The day `match` stopped being whole: the departure that broke it."""
    gone = sorted(
        (_departure(folder.member(m), day, floor), m)
        for m in match.members
        if not active_on(folder.member(m), day)
    )
    here = set(match.members)
    for when, member_id in gone:
        here.discard(member_id)
        if not whole(folder.program, folder, here):
            return when
    return floor


def active_on(member: Member | None, day: dt.date) -> bool:
    return member is not None and member.is_active_on(day)


def _paused(member: Member | None, day: dt.date) -> bool:
    if member is None or not member.active or (member.left is not None and member.left <= day):
        return False
    return member.paused_on(day)


def _returned(member: Member, start: dt.date, since: dt.date) -> dt.date | None:
    """The day after the member's last pause that ended before `start` and after `since`."""
    back = [until for _, until in member.pauses if since <= until < start]
    return max(back) + dt.timedelta(days=1) if back else None


@dataclass(frozen=True)
class _Seen:
    """Who was matched, and who was listed unmatched, in one earlier round."""

    start: dt.date
    matched: frozenset[str]
    listed: frozenset[str]


def _streak(member: Member, history: Sequence[_Seen]) -> dt.date | None:
    """The start of the first of the latest rounds in a row in which `member` was active
    and unmatched; None when they were matched in the latest round (or in none of them)."""
    since = None
    for seen in reversed(history):
        if member.id in seen.matched:
            break
        if not (member.id in seen.listed or member.is_active_on(seen.start)):
            break
        since = seen.start
    return since


def plan_fill(folder: Folder, name: str, start: dt.date, active: Sequence[Member]) -> FillPlan:
    """What round `name`, starting on `start` with `--fill`, keeps and matches afresh."""
    probe = Round(name, (), start=start)
    earlier = earlier_rounds(folder, probe)
    if not earlier:
        msg = f"--fill: there is no round before {start} to keep matches from"
        raise UsageError(
            msg,
            "make the first round without --fill; --fill starts a later round that keeps "
            "the earlier round's whole matches",
        )
    previous = earlier[-1]
    floor = previous.start or folder.program.start
    here = {m.id for m in active}
    kept: list[Match] = []
    broken: list[Match] = []
    for match in previous.matches:
        remaining = tuple(m for m in match.members if m in here)
        if whole(folder.program, folder, remaining):
            kept.append(replace(match, members=remaining, locked=True))
        else:
            broken.append(match)
    in_kept = {m for match in kept for m in match.members}
    before = {m for match in previous.matches for m in match.members} | {
        u.member for u in previous.unmatched
    }
    away = {m for m in before if m not in here}
    paused = sorted(m for m in away if _paused(folder.member(m), start))
    left = sorted(away - set(paused))
    history = [
        _Seen(
            r.start or folder.program.start,
            frozenset(m for match in r.matches for m in match.members),
            frozenset(u.member for u in r.unmatched),
        )
        for r in earlier
    ]
    seen = {m for h in history for m in h.matched | h.listed}
    broken_of = {m: match for match in reversed(broken) for m in match.members if m in here}
    orphans = set(broken_of)
    kind: dict[str, str] = {}
    since: dict[str, dt.date] = {}
    returned = tuple(m.id for m in active if _returned(m, start, floor) is not None)
    for member in active:
        if member.id in in_kept and member.id not in orphans:
            continue
        back = _returned(member, start, floor)
        if back is not None:
            kind[member.id], since[member.id] = "returned", back
        elif member.id in orphans:
            match = broken_of[member.id]
            kind[member.id] = "orphaned"
            since[member.id] = _fell_apart(folder, match, start, floor)
        elif member.id in seen:
            kind[member.id] = "waiting"
            since[member.id] = _streak(member, history) or start
        else:
            kind[member.id], since[member.id] = "joined", start
    return FillPlan(
        previous,
        start,
        tuple(kept),
        tuple(broken),
        tuple(left),
        tuple(paused),
        tuple(sorted(returned)),
        kind,
        since,
    )
