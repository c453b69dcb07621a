"""What events a program's timeline gives: each match over each round's period, who still
meets, the events' stable UIDs, and how an event compares with what was sent before.

Re-exporting is safe: a UID is uuid5(program id, round, match, planned date) and is kept in
`calendars.yaml`, which remembers what each event looked like when it was last exported, so
a changed meeting gets a higher SEQUENCE and a vanished one is sent as STATUS:CANCELLED. A
rename, a skip or a move elsewhere never changes an event's UID.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from peerkit.calendar.state import EventRecord, MatchRecord, State
from peerkit.model import Folder, Match, Member, Round
from peerkit.timeline import Period, round_period

# Fixed forever: changing it would change every UID and duplicate every event people have.
NAMESPACE = uuid.UUID("6f1c3b52-5d0e-4c53-9a38-2f1f0f6b7a11")

Change = Literal["new", "updated", "unchanged", "reinstated", "cancelled"]


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


def match_spans(folder: Folder) -> list[tuple[tuple[str, str], list[Span]]]:
    """The spans of each match, by (the round it began in, its id), in that order."""
    groups: dict[tuple[str, str], list[Span]] = {}
    for span in timeline_spans(folder):
        groups.setdefault((span.origin, span.match.id), []).append(span)
    return sorted(groups.items())


def still_meets(
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


def revision(prior: EventRecord | None, digest: str, stamp_now: str) -> tuple[int, Change, str]:
    """An event's SEQUENCE, what changed since it was last sent, and its DTSTAMP (the
    moment it last changed)."""
    if prior is None:
        return 0, "new", stamp_now
    if prior.status == "cancelled":
        return prior.sequence + 1, "reinstated", stamp_now
    if prior.hash != digest:
        return prior.sequence + 1, "updated", stamp_now
    return prior.sequence, "unchanged", prior.stamp


def cancelled(record: EventRecord, stamp_now: str) -> EventRecord:
    """The record of an event that no longer happens (as it is if it was cancelled already)."""
    if record.status == "cancelled":
        return record
    return replace(
        record, sequence=record.sequence + 1, status="cancelled", stamp=stamp_now or record.stamp
    )


def upgrade(folder: Folder, state: State) -> dict[str, dict[str, MatchRecord]]:
    """The state with every event keyed by its planned date. Records from before (keyed by
    session number) are found again by their date, else their number, and keep the UID
    they were sent with."""
    rounds: dict[str, dict[str, MatchRecord]] = {}
    for round_name, matches in state.rounds.items():
        upgraded = rounds.setdefault(round_name, {})
        for match_id, record in matches.items():
            upgraded[match_id] = (
                _by_planned_date(folder, round_name, match_id, record)
                if record.sessions
                else record
            )
    return rounds


def _by_planned_date(
    folder: Folder, round_name: str, match_id: str, record: MatchRecord
) -> MatchRecord:
    """One match's record from before events were keyed by date, keyed by date."""
    from peerkit.schedule import meetings_for

    program = folder.program
    round_ = folder.round(round_name)
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
    return MatchRecord(record.members, record.former, events)
