"""The program's timeline: one "as of" moment, the round in effect on a day, the meeting a
date belongs to, and the choosers every command uses for `--round`, `--session` and `--only`.

Every stage asks these questions here, so tally, attendance, agenda, calendar, report and
build all give the same answer: which round, which session, which moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from peerkit.errors import PeerkitError, UsageError
from peerkit.model import DayRule, Folder, Match, Meeting, Program, Round
from peerkit.validate import suggest

# An answer or attendance row dated this long after the program's end still belongs to
# its last meeting (the final survey is often answered weeks later); later is outside.
AFTER_END = dt.timedelta(days=92)


class DayStart(dt.tzinfo):
    """UTC for every purpose, but marks a `--now` given as a bare date (`2027-03-01`): as of
    that day in the program's timezone, not of the day that midnight UTC falls on there."""

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def dst(self, moment: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)

    def tzname(self, moment: dt.datetime | None) -> str:
        return "UTC"


DAY_START = DayStart()


def as_of(program: Program, now: dt.datetime | None) -> dt.datetime:
    """The one moment a command judges from: `--now`, else this moment, in the program's zone."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(program.timezone)
    if now is None:
        return dt.datetime.now(zone)
    if now.tzinfo is DAY_START:
        return now.replace(tzinfo=zone)
    return now.astimezone(zone)


def as_of_day(program: Program, now: dt.datetime | None) -> dt.date:
    """The program-local day of `as_of`."""
    return as_of(program, now).date()


def short_day(moment: dt.datetime | dt.date) -> str:
    """`Tue 6 Apr 2027`."""
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def describe_as_of(moment: dt.datetime) -> str:
    """`as of Tue 6 Apr 2027`, the line each command prints first."""
    return f"as of {short_day(moment)}"


# --- rounds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The days a round is in effect, both included."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def round_period(folder: Folder, round_: Round) -> Period:
    """From the round's start until the day before the next round starts (or its own end,
    or the program's end)."""
    program = folder.program
    start = round_.start or program.start
    end = round_.end or program.end
    later = [r.start for r in folder.rounds if r.start is not None and r.start > start]
    if later:
        end = min(end, min(later) - dt.timedelta(days=1))
    return Period(start, min(end, program.end) if end >= start else start)


def round_on(folder: Folder, day: dt.date) -> Round | None:
    """The round in effect on `day`: the latest to start on or before it (None before the
    first round, or after a round's own `end` when no later one has begun)."""
    for round_ in reversed(folder.rounds):
        if (round_.start or folder.program.start) <= day:
            return round_ if day in round_period(folder, round_) else None
    return None


def earlier_rounds(folder: Folder, round_: Round) -> tuple[Round, ...]:
    """The rounds that started before this one, in order (what "no repeat partners" reads)."""
    start = round_.start or folder.program.start
    return tuple(
        r
        for r in folder.rounds
        if r.name != round_.name and (r.start or folder.program.start) < start
    )


def choose_round(folder: Folder, name: str | None, day: dt.date | None = None) -> Round:
    """`--round NAME`, else the round in effect on `day` (else the latest to have started,
    else the first); a clear error when there is none."""
    if not folder.rounds:
        msg = "there is no round file in rounds/, so there are no matches yet"
        raise PeerkitError(msg, "run `peerkit match` first to write rounds/NAME.yaml")
    if name is not None:
        found = next((r for r in folder.rounds if r.name == name), None)
        if found is None:
            names = [r.name for r in folder.rounds]
            hint = suggest(name, names, f"rounds: {', '.join(names)}")
            msg = f"--round: there is no round '{name}' in rounds/"
            raise UsageError(msg, hint)
        return found
    if day is None:
        return folder.rounds[-1]
    current = round_on(folder, day)
    if current is not None:
        return current
    started = [r for r in folder.rounds if (r.start or folder.program.start) <= day]
    return started[-1] if started else folder.rounds[0]


def choose_matches(round_: Round, only: str | None) -> tuple[Match, ...]:
    """Every match of the round, or the one named by `--only` (a match id or a member id)."""
    if only is None:
        return round_.matches
    for match in round_.matches:
        if match.id == only:
            return (match,)
    by_member = round_.match_of(only)
    if by_member is not None:
        return (by_member,)
    ids = [m.id for m in round_.matches]
    hint = suggest(only, ids, f"match ids look like '{ids[0]}'" if ids else "")
    msg = f"--only: round '{round_.name}' has no match or member '{only}'"
    raise UsageError(msg, hint)


# --- meetings -------------------------------------------------------------------------


def meeting_on(meetings: Sequence[Meeting], day: dt.date, program: Program) -> Meeting | None:
    """The meeting a date belongs to: the last one held on or before it. None before the
    first meeting, or long after the program ended."""
    if day > program.end + AFTER_END:
        return None
    held = [m for m in meetings if m.date <= day]
    return held[-1] if held else None


def session_on(program: Program, day: dt.date, match: Match | None = None) -> int | None:
    """The session number a date belongs to, on the match's own meeting days when given."""
    from peerkit.schedule import meetings_for, program_meetings

    meetings = meetings_for(program, match) if match is not None else program_meetings(program)
    found = meeting_on(meetings, day, program)
    return found.number if found else None


class SessionClock:
    """`session_on` for many dates (every answer of an export, every attendance row): the
    same rule, with each match's meetings worked out once."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self._meetings: dict[Match | None, Sequence[Meeting]] = {}
        # by (the match's own meeting day, date): a match's meeting dates follow only from its
        # day rule, so the thousands of matches on the program's day share one entry
        self._found: dict[tuple[DayRule | None, dt.date], int | None] = {}
        self._dates: dict[int, dt.date] = {}

    def meetings(self, match: Match | None = None) -> Sequence[Meeting]:
        from peerkit.schedule import meetings_for, program_meetings

        if match not in self._meetings:
            self._meetings[match] = (
                meetings_for(self.program, match)
                if match is not None
                else program_meetings(self.program)
            )
        return self._meetings[match]

    def session_on(self, day: dt.date, match: Match | None = None) -> int | None:
        """As `session_on(program, day, match)`."""
        own_day = match.day if match is not None else None
        key = (own_day, day)
        if key not in self._found:
            meetings = self.meetings(match) if own_day else self.meetings()
            found = meeting_on(meetings, day, self.program)
            self._found[key] = found.number if found else None
        return self._found[key]

    def date_of(self, number: int) -> dt.date | None:
        """The program's meeting date of session `number`."""
        if not self._dates:
            self._dates = {m.number: m.date for m in reversed(self.meetings())}
        return self._dates.get(number)

    def count(self) -> int:
        return len(self.meetings())


def next_session(program: Program, moment: dt.datetime) -> int | None:
    """The session of the first meeting that starts after `moment` (None when all are past)."""
    from peerkit.schedule import program_meetings

    upcoming = [m for m in program_meetings(program) if m.start > moment]
    return upcoming[0].number if upcoming else None


def choose_session(program: Program, session: str | None, moment: dt.datetime) -> int:
    """`--session N`, or `next` (also when no session is given): the first meeting after the
    "as of" moment."""
    from peerkit.schedule import program_meetings

    meetings = program_meetings(program)
    count = len(meetings)
    if not count:
        msg = "the program has no meetings between its start and end dates"
        raise PeerkitError(msg, "check `start`, `end` and `meetings` in program.yaml")
    text = (session or "next").strip().lower()
    if text == "next":
        number = next_session(program, moment)
        if number is None:
            last = meetings[-1]
            msg = f"there is no meeting after {short_day(moment)}; the last was on {last.date}"
            raise PeerkitError(msg, f"give a session number from 1 to {count}, or an earlier --now")
        return number
    if not text.isdigit():
        msg = f"--session: '{session}' is not a session number or 'next'"
        raise UsageError(msg, f"write a number from 1 to {count}, or next")
    number = int(text)
    if not 1 <= number <= count:
        msg = f"--session: there is no session {number}; the program has {count} meeting(s)"
        raise UsageError(msg, f"give a number from 1 to {count}, or next")
    return number
