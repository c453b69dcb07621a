"""program.yaml's `meetings:`: the cadence, day, time and length of meetings, their skips and
moves (each checked against the dates the cadence gives) and members' meeting hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from peerkit import schedule
from peerkit.load.reader import Reader
from peerkit.model import Location, Meetings
from peerkit.source import Node


def load_meetings(reader: Reader, node: Node | None, start: dt.date, end: dt.date) -> Meetings:
    keys = (
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
    entries = reader.mapping(node, "meetings", keys)
    first_problem = len(reader.problems)
    base = Meetings()
    cadence = reader.text(entries.get("cadence"), "meetings.cadence", base.cadence)
    if cadence.lower() == "fortnightly":
        cadence = "biweekly"
    if cadence.lower() in schedule.CADENCES:
        cadence = cadence.lower()
    elif not schedule.is_rrule(cadence):
        reader.report(
            entries["cadence"].loc,
            "value",
            f"meetings.cadence: '{cadence}' is not a cadence",
            "use weekly, biweekly, monthly or an RRULE like FREQ=MONTHLY;BYDAY=2TU",
        )
        cadence = base.cadence
    else:
        try:
            from dateutil.rrule import rrulestr

            rule = rrulestr(cadence.split(":", 1)[-1], dtstart=dt.datetime(2000, 1, 1))  # noqa: DTZ001
            if getattr(rule, "_freq", 0) > 3:  # HOURLY, MINUTELY or SECONDLY
                reader.report(
                    entries["cadence"].loc,
                    "rrule",
                    "meetings.cadence: the RRULE repeats more often than daily",
                    "use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY, e.g. FREQ=WEEKLY;BYDAY=TU",
                )
                cadence = base.cadence
        except (ValueError, TypeError, OverflowError) as exc:
            reader.report(
                entries["cadence"].loc,
                "rrule",
                f"meetings.cadence: the RRULE cannot be read ({exc})",
                "check it against RFC 5545, e.g. FREQ=MONTHLY;BYDAY=2TU",
            )
            cadence = base.cadence
    day = reader.text(entries.get("day"), "meetings.day")
    if day and schedule.parse_day(day) is None:
        reader.report(
            entries["day"].loc,
            "value",
            f"meetings.day: '{day}' is not a day",
            "write a weekday, optionally with which one in the month: Tuesday, second Tuesday",
        )
        day = ""
    duration = reader.duration(entries.get("duration"), "meetings.duration", base.duration)
    if duration is not None and not dt.timedelta(minutes=5) <= duration <= dt.timedelta(hours=24):
        reader.report(
            entries["duration"].loc,
            "range",
            f"meetings.duration: {duration} is not a meeting length",
            "use between 5m and 24h, e.g. 1h30m",
        )
        duration = None
    skip = []
    dated: list[tuple[str, dt.date, Location]] = []  # (key, date, where) to check below
    for item in reader.items(entries.get("skip"), "meetings.skip"):
        value = reader.date(item, "meetings.skip")
        if value:
            skip.append(value)
            dated.append(("meetings.skip", value, item.loc))
    moved = []
    for key_name, target in reader.mapping(entries.get("moved"), "meetings.moved").items():
        source_node = Node(key_name, (entries["moved"].keys.get(key_name) or target.loc))
        old = reader.date(source_node, "meetings.moved")
        new = reader.date(target, f"meetings.moved.{key_name}")
        if old and new:
            moved.append((old, new))
        if old:
            dated.append(("meetings.moved", old, source_node.loc))
    # with a cadence or day that could not be read, every date would look wrong
    unread = ("meetings.cadence", "meetings.day")
    if not any(p.message.startswith(unread) for p in reader.problems[first_problem:]):
        planned = schedule.planned_dates(Meetings(cadence=cadence, day=day), start, end)
        for key, value, loc in dated:
            if value not in planned:
                reader.report(
                    loc,
                    "schedule",
                    f"{key}: no meeting is planned on {value:%a} {value}, so this date does nothing",
                    _nearest_meetings(planned, value),
                )
    time = reader.time(entries.get("time"), "meetings.time", base.time) or base.time
    return Meetings(
        cadence=cadence,
        day=day,
        time=time,
        duration=duration or base.duration,
        location=reader.place(entries.get("location"), "meetings.location"),
        video=reader.link(entries.get("video"), "meetings.video"),
        reminder=reader.duration(entries.get("reminder"), "meetings.reminder", base.reminder),
        skip=tuple(sorted(skip)),
        moved=tuple(sorted(moved)),
        hours=_hours(reader, entries.get("hours"), _default_hours(time, duration or base.duration)),
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
