"""program.yaml's `meetings:`: the cadence, day, time and length of meetings, their skips and
moves (each checked against the dates the cadence gives) and members' meeting hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from peerkit import schedule
from peerkit.load.reader import Reader
from peerkit.model import Cadence, DayRule, Location, Meetings
from peerkit.source.node import Node

MEETING_KEYS = (
    "cadence",
    "day",
    "time",
    "duration",
    "location",
    "video",
    "reminder",
    "skip",
    "moved",
    "hours",
)
# A skip or move is checked against the dates the cadence gives: not when the cadence or
# the day could not be read, for then every date would look wrong.
UNREAD = ("meetings.cadence", "meetings.day")


def load_meetings(reader: Reader, node: Node | None, start: dt.date, end: dt.date) -> Meetings:
    """`meetings:` from `start` to `end`: the cadence and day parsed once, here."""
    entries = reader.mapping(node, "meetings", MEETING_KEYS)
    first_problem = len(reader.problems)
    base = Meetings()
    cadence = _cadence(reader, entries.get("cadence"))
    day = _day(reader, entries.get("day"))
    duration = _duration(reader, entries.get("duration")) or base.duration
    skip, skipped = _skip(reader, entries.get("skip"))
    moved, moved_from = _moved(reader, entries.get("moved"))
    if not any(p.message.startswith(UNREAD) for p in reader.problems[first_problem:]):
        planned = schedule.planned_dates(Meetings(cadence=cadence, day=day), start, end)
        _check_planned(reader, [*skipped, *moved_from], planned)
    time = reader.time(entries.get("time"), "meetings.time", base.time) or base.time
    return Meetings(
        cadence=cadence,
        day=day,
        time=time,
        duration=duration,
        location=reader.place(entries.get("location"), "meetings.location"),
        video=reader.link(entries.get("video"), "meetings.video"),
        reminder=reader.duration(entries.get("reminder"), "meetings.reminder", base.reminder),
        skip=tuple(sorted(skip)),
        moved=tuple(sorted(moved)),
        hours=_hours(reader, entries.get("hours"), _default_hours(time, duration)),
    )


def _cadence(reader: Reader, node: Node | None) -> Cadence:
    """`cadence:` weekly, biweekly (fortnightly), monthly or an RRULE; monthly if not one."""
    text = reader.text(node, "meetings.cadence", str(Cadence()))
    cadence = Cadence.parse(text)
    if cadence is None:
        reader.report(
            node.loc if node is not None else None,
            "value",
            f"meetings.cadence: '{text}' is not a cadence",
            "use weekly, biweekly, monthly or an RRULE like FREQ=MONTHLY;BYDAY=2TU",
        )
        return Cadence()
    if cadence.is_rrule and not _rrule_readable(reader, node, cadence.rule):
        return Cadence()
    return cadence


def _rrule_readable(reader: Reader, node: Node | None, rule: str) -> bool:
    """Whether an RRULE can be read and repeats at most daily (else the error is reported)."""
    from dateutil.rrule import rrulestr

    where = node.loc if node is not None else None
    try:
        parsed = rrulestr(rule, dtstart=dt.datetime(2000, 1, 1))  # noqa: DTZ001
    except (ValueError, TypeError, OverflowError) as exc:
        reader.report(
            where,
            "rrule",
            f"meetings.cadence: the RRULE cannot be read ({exc})",
            "check it against RFC 5545, e.g. FREQ=MONTHLY;BYDAY=2TU",
        )
        return False
    if getattr(parsed, "_freq", 0) > 3:  # HOURLY, MINUTELY or SECONDLY
        reader.report(
            where,
            "rrule",
            "meetings.cadence: the RRULE repeats more often than daily",
            "use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY, e.g. FREQ=WEEKLY;BYDAY=TU",
        )
        return False
    return True


def _day(reader: Reader, node: Node | None) -> DayRule | None:
    """`day:` a weekday, maybe with which one in the month; None (the start date's weekday)
    when there is none or it names no day."""
    text = reader.text(node, "meetings.day")
    if node is None or not text:
        return None
    day = DayRule.parse(text)
    if not day.known:
        reader.report(
            node.loc,
            "value",
            f"meetings.day: '{text}' is not a day",
            "write a weekday, optionally with which one in the month: Tuesday, second Tuesday",
        )
        return None
    return day


def _duration(reader: Reader, node: Node | None) -> dt.timedelta | None:
    """`duration:` between 5 minutes and a day; None (the default) when it is not one."""
    duration = reader.duration(node, "meetings.duration", Meetings().duration)
    in_range = duration is None or dt.timedelta(minutes=5) <= duration <= dt.timedelta(hours=24)
    if node is not None and not in_range:
        reader.report(
            node.loc,
            "range",
            f"meetings.duration: {duration} is not a meeting length",
            "use between 5m and 24h, e.g. 1h30m",
        )
        return None
    return duration


Dated = tuple[str, dt.date, Location]  # (key, date, where): a date a meeting must be on


def _skip(reader: Reader, node: Node | None) -> tuple[list[dt.date], list[Dated]]:
    """`skip:` the planned dates with no meeting."""
    skip = []
    dated: list[Dated] = []
    for item in reader.items(node, "meetings.skip"):
        value = reader.date(item, "meetings.skip")
        if value:
            skip.append(value)
            dated.append(("meetings.skip", value, item.loc))
    return skip, dated


def _moved(reader: Reader, node: Node | None) -> tuple[list[tuple[dt.date, dt.date]], list[Dated]]:
    """`moved: {planned date: new date}`."""
    moved = []
    dated: list[Dated] = []
    for key_name, target in reader.mapping(node, "meetings.moved").items():
        assert node is not None
        source_node = Node(key_name, (node.keys.get(key_name) or target.loc))
        old = reader.date(source_node, "meetings.moved")
        new = reader.date(target, f"meetings.moved.{key_name}")
        if old and new:
            moved.append((old, new))
        if old:
            dated.append(("meetings.moved", old, source_node.loc))
    return moved, dated


def _check_planned(reader: Reader, dated: Sequence[Dated], planned: Sequence[dt.date]) -> None:
    """A skip or move on a date the cadence gives no meeting on does nothing: say so."""
    for key, value, loc in dated:
        if value not in planned:
            reader.report(
                loc,
                "schedule",
                f"{key}: no meeting is planned on {value:%a} {value}, so this date does nothing",
                _nearest_meetings(planned, value),
            )


def _default_hours(time: dt.time, duration: dt.timedelta) -> tuple[dt.time, dt.time]:
    """08:00-18:00, widened to hold a meeting at meetings.time: an evening program (18:30)
    keeps its evening, and members elsewhere meet within the same span of their own day."""
    start = min(Meetings().hours[0], time)
    finish = dt.datetime.combine(dt.date(2000, 1, 1), time) + duration
    late = dt.time(23, 59) if finish.date() > dt.date(2000, 1, 1) else finish.time()
    return start, max(Meetings().hours[1], late)


def _hours(
    reader: Reader, node: Node | None, default: tuple[dt.time, dt.time]
) -> tuple[dt.time, dt.time]:
    """`meetings.hours: "09:00-17:30"`: the local part of each member's day for meetings."""
    from peerkit.hours import parse_span, span_problem

    text = reader.text(node, "meetings.hours", "")
    if node is None or not text:
        return default
    span = parse_span(text)
    if span is None or span[1] - span[0] < 30:
        why = span_problem(text) if span is None else f"'{text}' is shorter than half an hour"
        reader.report(
            node.loc,
            "hours",
            f"meetings.hours: {why}",
            'write the local working day meetings may fall in, e.g. hours: "09:00-17:30" '
            "(each member's own time; the default is 08:00-18:00)",
        )
        return default
    end = dt.time(23, 59) if span[1] >= 24 * 60 else dt.time(span[1] // 60, span[1] % 60)
    return dt.time(span[0] // 60, span[0] % 60), end


def _nearest_meetings(planned: Sequence[dt.date], day: dt.date) -> str:
    """The hint for a skip or move on a day with no meeting: the planned dates around it."""
    before = [d for d in planned if d < day][-1:]
    after = [d for d in planned if d > day][:1]
    near = [f"{d:%a} {d}" for d in (*before, *after)]
    if not near:
        return "no meeting falls between start and end: check start, end and meetings.cadence"
    return f"the nearest meeting dates are {' and '.join(near)}: use the date it was planned for"
