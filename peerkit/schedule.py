"""When matches meet: the program's meeting dates from its cadence, day, skips and moves."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from peerkit.model import DayRule, Match, Meeting, Meetings, Program, Session


@dataclass(frozen=True)
class MeetingDate:
    """The n-th meeting of the program: the date it is held and the date it was planned for."""

    number: int
    date: dt.date
    planned: dt.date

    @property
    def moved(self) -> bool:
        return self.date != self.planned


@functools.lru_cache(maxsize=1024)  # asked for each match's every month: a few dozen answers
def _nth_weekday(year: int, month: int, ordinal: int, weekday: int) -> dt.date | None:
    days = [
        day
        for day in calendar.Calendar().itermonthdates(year, month)
        if day.month == month and day.weekday() == weekday
    ]
    if ordinal == -1:
        return days[-1]
    return days[ordinal - 1] if ordinal <= len(days) else None


def _planned_dates(meetings: Meetings, start: dt.date, end: dt.date) -> list[dt.date]:
    cadence = meetings.cadence
    if cadence.is_rrule:
        from dateutil.rrule import rrulestr

        begin = dt.datetime.combine(start, dt.time(0))
        rule = rrulestr(cadence.rule, dtstart=begin)
        finish = dt.datetime.combine(end, dt.time(23, 59))
        return [moment.date() for moment in rule.between(begin, finish, inc=True)]
    # a day that names no day (a hand-edited match `day:`) is the start date's weekday
    day = meetings.day if meetings.day is not None and meetings.day.weekday is not None else None
    weekday = day.weekday if day is not None and day.weekday is not None else start.weekday()
    if cadence.kind in ("weekly", "biweekly"):
        first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
        step = dt.timedelta(days=7 if cadence.kind == "weekly" else 14)
        dates = []
        while first <= end:
            dates.append(first)
            first += step
        return dates
    dates = []
    year, month = start.year, start.month
    while dt.date(year, month, 1) <= end:
        if day is None:
            last = calendar.monthrange(year, month)[1]
            candidate: dt.date | None = dt.date(year, month, min(start.day, last))
        else:
            candidate = _nth_weekday(year, month, day.ordinal or 1, weekday)
        if candidate is not None and start <= candidate <= end:
            dates.append(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dates


def planned_dates(meetings: Meetings, start: dt.date, end: dt.date) -> list[dt.date]:
    """The dates the cadence gives between start and end, before skips and moves."""
    return _planned_dates(meetings, start, end)


def meeting_dates(meetings: Meetings, start: dt.date, end: dt.date) -> list[MeetingDate]:
    """Every meeting between start and end, numbered from 1, after skips and moves."""
    skipped = set(meetings.skip)
    moves = dict(meetings.moved)
    held = [day for day in _planned_dates(meetings, start, end) if day not in skipped]
    return [
        MeetingDate(number, moves.get(day, day), day)
        for number, day in enumerate(sorted(held), start=1)
    ]


@functools.lru_cache(maxsize=64)
def _dates_for_day(
    meetings: Meetings, start: dt.date, end: dt.date, day: DayRule | None
) -> tuple[MeetingDate, ...]:
    """The program's meeting dates as a match that meets on another `day` holds them.

    A match's n-th meeting takes the fate of the program's n-th planned meeting: skipped
    when it is skipped, moved by the same number of days when it is moved, so a summer
    break or a booked room applies to every match whatever its day.
    """
    program_dates = tuple(meeting_dates(meetings, start, end))
    if day is None or day == meetings.day or meetings.cadence.is_rrule or not day.known:
        return program_dates
    base = _planned_dates(meetings, start, end)
    own = _planned_dates(replace(meetings, day=day), start, end)
    skipped = set(meetings.skip)
    moves = dict(meetings.moved)
    held: list[tuple[dt.date, dt.date]] = []
    for index, planned in enumerate(own):
        program_day = base[index] if index < len(base) else planned
        if program_day in skipped or planned in skipped:
            continue
        if program_day in moves:
            held.append((planned + (moves[program_day] - program_day), planned))
        else:
            held.append((moves.get(planned, planned), planned))
    return tuple(
        MeetingDate(number, date, planned) for number, (date, planned) in enumerate(held, start=1)
    )


def held_sessions(
    sessions: Sequence[Session], count: int, filler: Callable[[int], Session] | None = None
) -> tuple[tuple[Session, ...], tuple[Session, ...]]:
    """The session each of `count` meetings holds (numbered 1..count), and those left out.

    The first session stays on the first meeting and a closing session on the last, whatever
    the schedule does. With fewer meetings than sessions the last regular sessions before
    the closing are left out; with more, regular sessions (`filler`, else a plain "Session
    N") are added before the closing. Sessions keep their order, so a skipped date moves
    every later session to the next meeting.
    """
    kept = list(sessions)
    dropped: list[Session] = []
    while len(kept) > max(count, 1):
        inner = range(1, len(kept) - 1)
        regular = [i for i in inner if kept[i].kind == "regular"]
        index = regular[-1] if regular else inner[-1] if inner else len(kept) - 1
        dropped.append(kept.pop(index))
    if len(kept) < count:
        closing = len(kept) > 1 and kept[-1].kind == "closing"
        at = len(kept) - 1 if closing else len(kept)
        extra = [
            filler(number) if filler else Session(number, f"Session {number}")
            for number in range(at + 1, at + 1 + count - len(kept))
        ]
        kept[at:at] = extra
    held = tuple(
        s if s.number == number else replace(s, number=number)
        for number, s in enumerate(kept, start=1)
    )
    return held, tuple(sorted(dropped, key=lambda s: s.number))


@functools.lru_cache(maxsize=64)
def _held(sessions: tuple[Session, ...], count: int) -> tuple[Session, ...]:
    if len(sessions) == count:
        return sessions
    return held_sessions(sessions, count)[0]


_Slot = tuple[MeetingDate, Session, dt.datetime, dt.datetime]
# the program whose meetings are kept: them by what `_meetings` was given, and each
# meeting's date, session, start and end by day and time
_MADE: list[
    tuple[
        Program,
        dict[tuple[object, ...], tuple[Meeting, ...]],
        dict[tuple[DayRule | None, dt.time], list[_Slot]],
    ]
] = []


def _meetings(
    program: Program,
    day: DayRule | None,
    time: dt.time,
    location: str,
    match_id: str,
    members: tuple[str, ...],
) -> list[Meeting]:
    """The meetings, made once for the last program asked about: a build asks for each
    match's in every stage (calendar, handouts, outbox), and most matches meet on the
    same day at the same time."""
    if not _MADE or _MADE[0][0] is not program:
        _MADE[:] = [(program, {}, {})]
    _, made, timed = _MADE[0]
    key = (day, time, location, match_id, members)
    if key in made:
        return list(made[key])
    slots = timed.get((day, time))
    if slots is None:
        slots = timed[(day, time)] = _slots(program, day, time)
    video = program.meetings.video
    if location.startswith(("https://", "http://")):
        # a match that meets online gives its own link as its location
        video, location = location, ""
    meetings = [
        Meeting(
            number=dated.number,
            session=session,
            start=start,
            end=end,
            planned=dated.planned,
            location=location,
            video=video,
            moved=dated.moved,
            match_id=match_id,
            members=members,
        )
        for dated, session, start, end in slots
    ]
    made[key] = tuple(meetings)
    return meetings


def _slots(program: Program, day: DayRule | None, time: dt.time) -> list[_Slot]:
    """Each meeting's date, session, start and end for a match meeting on `day` at `time`."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(program.timezone)
    setting = program.meetings
    dates = _dates_for_day(setting, program.start, program.end, day)
    # a match on its own day can have one meeting more or less than the program: the
    # kickoff and the closing still fall on its first and last
    sessions = _held(program.sessions, len(dates))
    slots = []
    for dated in dates:
        # a time that does not exist on that day (clocks jump forward) becomes the
        # same moment written the way clocks show it, e.g. 02:30 → 03:30
        start = dt.datetime.combine(dated.date, time, tzinfo=zone).astimezone(dt.UTC)
        start = start.astimezone(zone)
        # real elapsed time: a meeting that spans a clock change still lasts `duration`
        end = (start.astimezone(dt.UTC) + setting.duration).astimezone(zone)
        slots.append((dated, sessions[dated.number - 1], start, end))
    return slots


def program_meetings(program: Program) -> list[Meeting]:
    """Every meeting of the program as program.yaml sets it (no match overrides), in order."""
    setting = program.meetings
    return _meetings(program, setting.day, setting.time, setting.location, "", ())


def meetings_for(program: Program, match: Match) -> list[Meeting]:
    """Every meeting of one match, with the match's own day, time and location applied."""
    setting = program.meetings
    return _meetings(
        program,
        match.day or setting.day,
        match.time or setting.time,
        match.location or setting.location,
        match.id,
        match.members,
    )
