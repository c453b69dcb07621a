"""The outbox: every message the program owes its members as of one moment, as .eml files.

Introductions (per member per match, before the match first meets), reminders (before each
meeting, `mail.remind` ahead) and survey requests (after each session a survey follows),
each an RFC 5322 message built with the standard `email` package: multipart/alternative
text and HTML from the Jinja templates in `templates/mail/`, and attachments (the match's
calendar, the session's handout).

The library renders in memory and returns `{relpath: bytes}`; `peerkit.write` writes. A
message's Message-ID is uuid5 of what it is about, and its Date is the "as of" moment, so
the same folder and `--now` give the same bytes, and `peerkit send` never sends one twice.
Members are shown to each other by name, organization, role and offers only: the context
is built here from chosen fields, never from `notes` or `private`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from peerkit.ics import one_line
from peerkit.model import Folder, Match, Meeting, Member, Problem, Program, Round, Survey
from peerkit.output import BuildOptions, Output
from peerkit.text import clock, long_date, program_context, unique_filename
from peerkit.timeline import as_of, round_period
from peerkit.validate import is_email

if TYPE_CHECKING:  # the calendars are rendered only when an outbox needs them
    from email.policy import EmailPolicy

    from peerkit.calendar import CalendarEvent, CalendarResult

Purpose = Literal["introduction", "invitation", "update", "cancellation", "reminder", "survey"]
PURPOSES: tuple[Purpose, ...] = (
    "introduction",
    "invitation",
    "update",
    "cancellation",
    "reminder",
    "survey",
)
OUT_DIR = "out/outbox"
MANIFEST = f"{OUT_DIR}/outbox.json"  # what `peerkit send` sends: the messages of this run
MERGE = f"{OUT_DIR}/merge.csv"
# Fixed forever: changing it would change every Message-ID and resend every message.
NAMESPACE = uuid.UUID("0b6f6e2a-8f5c-4a51-b7a4-6f4a3c1d9e27")
# A survey request is due from the session's end until the match's next meeting, or for
# this long after the last one.
SURVEY_WINDOW = dt.timedelta(days=14)
MERGE_COLUMNS = (
    "recipient",
    "name",
    "subject",
    "purpose",
    "member",
    "match",
    "round",
    "session",
    "date",
    "time",
    "link",
    "attachment",
    "message_id",
    "file",
)


@dataclass(frozen=True)
class Message:
    """One message of the outbox: what `--format json` lists and merge.csv holds."""

    message_id: str  # with its angle brackets
    purpose: Purpose
    member: str
    to: str  # the address alone
    subject: str
    file: str  # relative to the program folder
    fields: Mapping[str, str]  # the merge.csv fields
    data: bytes = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, object]:
        return {
            "message_id": self.message_id,
            "purpose": self.purpose,
            "member": self.member,
            "to": self.to,
            "subject": self.subject,
            "file": self.file,
        }


@dataclass(kw_only=True)
class OutboxResult(Output):
    """The messages due (files relative to the program folder)."""

    messages: list[Message] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(PURPOSES, 0)
        for message in self.messages:
            counts[message.purpose] += 1
        return counts


# --- who and when ---------------------------------------------------------------------


def sender_of(program: Program) -> str:
    """The From: `mail.from`, else the program contact ("" when neither is an address)."""
    from email.utils import formataddr

    if program.mail.sender:
        return one_line(program.mail.sender)
    if is_email(program.contact.email):
        return formataddr((one_line(program.contact.name), program.contact.email))
    return ""


def _on_clock(
    member: Member, program: Program, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """A meeting's date and times on the member's own clock."""
    from zoneinfo import ZoneInfo

    zone = member.timezone or program.timezone
    start = start.astimezone(ZoneInfo(zone))
    end = end.astimezone(ZoneInfo(zone))
    return {
        "date": long_date(start.date()),
        "start": clock(start),
        "end": clock(end),
        "zone": start.tzname() or "",
        "timezone": zone,
    }


def _local(member: Member, program: Program, meeting: Meeting) -> dict[str, Any]:
    """A meeting as the member's own clock shows it, with where it is and its session."""
    return _on_clock(member, program, meeting.start, meeting.end) | {
        "location": meeting.location,
        "video": meeting.video,
        "session_title": meeting.session.title,
    }


def _person(member: Member, program: Program) -> dict[str, Any]:
    """What one member is shown of another: never notes, private fields or contact details."""
    return {
        "name": member.name,
        "organization": member.organization,
        "role": member.role if program.format == "mentoring" else "",
        "offers": list(member.offers),
    }


def fill_link(link: str, match_id: str, email: str, session: int) -> str:
    """A survey link with {match}, {email} and {session} filled in, each URL-encoded."""
    from urllib.parse import quote

    values = {"match": match_id, "email": email, "session": str(session)}
    return link.format(**{name: quote(value, safe="") for name, value in values.items()})


@dataclass(frozen=True)
class _Due:
    """One message to make: its purpose, recipient, and the context of its templates."""

    purpose: Purpose
    member: Member
    key: str  # what the Message-ID hangs on
    file: str
    subject: str
    context: dict[str, Any]
    fields: dict[str, str]
    attachments: tuple[tuple[str, str, bytes, Mapping[str, str]], ...] = ()  # name, type, data


# --- the messages ---------------------------------------------------------------------


class _Maker:
    """Finds what is due as of one moment, for one folder."""

    def __init__(self, folder: Folder, moment: dt.datetime) -> None:
        self.folder = folder
        self.program = folder.program
        self.moment = moment
        self.base = {"program": program_context(self.program)}
        self.no_email: dict[str, Member] = {}
        self.due: list[_Due] = []
        self.notes: list[str] = []
        self._calendars: dict[str, bytes] | None = None
        self._rendered: CalendarResult | None = None
        self.introduced: set[tuple[str, str]] = set()  # (match, member) introduced in this run

    def active(self, match: Match, day: dt.date) -> list[Member]:
        members = [self.folder.member(member_id) for member_id in match.members]
        return [m for m in members if m is not None and m.is_active_on(day)]

    def reachable(self, member: Member) -> bool:
        if is_email(member.email):
            return True
        self.no_email.setdefault(member.id, member)
        return False

    def rendered(self) -> CalendarResult:
        """The calendars as they stand, with their iTIP messages when there is an organizer
        (rendered once; `calendars.yaml` is read, never written here)."""
        if self._rendered is None:
            from peerkit.calendar import render_calendars

            request = is_email(self.program.contact.email)
            self._rendered = render_calendars(
                self.folder,
                None,
                now=self.moment,
                method="request" if request else None,
                changed_only=True,
                matches_only=True,
            )
        return self._rendered

    def calendars(self) -> dict[str, bytes]:
        """Each match's calendar file, by file name."""
        if self._calendars is None:
            from peerkit.calendar import OUT_DIR as CALENDARS

            prefix = f"{CALENDARS}/matches/"
            self._calendars = {
                name.removeprefix(prefix): data
                for name, data in self.rendered().files.items()
                if name.startswith(prefix)
            }
        return self._calendars

    def run(self) -> None:
        today = self.moment.date()
        from peerkit.schedule import meetings_for

        for round_ in self.folder.rounds:
            period = round_period(self.folder, round_)
            if period.end < today:
                continue
            for match in round_.matches:
                meetings = [m for m in meetings_for(self.program, match) if m.date in period]
                if not meetings:
                    continue
                self.introductions(round_, match, meetings)
                self.reminders(round_, match, meetings)
                self.survey_requests(round_, match, meetings)
        if self.folder.rounds:
            self.itip()
        # what is due holds the calendars it attaches: the rest of the render (every
        # member's and match's files, a year of events) need not stay in memory
        self._rendered = self._calendars = None

    def introductions(self, round_: Round, match: Match, meetings: Sequence[Meeting]) -> None:
        first = meetings[0]
        if first.start <= self.moment:
            return  # the match has met: they know each other
        members = self.active(match, first.date)
        if len(members) < 2:
            return
        team = "\x1e".join(sorted(m.id for m in members))
        name = unique_filename(match.id)
        ics = self.calendars().get(f"{name}.ics")
        attachments: tuple[tuple[str, str, bytes, Mapping[str, str]], ...] = ()
        if ics is not None:
            params = {"method": "REQUEST", "charset": "utf-8"}
            attachments = ((f"{name}.ics", "text/calendar", _as_request(ics), params),)
        for member in members:
            if not self.reachable(member):
                continue
            self.introduced.add((match.id, member.id))
            local = _local(member, self.program, first)
            self.add(
                "introduction",
                member,
                (round_, match, first),
                key=f"{round_.name}\x1f{match.id}\x1f{team}",
                file=f"{OUT_DIR}/introduction/{unique_filename(round_.name)}/{name}",
                subject=f"{self.program.name}: meet your "
                f"{'team' if len(members) > 2 else 'match'} ({match.id})",
                local=local,
                own={
                    "others": [_person(m, self.program) for m in members if m is not member],
                    "calendar": attachments[0][0] if attachments else "",
                },
                attachment="calendar",
                attachments=attachments,
            )

    def reminders(self, round_: Round, match: Match, meetings: Sequence[Meeting]) -> None:
        ahead = self.program.mail.remind
        if ahead is None:
            return
        for meeting in meetings:
            if not meeting.start - ahead <= self.moment < meeting.start:
                continue
            members = self.active(match, meeting.date)
            if len(members) < 2:
                continue
            handout = self.handout(round_, match, meeting)
            name = unique_filename(match.id)
            for member in members:
                if not self.reachable(member):
                    continue
                local = _local(member, self.program, meeting) | {
                    "number": str(meeting.number),
                    "count": str(len(self.program.sessions)),
                    "topics": list(meeting.session.topics),
                }
                self.add(
                    "reminder",
                    member,
                    (round_, match, meeting),
                    key=f"{round_.name}\x1f{match.id}\x1f{meeting.start.isoformat()}",
                    file=f"{OUT_DIR}/reminder/session-{meeting.number:02d}/{name}",
                    subject=f"Reminder: {meeting.session.title}, "
                    f"{local['date']} {local['start']} {local['zone']}",
                    local=local,
                    own={
                        "others": [
                            _person(m, self.program) | {"offers": []}
                            for m in members
                            if m is not member
                        ],
                        "handout": handout[0][0] if handout else "",
                    },
                    attachment="handout",
                    attachments=handout,
                )

    def handout(
        self, round_: Round, match: Match, meeting: Meeting
    ) -> tuple[tuple[str, str, bytes, Mapping[str, str]], ...]:
        """This match's handout for the meeting, as `peerkit agenda` wrote it to out/:
        the PDF when there is one, else the HTML (never the print file of every match)."""
        from peerkit.agenda import OUT_DIR as AGENDA
        from peerkit.agenda import handout_names

        names = handout_names([m.id for m in round_.matches])
        name = names[[m.id for m in round_.matches].index(match.id)]
        folder = self.folder.root / AGENDA / f"session-{meeting.number:02d}"
        for suffix, kind in ((".pdf", "application/pdf"), (".html", "text/html")):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                params = {"charset": "utf-8"} if kind == "text/html" else {}
                return (
                    (
                        f"{name}-session-{meeting.number:02d}{suffix}",
                        kind,
                        path.read_bytes(),
                        params,
                    ),
                )
        note = f"no handout in {AGENDA}/session-NN/ for some reminders: run `peerkit agenda` first"
        if note not in self.notes:
            self.notes.append(note)
        return ()

    def survey_requests(self, round_: Round, match: Match, meetings: Sequence[Meeting]) -> None:
        for index, meeting in enumerate(meetings):
            until = (
                meetings[index + 1].start
                if index + 1 < len(meetings)
                else meeting.end + SURVEY_WINDOW
            )
            if not meeting.end <= self.moment < until:
                continue
            for survey in self.program.surveys.values():
                if meeting.number not in survey.after:
                    continue
                if not survey.link:
                    note = f"survey '{survey.name}' has no `link:`: no survey requests for it"
                    if note not in self.notes:
                        self.notes.append(note)
                    continue
                self.survey_request(round_, match, meeting, survey)

    def survey_request(self, round_: Round, match: Match, meeting: Meeting, survey: Survey) -> None:
        for member in self.active(match, meeting.date):
            if not self.reachable(member):
                continue
            local = _local(member, self.program, meeting) | {"number": str(meeting.number)}
            link = fill_link(survey.link, match.id, member.email, meeting.number)
            about = {
                "name": survey.name,
                "title": survey.title,
                "anonymous": survey.anonymous,
                "questions": len(survey.questions),
                "link": link,
            }
            self.add(
                "survey",
                member,
                (round_, match, meeting),
                key=f"{round_.name}\x1f{match.id}\x1f{meeting.start.isoformat()}\x1f{survey.name}",
                file=f"{OUT_DIR}/survey/{unique_filename(survey.name)}-session-"
                f"{meeting.number:02d}/{unique_filename(match.id)}",
                subject=f"{survey.title}: how was session {meeting.number}?",
                local=local,
                own={"survey": about},
                link=link,
            )

    def add(
        self,
        purpose: Purpose,
        member: Member,
        at: tuple[Round, Match, Meeting],
        *,
        key: str,
        file: str,
        subject: str,
        local: dict[str, Any],
        own: Mapping[str, Any],
        attachment: str = "",
        attachments: tuple[tuple[str, str, bytes, Mapping[str, str]], ...] = (),
        link: str = "",
    ) -> None:
        """One message about a match's meeting to one member: who they are, the match, the
        meeting on their clock, and the purpose's `own` context (the others, a calendar, a
        handout, a survey); `attachment` names the `own` entry that is the attached file,
        and `file` the folder the message goes into."""
        round_, match, meeting = at
        context: dict[str, Any] = {
            "recipient": {"name": member.name, "timezone": local["timezone"]},
            "match": {"id": match.id, "round": round_.name, "reasons": list(match.reasons)},
            **own,
            "meeting": local,
        }
        fields = _fields(round_, match, meeting, local)
        fields["attachment"] = str(own[attachment]) if attachment else ""
        fields["link"] = link
        self.due.append(
            _Due(
                purpose=purpose,
                member=member,
                key=key,
                file=f"{file}/{unique_filename(member.id)}.eml",
                subject=subject,
                context=context,
                fields=fields,
                attachments=attachments,
            )
        )

    def itip(self) -> None:
        """Invitations, updates and cancellations (RFC 5546) for the meetings whose calendar
        state changed since `calendars.yaml` (what `peerkit calendar` last recorded), one
        message per member: a new meeting of a match introduced in this run is in the
        introduction's calendar already, and a meeting that is over needs no message."""
        made = self.rendered()
        changed = {e.uid: e for e in made.events if e.change != "unchanged"}
        verb = {"invitation": "Invitation", "update": "Updated", "cancellation": "Cancelled"}
        for invitation in made.invitations:
            event = changed.get(invitation.uid)
            if event is None or event.end <= self.moment:
                continue
            everyone = b"STATUS:CANCELLED" in invitation.ics
            name = f"{unique_filename(invitation.match)}-session-{invitation.session:02d}.ics"
            params = {"method": invitation.method, "charset": "utf-8"}
            for member_id in invitation.members:
                member = self.folder.member(member_id)
                if member is None or not self.reachable(member):
                    continue
                introduced = (invitation.match, member.id) in self.introduced
                if invitation.purpose == "invitation" and introduced:
                    continue
                local = _event_local(member, self.program, event)
                context: dict[str, Any] = {
                    "recipient": {"name": member.name, "timezone": local["timezone"]},
                    "match": {"id": invitation.match, "round": invitation.round},
                    "meeting": local | {"number": str(invitation.session)},
                    "itip": {
                        "method": invitation.method,
                        "sequence": invitation.sequence,
                        "everyone": everyone,
                    },
                }
                self.due.append(
                    _Due(
                        purpose=invitation.purpose,
                        member=member,
                        key=invitation.key,
                        file=f"{OUT_DIR}/{invitation.purpose}/{unique_filename(invitation.match)}/"
                        f"session-{invitation.session:02d}-{invitation.uid[:8]}/"
                        f"{unique_filename(member.id)}.eml",
                        subject=f"{verb[invitation.purpose]}: {event.title}, "
                        f"{local['date']} {local['start']} {local['zone']}",
                        context=context,
                        fields={
                            "match": invitation.match,
                            "round": invitation.round,
                            "session": str(invitation.session),
                            "date": str(local["date"]),
                            "time": f"{local['start']}–{local['end']} {local['zone']}",
                            "link": "",
                            "attachment": name,
                        },
                        attachments=((name, "text/calendar", invitation.ics, params),),
                    )
                )


def _event_local(member: Member, program: Program, event: CalendarEvent) -> dict[str, Any]:
    """A calendar event as the member's own clock shows it, with where it is and its title."""
    return _on_clock(member, program, event.start, event.end) | {
        "location": event.location,
        "title": event.title,
    }


def _fields(
    round_: Round, match: Match, meeting: Meeting, local: Mapping[str, Any]
) -> dict[str, str]:
    return {
        "match": match.id,
        "round": round_.name,
        "session": str(meeting.number),
        "date": str(local["date"]),
        "time": f"{local['start']}–{local['end']} {local['zone']}",
        "link": "",
        "attachment": "",
    }


def _as_request(ics: bytes) -> bytes:
    """A calendar file as an iTIP REQUEST: METHOD:REQUEST, which the MIME type must match."""
    if b"\r\nMETHOD:" in ics:
        return ics
    head = b"BEGIN:VCALENDAR\r\n"
    return head + b"METHOD:REQUEST\r\n" + ics.removeprefix(head) if ics.startswith(head) else ics


# Headers each message has its own of: remembering them would keep every one of thousands
# of parsed headers alive (their parse trees were most of an outbox's memory) for nothing,
# and when plain ASCII they need no parsing at all (half of a message's time went there).
_OWN_HEADERS = frozenset({"to", "subject", "message-id"})


def _smtp_policy() -> EmailPolicy:
    """The email package's SMTP policy, remembering what it parsed and folded.

    Most headers of an outbox repeat from message to message (the sender, the date, each
    part's Content-Type and encoding), and the policy parses each one into a tree and
    folds it again every time: thousands of messages spent most of their time there.
    A header's value and fold depend only on its name and text, so each distinct one is
    parsed and folded once; the bytes are the policy's own."""
    from email.headerregistry import HeaderRegistry
    from email.policy import EmailPolicy

    class Registry(HeaderRegistry):
        """The library's registry makes a new class (type()) for every header it is
        asked for; each name's is made once here."""

        def __init__(self) -> None:
            super().__init__()
            self.made: dict[str, Any] = {}

        def __getitem__(self, name: str) -> Any:
            key = name.lower()
            if key not in self.made:
                self.made[key] = super().__getitem__(name)
            return self.made[key]

    class Remembering(EmailPolicy):
        parsed: dict[tuple[str, str], Any]
        folded: dict[int, tuple[Any, bytes]]  # id(header) → (the header, kept alive; bytes)

        def header_store_parse(self, name: str, value: Any) -> Any:
            if type(value) is not str:  # a header object, kept as it is
                return super().header_store_parse(name, value)
            if name.lower() in _OWN_HEADERS:
                if value.isascii() and value.isprintable():
                    # kept as its text, as the policy keeps a header read from a file:
                    # written as it is when it fits a line, else parsed and folded then
                    return (name, value)
                return super().header_store_parse(name, value)
            key = (name, value)
            made = self.parsed.get(key)
            if made is None:
                made = self.parsed[key] = super().header_store_parse(name, value)
            return made

        def fold_binary(self, name: str, value: Any) -> bytes:
            if name.lower() in _OWN_HEADERS:
                return super().fold_binary(name, value)
            # by the header object itself: a remembered one is folded once for all
            made = self.folded.get(id(value))
            if made is None or made[0] is not value:
                made = self.folded[id(value)] = (value, super().fold_binary(name, value))
            return made[1]

    policy = Remembering(linesep="\r\n", header_factory=Registry())  # email.policy.SMTP's
    object.__setattr__(policy, "parsed", {})  # policies are frozen; the memos are not
    object.__setattr__(policy, "folded", {})
    return policy


class _Composer:
    """Writes each message due: its two templates rendered, its headers and parts."""

    def __init__(self, folder: Folder, base: Mapping[str, Any], sender: str, moment: dt.datetime):
        from email.utils import format_datetime

        from peerkit.mime import Writer
        from peerkit.render import environment

        self.envs = {
            "txt": environment(folder.root, html=False),
            "html": environment(folder.root, html=True),
        }
        self.base = base
        self.sender = sender
        self.date = format_datetime(moment)
        self.writer = Writer(_smtp_policy())
        self.templates: dict[str, Any] = {}  # each looked up once, not twice a message

    def compose(self, due: _Due) -> tuple[str, bytes]:
        """The message's id and its bytes."""
        from email.utils import formataddr

        from peerkit.render import render_template

        context = dict(self.base) | due.context
        text, html = (
            render_template(
                self.envs[kind], f"mail/{due.purpose}.{kind}.j2", context, self.templates
            )
            for kind in ("txt", "html")
        )
        identity = message_id(due.purpose, due.key, due.member.id, self.sender)
        headers = [
            ("From", self.sender),
            ("To", formataddr((one_line(due.member.name), due.member.email))),
            ("Subject", one_line(due.subject)),
            ("Date", self.date),
            ("Message-ID", identity),
            ("X-Peerkit-Purpose", due.purpose),
        ]
        return identity, self.writer.message(headers, text, html, due.attachments)


def message_id(purpose: str, key: str, member_id: str, sender: str) -> str:
    """`<uuid5@sender's domain>`: the same message about the same thing keeps its id."""
    name = f"{purpose}\x1f{key}\x1f{member_id}"
    return f"<{uuid.uuid5(NAMESPACE, name)}@{_domain(sender)}>"


@functools.lru_cache(maxsize=16)
def _domain(sender: str) -> str:
    """The domain of the sender's address (asked once per outbox, not per message)."""
    from email.utils import parseaddr

    return parseaddr(sender)[1].rpartition("@")[2] or "peerkit.invalid"


def render_outbox(folder: Folder, *, now: dt.datetime | None = None) -> OutboxResult:
    """Every message due as of `now` (default: this moment), the merge CSV and the
    manifest `peerkit send` reads, in memory."""
    from peerkit.tables import csv_bytes

    program = folder.program
    moment = as_of(program, now)
    result = OutboxResult()
    sender = sender_of(program)
    if not sender:
        result.problems.append(
            Problem(
                program.source_of("mail"),
                "mail-from",
                "the outbox needs a sender: neither mail.from nor contact.email is an address",
                "add `mail: {from: coordinator@example.org}` or `contact: {email: ...}`",
            )
        )
        return result
    maker = _Maker(folder, moment)
    maker.run()
    composer = _Composer(folder, maker.base, sender, moment)
    for due in maker.due:
        identity, data = composer.compose(due)
        result.messages.append(
            Message(
                message_id=identity,
                purpose=due.purpose,
                member=due.member.id,
                to=due.member.email,
                subject=due.subject,
                file=due.file,
                fields={"name": due.member.name} | due.fields,
                data=data,
            )
        )
        result.files[due.file] = data
    result.messages.sort(key=lambda m: m.file)
    for member in sorted(maker.no_email.values(), key=lambda m: m.id):
        result.problems.append(
            Problem(
                member.source_of("email"),
                "no-email",
                f"{member.id} has no email address: no message is made for them",
                "add `email:` to the member, or tell them yourself",
                "warning",
            )
        )
    result.notes.extend(maker.notes)
    rows: list[list[object]] = [list(MERGE_COLUMNS)]
    for message in result.messages:
        values = dict(message.fields) | {
            "recipient": message.to,
            "subject": message.subject,
            "purpose": message.purpose,
            "member": message.member,
            "message_id": message.message_id,
            "file": message.file,
        }
        rows.append([values.get(column, "") for column in MERGE_COLUMNS])
    result.files[MERGE] = csv_bytes(rows)
    result.files[MANIFEST] = manifest_bytes(result.messages, moment)
    return result


def manifest_bytes(messages: Sequence[Message], moment: dt.datetime) -> bytes:
    """out/outbox/outbox.json: the messages of this run (older .eml files left in the
    folder are not in it, so `peerkit send` never sends a message that is no longer due)."""
    data = {
        "as_of": moment.isoformat(),
        "messages": [
            {"file": m.file, "message_id": m.message_id, "purpose": m.purpose, "to": m.to}
            for m in messages
        ],
    }
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def outbox_step(folder: Folder, options: BuildOptions) -> Output:
    """The `build` stage: the outbox as of the build's moment (sending is `peerkit send`)."""
    if not folder.rounds:
        return Output(notes=["no round in rounds/ yet; run `peerkit match` for introductions"])
    if not sender_of(folder.program):
        return Output(
            notes=["no outbox: add `mail: {from: ...}` or a contact email to program.yaml"]
        )
    made = render_outbox(folder, now=options.now)
    counts = ", ".join(f"{n} {purpose}(s)" for purpose, n in made.counts().items())
    return Output(files=made.files, notes=[counts, *made.notes], problems=made.problems)


def read_manifest(root: Path) -> list[dict[str, str]]:
    """The messages out/outbox/outbox.json lists (empty when there is none)."""
    path = root / MANIFEST
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [dict(item) for item in data.get("messages", [])]
