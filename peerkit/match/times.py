"""A round's matches in time: each match's weekly slot inside its members' hours and
availability (a member's several matches one after the other), and what that did, in words."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from peerkit.hours import hours_text, local_day_time, zone
from peerkit.match.pool import Pool
from peerkit.match.results import MatchResult
from peerkit.match.slots import meeting_days, place, windows_text
from peerkit.model import Program


@dataclass(frozen=True)
class Placed:
    """The matches as written, with their weekly slots and what placing them counted."""

    results: list[MatchResult]
    times: dict[str, int]  # staggered, moved, no_common_slot, same_time
    slot_notes: list[str]


def place_matches(pool: Pool, results: list[MatchResult], start: dt.date) -> Placed:
    """Give every match its weekly slot (`time:`, see `peerkit.match.slots`): inside each
    member's own hours and availability, a member's several matches one after the other.

    Kept (locked) matches keep their time; the counts say how many were staggered (a member
    has another match at meetings.time), moved into members' hours, left with no common
    slot, or still at the same time as another match of one of their members."""
    program = pool.program
    tz = zone(program.timezone)
    by_id = {m.id: m for m in pool.members}
    usual = program.meetings.time.strftime("%H:%M")
    several = Counter(m for r in results for m in r.members)
    busy = {m for m, count in several.items() if count > 1}  # members with several matches
    out = list(results)
    counts = Counter[str]()
    notes = []
    # `Tue 10:00 EST` for each start and timezone: few of either, thousands of matches
    times: dict[tuple[dt.date, str, str], str] = {}

    def when(on: dt.date, start: str, timezone: str) -> str:
        found = times.get((on, start, timezone))
        if found is None:
            begin = dt.datetime.combine(on, dt.time.fromisoformat(start), tzinfo=tz)
            found = times[on, start, timezone] = local_day_time(begin, timezone)
        return found

    # each member as the round file's comments name them, and their timezone
    heads = {m.id: (m.label, m.timezone or program.timezone) for m in pool.members}
    for day in sorted({r.day for r in results}, key=lambda day: str(day or "")):
        ks = [k for k, r in enumerate(results) if r.day == day]
        days = meeting_days(program, start, day)
        on = days[0]
        placed = place(
            program,
            by_id,
            [(results[k].members, results[k].time) for k in ks],
            days,
            [results[k].locked for k in ks],
        )
        for k, slot in zip(ks, placed, strict=True):
            r = results[k]
            if not r.locked and slot.time != usual:
                shared = not busy.isdisjoint(r.members)
                counts["staggered" if shared and slot.fits else "moved"] += 1
            if not slot.fits:
                counts["no_common_slot"] += 1
                windows = "; ".join(windows_text(program, by_id[m], on) for m in r.members)
                why, remedy = (
                    (
                        f"{r.id}: every time inside its members' hours and availability on "
                        "every meeting day is taken by another of their matches",
                        "move a member to another match",
                    )
                    if slot.taken
                    else (
                        f"{r.id} has no slot inside every member's hours and availability",
                        "widen meetings.hours",
                    )
                )
                notes.append(
                    f"{why} ({windows}); it meets at {slot.time} ({program.timezone}): "
                    f"agree a time with them and set its `time:`, or {remedy}"
                )
            if not slot.free:
                counts["same_time"] += 1
            people = [heads[m] for m in r.members if m in heads]
            lines = tuple([f"{label}: {when(on, slot.time, where)}" for label, where in people])
            out[k] = r.placed(slot.time, lines)
    return Placed(out, dict(counts), notes)


def time_notes(program: Program, rel: str, placed: Placed) -> list[str]:
    """What placing the matches in time did, for the coordinator (in the command's notes)."""
    times = placed.times
    notes = []
    if times.get("staggered"):
        notes.append(
            f"{times['staggered']} match(es) of members with several matches (mentors with "
            f"several mentees) meet one after the other: each has its own `time:` in {rel}, "
            f"{_duration(program.meetings.duration)} apart; change `time:` to suit them"
        )
    if times.get("moved"):
        notes.append(
            f"{times['moved']} match(es) meet at another time than meetings.time so that it "
            f"falls inside every member's hours ({hours_text(program.meetings.hours)} local) "
            f"and availability: see `time:` in {rel}"
        )
    if times.get("no_common_slot"):
        notes.extend(placed.slot_notes)
    if times.get("same_time"):
        notes.append(
            f"{times['same_time']} match(es) meet at the same time as another match of one of "
            f"their members (no free time was left that day); set `time:` on them in {rel}"
        )
    return notes


def _duration(span: dt.timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")
