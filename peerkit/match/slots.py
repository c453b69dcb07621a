"""When each match meets: a weekly slot inside every member's own hours and availability.

The slot is a time of the program's meeting day, in the program's timezone (what a
match's `time:` says). A member can meet at a slot when the whole meeting falls inside
`meetings.hours` of their local day and inside their `availability` on that local
weekday (when they list any). Slots are tried every quarter of an hour, nearest to
`meetings.time` first; a member's several matches (a mentor's mentees) get slots that
never overlap. Local times are judged on the round's first meeting date.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peerkit.hours import (
    Window,
    day_windows,
    hours_text,
    local_day_time,
    parse_availability,
    zone,
)
from peerkit.model import DayRule, Member, Program

if TYPE_CHECKING:
    import numpy as np

STEPS = 96  # quarter hours in a day


def meeting_days(
    program: Program, start: dt.date, day: DayRule | None = None
) -> tuple[dt.date, ...]:
    """The dates a match of a round starting on `start` meets on (its own `day:` if any):
    a slot must fit on each of them, so that clocks changing in one country and not yet
    in another never push a meeting out of someone's hours."""
    from dataclasses import replace

    from peerkit.schedule import meeting_dates

    setting = replace(program.meetings, day=day) if day else program.meetings
    dates = [d.date for d in meeting_dates(setting, program.start, program.end)]
    later = tuple(d for d in dates if d >= start)
    return later or tuple(dates[-1:]) or (start,)


def first_meeting(program: Program, start: dt.date, day: DayRule | None = None) -> dt.date:
    """The round's first meeting date on or after `start` (how local times are shown)."""
    return meeting_days(program, start, day)[0]


def _order(program: Program) -> tuple[int, ...]:
    """Quarter-hour starts (minutes of the day, program timezone), nearest meetings.time
    first; a time before it counts twice as far as one after, so a mentor's meetings follow
    one another from meetings.time rather than start earlier."""
    return order_from(program.meetings.time.hour * 60 + program.meetings.time.minute)


@functools.cache
def order_from(wanted: int) -> tuple[int, ...]:
    """The quarter-hour starts of a day nearest `wanted` (minutes) first: see `_order`."""

    def distance(minute: int) -> tuple[int, int]:
        gap = minute - wanted
        return (gap if gap >= 0 else -2 * gap, -gap)

    return tuple(sorted(range(0, 24 * 60, 15), key=distance))


def candidates(program: Program, on: dt.date) -> list[dt.datetime]:
    """Every quarter-hour start of `on` in the program's timezone, in the order tried."""
    tz = zone(program.timezone)
    return [dt.datetime.combine(on, dt.time(m // 60, m % 60), tzinfo=tz) for m in _order(program)]


def fits(program: Program, member: Member, start: dt.datetime) -> bool:
    """Whether a meeting from `start` lies inside the member's local hours and availability."""
    tz = zone(member.timezone or program.timezone)
    begin = start.astimezone(tz)
    end = (start.astimezone(dt.UTC) + program.meetings.duration).astimezone(tz)
    if end.date() != begin.date() and (end.hour, end.minute) != (0, 0):
        return False
    a = begin.hour * 60 + begin.minute
    b = a + int(program.meetings.duration.total_seconds() // 60)
    windows = _windows(member.availability)
    return any(
        lo <= a and b <= hi
        for lo, hi in day_windows(program.meetings.hours, windows, begin.weekday())
    )


@functools.lru_cache(maxsize=4096)
def _windows(availability: tuple[str, ...]) -> tuple[Window, ...]:
    return parse_availability(availability)[0]


def _distinct(program: Program, timezone: str, days: Sequence[dt.date]) -> list[dt.date]:
    """One date per (weekday, both UTC offsets): the others give the same answers."""
    here, there = zone(program.timezone), zone(timezone)
    seen: dict[tuple[int, Any, Any], dt.date] = {}
    for day in days:
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=here)
        key = (day.weekday(), noon.utcoffset(), noon.astimezone(there).utcoffset())
        seen.setdefault(key, day)
    return list(seen.values())


def fits_all(program: Program, member: Member, minute: int, days: Sequence[dt.date]) -> bool:
    """Whether a meeting at `minute` of the day (program timezone) fits the member on every
    one of `days`."""
    tz = zone(program.timezone)
    time = _clock(minute)
    return all(
        fits(program, member, dt.datetime.combine(day, time, tzinfo=tz))
        for day in _distinct(program, member.timezone or program.timezone, days)
    )


def _clock(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60)


class Fit:
    """The starts each kind of member (timezone, availability) can meet at, worked out once."""

    def __init__(self, program: Program, days: Sequence[dt.date]) -> None:
        self.program, self.days = program, tuple(days)
        self.rows: dict[tuple[str, tuple[str, ...]], frozenset[int]] = {}

    def starts(self, member: Member) -> frozenset[int]:
        key = (member.timezone or self.program.timezone, member.availability)
        found = self.rows.get(key)
        if found is None:
            program = self.program
            tz = zone(program.timezone)
            days = _distinct(program, key[0], self.days)
            found = self.rows[key] = frozenset(
                minute
                for minute in range(0, 24 * 60, 15)
                if all(
                    fits(program, member, dt.datetime.combine(day, _clock(minute), tzinfo=tz))
                    for day in days
                )
            )
        return found


def mask(
    program: Program, members: Sequence[Member], days: Sequence[dt.date]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """At which quarter-hour starts (program timezone) each member can meet on every one of
    `days`: (kinds, kind), a (k, 96) boolean row per kind of member (timezone and
    availability) and each member's kind; `kinds[kind]` is the (n, 96) mask."""
    import numpy as np

    fit = Fit(program, days)
    index: dict[tuple[str, tuple[str, ...]], int] = {}
    kind = np.zeros(len(members), dtype=np.int64)
    rows: list[np.ndarray[Any, Any]] = []
    for i, member in enumerate(members):
        key = (member.timezone or program.timezone, member.availability)
        if key not in index:
            index[key] = len(rows)
            row = np.zeros(STEPS, dtype=bool)
            for minute in fit.starts(member):
                row[minute // 15] = True
            rows.append(row)
        kind[i] = index[key]
    kinds = np.array(rows, dtype=bool).reshape(len(rows), STEPS)
    return kinds, kind


@dataclass(frozen=True)
class Placed:
    """The slot given to one match: `time` (HH:MM, program timezone), and whether every
    member can meet then (`fits`) and nobody has another match then (`free`); when nothing
    fits, whether some times would but their other matches take them all (`taken`)."""

    time: str
    fits: bool
    free: bool
    taken: bool = False


def place(
    program: Program,
    members: Mapping[str, Member],
    matches: Sequence[tuple[tuple[str, ...], str]],
    days: Sequence[dt.date],
    fixed: Sequence[bool] = (),
    fit: Fit | None = None,
) -> list[Placed]:
    """A slot for each match (its members, its current `time:` or ""). Fixed matches
    (locked, kept) keep their time and are placed first; the others go most constrained
    first, each at the slot nearest `meetings.time` that fits all its members on every
    meeting day and overlaps none of their other matches."""
    span = int(program.meetings.duration.total_seconds() // 60)
    order = _order(program)
    usual = program.meetings.time.hour * 60 + program.meetings.time.minute
    busy: dict[str, list[tuple[int, int]]] = {}
    placed: dict[int, Placed] = {}
    fit = fit or Fit(program, days)  # (one made for `days` may be given: it remembers)

    def minute_of(text: str) -> int:
        if not text:
            return usual
        time = dt.time.fromisoformat(text)
        return time.hour * 60 + time.minute

    def free(ids: Sequence[str], start: int) -> bool:
        end = start + span
        return not any(a < end and start < b for m in ids for a, b in busy.get(m, ()))

    def book(ids: Sequence[str], start: int) -> None:
        for m in ids:
            busy.setdefault(m, []).append((start, start + span))

    def known(ids: Sequence[str]) -> list[Member]:
        return [members[m] for m in ids if m in members]

    def text(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    for k, (ids, time) in enumerate(matches):
        if k < len(fixed) and fixed[k]:
            start = minute_of(time)
            ok = all(fits_all(program, m, start, days) for m in known(ids))
            placed[k] = Placed(text(start), ok, free(ids, start))
            book(ids, start)
    # members of few kinds: the starts a set of kinds shares are put in order once
    shared: dict[tuple[frozenset[int], ...], list[int]] = {}

    of_member: dict[str, frozenset[int]] = {}

    def member_starts(member_id: str) -> frozenset[int]:
        found = of_member.get(member_id)
        if found is None:
            found = of_member[member_id] = fit.starts(members[member_id])
        return found

    def starts(ids: Sequence[str]) -> list[int]:
        sets = tuple([member_starts(m) for m in ids if m in members])
        found = shared.get(sets)
        if found is None:
            found = shared[sets] = _in_order(order, sets)
        return found

    fitting = {k: starts(ids) for k, (ids, _) in enumerate(matches) if k not in placed}
    for k in sorted(fitting, key=lambda k: (len(fitting[k]), k)):
        ids = matches[k][0]
        choice = next((m for m in fitting[k] if free(ids, m)), None)
        if choice is not None:
            placed[k] = Placed(text(choice), True, True)
        else:
            # nothing fits everyone: the nearest free time to meetings.time, flagged; a
            # meeting never runs past midnight, so a late start is not tried
            start = next((m for m in order if m + span <= 24 * 60 and free(ids, m)), usual)
            placed[k] = Placed(text(start), False, free(ids, start), bool(fitting[k]))
        book(ids, minute_of(placed[k].time))
    return [placed[k] for k in range(len(matches))]


def _in_order(order: Sequence[int], sets: Sequence[frozenset[int]]) -> list[int]:
    """The starts every set holds, in the order tried."""
    if not sets:
        return list(order)
    common = frozenset.intersection(*sets)
    return [m for m in order if m in common]


def windows_text(program: Program, member: Member, on: dt.date) -> str:
    """`Ravi Rao (E1004): 08:00-18:00 IST (Tue)` — a member's meeting window as they read it."""
    tz = zone(member.timezone or program.timezone)
    noon = dt.datetime.combine(on, dt.time(12), tzinfo=zone(program.timezone)).astimezone(tz)
    windows = _windows(member.availability)
    spans = day_windows(program.meetings.hours, windows, noon.weekday())
    label = local_day_time(noon, member.timezone or program.timezone).split()[-1]
    shown = ", ".join(f"{_hm(a)}-{_hm(b)}" for a, b in spans) or "no window"
    if not windows:
        shown = hours_text(program.meetings.hours)
    return f"{member.label}: {shown} {label} ({noon:%a})"


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def local_times(program: Program, members: Sequence[Member], start: dt.datetime) -> list[str]:
    """`Ana Lima (E1001) 10:00 EDT` for each member: the meeting where each of them is."""
    return [f"{m.label} {local_day_time(start, m.timezone or program.timezone)}" for m in members]


def meeting_slot(program: Program, day: DayRule | None, time: str) -> tuple[str, str]:
    """The day (as written) and time a match meets at: its own, else the program's."""
    return (str(day or program.meetings.day or ""), time or program.meetings.time.strftime("%H:%M"))
