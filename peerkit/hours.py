"""Working hours and availability as weekly time windows, and local times with a named zone.

`meetings.hours` in program.yaml (`"09:00-17:30"`) is the part of each member's own day
in which meetings may fall (local to each member; default 08:00-18:00). A member's
`availability` narrows it to weekly windows, written `Tue 09:00-12:00; Thu 14:00-17:00`:
a day (`Mon`..`Sun`, full names too), a range of days (`Mon-Fri`) or days joined by `,`
(`Tue,Thu`), then a span of local time `HH:MM-HH:MM` (`9-12` and `9:30-12` too).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DEFAULT_HOURS = (dt.time(8, 0), dt.time(18, 0))
SYNTAX = "`Tue 09:00-12:00; Thu 14:00-17:00` (a day or `Mon-Fri`, then a local time span)"

_DAYS = {name.lower(): k for k, name in enumerate(calendar.day_name)}
_DAYS.update({name.lower(): k for k, name in enumerate(calendar.day_abbr)})
_DAYS.update({"tues": 1, "wed": 2, "thur": 3, "thurs": 3})
_TIME = r"(\d{1,2})(?::(\d{2}))?"
_SPAN = re.compile(rf"^{_TIME}\s*[-–]\s*{_TIME}$")
# zones whose tz database abbreviation is only a number (`-03`): a name people know
_NAMED = {
    "America/Sao_Paulo": "BRT",
    "America/Bahia": "BRT",
    "America/Fortaleza": "BRT",
    "America/Recife": "BRT",
    "America/Argentina/Buenos_Aires": "ART",
    "America/Buenos_Aires": "ART",
    "America/Montevideo": "UYT",
    "America/Bogota": "COT",
    "America/Lima": "PET",
    "America/Santiago": "CLT",
    "Asia/Dubai": "GST",
    "Asia/Singapore": "SGT",
    "Asia/Kuala_Lumpur": "MYT",
    "Asia/Bangkok": "ICT",
    "Asia/Ho_Chi_Minh": "ICT",
    "Asia/Istanbul": "TRT",
    "Europe/Istanbul": "TRT",
}


@dataclass(frozen=True, order=True)
class Window:
    """A weekly window of local time: weekday 0 (Monday)..6, minutes from midnight."""

    weekday: int
    start: int
    end: int

    def __str__(self) -> str:
        return f"{calendar.day_abbr[self.weekday]} {hhmm(self.start)}-{hhmm(self.end)}"


def hhmm(minutes: int) -> str:
    """Minutes from midnight as `HH:MM` (24:00 for the end of the day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(hour: str, minute: str | None) -> int | None:
    h, m = int(hour), int(minute or 0)
    if m > 59 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


def parse_span(text: str) -> tuple[int, int] | None:
    """`09:00-17:30` → (540, 1050) in minutes; None when it is not a span of the day."""
    found = _SPAN.match(text.strip())
    if not found:
        return None
    start, end = _minutes(*found.group(1, 2)), _minutes(*found.group(3, 4))
    if start is None or end is None or end <= start:
        return None
    return start, end


def span_problem(text: str) -> str:
    """Why `text` is not a span (`09:00-17:30`), for a message."""
    found = _SPAN.match(text.strip())
    if not found:
        return f"'{text}' is not a span of time like 09:00-17:30"
    start, end = _minutes(*found.group(1, 2)), _minutes(*found.group(3, 4))
    if start is None or end is None:
        return f"'{text}' has a time that is not on a clock (hours 0-24, minutes 0-59)"
    return f"'{text}' ends before it starts (a window cannot run past midnight)"


def _days(text: str) -> list[int] | None:
    days: list[int] = []
    for part in text.lower().replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if first not in _DAYS or (dash and last not in _DAYS):
            return None
        a = _DAYS[first]
        b = _DAYS[last] if dash else a
        days.extend((a + k) % 7 for k in range((b - a) % 7 + 1))
    return days


def parse_window(text: str) -> tuple[list[Window], str]:
    """One availability entry (`Tue 09:00-12:00`, `Mon-Fri 9-12`): its windows, or ([], why)."""
    words = text.strip().split(None, 1)
    if len(words) != 2:
        return [], f"'{text}' needs a day and a time span, e.g. `Tue 09:00-12:00`"
    days = _days(words[0])
    if days is None:
        return [], f"'{words[0]}' in '{text}' is not a day (Mon, Tue, ... or Mon-Fri)"
    span = parse_span(words[1])
    if span is None:
        return [], span_problem(words[1])
    return [Window(day, *span) for day in days], ""


def parse_availability(entries: Iterable[str]) -> tuple[tuple[Window, ...], list[str]]:
    """All windows of a member's availability entries, and why each bad entry is bad."""
    windows: list[Window] = []
    bad = []
    for entry in entries:
        found, why = parse_window(entry)
        windows.extend(found)
        if why:
            bad.append(why)
    return tuple(sorted(set(windows))), bad


def day_windows(
    hours: tuple[dt.time, dt.time], availability: Sequence[Window], weekday: int
) -> list[tuple[int, int]]:
    """The local minutes of `weekday` a member may meet: their hours, narrowed to their
    availability on that day when they list any (none that day: no window)."""
    start = hours[0].hour * 60 + hours[0].minute
    end = hours[1].hour * 60 + hours[1].minute or 24 * 60
    if not availability:
        return [(start, end)]
    spans = []
    for window in availability:
        if window.weekday == weekday and min(end, window.end) > max(start, window.start):
            spans.append((max(start, window.start), min(end, window.end)))
    return sorted(spans)


def hours_text(hours: tuple[dt.time, dt.time]) -> str:
    return f"{hours[0].strftime('%H:%M')}-{hours[1].strftime('%H:%M')}"


@functools.cache
def _zone(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name or "UTC")


def zone(name: str) -> dt.tzinfo:
    """The tzinfo of an IANA name (UTC when empty)."""
    return _zone(name)


def zone_label(timezone: str, moment: dt.datetime) -> str:
    """The zone as people name it at `moment`: `EDT`, `IST`, `BRT`; the city when the tz
    database has only a number for it (`-03`) and peerkit knows no name."""
    local = moment.astimezone(_zone(timezone))
    abbreviation = local.tzname() or ""
    if abbreviation and abbreviation[0] not in "+-":
        return abbreviation
    if timezone in _NAMED:
        return _NAMED[timezone]
    return timezone.rsplit("/", 1)[-1].replace("_", " ") + " time"


def local_time(moment: dt.datetime, timezone: str) -> str:
    """`06:30 BRT`: the time of `moment` where the member is, with their zone named."""
    local = moment.astimezone(_zone(timezone))
    return f"{local.strftime('%H:%M')} {zone_label(timezone, moment)}"


def local_day_time(moment: dt.datetime, timezone: str) -> str:
    """`Tue 06:30 BRT`: the weekday too, since a meeting may fall on another day there."""
    local = moment.astimezone(_zone(timezone))
    return f"{local.strftime('%a %H:%M')} {zone_label(timezone, moment)}"
