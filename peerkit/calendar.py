"""Meeting calendars: which events exist for the program, each match and each member.

The events are encoded by `peerkit.ics`; what was sent before is `peerkit.calendar_state`.
Every meeting is its own VEVENT (no RRULE): calcurse ignores RECURRENCE-ID and
miscounts COUNT next to EXDATE, and each meeting carries its own session title and agenda.

The calendars hold the program's whole timeline: each round's matches meet only inside
the round's period, so when a later round starts the earlier round's remaining meetings are
cancelled, and nobody has two meetings at once from two rounds.

Re-exporting is safe: a UID is uuid5(program id, round, match, planned date) and is kept in
`calendars.yaml`, which remembers what each event looked like when it was last exported, so
a changed meeting gets a higher SEQUENCE and a vanished one is sent as STATUS:CANCELLED. A
rename, a skip or a move elsewhere never changes an event's UID.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from peerkit.calendar_state import (
    STATE_FILE,
    EventRecord,
    MatchRecord,
    State,
    read_state,
    recorded_state,
    state_text,
)
from peerkit.ics import (
    address_line,
    alarm_bytes,
    calendar_bytes,
    categories_line,
    event_bytes,
    text_line,
    text_line_after,
    uri_line,
    utc_stamp,
    when_line,
)
from peerkit.model import Folder, Location, Match, Meeting, Member, Problem, Program, Round
from peerkit.output import BuildOptions, Output
from peerkit.text import clock, long_date, unique_filename
from peerkit.timeline import Period, round_period
from peerkit.validate import is_email, is_url

OUT_DIR = "out/calendars"
# Fixed forever: changing it would change every UID and duplicate every event people have.
NAMESPACE = uuid.UUID("6f1c3b52-5d0e-4c53-9a38-2f1f0f6b7a11")

Change = Literal["new", "updated", "unchanged", "reinstated", "cancelled"]
Method = Literal["request"]
Progress = Callable[[str, float], None]  # (phase, fraction done)


def _sent_to(outs: Sequence[_Out], only: str | None) -> set[tuple[str, str]]:
    """The (round, match) pairs whose events go into the calendars of `only` (a match or
    member id)."""
    return {
        (out.key[3], out.match)
        for out in outs
        if only is None or only == out.match or only in out.attendees or only in out.former
    }


# --- events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEvent:
    """One event as exported: what `--format json` lists."""

    uid: str
    match: str
    session: int
    title: str
    start: dt.datetime
    end: dt.datetime
    status: Literal["confirmed", "cancelled"]
    sequence: int
    change: Change
    members: tuple[str, ...]
    location: str = ""
    video: str = ""
    round: str = ""  # the round whose period the meeting falls in
    planned: dt.date | None = None  # the date the cadence gave it (part of its identity)

    def as_dict(self) -> dict[str, object]:
        return {
            "uid": self.uid,
            "round": self.round,
            "match": self.match,
            "session": self.session,
            "planned": self.planned.isoformat() if self.planned else None,
            "title": self.title,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "status": self.status,
            "sequence": self.sequence,
            "change": self.change,
            "members": list(self.members),
            "location": self.location,
            "video": self.video,
        }


ItipMethod = Literal["REQUEST", "CANCEL"]
Purpose = Literal["invitation", "update", "cancellation"]


@dataclass(frozen=True)
class Invitation:
    """One iTIP message (RFC 5546): one meeting, the members it is for, its .ics bytes.

    Its identity is (uid, sequence, method, members): the same folder gives the same ones
    again, so whoever mails them can tell what was sent already (`key`).
    """

    path: str  # where `peerkit calendar --method request` writes it, relative to the folder
    method: ItipMethod
    purpose: Purpose  # invitation: new; update: changed or reinstated; cancellation
    members: tuple[str, ...]  # member ids it is for
    emails: tuple[str, ...]  # their emails, in the same order; "" where none is usable
    round: str  # the round the match began in
    match: str
    session: int
    uid: str
    sequence: int
    ics: bytes  # a whole VCALENDAR with METHOD, ORGANIZER, one VEVENT and its VTIMEZONE
    start: dt.datetime | None = None  # when the meeting is (or was) held
    title: str = ""  # its session's title

    @property
    def key(self) -> str:
        """What identifies the message: a re-run with no change gives the same keys."""
        return f"{self.uid}/{self.sequence}/{self.method}/{','.join(self.members)}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "method": self.method,
            "purpose": self.purpose,
            "members": list(self.members),
            "emails": list(self.emails),
            "round": self.round,
            "match": self.match,
            "session": self.session,
            "uid": self.uid,
            "sequence": self.sequence,
            "start": self.start.isoformat() if self.start else None,
            "title": self.title,
        }


@dataclass
class CalendarResult:
    round: str = ""  # the round asked for with --round, else every round, comma-separated
    files: dict[str, bytes] = field(default_factory=dict)  # relative to the program folder
    events: list[CalendarEvent] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rounds: list[str] = field(default_factory=list)  # the rounds whose events are here
    invitations: list[Invitation] = field(default_factory=list)  # with method="request"

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self.events:
            counts[event.change] = counts.get(event.change, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def label(self) -> str:
        """`round 2027`, or `rounds spring, fall` for the whole timeline."""
        return f"round{'s' if len(self.rounds) > 1 else ''} {', '.join(self.rounds)}"


def event_uid(program_id: str, round_name: str, match_id: str, planned: dt.date) -> str:
    """The stable UID of one match's meeting: the program id (not its name, which may
    change), the round the match began in, the match, and the date the meeting was
    planned for (not its session number, which a skip elsewhere changes)."""
    return _uuid5(f"{program_id}\x1f{round_name}\x1f{match_id}\x1f{planned.isoformat()}")


def legacy_uid(program_name: str, round_name: str, match_id: str, session: int) -> str:
    """The UID an event got before UIDs were kept in calendars.yaml (by name and session),
    so events sent then keep theirs."""
    return _uuid5(f"{program_name}\x1f{round_name}\x1f{match_id}\x1f{session}")


def _uuid5(name: str) -> str:
    # uuid.uuid5 by hand (same value), without building a UUID object each time
    digest = bytearray(hashlib.sha1(NAMESPACE.bytes + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _local_times(meeting: Meeting, attendees: Sequence[Member], timezone: str) -> list[str]:
    """`Local times: Ana Lima 10:00 EST, Ravi Rao 20:30 IST` when the members' clocks differ."""
    from peerkit.hours import local_time

    offsets = {meeting.start.astimezone(_tz(m.timezone or timezone)).utcoffset() for m in attendees}
    if len(offsets) < 2:
        return []
    shown = ", ".join(
        f"{m.name or m.id} {local_time(meeting.start, m.timezone or timezone)}" for m in attendees
    )
    return [f"Local times: {shown}"]


def _tz(name: str) -> dt.tzinfo:
    from peerkit.hours import zone

    return zone(name)


def _summary(program: Program, session_title: str, number: int, match_id: str) -> str:
    """`Program: 3. Title (match)`; all but the match id and `)` when match_id is empty."""
    head = f"{program.name}: {number}. {session_title} ("
    return head + f"{match_id})" if match_id else head


class _Renderer:
    """Renders events for one program as encoded lines, encoding what recurs once."""

    def __init__(self, folder: Folder) -> None:
        self.folder = folder
        self.program = folder.program
        self._attendee: dict[str, bytes | None] = {}
        self._agenda: dict[tuple[int, dt.time], str] = {}
        self._static: dict[tuple[str, str], bytes] = {}
        contact = self.program.contact
        self.organizer = b""
        if contact.email and is_email(contact.email):
            self.organizer = address_line("ORGANIZER", contact.email, contact.name or contact.email)
        self.kinds = {"kickoff": "Kickoff", "closing": "Closing", "regular": "Session"}
        self.categories = {
            kind: categories_line([self.program.name, label]) for kind, label in self.kinds.items()
        }
        reminder = self.program.meetings.reminder
        self.alarm = b""
        if reminder is not None and reminder > dt.timedelta(0):
            self.alarm = alarm_bytes("Reminder: " + self.program.name, reminder)

    def attendee(self, member: Member) -> bytes | None:
        """The member's ATTENDEE line, or None without a usable email."""
        if member.id not in self._attendee:
            line = None
            if is_email(member.email):
                line = address_line(
                    "ATTENDEE",
                    member.email,
                    member.name or member.id,
                    role="REQ-PARTICIPANT",
                    partstat="NEEDS-ACTION",
                    rsvp="TRUE",
                )
            self._attendee[member.id] = line
        return self._attendee[member.id]

    def agenda(self, meeting: Meeting) -> str:
        """The session's part of DESCRIPTION: the same for every match at that time.
        Nothing in it depends on other meetings (no "of 12"), so a skip elsewhere leaves it."""
        key = (meeting.number, meeting.start.timetz().replace(tzinfo=None))
        if key not in self._agenda:
            session = meeting.session
            lines = [f"Session {meeting.number}: {session.title}"]
            if session.topics:
                lines.append("Topics: " + ", ".join(session.topics))
            if session.agenda:
                lines.append("")
                length = int((meeting.end - meeting.start).total_seconds() // 60)
                lines.append(f"Agenda ({max(length, session.agenda_minutes)} minutes):")
                moment = meeting.start
                for block in session.agenda:
                    lines.append(f"{clock(moment)}  {block.title} ({block.minutes} min)")
                    moment += dt.timedelta(minutes=block.minutes)
                left = int((meeting.end - moment).total_seconds() // 60)
                if left > 0:  # as the handout shows it (agenda.py's filler block)
                    lines.append(f"{clock(moment)}  Open time and wrap-up ({left} min)")
            self._agenda[key] = "\n".join(lines)
        return self._agenda[key]

    def line(self, name: str, value: str) -> bytes:
        """A TEXT or URI line that recurs in many events (LOCATION, URL), encoded once."""
        key = (name, value)
        if key not in self._static:
            self._static[key] = uri_line(name, value) if name == "URL" else text_line(name, value)
        return self._static[key]

    def body(self, meeting: Meeting, attendees: Sequence[Member]) -> list[bytes]:
        """The encoded lines that define the event (all but UID, stamp, sequence, status)."""
        program = self.program
        session = meeting.session
        # what every match meeting there and then shares first, folded once (see
        # text_line_after); then who, their handout and a move
        shared = [self.agenda(meeting), ""]
        if meeting.location:
            shared.append(f"Where: {meeting.location}")
        if meeting.video and is_url(meeting.video):
            shared.append(f"Video: {meeting.video}")
        contact = program.contact
        if contact.name or contact.email:
            who = f"{contact.name} <{contact.email}>" if contact.email else contact.name
            shared.append(f"Questions: {who.strip()}")
        names = ", ".join(m.name or m.id for m in attendees)
        description = [f"Who: {names}" if names else "Who: (no members)"]
        if meeting.match_id and 1 < len(attendees) <= 12:
            description.extend(_local_times(meeting, attendees, program.timezone))
        if program.handouts_url:
            description.append(f"Handout: {self.handout(meeting)}")
        if meeting.moved:
            description.append(f"Moved from {long_date(meeting.planned)}.")
        lines = [
            when_line("DTSTART", meeting.start),
            when_line("DTEND", meeting.end),
            text_line_after(
                "SUMMARY",
                _summary(program, session.title, meeting.number, ""),
                meeting.match_id + ")",
            ),
        ]
        place = meeting.location or (meeting.video if is_url(meeting.video) else "")
        if place:
            lines.append(self.line("LOCATION", place))
        if meeting.video and is_url(meeting.video):
            lines.append(self.line("URL", meeting.video))
        lines.append(
            text_line_after("DESCRIPTION", "\n".join([*shared, ""]), "\n".join(description))
        )
        lines.append(self.categories.get(session.kind, self.categories["regular"]))
        if self.organizer:
            lines.append(self.organizer)
        for member in attendees:
            line = self.attendee(member)
            if line:
                lines.append(line)
        lines.append(self.line("TRANSP", "OPAQUE"))
        if self.alarm:
            lines.append(self.alarm)
        return lines

    def handout(self, meeting: Meeting) -> str:
        """Where this match's handout for the session is published: `peerkit agenda`'s
        out/agenda/session-NN/MATCH.html under the program's `handouts_url`."""
        from peerkit.text import safe_filename as handout_name

        name = handout_name(meeting.match_id)
        if name in ("all", "handouts"):  # the names of the combined files
            name = f"match-{name}"
        return f"{self.program.handouts_url}/session-{meeting.number:02d}/{name}.html"

    def cancelled_body(self, match_id: str, number: int, record: EventRecord) -> list[bytes]:
        """What is left of a vanished event: enough for a client to find and cancel it."""
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(self.program.timezone)
        start = dt.datetime.fromisoformat(record.start).astimezone(zone)
        end = dt.datetime.fromisoformat(record.end).astimezone(zone)
        session = self.program.session(number)
        title = session.title if session else f"Session {number}"
        summary = "Cancelled: " + _summary(self.program, title, number, match_id)
        lines = [
            when_line("DTSTART", start),
            when_line("DTEND", end),
            text_line("SUMMARY", summary),
        ]
        if self.organizer:
            lines.append(self.organizer)
        return lines


def _hash(lines: Sequence[bytes]) -> str:
    """What an event says, whatever the fold: a re-export only updates what changed."""
    return hashlib.sha256(b"".join(lines).replace(b"\r\n ", b"")).hexdigest()[:16]


@dataclass(frozen=True)
class _Out:
    """An event ready to be placed into files."""

    key: tuple[str, int, str, str]  # (start in UTC, session, match, round) for sorting
    data: bytes  # for everyone attending
    cancel: bytes  # a cancellation for someone who no longer attends (or for everyone)
    cancelled: bool
    match: str
    attendees: tuple[str, ...]
    former: tuple[str, ...]  # who gets `cancel` in their own calendar
    uid: str = ""
    sequence: int = 0
    stamp: str = ""  # its DTSTAMP
    gone: tuple[bytes, ...] = ()  # the encoded lines of its cancelled form (no STATUS, no ATTENDEE)
    start: dt.datetime | None = None
    title: str = ""  # the session's title


@dataclass(frozen=True)
class Span:
    """One match over one round's period: the part of the program's timeline it meets in."""

    round: Round
    # the round the match began in: a match kept whole (same id, same members) into the
    # next round goes on with the same events instead of being cancelled and sent again
    origin: str
    match: Match
    period: Period


def timeline_spans(folder: Folder) -> list[Span]:
    """Every match of every round over its round's period, rounds in date order."""
    spans = []
    previous: dict[str, tuple[str, frozenset[str]]] = {}
    for round_ in folder.rounds:
        period = round_period(folder, round_)
        current = {}
        for match in round_.matches:
            members = frozenset(match.members)
            before = previous.get(match.id)
            origin = before[0] if before is not None and before[1] == members else round_.name
            spans.append(Span(round_, origin, match, period))
            current[match.id] = (origin, members)
        previous = current
    return spans


def _still_meets(
    match: Match, members: Sequence[Member | None], attending: Sequence[Member]
) -> bool:
    """Whether a match's meeting goes ahead: not when one member is left (or, where a mentor
    meets mentees, when no mentor or no mentee is)."""
    if len(match.members) < 2:
        return True  # made so: nobody left it
    if len(attending) < 2:
        return False
    if {"mentor", "mentee"} <= {m.role for m in members if m is not None}:
        return {"mentor", "mentee"} <= {m.role for m in attending}
    return True


def _upgrade(folder: Folder, state: State) -> dict[str, dict[str, MatchRecord]]:
    """The state with every event keyed by its planned date. Records from before (keyed by
    session number) are found again by their date, else their number, and keep the UID
    they were sent with."""
    from peerkit.schedule import meetings_for

    program = folder.program
    rounds: dict[str, dict[str, MatchRecord]] = {}
    for round_name, matches in state.rounds.items():
        upgraded = rounds.setdefault(round_name, {})
        round_ = folder.round(round_name)
        for match_id, record in matches.items():
            if not record.sessions:
                upgraded[match_id] = record
                continue
            match = next((m for m in round_.matches if m.id == match_id), None) if round_ else None
            meetings = meetings_for(program, match) if match is not None else []
            by_date = {m.date.isoformat(): m for m in meetings}
            by_number = {m.number: m for m in meetings}
            events = dict(record.events)
            for number, item in sorted(record.sessions.items()):
                held = item.start[:10]
                meeting = by_date.get(held) or by_number.get(number)
                key = meeting.planned.isoformat() if meeting is not None else held
                if key in events:
                    key = held if held not in events else f"{held}#{number}"
                uid = legacy_uid(program.name, round_name, match_id, number)
                events[key] = replace(item, uid=uid, session=number)
            upgraded[match_id] = MatchRecord(record.members, record.former, events)
    return rounds


def render_calendars(
    folder: Folder,
    round_name: str | None = None,
    *,
    now: dt.datetime | None = None,
    method: Method | None = None,
    only: str | None = None,
    progress: Progress | None = None,
) -> CalendarResult:
    """Every calendar file of the program's whole timeline (or of one round's events), and
    the updated `calendars.yaml`, in memory.

    Each match meets only inside its round's period, so when a round starts the earlier
    round's later meetings are cancelled; a member who leaves or pauses is out of the
    meetings in that span, and a match left with one member stops meeting.
    """
    from peerkit.load import slugify
    from peerkit.schedule import meetings_for
    from peerkit.timeline import round_on

    program = folder.program
    result = CalendarResult()
    if not folder.rounds or (round_name is not None and folder.round(round_name) is None):
        result.problems.append(
            Problem(
                Location("rounds/"),
                "no-round",
                f"there is no round '{round_name}' in rounds/"
                if round_name
                else "there is no round file in rounds/, so there are no matches to put in calendars",
                "run `peerkit match` first" if not round_name else "see the names in rounds/",
            )
        )
        return result
    scope = [r for r in folder.rounds if round_name in (None, r.name)]
    result.round = round_name or ", ".join(r.name for r in folder.rounds)
    result.rounds = [r.name for r in scope]
    state, problems = read_state(folder.root)
    result.problems.extend(problems)
    if problems:
        return result
    if method == "request" and not is_email(program.contact.email):
        result.problems.append(
            Problem(
                program.source_of("contact.email"),
                "calendar-organizer",
                "--method request needs the program contact's email as the organizer",
                "add `contact: {name: ..., email: ...}` to program.yaml",
            )
        )
        return result

    for round_ in scope:
        result.problems.extend(_warnings(folder, round_))
    # the id UIDs hang on: program.yaml's, else the one taken from the name once and kept
    program_id = program.id or state.program or slugify(program.name) or "program"
    stamp_now = utc_stamp(now) if now else ""
    default_stamp = utc_stamp(dt.datetime.combine(program.start, dt.time(0), tzinfo=dt.UTC))
    old = _upgrade(folder, state)
    renderer = _Renderer(folder)
    new_rounds: dict[str, dict[str, MatchRecord]] = {}
    outs: list[_Out] = []
    years: set[int] = set()

    def chosen(round_: str, start: str = "") -> bool:
        """Whether an event is part of this export (`--round`: that round's events, and
        the cancelled ones dated in its period)."""
        if round_name is None or round_ == round_name:
            return True
        if not start:
            return False
        current = round_on(folder, dt.date.fromisoformat(start[:10]))
        return current is not None and current.name == round_name

    groups: dict[tuple[str, str], list[Span]] = {}
    for span in timeline_spans(folder):
        groups.setdefault((span.origin, span.match.id), []).append(span)
    for index, ((origin, match_id), parts) in enumerate(sorted(groups.items())):
        if progress and index % 100 == 0:
            progress("calendar events", index / len(groups))
        before = old.get(origin, {}).get(match_id)
        prior_events = before.events if before else {}
        in_match = {mid for part in parts for mid in part.match.members}
        # members who were in this match at an earlier export and are not any more
        former = set(before.former + before.members) - in_match if before else set()
        records: dict[str, EventRecord] = {}
        for part in parts:
            match = part.match
            members = [folder.member(mid) for mid in match.members]
            take = chosen(part.round.name)
            for meeting in meetings_for(program, match):
                planned = meeting.planned.isoformat()
                if meeting.date not in part.period or planned in records:
                    continue
                attendees = [m for m in members if m is not None and m.is_active_on(meeting.date)]
                if not _still_meets(match, members, attendees):
                    continue  # cancelled below, if it was ever sent
                prior = prior_events.get(planned)
                if not take:  # another round's event, left as it was last exported
                    if prior is not None:
                        records[planned] = prior
                    continue
                attending = tuple(m.id for m in attendees)
                body = renderer.body(meeting, attendees)
                digest = _hash(body)
                change: Change
                if prior is None:
                    sequence, change, stamp = 0, "new", stamp_now
                elif prior.status == "cancelled":
                    sequence, change, stamp = prior.sequence + 1, "reinstated", stamp_now
                elif prior.hash != digest:
                    sequence, change, stamp = prior.sequence + 1, "updated", stamp_now
                else:
                    sequence, change, stamp = prior.sequence, "unchanged", prior.stamp
                uid = prior.uid if prior and prior.uid else ""
                uid = uid or event_uid(program_id, origin, match_id, meeting.planned)
                record = EventRecord(
                    meeting.start.isoformat(),
                    meeting.end.isoformat(),
                    sequence,
                    "confirmed",
                    digest,
                    stamp,
                    uid,
                    meeting.number,
                )
                records[planned] = record
                dtstamp = stamp_now or stamp or default_stamp
                years.update((meeting.start.year, meeting.end.year))
                # someone in the match who does not attend (left the program, paused, or
                # moved to another match) gets this event as cancelled in their own calendar
                absent = former | {mid for mid in match.members if mid not in attending}
                cancel = b""
                gone: list[bytes] = []
                if absent:
                    gone = renderer.cancelled_body(match_id, meeting.number, record)
                    cancel = event_bytes(uid, dtstamp, sequence, "CANCELLED", gone)
                outs.append(
                    _Out(
                        key=(utc_stamp(meeting.start), meeting.number, match_id, origin),
                        data=event_bytes(uid, dtstamp, sequence, "CONFIRMED", body),
                        cancel=cancel,
                        cancelled=False,
                        match=match_id,
                        attendees=attending,
                        former=tuple(sorted(absent)),
                        uid=uid,
                        sequence=sequence,
                        stamp=dtstamp,
                        gone=tuple(gone),
                        start=meeting.start,
                        title=meeting.session.title,
                    )
                )
                result.events.append(
                    CalendarEvent(
                        uid,
                        match_id,
                        meeting.number,
                        meeting.session.title,
                        meeting.start,
                        meeting.end,
                        "confirmed",
                        sequence,
                        change,
                        attending,
                        meeting.location,
                        meeting.video,
                        part.round.name,
                        meeting.planned,
                    )
                )
        # meetings of this match that no longer happen: skipped, after its round ended,
        # or with one member left
        for planned, prior in prior_events.items():
            if planned not in records:
                take = chosen(origin, prior.start)
                records[planned] = _cancel(prior, stamp_now) if take else prior
        members_now = tuple(parts[-1].match.members)
        new_rounds.setdefault(origin, {})[match_id] = MatchRecord(
            members_now, tuple(sorted(former)), records
        )

    # matches that vanished from the rounds: every event cancelled once, then kept as is
    for origin, matches in sorted(old.items()):
        for match_id, before in sorted(matches.items()):
            if match_id in new_rounds.get(origin, {}):
                continue
            records = {
                planned: _cancel(item, stamp_now) if chosen(origin, item.start) else item
                for planned, item in before.events.items()
            }
            new_rounds.setdefault(origin, {})[match_id] = MatchRecord(
                before.members, before.former, records
            )

    for origin, matches in sorted(new_rounds.items()):
        for match_id, match_record in sorted(matches.items()):
            for planned, item in sorted(match_record.events.items()):
                if item.status != "cancelled" or not chosen(origin, item.start):
                    continue
                uid = item.uid or event_uid(
                    program_id, origin, match_id, dt.date.fromisoformat(planned[:10])
                )
                dtstamp = stamp_now or item.stamp or default_stamp
                body = renderer.cancelled_body(match_id, item.session, item)
                data = event_bytes(uid, dtstamp, item.sequence, "CANCELLED", body)
                start = dt.datetime.fromisoformat(item.start)
                end = dt.datetime.fromisoformat(item.end)
                years.update((start.year, end.year))
                everyone = tuple(sorted(set(match_record.members) | set(match_record.former)))
                outs.append(
                    _Out(
                        (utc_stamp(start), item.session, match_id, origin),
                        data,
                        data,
                        True,
                        match_id,
                        (),
                        everyone,
                        uid,
                        item.sequence,
                        dtstamp,
                        tuple(body),
                        start,
                        session.title if (session := program.session(item.session)) else "",
                    )
                )
                result.events.append(
                    CalendarEvent(
                        uid,
                        match_id,
                        item.session,
                        "",
                        start,
                        end,
                        "cancelled",
                        item.sequence,
                        "cancelled",
                        match_record.members,
                        round=origin,
                        planned=dt.date.fromisoformat(planned[:10]),
                    )
                )

    recorded = recorded_state(state, State(program_id, new_rounds), only, _sent_to(outs, only))
    result.files[STATE_FILE] = state_text(recorded)
    if not outs:
        result.notes.append(f"{result.label} has no meetings to put in calendars")
        return result
    if progress:
        progress("calendar files", 1.0)
    result.files.update(_files(folder, outs, only, years))
    if method == "request":
        years_span = (min(years), max(years))
        result.invitations = _invitations(folder, renderer, outs, only, years_span)
        result.files.update((invite.path, invite.ics) for invite in result.invitations)
    result.events.sort(key=lambda e: (e.start, e.match, e.round, e.session))
    return result


def invitations(
    folder: Folder,
    now: dt.datetime | None = None,
    *,
    round_name: str | None = None,
    only: str | None = None,
) -> list[Invitation]:
    """The iTIP messages of the folder's calendars as they stand (see `_invitations`), in
    date order. Nothing is written: `render_calendars(..., method="request")` gives the same
    messages with the files and the `calendars.yaml` to save once they are sent. Problems
    (a broken state file, no organizer) give no messages; render_calendars says why."""
    return render_calendars(folder, round_name, now=now, method="request", only=only).invitations


def _warnings(folder: Folder, round_: Round) -> list[Problem]:
    """What the calendars will quietly leave out, said out loud."""
    from peerkit.schedule import is_rrule, valid_day

    program = folder.program
    found = []
    for match in round_.matches:
        where = match.source or Location(round_.file)
        if match.day and (is_rrule(program.meetings.cadence) or not valid_day(match.day)):
            reason = (
                "the program's cadence is an RRULE"
                if valid_day(match.day)
                else "it is not a day like 'second Tuesday' or 'Friday'"
            )
            found.append(
                Problem(
                    where,
                    "calendar-day",
                    f"match {match.id}: day '{match.day}' is not used ({reason}); "
                    "its meetings are on the program's days",
                    "write a day like 'second Wednesday', or remove `day:`",
                    "warning",
                )
            )
        if match.location.startswith(("http://", "https://")) and not is_url(match.location):
            found.append(
                Problem(
                    where,
                    "calendar-url",
                    f"match {match.id}: the link '{match.location}' is not a usable URL",
                    "write the full link without spaces, e.g. https://meet.example.org/team",
                    "warning",
                )
            )
    in_round = {mid for match in round_.matches for mid in match.members}
    no_email = sorted(
        mid for mid in in_round if (m := folder.member(mid)) is not None and not is_email(m.email)
    )
    if no_email:
        shown = ", ".join(no_email[:5]) + (
            f" and {len(no_email) - 5} more" if len(no_email) > 5 else ""
        )
        found.append(
            Problem(
                Location(folder.roster_file),
                "calendar-email",
                f"{len(no_email)} member(s) have no usable email, so they are not attendees "
                f"(their names are still in each description): {shown}",
                "add `email:` to those members in the roster",
                "warning",
            )
        )
    return found


def _cancel(record: EventRecord, stamp_now: str) -> EventRecord:
    if record.status == "cancelled":
        return record
    return replace(
        record, sequence=record.sequence + 1, status="cancelled", stamp=stamp_now or record.stamp
    )


def _files(
    folder: Folder,
    outs: list[_Out],
    only: str | None,
    years: set[int],
) -> dict[str, bytes]:
    program = folder.program
    span = (min(years), max(years))
    outs.sort(key=lambda o: o.key)
    by_match: dict[str, list[_Out]] = {}
    by_member: dict[str, list[bytes]] = {}
    cancels_by_member: dict[str, list[bytes]] = {}
    for out in outs:
        by_match.setdefault(out.match, []).append(out)
        if not out.cancelled:
            for member_id in out.attendees:
                by_member.setdefault(member_id, []).append(out.data)
        for member_id in out.former:
            cancels_by_member.setdefault(member_id, []).append(out.cancel)

    def pack(name: str, confirmed: list[bytes], cancelled: list[bytes], path: str) -> None:
        files[f"{path}.ics"] = calendar_bytes(
            name, program.timezone, span, [*confirmed, *cancelled]
        )

    files: dict[str, bytes] = {}
    if only is None:
        pack(
            program.name,
            [o.data for o in outs if not o.cancelled],
            [o.data for o in outs if o.cancelled],
            f"{OUT_DIR}/program",
        )
    for match_id, items in sorted(by_match.items()):
        if only is not None and only != match_id:
            continue
        pack(
            f"{program.name}: {match_id}",
            [o.data for o in items if not o.cancelled],
            [o.data for o in items if o.cancelled],
            f"{OUT_DIR}/matches/{unique_filename(match_id)}",
        )
    for member_id in sorted(set(by_member) | set(cancels_by_member)):
        if only is not None and only != member_id:
            continue
        member = folder.member(member_id)
        label = member.name if member and member.name else member_id
        pack(
            f"{program.name}: {label}",
            by_member.get(member_id, []),
            cancels_by_member.get(member_id, []),
            f"{OUT_DIR}/members/{unique_filename(member_id)}",
        )
    return files


def _invitations(
    folder: Folder, renderer: _Renderer, outs: list[_Out], only: str | None, span: tuple[int, int]
) -> list[Invitation]:
    """iTIP (RFC 5546) messages, one meeting each (mail clients act on one event per
    message), each with the members it is for, written as invites/MATCH/:

    - session-NN.ics: METHOD:REQUEST to the members who attend the meeting;
    - session-NN.cancel.ics: METHOD:CANCEL (STATUS:CANCELLED) to everyone who was ever in
      the match, when the meeting itself is gone, every one of them an ATTENDEE;
    - session-NN.cancel.MEMBER.ics: METHOD:CANCEL to one member no longer in a meeting that
      goes ahead, with only their ATTENDEE and no STATUS (which would cancel it for all).

    A member out of an event that never changed (SEQUENCE 0) was never invited to it, and
    a member without a usable email was never an ATTENDEE: neither gets a CANCEL.
    """
    program = folder.program
    found: list[Invitation] = []
    taken: set[str] = set()

    def emails(members: Sequence[str]) -> tuple[str, ...]:
        return tuple(
            m.email if (m := folder.member(mid)) and is_email(m.email) else "" for mid in members
        )

    def attendee_lines(members: Sequence[str]) -> list[bytes]:
        lines = []
        for mid in members:
            member = folder.member(mid)
            line = renderer.attendee(member) if member is not None else None
            if line:
                lines.append(line)
        return lines

    def add(
        out: _Out,
        path: str,
        method: ItipMethod,
        purpose: Purpose,
        members: Sequence[str],
        event: bytes,
    ) -> None:
        name = f"{program.name}: {out.match}"
        found.append(
            Invitation(
                path=path,
                method=method,
                purpose=purpose,
                members=tuple(members),
                emails=emails(members),
                round=out.key[3],
                match=out.match,
                session=out.key[1],
                uid=out.uid,
                sequence=out.sequence,
                ics=calendar_bytes(name, program.timezone, span, [event], method),
                start=out.start,
                title=out.title,
            )
        )

    # meetings that go ahead first, so theirs are the plain session-NN names; another event
    # with that name (a cancelled one of an earlier round, or of a skipped date) gets its date
    for out in sorted(outs, key=lambda o: (o.cancelled, o.key)):
        if only is not None and only not in (out.match, *out.attendees, *out.former):
            continue
        base = f"{OUT_DIR}/invites/{unique_filename(out.match)}/session-{out.key[1]:02d}"
        if base in taken:
            base = f"{base}-{out.key[0][:8]}"
        taken.add(base)
        if out.cancelled:
            everyone = [m for m in out.former if only in (None, out.match, m)]
            body = [*out.gone, *attendee_lines(out.former)]
            event = event_bytes(out.uid, out.stamp, out.sequence, "CANCELLED", body)
            add(out, f"{base}.cancel.ics", "CANCEL", "cancellation", everyone, event)
            continue
        if only in (None, out.match, *out.attendees):
            purpose: Purpose = "invitation" if out.sequence == 0 else "update"
            add(out, f"{base}.ics", "REQUEST", purpose, out.attendees, out.data)
        if out.sequence == 0:
            continue
        for member_id in out.former:
            lines = attendee_lines([member_id])
            if not lines or only not in (None, out.match, member_id):
                continue
            event = event_bytes(out.uid, out.stamp, out.sequence, "", [*out.gone, *lines])
            path = f"{base}.cancel.{unique_filename(member_id)}.ics"
            add(out, path, "CANCEL", "cancellation", [member_id], event)
    return found


def calendar_step(folder: Folder, options: BuildOptions) -> Output:
    """The `build` step: calendars of the whole timeline, or a note saying why there are none."""

    result = Output()
    if not folder.rounds:
        result.notes.append("skipped: no round file in rounds/ yet (run `peerkit match` first)")
        return result
    made = render_calendars(folder, None, now=options.now)
    result.files.update(made.files)
    result.notes.extend(made.notes)
    result.problems.extend(made.problems)
    if made.files:
        counts = ", ".join(f"{n} {change}" for change, n in made.counts().items())
        result.notes.append(f"{made.label}: {counts}")
    return result
