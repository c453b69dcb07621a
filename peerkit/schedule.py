"""When matches meet: the program's meeting dates from its cadence, day, skips and moves."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from peerkit.model import Meetings

WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
WEEKDAYS.update({name.lower(): index for index, name in enumerate(calendar.day_abbr)})
ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
}
CADENCES = ("weekly", "biweekly", "monthly")


@dataclass(frozen=True)
class MeetingDate:
    """The n-th meeting of the program: the date it is held and the date it was planned for."""

    number: int
    date: dt.date
    planned: dt.date

    @property
    def moved(self) -> bool:
        return self.date != self.planned


def parse_day(text: str) -> tuple[int | None, int] | None:
    """`second Tuesday` → (2, 1); `Tuesday` → (None, 1); None when it is not a day."""
    words = text.lower().replace("-", " ").split()
    if len(words) == 1 and words[0].rstrip("s") in WEEKDAYS:
        return (None, WEEKDAYS[words[0].rstrip("s")])
    if len(words) == 2 and words[0] in ORDINALS and words[1].rstrip("s") in WEEKDAYS:
        return (ORDINALS[words[0]], WEEKDAYS[words[1].rstrip("s")])
    return None


def is_rrule(cadence: str) -> bool:
    return cadence.upper().lstrip().startswith(("FREQ=", "RRULE:"))


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
    cadence = meetings.cadence.strip()
    if is_rrule(cadence):
        from dateutil.rrule import rrulestr

        text = cadence.split(":", 1)[1] if cadence.upper().startswith("RRULE:") else cadence
        begin = dt.datetime.combine(start, dt.time(0))
        rule = rrulestr(text, dtstart=begin)
        finish = dt.datetime.combine(end, dt.time(23, 59))
        return [moment.date() for moment in rule.between(begin, finish, inc=True)]
    day = parse_day(meetings.day) if meetings.day else None
    ordinal, weekday = day if day else (None, start.weekday())
    if cadence in ("weekly", "biweekly"):
        first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
        step = dt.timedelta(days=7 if cadence == "weekly" else 14)
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
            candidate = _nth_weekday(year, month, ordinal or 1, weekday)
        if candidate is not None and start <= candidate <= end:
            dates.append(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dates


def meeting_dates(meetings: Meetings, start: dt.date, end: dt.date) -> list[MeetingDate]:
    """Every meeting between start and end, numbered from 1, after skips and moves."""
    skipped = set(meetings.skip)
    moves = dict(meetings.moved)
    held = [day for day in _planned_dates(meetings, start, end) if day not in skipped]
    return [
        MeetingDate(number, moves.get(day, day), day)
        for number, day in enumerate(sorted(held), start=1)
    ]
