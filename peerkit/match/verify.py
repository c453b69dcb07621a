"""Checking round files against the roster and the rules: what `peerkit check` says of rounds/."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable, Sequence

from peerkit.hours import hours_text
from peerkit.match.draft import ruled_pairs
from peerkit.match.pool import Pool, build_pool
from peerkit.match.rules import broken_block, rule_detail, rule_label
from peerkit.match.slots import Fit, fits_all, meeting_days, meeting_slot, place, windows_text
from peerkit.model import DayRule, Folder, Location, Match, Member, Problem, Program, Round


def check_rounds(folder: Folder, rounds: Sequence[Round]) -> list[Problem]:
    """See `peerkit.match.round_problems`: the problems of `rounds` (of `folder`)."""
    return [problem for round_ in rounds for problem in _round_problems(folder, round_)]


def _round_problems(folder: Folder, round_: Round) -> list[Problem]:
    """Everything wrong with one round: each match, then times, capacity and doubles."""
    start = round_date(folder, round_)
    named = {m for match in round_.matches for m in match.members}
    known = [m for m in folder.members if m.id in named]
    pool = build_pool(folder, known, round_.name, start, continued(folder, round_))
    groups = [[pool.index[m] for m in match.members if m in pool.index] for match in round_.matches]
    breaking = _breaking_rules(pool, groups)
    problems: list[Problem] = []
    for k, match in enumerate(round_.matches):
        problems.extend(_match_problems(folder, round_, pool, match, start, k in breaking))
    hints = _TimeHints(folder, round_, start)
    problems.extend(_same_time(folder, round_, hints))
    problems.extend(_slot_problems(folder, round_, hints))
    if folder.program.format == "mentoring":
        problems.extend(_over_capacity(folder, round_, pool))
    problems.extend(_matched_twice(folder, round_, pool))
    return problems


SCREEN_MEMBERS = 256  # members of the matches whose rules are looked at in one block


def _breaking_rules(pool: Pool, groups: list[list[int]]) -> set[int]:
    """The matches (positions in `groups`, each a match's members) in which two members
    may break a rule: the members of many matches checked as one block, of which only
    each match's own pairs count (a block per match took a third of checking a round)."""
    import numpy as np

    found: set[int] = set()
    start = 0
    while start < len(groups):
        stop, size = start, 0
        while stop < len(groups) and (not size or size + len(groups[stop]) <= SCREEN_MEMBERS):
            size += len(groups[stop])
            stop += 1
        members = np.array([i for group in groups[start:stop] for i in group], dtype=np.int64)
        owner = np.repeat(np.arange(start, stop), [len(g) for g in groups[start:stop]])
        # each member once (a mentor is in several matches): the rules hold per member
        distinct, place = np.unique(members, return_inverse=True)
        place = place.reshape(-1)
        either = np.zeros((len(distinct), len(distinct)), dtype=bool)
        for mask in broken_block(pool, distinct, distinct).values():
            either |= mask
        broken = either[place][:, place]
        broken &= owner[:, None] == owner[None, :]  # two members of one match
        np.fill_diagonal(broken, False)  # (a member and themself)
        found.update(owner[broken.any(axis=1)].tolist())
        start = stop
    return found


def _match_problems(
    folder: Folder, round_: Round, pool: Pool, match: Match, start: dt.date, breaking: bool
) -> list[Problem]:
    """A match's members who do not take part on the start, its size, the rules it
    breaks (`breaking`: some two of its members may) and (mentoring) its roles."""
    where = match.source or Location(round_.file)
    ids = [m for m in match.members if m in pool.index]
    problems = []
    for member_id in ids:
        member = pool.members[pool.index[member_id]]
        if _paused_at_start(member, start):
            problems.append(_paused_problem(folder, round_, match, member, start))
        elif not member.is_active_on(start) or member.left is not None:
            problems.append(_inactive_problem(folder, round_, match, member))
    if len(match.members) < 2:
        problems.append(
            Problem(
                where,
                "match-size",
                f"match {match.id} has fewer than two members",
                "add a member or delete the match",
            )
        )
    if len(ids) < 2:
        return problems
    idx = [pool.index[m] for m in ids]
    if breaking:
        problems.extend(_rule_problems(folder, round_, pool, match, idx))
    if folder.program.format == "mentoring":
        problems.extend(_role_problems(pool, match, idx, where))
    return problems


def _rule_problems(
    folder: Folder, round_: Round, pool: Pool, match: Match, idx: list[int]
) -> list[Problem]:
    """Each rule a pair of the match breaks (a warning when the match is locked or pinned)."""
    import numpy as np

    program = folder.program
    masks = broken_block(pool, np.array(idx), np.array(idx))
    edges = ruled_pairs(pool, idx)
    pos = {v: k for k, v in enumerate(idx)}
    problems = []
    for rule, mask in masks.items():
        if not mask.any():  # the usual case: no pair of the match breaks it
            continue
        for i, j in edges:
            if not mask[pos[i], pos[j]]:
                continue
            locked = match.locked or any(
                set(p) >= {pool.members[i].id, pool.members[j].id} for p in program.matching.pins
            )
            problems.append(
                Problem(
                    match.source or Location(round_.file),
                    "match-rule",
                    f"match {match.id} breaks the rule '{rule_label(program, rule)}': "
                    f"{rule_detail(pool, rule, i, j)}"
                    + (" (kept: the match is locked or pinned)" if locked else ""),
                    "move one of them to another match, or re-match this round with "
                    f"`peerkit match {folder.root} --round {round_.name} --force`",
                    "warning" if locked else "error",
                )
            )
    return problems


def _role_problems(pool: Pool, match: Match, idx: list[int], where: Location) -> list[Problem]:
    """A mentoring match needs one mentor and at least one mentee."""
    roles = Counter(pool.members[i].role for i in idx)
    if roles["mentor"] == 1 and roles["mentee"] >= 1:
        return []
    return [
        Problem(
            where,
            "match-roles",
            f"match {match.id} should have one mentor and their mentee(s), "
            f"but has {roles['mentor']} mentor(s) and {roles['mentee']} mentee(s)",
            "set `role:` in the roster or fix the match",
        )
    ]


def _matched_twice(folder: Folder, round_: Round, pool: Pool) -> list[Problem]:
    """A member in more matches than they may be (a mentee: mentors_per_mentee), at the
    first match after the one they are in first."""
    program = folder.program
    seen: Counter[str] = Counter()
    first_at: dict[str, str] = {}
    for match in round_.matches:
        for member_id in (m for m in match.members if m in pool.index):
            seen[member_id] += 1
            first_at.setdefault(member_id, match.id)
    problems = []
    for member_id, count in sorted(seen.items()):
        member = pool.members[pool.index[member_id]]
        limit = 1
        if program.format == "mentoring":
            if member.role == "mentor":
                continue  # a mentor's limit is in mentees: _over_capacity
            limit = program.matching.mentors_per_mentee
        if count <= limit:
            continue
        where = next(
            (
                m.source
                for m in round_.matches
                if member_id in m.members and m.id != first_at[member_id]
            ),
            None,
        ) or Location(round_.file)
        what = f"{count} matches" + (f" (limit {limit})" if limit > 1 else "")
        problems.append(
            Problem(
                where,
                "matched-twice",
                f"{member_id} is in {what} in round {round_.name}",
                "keep each member in one match"
                if limit == 1
                else "raise their capacity or remove a match",
            )
        )
    return problems


def _over_capacity(folder: Folder, round_: Round, pool: Pool) -> list[Problem]:
    """A mentor given more mentees than their capacity, counted over all their matches of
    the round (one match of three mentees is three), at the match that goes over."""
    problems = []
    mentees: dict[str, list[str]] = {}
    for match in round_.matches:
        known = [pool.members[pool.index[m]] for m in match.members if m in pool.index]
        for mentor in (m for m in known if m.role == "mentor"):
            taken = mentees.setdefault(mentor.id, [])
            before = len(taken)
            taken.extend(m.id for m in known if m.role == "mentee")
            if len(taken) > mentor.capacity >= before:
                problems.append(
                    Problem(
                        match.source or Location(round_.file),
                        "over-capacity",
                        f"mentor {mentor.label} has capacity {mentor.capacity} but is given "
                        f"{len(taken)} mentee(s) in round {round_.name}: "
                        f"{', '.join(_label(folder, t) for t in taken)} "
                        f"(this match {match.id} takes them over)",
                        f"move {len(taken) - mentor.capacity} mentee(s) to another mentor, or "
                        f"raise `capacity` for {mentor.id} in {folder.roster_file}",
                    )
                )
    return problems


def pin_problems(folder: Folder) -> list[Problem]:
    """A pin in program.yaml that gives a mentor more mentees than their capacity."""
    program = folder.program
    if program.format != "mentoring":
        return []
    problems = []
    for index, pin in enumerate(program.matching.pins):
        known = [m for m in (folder.member(i) for i in pin) if m is not None]
        mentees = [m for m in known if m.role == "mentee"]
        for mentor in (m for m in known if m.role == "mentor"):
            if len(mentees) > mentor.capacity:
                problems.append(
                    Problem(
                        program.source_of(f"matching.pins.{index}"),
                        "over-capacity",
                        f"matching.pins: the pin gives mentor {mentor.label} "
                        f"{len(mentees)} mentee(s) ({', '.join(m.label for m in mentees)}), "
                        f"but their capacity is {mentor.capacity}",
                        f"pin at most {mentor.capacity} mentee(s) with {mentor.id}, or raise "
                        f"their `capacity` in {folder.roster_file}",
                    )
                )
    return problems


def _label(folder: Folder, member_id: str) -> str:
    member = folder.member(member_id)
    return member.label if member else member_id


def round_date(folder: Folder, round_: Round) -> dt.date:
    """When a round begins: its `start:` (the program's start for a first round without)."""
    return round_.start or folder.program.start


def continued(folder: Folder, round_: Round) -> list[tuple[str, ...]]:
    """The members of each match of a `--fill` round that go on together from the match
    with the same id in the round before (how --fill keeps a match): no repeat. A round is
    a --fill round when its summary says whose matches it kept (`changes: {from: NAME}`)."""
    from peerkit.timeline import earlier_rounds

    changes = round_.summary.changes
    earlier = earlier_rounds(folder, round_)
    if not earlier or changes is None or changes.source_round != earlier[-1].name:
        return []
    before = {m.id: set(m.members) for m in earlier[-1].matches}
    return [
        tuple(m for m in match.members if m in before[match.id])
        for match in round_.matches
        if match.id in before
    ]


def _paused_at_start(member: Member, day: dt.date) -> bool:
    return member.active and (member.left is None or member.left > day) and member.paused_on(day)


def _paused_problem(
    folder: Folder, round_: Round, match: Match, member: Member, start: dt.date
) -> Problem:
    """A member on a pause when the round starts: their meetings wait until they are back."""
    until = next(u for b, u in member.pauses if b <= start <= u)
    back = until + dt.timedelta(days=1)
    return Problem(
        match.source or Location(round_.file),
        "paused-matched",
        f"match {match.id}: {member.id} is on a pause until {until} when round {round_.name} "
        f"begins ({start}); they meet in it from {back}",
        f"leave it if {match.id} waits for them; otherwise take {member.id} out of {match.id}, "
        f"or re-match this round with `peerkit match {folder.root} --round {round_.name} "
        "--force` (members on a pause at its start are left out)",
        "warning",
    )


def _inactive_problem(folder: Folder, round_: Round, match: Match, member: Member) -> Problem:
    """A member of a match who is not active: leaving is normal life, not a broken round."""
    where = match.source or Location(round_.file)
    redo = f"peerkit match {folder.root} --round {round_.name} --force"
    others = [m for m in match.members if m != member.id]
    if member.left is None:
        # `active: false` says nothing about when: if they stopped after this round was made,
        # a `left:` date keeps the round valid.
        return Problem(
            where,
            "inactive-matched",
            f"match {match.id}: {member.id} is not active (`active: false` in the roster)",
            f"if they stopped after this round was made, replace `active: false` with "
            f"`left: DATE` in {folder.roster_file} (their meetings stop then); otherwise "
            f"take {member.id} out of {match.id}, or re-match this round with `{redo}`",
        )
    left = member.left.isoformat()
    made = round_date(folder, round_)
    alone = (
        f"{others[0]} has nobody to meet in {match.id}"
        if len(others) == 1
        else f"{', '.join(others)} meet without them"
    )
    if member.left <= made:
        return Problem(
            where,
            "member-left",
            f"match {match.id}: {member.id} left on {left}, before round {round_.name} began "
            f"({made}), so {alone}",
            f"re-match this round with `{redo}` to fill the gap (locked matches are kept), "
            f"or leave it: their meetings stop after {left}",
            "warning",
        )
    # Still active when the round began: a new match now would include them again, so
    # the way to fill the gap is by hand.
    return Problem(
        where,
        "member-left",
        f"match {match.id}: {member.id} leaves on {left}, after round {round_.name} began "
        f"({made}); from then on {alone}",
        f"leave it (their meetings stop after {left}), or move "
        f"{' or '.join(others) if len(others) == 1 else 'the others'} into another match in "
        f"{round_.file} by hand (`peerkit check` tells you if the move breaks a rule)"
        + _fill_advice(folder, round_, member.left),
        "warning",
    )


def _fill_advice(folder: Folder, round_: Round, left: dt.date) -> str:
    """`, or start a round ... --fill` when no later round has taken over since."""
    begins = round_date(folder, round_)
    later = [r for r in folder.rounds if (r.start or folder.program.start) > begins]
    if later:
        return f" (round {later[0].name} takes over on {later[0].start})"
    return (
        ", or start a round that keeps the whole matches and matches the others: "
        f"`peerkit match {folder.root} --round NEW --start {left} --fill`"
    )


def _same_time(folder: Folder, round_: Round, hints: _TimeHints) -> list[Problem]:
    """A member whose matches meet at the same moment (a mentor with several mentees)."""
    program = folder.program
    slots: dict[tuple[str, str, str], list[Match]] = {}
    for match in round_.matches:
        day, time = meeting_slot(
            program, match.day, match.time.strftime("%H:%M") if match.time else ""
        )
        for member_id in match.members:
            slots.setdefault((member_id, day, time), []).append(match)
    problems = []
    for member_id, day, time in sorted(key for key, found in slots.items() if len(found) > 1):
        matches = slots[member_id, day, time]
        ids = ", ".join(m.id for m in matches)
        moved = matches[1:]
        problems.append(
            Problem(
                moved[0].source or Location(round_.file),
                "same-time",
                f"{member_id}'s matches {ids} all meet at {time} {program.timezone}"
                + (f" ({day})" if day else ""),
                (
                    f"give each of {', '.join(m.id for m in moved)} its own `time:`; for "
                    f"{moved[0].id}: "
                    if len(moved) > 1
                    else ""
                )
                + hints.hint(moved[0])
                + f" (in {round_.file})",
                "warning",
            )
        )
    return problems


class _TimeHints:
    """A round's meeting days, and times to suggest for its matches: inside their members'
    hours and availability on every meeting day, clear of their other matches. What it
    works out for one match (the days of a `day:`, each member's matches, which starts fit
    a kind of member) is kept for the next."""

    def __init__(self, folder: Folder, round_: Round, start: dt.date) -> None:
        self.folder, self.start = folder, start
        self.matches_of: dict[str, list[Match]] = {}
        for match in round_.matches:
            for member_id in match.members:
                self.matches_of.setdefault(member_id, []).append(match)
        self.days_of: dict[DayRule | None, tuple[dt.date, ...]] = {}
        self.fits: dict[DayRule | None, Fit] = {}

    def days(self, day: DayRule | None) -> tuple[dt.date, ...]:
        """The dates a match with `day:` (None: the program's day) meets on in the round."""
        if day not in self.days_of:
            self.days_of[day] = meeting_days(self.folder.program, self.start, day)
        return self.days_of[day]

    def hint(self, match: Match) -> str:
        """The time nearest meetings.time for `match` on its meeting days, in words; or why
        there is none."""
        folder, program = self.folder, self.folder.program
        days = self.days(match.day)
        members = {m.id: m for m in (folder.member(k) for k in match.members) if m is not None}
        others = list(
            {
                id(other): other
                for member_id in match.members
                for other in self.matches_of.get(member_id, ())
                if other is not match and other.day == match.day
            }.values()
        )
        booked = [(o.members, o.time.strftime("%H:%M") if o.time else "") for o in others]
        if match.day not in self.fits:
            self.fits[match.day] = Fit(program, days)
        fit = self.fits[match.day]
        tried = [*booked, (match.members, "")]
        best = place(program, members, tried, days, [True] * len(booked), fit)[-1]
        if best.fits:
            clear = ", clear of their other matches" if others else ""
            return (
                f"set `time: '{best.time}'` on {match.id} ({program.timezone}): inside "
                f"everyone's hours and availability{clear}"
            )
        if best.taken:
            return (
                "every time inside everyone's hours and availability on every meeting day is "
                f"taken by another of their matches ({', '.join(o.id for o in others)}): "
                "agree a time with them, or move a member to another match"
            )
        return (
            "no time fits them all ("
            + "; ".join(windows_text(program, m, days[0]) for m in members.values())
            + "): agree one with them, or move a member to another match"
        )


def _slot_problems(folder: Folder, round_: Round, hints: _TimeHints) -> list[Problem]:
    """A match whose time (its `time:`, else meetings.time) falls outside a member's own
    hours or availability, and a member whose matches overlap (not just start together)."""
    program = folder.program
    fit: dict[tuple[str, tuple[str, ...], int, DayRule | None], bool] = {}

    def fits(member: Member, minute: int, day: DayRule | None) -> bool:
        # whether it fits depends on the member's timezone and availability only
        key = (member.timezone, member.availability, minute, day)
        if key not in fit:
            fit[key] = fits_all(program, member, minute, hints.days(day))
        return fit[key]

    outside = [_outside_hours(folder, round_, match, fits, hints) for match in round_.matches]
    return [p for p in outside if p is not None] + _overlaps(folder, round_)


def _minute(program: Program, match: Match) -> int:
    """When the match meets, in minutes from midnight (its `time:`, else meetings.time)."""
    time = match.time or program.meetings.time
    return time.hour * 60 + time.minute


def _outside_hours(
    folder: Folder,
    round_: Round,
    match: Match,
    fits: Callable[[Member, int, DayRule | None], bool],
    hints: _TimeHints,
) -> Problem | None:
    """The match's time outside one of its members' hours or availability, with a time
    inside everyone's (or their windows, when none is). `fits` and `hints` remember what
    they worked out: most matches share their days, and members their zone and hours."""
    from peerkit.hours import local_day_time, zone

    program = folder.program
    members = [m for m in (folder.member(k) for k in match.members) if m is not None]
    days = hints.days(match.day)
    time = match.time or program.meetings.time
    minute = _minute(program, match)
    outside = [m for m in members if not fits(m, minute, match.day)]
    if not outside:
        return None
    # shown on the first meeting day on which it is outside for one of them
    on = next(
        (d for d in days if any(not fits_all(program, m, minute, (d,)) for m in outside)),
        days[0],
    )
    begin = dt.datetime.combine(on, time, tzinfo=zone(program.timezone))
    told = "; ".join(
        f"{local_day_time(begin, m.timezone or program.timezone)} for {m.label}" for m in outside
    )
    return Problem(
        match.source or Location(round_.file),
        "outside-hours",
        f"match {match.id} meets at {time:%H:%M} {program.timezone} on {on:%a %Y-%m-%d}: "
        f"{told}, outside their hours ({hours_text(program.meetings.hours)} local"
        + (" and their availability)" if any(m.availability for m in outside) else ")"),
        hints.hint(match),
        "warning",
    )


def _overlaps(folder: Folder, round_: Round) -> list[Problem]:
    """A member whose two matches on the same day overlap (the same start is `same-time`)."""
    from peerkit.hours import hhmm

    program = folder.program
    booked: dict[tuple[str, DayRule | None], list[tuple[int, Match]]] = {}
    for match in round_.matches:
        for member in (m for m in (folder.member(k) for k in match.members) if m is not None):
            booked.setdefault((member.id, match.day), []).append((_minute(program, match), match))
    length = int(program.meetings.duration.total_seconds() // 60)
    problems = []
    several = [item for item in booked.items() if len(item[1]) > 1]  # (most have one)
    for (member_id, _), times in sorted(several, key=lambda x: (x[0][0], str(x[0][1] or ""))):
        times.sort(key=lambda t: t[0])
        for (a, first), (b, second) in itertools.pairwise(times):
            if a < b < a + length:
                problems.append(
                    Problem(
                        second.source or Location(round_.file),
                        "overlap",
                        f"{_label(folder, member_id)} has {first.id} at {hhmm(a)} and "
                        f"{second.id} at {hhmm(b)}: the meetings overlap "
                        f"({length} minutes each)",
                        f"move {second.id}'s `time:` to {hhmm(a + length)} or later",
                        "warning",
                    )
                )
    return problems
