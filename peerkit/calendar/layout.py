"""Which file holds which event: out/calendars/program.ics every meeting, matches/ID.ics one
match's, members/ID.ics one member's (with a cancellation of each meeting they are no
longer in). Each event is encoded once; a file joins the bytes of the events it holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from peerkit.ics import calendar_bytes
from peerkit.model import Folder
from peerkit.text import unique_filename

OUT_DIR = "out/calendars"


@dataclass(frozen=True)
class Placed:
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

    @property
    def round(self) -> str:
        """The round the match began in."""
        return self.key[3]

    @property
    def session(self) -> int:
        return self.key[1]

    def is_for(self, only: str | None) -> bool:
        """Whether the event goes into the calendars of `only` (a match or member id)."""
        return only is None or only == self.match or only in self.attendees or only in self.former


def sent_to(placed: Sequence[Placed], only: str | None) -> set[tuple[str, str]]:
    """The (round, match) pairs whose events go into the calendars of `only`."""
    return {(event.round, event.match) for event in placed if event.is_for(only)}


def calendar_files(
    folder: Folder,
    placed: list[Placed],
    only: str | None,
    years: tuple[int, int],
    matches_only: bool = False,
) -> dict[str, bytes]:
    """Every calendar file (all of them, or those of `only`; or only each match's), by path
    in the folder."""
    name = folder.program.name
    tzid = folder.program.timezone
    placed.sort(key=lambda o: o.key)
    files: dict[str, bytes] = {}

    def pack(label: str, path: str, events: list[bytes]) -> None:
        files[f"{OUT_DIR}/{path}.ics"] = calendar_bytes(label, tzid, years, events)

    if only is None and not matches_only:
        pack(name, "program", _confirmed_first(placed))
    by_match: dict[str, list[Placed]] = {}
    for event in placed:
        by_match.setdefault(event.match, []).append(event)
    for match_id, items in sorted(by_match.items()):
        if only in (None, match_id):
            path = f"matches/{unique_filename(match_id)}"
            pack(f"{name}: {match_id}", path, _confirmed_first(items))
    if matches_only:
        return files
    for member_id, events in _member_events(placed):
        if only in (None, member_id):
            member = folder.member(member_id)
            label = member.name if member and member.name else member_id
            pack(f"{name}: {label}", f"members/{unique_filename(member_id)}", events)
    return files


def _confirmed_first(placed: Sequence[Placed]) -> list[bytes]:
    return [o.data for o in placed if not o.cancelled] + [o.data for o in placed if o.cancelled]


def _member_events(placed: Sequence[Placed]) -> list[tuple[str, list[bytes]]]:
    """Each member's events, by member id: the meetings they attend, then a cancellation
    of each one they are no longer in."""
    attending: dict[str, list[bytes]] = {}
    cancels: dict[str, list[bytes]] = {}
    for event in placed:
        if not event.cancelled:
            for member_id in event.attendees:
                attending.setdefault(member_id, []).append(event.data)
        for member_id in event.former:
            cancels.setdefault(member_id, []).append(event.cancel)
    return [
        (member_id, [*attending.get(member_id, []), *cancels.get(member_id, [])])
        for member_id in sorted(set(attending) | set(cancels))
    ]
