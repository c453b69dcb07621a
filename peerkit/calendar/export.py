"""The calendar export: every .ics of the program's whole timeline (or of one round's
events) and the updated `calendars.yaml`, in memory, and the `build` step that makes them.

The calendars hold the program's whole timeline: each round's matches meet only inside
the round's period, so when a later round starts the earlier round's remaining meetings are
cancelled, and nobody has two meetings at once from two rounds. Which events there are is
`events`, what each says is `body`, which file holds it is `layout`, the messages mail
clients act on are `invitations`, and what was sent before is `state`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from peerkit.calendar.body import event_lines
from peerkit.calendar.events import (
    CalendarEvent,
    Span,
    cancelled,
    event_uid,
    match_spans,
    revision,
    still_meets,
    upgrade,
)
from peerkit.calendar.invitations import Invitation, itip_messages
from peerkit.calendar.layout import Placed, calendar_files, sent_to
from peerkit.calendar.state import (
    STATE_FILE,
    EventRecord,
    MatchRecord,
    State,
    read_state,
    recorded_state,
    state_text,
)
from peerkit.ics import event_bytes, utc_stamp
from peerkit.model import Folder, Location, Meeting, Member, Problem, Round
from peerkit.output import BuildOptions, Output
from peerkit.validate import is_email, is_url

Method = Literal["request"]
Progress = Callable[[str, float], None]  # (phase, fraction done)


@dataclass(kw_only=True)
class CalendarResult(Output):
    """The calendars made (files relative to the program folder) and every event in them."""

    round: str = ""  # the round asked for with --round, else every round, comma-separated
    events: list[CalendarEvent] = field(default_factory=list)
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


def render_calendars(
    folder: Folder,
    round_name: str | None = None,
    *,
    now: dt.datetime | None = None,
    method: Method | None = None,
    only: str | None = None,
    progress: Progress | None = None,
    changed_only: bool = False,
    remember: bool = False,
    matches_only: bool = False,
) -> CalendarResult:
    """Every calendar file of the program's whole timeline (or of one round's events), and
    the updated `calendars.yaml`, in memory; with `method="request"` the iTIP messages of
    every event too, or (`changed_only`, what the outbox sends) of those that changed
    since `calendars.yaml` and are not over by `now`. `remember`: keep what each event
    says for a later render of the same folder (build's outbox renders them again).
    `matches_only`: of the files, only each match's calendar (what the outbox attaches).

    Each match meets only inside its round's period, so when a round starts the earlier
    round's later meetings are cancelled; a member who leaves or pauses is out of the
    meetings in that span, and a match left with one member stops meeting.
    """
    result = CalendarResult()
    missing = _no_round(folder, round_name)
    if missing is not None:
        result.problems.append(missing)
        return result
    scope = [r for r in folder.rounds if round_name in (None, r.name)]
    result.round = round_name or ", ".join(r.name for r in folder.rounds)
    result.rounds = [r.name for r in scope]
    state, problems = read_state(folder.root)
    result.problems.extend(problems)
    if problems:
        return result
    if method == "request" and not is_email(folder.program.contact.email):
        result.problems.append(_no_organizer(folder))
        return result
    for round_ in scope:
        result.problems.extend(_warnings(folder, round_))

    export = _Export(folder, round_name, state, now, remember)
    export.run(progress)
    if not matches_only:
        recorded = recorded_state(state, export.state(), only, sent_to(export.placed, only))
        result.files[STATE_FILE] = state_text(recorded)
    result.events = export.events
    if not export.placed:
        result.notes.append(f"{result.label} has no meetings to put in calendars")
        return result
    if progress:
        progress("calendar files", 1.0)
    years = (min(export.years), max(export.years))
    result.files.update(calendar_files(folder, export.placed, only, years, matches_only))
    if method == "request":
        placed = export.placed
        if changed_only:
            # (an event that is over by `now` needs no message either)
            changed = {
                e.uid
                for e in export.events
                if e.change != "unchanged" and (now is None or e.end > now)
            }
            placed = [event for event in placed if event.uid in changed]
        result.invitations = itip_messages(folder, export.lines, placed, only, years)
        result.files.update((invite.path, invite.ics) for invite in result.invitations)
    result.events.sort(key=lambda e: (e.start, e.match, e.round, e.session))
    return result


def _no_round(folder: Folder, round_name: str | None) -> Problem | None:
    if folder.rounds and (round_name is None or folder.round(round_name) is not None):
        return None
    return Problem(
        Location("rounds/"),
        "no-round",
        f"there is no round '{round_name}' in rounds/"
        if round_name
        else "there is no round file in rounds/, so there are no matches to put in calendars",
        "run `peerkit match` first" if not round_name else "see the names in rounds/",
    )


def _no_organizer(folder: Folder) -> Problem:
    return Problem(
        folder.program.source_of("contact.email"),
        "calendar-organizer",
        "--method request needs the program contact's email as the organizer",
        "add `contact: {name: ..., email: ...}` to program.yaml",
    )


class _Export:
    """One export under way: the events placed so far and the state they leave."""

    def __init__(
        self,
        folder: Folder,
        round_name: str | None,
        state: State,
        now: dt.datetime | None,
        remember: bool,
    ) -> None:
        from peerkit.load.reader import slugify

        program = folder.program
        self.folder = folder
        self.round_name = round_name
        # the id UIDs hang on: program.yaml's, else the one taken from the name once and kept
        self.program_id = program.id or state.program or slugify(program.name) or "program"
        self.stamp_now = utc_stamp(now) if now else ""
        start = dt.datetime.combine(program.start, dt.time(0), tzinfo=dt.UTC)
        self.default_stamp = utc_stamp(start)
        self.old = upgrade(folder, state)
        self.lines = event_lines(folder, remember=remember)
        self.rounds: dict[str, dict[str, MatchRecord]] = {}
        self.placed: list[Placed] = []
        self.events: list[CalendarEvent] = []
        self.years: set[int] = set()

    def state(self) -> State:
        return State(self.program_id, self.rounds)

    def run(self, progress: Progress | None) -> None:
        groups = match_spans(self.folder)
        for index, ((origin, match_id), spans) in enumerate(groups):
            if progress and index % 100 == 0:
                progress("calendar events", index / len(groups))
            self.add_match(origin, match_id, spans)
        self.add_vanished()
        self.place_cancelled()

    def chosen(self, round_: str, start: str = "") -> bool:
        """Whether an event is part of this export (`--round`: that round's events, and
        the cancelled ones dated in its period)."""
        from peerkit.timeline import round_on

        if self.round_name is None or round_ == self.round_name:
            return True
        if not start:
            return False
        current = round_on(self.folder, dt.date.fromisoformat(start[:10]))
        return current is not None and current.name == self.round_name

    def add_match(self, origin: str, match_id: str, spans: Sequence[Span]) -> None:
        """One match's events over every round it is in; those it no longer has cancelled."""
        before = self.old.get(origin, {}).get(match_id)
        prior = before.events if before else {}
        in_match = {mid for span in spans for mid in span.match.members}
        # members who were in this match at an earlier export and are not any more
        former = set(before.former + before.members) - in_match if before else set()
        records: dict[str, EventRecord] = {}
        for span in spans:
            self.add_span(span, prior, former, records)
        # meetings of this match that no longer happen: skipped, after its round ended,
        # or with one member left
        for planned, item in prior.items():
            if planned not in records:
                take = self.chosen(origin, item.start)
                records[planned] = cancelled(item, self.stamp_now) if take else item
        members = tuple(spans[-1].match.members)
        self.rounds.setdefault(origin, {})[match_id] = MatchRecord(
            members, tuple(sorted(former)), records
        )

    def add_span(
        self,
        span: Span,
        prior: Mapping[str, EventRecord],
        former: set[str],
        records: dict[str, EventRecord],
    ) -> None:
        """The meetings of one match in one round's period, into `records` by planned date."""
        from peerkit.schedule import meetings_for

        match = span.match
        members = [self.folder.member(mid) for mid in match.members]
        take = self.chosen(span.round.name)
        for meeting in meetings_for(self.folder.program, match):
            planned = meeting.planned.isoformat()
            if meeting.date not in span.period or planned in records:
                continue
            attendees = [m for m in members if m is not None and m.is_active_on(meeting.date)]
            if not still_meets(match, members, attendees):
                continue  # cancelled by add_match, if it was ever sent
            before = prior.get(planned)
            if take:
                records[planned] = self.add_meeting(span, meeting, attendees, before, former)
            elif before is not None:  # another round's event, left as it was last exported
                records[planned] = before

    def add_meeting(
        self,
        span: Span,
        meeting: Meeting,
        attendees: Sequence[Member],
        prior: EventRecord | None,
        former: set[str],
    ) -> EventRecord:
        """One meeting that goes ahead, placed; its record for the state."""
        match_id = span.match.id
        attending = tuple(m.id for m in attendees)
        body, digest = self.lines.described(meeting, attendees)
        sequence, change, stamp = revision(prior, digest, self.stamp_now)
        uid = (prior.uid if prior else "") or event_uid(
            self.program_id, span.origin, match_id, meeting.planned
        )
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
        dtstamp = self.stamp_now or stamp or self.default_stamp
        self.years.update((meeting.start.year, meeting.end.year))
        # someone in the match who does not attend (left the program, paused, or
        # moved to another match) gets this event as cancelled in their own calendar
        absent = former | {mid for mid in span.match.members if mid not in attending}
        cancel = b""
        gone: list[bytes] = []
        if absent:
            gone = self.lines.cancelled_body(match_id, meeting.number, record)
            cancel = event_bytes(uid, dtstamp, sequence, "CANCELLED", gone)
        self.placed.append(
            Placed(
                key=(utc_stamp(meeting.start), meeting.number, match_id, span.origin),
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
        self.events.append(
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
                span.round.name,
                meeting.planned,
            )
        )
        return record

    def add_vanished(self) -> None:
        """Matches that vanished from the rounds: every event cancelled once, then kept."""
        for origin, matches in sorted(self.old.items()):
            for match_id, before in sorted(matches.items()):
                if match_id in self.rounds.get(origin, {}):
                    continue
                records = {
                    planned: cancelled(item, self.stamp_now)
                    if self.chosen(origin, item.start)
                    else item
                    for planned, item in before.events.items()
                }
                self.rounds.setdefault(origin, {})[match_id] = MatchRecord(
                    before.members, before.former, records
                )

    def place_cancelled(self) -> None:
        """Every cancelled event of this export, placed for everyone who was in its match."""
        for origin, matches in sorted(self.rounds.items()):
            for match_id, match_record in sorted(matches.items()):
                for planned, item in sorted(match_record.events.items()):
                    if item.status == "cancelled" and self.chosen(origin, item.start):
                        self.place_one_cancelled(origin, match_id, match_record, planned, item)

    def place_one_cancelled(
        self, origin: str, match_id: str, match_record: MatchRecord, planned: str, item: EventRecord
    ) -> None:
        program = self.folder.program
        planned_date = dt.date.fromisoformat(planned[:10])
        uid = item.uid or event_uid(self.program_id, origin, match_id, planned_date)
        dtstamp = self.stamp_now or item.stamp or self.default_stamp
        body = self.lines.cancelled_body(match_id, item.session, item)
        data = event_bytes(uid, dtstamp, item.sequence, "CANCELLED", body)
        start = dt.datetime.fromisoformat(item.start)
        end = dt.datetime.fromisoformat(item.end)
        self.years.update((start.year, end.year))
        everyone = tuple(sorted(set(match_record.members) | set(match_record.former)))
        session = program.session(item.session)
        self.placed.append(
            Placed(
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
                session.title if session else "",
            )
        )
        self.events.append(
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
                planned=planned_date,
            )
        )


def invitations(
    folder: Folder,
    now: dt.datetime | None = None,
    *,
    round_name: str | None = None,
    only: str | None = None,
) -> list[Invitation]:
    """The iTIP messages of the folder's calendars as they stand (see `peerkit.calendar.invitations`), in
    date order. Nothing is written: `render_calendars(..., method="request")` gives the same
    messages with the files and the `calendars.yaml` to save once they are sent. Problems
    (a broken state file, no organizer) give no messages; render_calendars says why."""
    return render_calendars(folder, round_name, now=now, method="request", only=only).invitations


def _warnings(folder: Folder, round_: Round) -> list[Problem]:
    """What the calendars will quietly leave out, said out loud."""
    program = folder.program
    found = []
    for match in round_.matches:
        where = match.source or Location(round_.file)
        if match.day and (program.meetings.cadence.is_rrule or not match.day.known):
            reason = (
                "the program's cadence is an RRULE"
                if match.day.known
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


def calendar_step(folder: Folder, options: BuildOptions) -> Output:
    """The `build` step: calendars of the whole timeline, or a note saying why there are none."""

    result = Output()
    if not folder.rounds:
        result.notes.append("skipped: no round file in rounds/ yet (run `peerkit match` first)")
        return result
    made = render_calendars(folder, None, now=options.now, remember=True)  # for the outbox
    result.files.update(made.files)
    result.notes.extend(made.notes)
    result.problems.extend(made.problems)
    if made.files:
        counts = ", ".join(f"{n} {change}" for change, n in made.counts().items())
        result.notes.append(f"{made.label}: {counts}")
    return result
