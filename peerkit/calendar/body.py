"""The encoded lines of each event: what a meeting says (title, agenda, who, where), as
iCalendar content lines, with whatever recurs across events encoded once.

Every meeting is its own VEVENT (no RRULE): calcurse ignores RECURRENCE-ID and miscounts
COUNT next to EXDATE, and each meeting carries its own session title and agenda.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from collections.abc import Sequence
from dataclasses import fields

from peerkit.calendar.state import EventRecord
from peerkit.ics import (
    address_line,
    alarm_bytes,
    categories_line,
    escape_text,
    folded_after,
    text_line,
    uri_line,
    when_line,
)
from peerkit.model import Folder, Meeting, Member, Program, Session
from peerkit.text import clock, long_date
from peerkit.validate import is_email, is_url


def _summary(program: Program, session_title: str, number: int, match_id: str) -> str:
    """`Program: 3. Title (match)`; all but the match id and `)` when match_id is empty."""
    head = f"{program.name}: {number}. {session_title} ("
    return head + f"{match_id})" if match_id else head


def event_lines(folder: Folder, *, remember: bool = False) -> EventLines:
    """The folder's EventLines. `build` renders the calendars twice (its calendar stage,
    then the outbox's iTIP requests, stamped with its own moment): its first render asks to
    `remember` what each event says, and a later render of the same folder object gets
    those lines back. A render on its own keeps nothing."""
    if _LAST and _LAST[0][0] is folder:
        return _LAST[0][1]
    lines = EventLines(folder, remember=remember)
    _LAST[:] = [(folder, lines)] if remember else []
    return lines


_LAST: list[tuple[Folder, EventLines]] = []  # the folder whose event lines are remembered
# A meeting's fields but its session, whose hash would walk its whole agenda: a remembered
# event is found by these, and its session compared on a hit instead.
_UNLESS_SESSION = operator.attrgetter(*(f.name for f in fields(Meeting) if f.name != "session"))


class EventLines:
    """Renders events for one program as encoded lines, encoding what recurs once."""

    def __init__(self, folder: Folder, *, remember: bool = False) -> None:
        self.folder = folder
        self.program = folder.program
        self.remember = remember
        # a meeting's fields but its session, and its attendees -> its session, the
        # event's lines and their digest (see `described`)
        self._described: dict[tuple[object, ...], tuple[Session, list[bytes], str]] = {}
        self._attendee: dict[str, bytes | None] = {}
        self._agenda: dict[tuple[int, dt.time], str] = {}
        self._static: dict[tuple[str, str], bytes] = {}
        self._shared: dict[tuple[int, dt.time, str, str], tuple[str, list[bytes]]] = {}
        self._match_ids: dict[str, str] = {}
        self._local: dict[tuple[dt.datetime, str], tuple[str, dt.timedelta | None]] = {}
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

    def shared(self, meeting: Meeting) -> tuple[str, list[bytes]]:
        """What every match meeting there and then shares: the first part of DESCRIPTION
        (the session's agenda, where, the video link, whom to ask), and the LOCATION and
        URL lines."""
        key = (meeting.number, meeting.start.time(), meeting.location, meeting.video)
        if key not in self._shared:
            video = meeting.video if meeting.video and is_url(meeting.video) else ""
            text = [self.agenda(meeting), ""]
            if meeting.location:
                text.append(f"Where: {meeting.location}")
            if video:
                text.append(f"Video: {video}")
            contact = self.program.contact
            if contact.name or contact.email:
                who = f"{contact.name} <{contact.email}>" if contact.email else contact.name
                text.append(f"Questions: {who.strip()}")
            place = meeting.location or video
            lines = [self.line("LOCATION", place)] if place else []
            if video:
                lines.append(self.line("URL", video))
            self._shared[key] = ("\n".join([*text, ""]), lines)
        return self._shared[key]

    def local_times(self, meeting: Meeting, attendees: Sequence[Member]) -> list[str]:
        """`Local times: Ana Lima 10:00 EST, Ravi Rao 20:30 IST` when the members' clocks
        differ then; each member's clock at each start worked out once."""
        timezone = self.program.timezone
        zones = {m.timezone or timezone for m in attendees}
        if len(zones) < 2:  # one clock for all
            return []
        if len({self.local_time(meeting.start, name)[1] for name in zones}) < 2:
            return []
        shown = ", ".join(
            f"{m.name or m.id} {self.local_time(meeting.start, m.timezone or timezone)[0]}"
            for m in attendees
        )
        return [f"Local times: {shown}"]

    def local_time(self, start: dt.datetime, timezone: str) -> tuple[str, dt.timedelta | None]:
        """`06:30 BRT` and the zone's offset from UTC at `start`."""
        key = (start, timezone)
        found = self._local.get(key)
        if found is None:
            from peerkit.hours import local_time, zone

            offset = start.astimezone(zone(timezone)).utcoffset()
            found = self._local[key] = (local_time(start, timezone), offset)
        return found

    def description(self, meeting: Meeting, attendees: Sequence[Member]) -> str:
        """The match's own part of DESCRIPTION, escaped: who, their local times, their
        handout, a move."""
        names = ", ".join(m.name or m.id for m in attendees)
        text = [f"Who: {names}" if names else "Who: (no members)"]
        if meeting.match_id and 1 < len(attendees) <= 12:
            text.extend(self.local_times(meeting, attendees))
        if self.program.handouts_url:
            text.append(f"Handout: {self.handout(meeting)}")
        if meeting.moved:
            text.append(f"Moved from {long_date(meeting.planned)}.")
        return escape_text("\n".join(text))

    def summary(self, meeting: Meeting) -> bytes:
        """`SUMMARY:Program: 3. Title (match)`, the part before the match id folded once."""
        head = _summary(self.program, meeting.session.title, meeting.number, "")
        match_id = self._match_ids.get(meeting.match_id)
        if match_id is None:
            match_id = self._match_ids[meeting.match_id] = escape_text(meeting.match_id + ")")
        return folded_after("SUMMARY", head, match_id)

    def described(self, meeting: Meeting, attendees: Sequence[Member]) -> tuple[list[bytes], str]:
        """The event's `body` and its `body_hash` (remembered: see `event_lines`)."""
        if not self.remember:
            body = self.body(meeting, attendees)
            return body, body_hash(body)
        key = (_UNLESS_SESSION(meeting), tuple(m.id for m in attendees))
        found = self._described.get(key)
        if found is None or not (found[0] is meeting.session or found[0] == meeting.session):
            body = self.body(meeting, attendees)
            found = self._described[key] = (meeting.session, body, body_hash(body))
        return found[1], found[2]

    def body(self, meeting: Meeting, attendees: Sequence[Member]) -> list[bytes]:
        """The encoded lines that define the event (all but UID, stamp, sequence, status)."""
        text, place = self.shared(meeting)
        lines = [
            when_line("DTSTART", meeting.start),
            when_line("DTEND", meeting.end),
            self.summary(meeting),
            *place,
            folded_after("DESCRIPTION", text, self.description(meeting, attendees)),
            self.categories.get(meeting.session.kind, self.categories["regular"]),
        ]
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


def body_hash(lines: Sequence[bytes]) -> str:
    """What an event says, whatever the fold: a re-export only updates what changed."""
    return hashlib.sha256(b"".join(lines).replace(b"\r\n ", b"")).hexdigest()[:16]
