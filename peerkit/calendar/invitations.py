"""iTIP (RFC 5546) messages: one meeting each (mail clients act on one event per message),
each with the members it is for, written as out/calendars/invites/MATCH/:

- session-NN.ics: METHOD:REQUEST to the members who attend the meeting;
- session-NN.cancel.ics: METHOD:CANCEL (STATUS:CANCELLED) to everyone who was ever in
  the match, when the meeting itself is gone, every one of them an ATTENDEE;
- session-NN.cancel.MEMBER.ics: METHOD:CANCEL to one member no longer in a meeting that
  goes ahead, with only their ATTENDEE and no STATUS (which would cancel it for all).

A member out of an event that never changed (SEQUENCE 0) was never invited to it, and
a member without a usable email was never an ATTENDEE: neither gets a CANCEL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from peerkit.calendar.body import EventLines
from peerkit.calendar.layout import OUT_DIR, Placed
from peerkit.ics import calendar_bytes, event_bytes
from peerkit.model import Folder
from peerkit.text import unique_filename
from peerkit.validate import is_email

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


def itip_messages(
    folder: Folder,
    lines: EventLines,
    placed: list[Placed],
    only: str | None,
    years: tuple[int, int],
) -> list[Invitation]:
    """The messages of every placed event (or of those for `only`), meetings that go ahead
    first, so theirs are the plain session-NN names; another event with that name (a
    cancelled one of an earlier round, or of a skipped date) gets its date."""
    messages = _Messages(folder, lines, only, years)
    taken: set[str] = set()
    for event in sorted(placed, key=lambda o: (o.cancelled, o.key)):
        if not event.is_for(only):
            continue
        base = f"{OUT_DIR}/invites/{unique_filename(event.match)}/session-{event.session:02d}"
        if base in taken:
            base = f"{base}-{event.key[0][:8]}"
        taken.add(base)
        if event.cancelled:
            messages.cancellation(event, base)
        else:
            messages.request(event, base)
    return messages.found


class _Messages:
    """The messages found so far, and how one is made."""

    def __init__(
        self, folder: Folder, lines: EventLines, only: str | None, years: tuple[int, int]
    ) -> None:
        self.folder = folder
        self.lines = lines
        self.only = only
        self.years = years
        self.found: list[Invitation] = []

    def emails(self, members: Sequence[str]) -> tuple[str, ...]:
        folder = self.folder
        return tuple(
            m.email if (m := folder.member(mid)) and is_email(m.email) else "" for mid in members
        )

    def attendee_lines(self, members: Sequence[str]) -> list[bytes]:
        found = []
        for mid in members:
            member = self.folder.member(mid)
            line = self.lines.attendee(member) if member is not None else None
            if line:
                found.append(line)
        return found

    def cancellation(self, event: Placed, base: str) -> None:
        """The meeting itself is gone: one CANCEL to everyone who was ever in the match."""
        everyone = [m for m in event.former if self.only in (None, event.match, m)]
        body = [*event.gone, *self.attendee_lines(event.former)]
        data = event_bytes(event.uid, event.stamp, event.sequence, "CANCELLED", body)
        self.add(event, f"{base}.cancel.ics", "CANCEL", "cancellation", everyone, data)

    def request(self, event: Placed, base: str) -> None:
        """The meeting goes ahead: a REQUEST to who attends, a CANCEL to each who no longer
        does (once it was sent to them)."""
        only = self.only
        if only in (None, event.match, *event.attendees):
            purpose: Purpose = "invitation" if event.sequence == 0 else "update"
            self.add(event, f"{base}.ics", "REQUEST", purpose, event.attendees, event.data)
        if event.sequence == 0:
            return
        for member_id in event.former:
            lines = self.attendee_lines([member_id])
            if not lines or only not in (None, event.match, member_id):
                continue
            data = event_bytes(event.uid, event.stamp, event.sequence, "", [*event.gone, *lines])
            path = f"{base}.cancel.{unique_filename(member_id)}.ics"
            self.add(event, path, "CANCEL", "cancellation", [member_id], data)

    def add(
        self,
        event: Placed,
        path: str,
        method: ItipMethod,
        purpose: Purpose,
        members: Sequence[str],
        data: bytes,
    ) -> None:
        program = self.folder.program
        name = f"{program.name}: {event.match}"
        self.found.append(
            Invitation(
                path=path,
                method=method,
                purpose=purpose,
                members=tuple(members),
                emails=self.emails(members),
                round=event.round,
                match=event.match,
                session=event.session,
                uid=event.uid,
                sequence=event.sequence,
                ics=calendar_bytes(name, program.timezone, self.years, [data], method),
                start=event.start,
                title=event.title,
            )
        )
