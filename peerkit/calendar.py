"""Meeting calendars: iCalendar (RFC 5545) text for the program, each match and each member.

The bytes are written here rather than by a library, for exact control of what real
clients choke on: escaping, folding at 75 octets on a UTF-8 boundary, CRLF, property
order. Every meeting is its own VEVENT (no RRULE): calcurse ignores RECURRENCE-ID and
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
import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from peerkit.model import Folder, Location, Match, Meeting, Member, Problem, Program, Round
from peerkit.output import BuildOptions, Output
from peerkit.text import clock, long_date, unique_filename
from peerkit.timeline import Period, round_period
from peerkit.validate import is_email, is_url

STATE_FILE = "calendars.yaml"
OUT_DIR = "out/calendars"
PRODID = "-//peerkit//peerkit calendar//EN"
# Fixed forever: changing it would change every UID and duplicate every event people have.
NAMESPACE = uuid.UUID("6f1c3b52-5d0e-4c53-9a38-2f1f0f6b7a11")

Change = Literal["new", "updated", "unchanged", "reinstated", "cancelled"]
Method = Literal["request"]
Progress = Callable[[str, float], None]  # (phase, fraction done)

# --- RFC 5545 text ----------------------------------------------------------------------

# Everything a parser might take for the end of a line (Python's splitlines() included).
_LINE_BREAK = re.compile("\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


# Rare characters that need the slow path: line breaks other than LF, and control characters.
_RARE = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\r]")
_RARE_TABLE: dict[int, str | None] = {code: None for code in range(32) if code not in (9, 10)}
_RARE_TABLE[0x7F] = None
_RARE_TABLE.update({ord(c): "\n" for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def escape_text(value: str) -> str:
    """A TEXT value: backslash, `;`, `,` and newlines escaped; other control characters dropped."""
    if _RARE.search(value):
        value = value.replace("\r\n", "\n").translate(_RARE_TABLE)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def param_value(value: str) -> str:
    """A quoted parameter value (CN=…): no line break, control character or double quote."""
    cleaned = _CONTROL.sub(" ", _LINE_BREAK.sub(" ", value)).replace('"', "'")
    return f'"{cleaned.strip()}"'


def fold(line: str) -> bytes:
    """One content line as UTF-8, folded at 75 octets without splitting a character, CRLF."""
    return _fold_text(line).encode("utf-8")


def _fold_text(line: str) -> str:
    if line.isascii():  # one octet per character: fold by slicing the text
        if len(line) <= 75:
            return line + "\r\n"
        parts = [line[:75]]
        parts.extend(line[index : index + 74] for index in range(75, len(line), 74))
        return "\r\n ".join(parts) + "\r\n"
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    chunks = []
    start, limit = 0, 75
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back up to the lead byte
            cut -= 1
        chunks.append(data[start:cut])
        start, limit = cut, 74  # a continuation line starts with a space
    chunks.append(data[start:])
    return b"\r\n ".join(chunks).decode("utf-8") + "\r\n"


def _local(moment: dt.datetime) -> str:
    m = moment  # formatted by hand: strftime is a tenth of the time of a 10,000-member export
    return f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}"


def _utc(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def _when(name: str, moment: dt.datetime, tzid: str) -> str:
    """DTSTART/DTEND in local time with TZID, or in UTC when the local time is ambiguous
    (the repeated hour when clocks go back: written locally, start and end could read
    the same and calendar programs drop the event)."""
    if moment.replace(fold=1 - moment.fold).utcoffset() != moment.utcoffset():
        return f"{name}:{_utc(moment)}"
    return f"{name};TZID={tzid}:{_local(moment)}"


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"P{seconds // 86400}D"
    if seconds % 604800 == 0:
        return f"P{seconds // 604800}W"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"P{days}D" if days else "P"
    text += "T"
    text += f"{hours}H" if hours else ""
    text += f"{minutes}M" if minutes else ""
    text += f"{secs}S" if secs or text.endswith("T") else ""
    return text


def _offset(delta: dt.timedelta | None) -> str:
    minutes = int((delta or dt.timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{mins:02d}"


def vtimezone(tzid: str, first_year: int, last_year: int) -> list[str]:
    """A VTIMEZONE with every transition of `tzid` from the year before first_year to the
    year after last_year, taken from the system's zoneinfo (one observance per transition)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tzid)
    begin = dt.datetime(first_year - 1, 1, 1, tzinfo=dt.UTC)
    finish = dt.datetime(last_year + 2, 1, 1, tzinfo=dt.UTC)

    def offset(moment: dt.datetime) -> dt.timedelta | None:
        return moment.astimezone(zone).utcoffset()

    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]

    def observance(onset: dt.datetime, before: dt.timedelta | None) -> None:
        after = onset.astimezone(zone)
        kind = "DAYLIGHT" if after.dst() else "STANDARD"
        wall = onset + (before or dt.timedelta())  # the onset on the clock before the change
        lines.extend(
            [
                f"BEGIN:{kind}",
                f"DTSTART:{wall:%Y%m%dT%H%M%S}",
                f"TZOFFSETFROM:{_offset(before)}",
                f"TZOFFSETTO:{_offset(after.utcoffset())}",
            ]
        )
        name = after.tzname()
        if name:
            lines.append(f"TZNAME:{escape_text(name)}")
        lines.append(f"END:{kind}")

    observance(begin, offset(begin))
    day = begin
    while day < finish:
        following = day + dt.timedelta(days=1)
        if offset(day) != offset(following):
            low, high = day, following  # bisect to the second the offset changes
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if offset(middle) == offset(low):
                    low = middle
                else:
                    high = middle
            observance(high, offset(low))
        day = following
    lines.append("END:VTIMEZONE")
    return lines


def calendar_bytes(
    name: str, tzid: str, years: tuple[int, int], events: Iterable[bytes], method: str = ""
) -> bytes:
    """A whole VCALENDAR: header, the VTIMEZONE, the already folded events, footer."""
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    if method:
        head.append(f"METHOD:{method}")
    head.append(f"X-WR-CALNAME:{escape_text(name)}")
    return b"".join(
        [
            "".join(_fold_text(line) for line in head).encode("utf-8"),
            _vtimezone_cached(tzid, *years),
            *events,
            b"END:VCALENDAR\r\n",
        ]
    )


_VTIMEZONES: dict[tuple[str, int, int], bytes] = {}


def _vtimezone_cached(tzid: str, first: int, last: int) -> bytes:
    key = (tzid, first, last)
    if key not in _VTIMEZONES:
        _VTIMEZONES[key] = "".join(_fold_text(x) for x in vtimezone(tzid, first, last)).encode()
    return _VTIMEZONES[key]


# --- state: what was exported last time -----------------------------------------------


@dataclass(frozen=True)
class EventRecord:
    """One event as it was last exported."""

    start: str  # ISO date-time with offset
    end: str
    sequence: int
    status: Literal["confirmed", "cancelled"]
    hash: str
    stamp: str = ""  # the --now it last changed at, if one was given
    uid: str = ""  # kept so an event keeps its UID whatever the program is called later
    session: int = 0  # the session it held


@dataclass(frozen=True)
class MatchRecord:
    members: tuple[str, ...]
    former: tuple[str, ...]  # members who were in the match once: they get cancellations
    # each meeting by the date it was planned for (ISO), which a skip or a move elsewhere
    # does not change
    events: Mapping[str, EventRecord] = field(default_factory=dict)
    # a state file from before events were keyed by date: by session number, UIDs not kept
    sessions: Mapping[int, EventRecord] = field(default_factory=dict)


@dataclass
class State:
    """`calendars.yaml`: the program id UIDs hang on, and every event of every round."""

    program: str = ""
    rounds: dict[str, dict[str, MatchRecord]] = field(default_factory=dict)


def read_state(root: Path) -> tuple[State, list[Problem]]:
    """`calendars.yaml` from the program folder (empty when absent), or why it is unusable."""
    import yaml

    path = root / STATE_FILE
    where = Location(STATE_FILE)
    hint = (
        f"restore it from git, or delete {STATE_FILE} to start over "
        "(every event is then sent again as new, and vanished ones are not cancelled)"
    )
    if not path.is_file():
        if not path.is_symlink() and not path.exists():
            return State(), []
        # a dangling or looping link, or a folder: taking it as absent would resend everything
        what = "a link that leads to no file" if path.is_symlink() else "not a file"
        return State(), [Problem(where, "calendar-state", f"{STATE_FILE} is {what}", hint)]
    try:
        text = path.read_text(encoding="utf-8")
        try:
            fast = _parse_state_lines(text)
        except ValueError:  # a bad escape in a hand-edited line: the YAML parser says where
            fast = None
        if fast is not None:
            return fast, []
        data = yaml.load(text, Loader=_loader())
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        message = f"{STATE_FILE} cannot be read: {(str(exc).splitlines() or ['?'])[0]}"
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = Location(STATE_FILE, mark.line + 1, mark.column + 1)
        return State(), [Problem(where, "calendar-state", message, hint)]
    try:
        return _parse_state(data), []
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        message = f"{STATE_FILE} is not what `peerkit calendar` wrote ({exc})"
        return State(), [Problem(where, "calendar-state", message, hint)]


_Q = r'"(?:[^"\\]|\\.)*"'
_STATE_PROGRAM = re.compile(rf"program: ({_Q})")
_STATE_ROUND = re.compile(rf"  ({_Q}):")
_STATE_MATCH = re.compile(rf"    ({_Q}):")
_STATE_LIST = re.compile(r"      (members|former): (\[.*\])")
_STATE_EVENT = re.compile(
    rf'        "(\d{{4}}-\d\d-\d\d)": \{{session: (\d+), uid: ({_Q}), start: ({_Q}), '
    rf"end: ({_Q}), sequence: (\d+), status: (confirmed|cancelled), hash: ({_Q})"
    rf"(?:, stamp: ({_Q}))?\}}"
)
_STATE_SESSION = re.compile(  # the format before events were keyed by date
    rf"        (\d+): \{{start: ({_Q}), end: ({_Q}), sequence: (\d+), "
    rf"status: (confirmed|cancelled), hash: ({_Q})(?:, stamp: ({_Q}))?\}}"
)


def _unquote(token: str) -> str:
    return token[1:-1] if "\\" not in token else str(json.loads(token))


def _line_record(
    number: str, uid: str, start: str, end: str, sequence: str, status: str, digest: str, stamp: str
) -> EventRecord:
    """One event line of the fast reader (both state formats) as its record."""
    return EventRecord(
        _unquote(start),
        _unquote(end),
        int(sequence),
        "confirmed" if status == "confirmed" else "cancelled",
        _unquote(digest),
        _unquote(stamp) if stamp else "",
        uid,
        int(number),
    )


def _parse_state_lines(text: str) -> State | None:
    """The state file exactly as `state_text` writes it, fast; None if it looks otherwise
    (edited by hand), and then the YAML parser reads it."""
    state = State()
    round_: dict[str, MatchRecord] | None = None
    match_id = ""
    lists: dict[str, tuple[str, ...]] = {}
    events: dict[str, EventRecord] = {}
    sessions: dict[int, EventRecord] = {}
    skip = ("rounds:", "rounds: {}", "      events:", "      sessions:")

    def close() -> None:
        if round_ is not None and match_id:
            round_[match_id] = MatchRecord(
                lists.get("members", ()), lists.get("former", ()), events, sessions
            )

    for line in text.splitlines():
        if not line or line.startswith("#") or line in skip:
            continue
        if found := _STATE_EVENT.fullmatch(line):
            planned, number, uid, *fields = found.groups()
            events[planned] = _line_record(number, _unquote(uid), *fields)
        elif found := _STATE_SESSION.fullmatch(line):
            number, *fields = found.groups()
            sessions[int(number)] = _line_record(number, "", *fields)
        elif found := _STATE_LIST.fullmatch(line):
            lists[found.group(1)] = tuple(str(item) for item in json.loads(found.group(2)))
        elif found := _STATE_MATCH.fullmatch(line):
            close()
            match_id, lists, events, sessions = json.loads(found.group(1)), {}, {}, {}
        elif found := _STATE_ROUND.fullmatch(line):
            close()
            match_id = ""
            round_ = state.rounds.setdefault(json.loads(found.group(1)), {})
        elif (found := _STATE_PROGRAM.fullmatch(line)) and round_ is None:
            state.program = json.loads(found.group(1))
        else:
            return None
    close()
    return state


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _record(match_id: str, key: object, item: Any) -> EventRecord:
    status = str(item["status"])
    if status not in ("confirmed", "cancelled"):
        msg = f"match {match_id} event {key}: unknown status {status!r}"
        raise ValueError(msg)
    return EventRecord(
        start=str(item["start"]),
        end=str(item["end"]),
        sequence=int(item["sequence"]),
        status="confirmed" if status == "confirmed" else "cancelled",
        hash=str(item["hash"]),
        stamp=str(item.get("stamp") or ""),
        uid=str(item.get("uid") or ""),
        session=int(item.get("session") or (key if isinstance(key, int) else 0)),
    )


def _parse_state(data: Any) -> State:
    if data is None:
        return State()
    if not isinstance(data, dict) or not isinstance(data.get("rounds", {}), dict):
        msg = "expected a mapping with `rounds`"
        raise ValueError(msg)
    state = State(program=str(data.get("program") or ""))
    for round_name, matches in (data.get("rounds") or {}).items():
        records: dict[str, MatchRecord] = {}
        for match_id, entry in (matches or {}).items():
            events = {}
            for planned, item in (entry.get("events") or {}).items():
                day = planned if isinstance(planned, dt.date) else dt.date.fromisoformat(planned)
                events[day.isoformat()] = _record(match_id, planned, item)
            sessions = {
                int(number): _record(match_id, int(number), item)
                for number, item in (entry.get("sessions") or {}).items()
            }
            records[str(match_id)] = MatchRecord(
                members=tuple(str(m) for m in entry.get("members") or ()),
                former=tuple(str(m) for m in entry.get("former") or ()),
                events=events,
                sessions=sessions,
            )
        state.rounds[str(round_name)] = records
    return state


def state_text(state: State) -> bytes:
    """The state as YAML a coordinator can review in git: a line per event, sorted."""
    q = json.dumps  # a JSON string is a valid YAML double-quoted scalar
    lines = [
        "# Written by `peerkit calendar`: each event as it was last exported, so that a",
        "# re-export raises SEQUENCE for changed meetings and cancels vanished ones. Events",
        "# are keyed by the date they were planned for; `program` is the id their UIDs hang on.",
        "# Commit it with the program. Deleting it makes every event new again.",
    ]
    if state.program:
        lines.append(f"program: {q(state.program)}")
    lines.append("rounds:" if state.rounds else "rounds: {}")
    for round_name in sorted(state.rounds):
        lines.append(f"  {q(round_name)}:")
        for match_id in sorted(state.rounds[round_name]):
            record = state.rounds[round_name][match_id]
            lines.append(f"    {q(match_id)}:")
            lines.append(f"      members: [{', '.join(q(m) for m in record.members)}]")
            if record.former:
                lines.append(f"      former: [{', '.join(q(m) for m in record.former)}]")
            lines.append("      events:")
            for planned in sorted(record.events):
                item = record.events[planned]
                stamp = f", stamp: {q(item.stamp)}" if item.stamp else ""
                lines.append(
                    f"        {q(planned)}: {{session: {item.session}, uid: {q(item.uid)}, "
                    f"start: {q(item.start)}, end: {q(item.end)}, sequence: {item.sequence}, "
                    f"status: {item.status}, hash: {q(item.hash)}{stamp}}}"
                )
    return ("\n".join(lines) + "\n").encode("utf-8")


def recorded_state(state: State, new: State, only: str | None, sent: set[tuple[str, str]]) -> State:
    """The state to save: the new one, or with `--only` the old state with only the
    (round, match) pairs whose events were written (`sent`) brought up to date, since
    nobody else received anything."""
    if only is None:
        return new
    rounds = {origin: dict(matches) for origin, matches in state.rounds.items()}
    for origin, match_id in sorted(sent):
        record = new.rounds.get(origin, {}).get(match_id)
        if record is not None:
            rounds.setdefault(origin, {})[match_id] = record
    return State(new.program, rounds)


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


@dataclass
class CalendarResult:
    round: str = ""  # the round asked for with --round, else every round, comma-separated
    files: dict[str, bytes] = field(default_factory=dict)  # relative to the program folder
    events: list[CalendarEvent] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rounds: list[str] = field(default_factory=list)  # the rounds whose events are here

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
    return f"{program.name}: {number}. {session_title} ({match_id})"


class _Renderer:
    """Renders events for one program, caching what is shared between matches."""

    def __init__(self, folder: Folder) -> None:
        self.folder = folder
        self.program = folder.program
        self._attendee: dict[str, str | None] = {}
        self._agenda: dict[tuple[int, dt.time], str] = {}
        self._folded: dict[str, str] = {}
        contact = self.program.contact
        self.organizer = ""
        if contact.email and is_email(contact.email):
            self.organizer = (
                f"ORGANIZER;CN={param_value(contact.name or contact.email)}:mailto:{contact.email}"
            )
        kinds = {"kickoff": "Kickoff", "closing": "Closing", "regular": "Session"}
        self.kinds = kinds
        reminder = self.program.meetings.reminder
        self.alarm: list[str] = []
        if reminder is not None and reminder > dt.timedelta(0):
            self.alarm = [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"DESCRIPTION:{escape_text('Reminder: ' + self.program.name)}",
                f"TRIGGER:-{_duration(reminder)}",
                "END:VALARM",
            ]

    def attendee(self, member: Member) -> str | None:
        if member.id not in self._attendee:
            line = None
            if is_email(member.email):
                line = (
                    f"ATTENDEE;CN={param_value(member.name or member.id)};ROLE=REQ-PARTICIPANT;"
                    f"PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{member.email}"
                )
            self._attendee[member.id] = line
        return self._attendee[member.id]

    def agenda(self, meeting: Meeting) -> str:
        """The session's part of DESCRIPTION, escaped: the same for every match at that time.
        Nothing in it depends on other meetings (no "of 12"), so a skip elsewhere leaves it."""
        key = (meeting.number, meeting.start.timetz().replace(tzinfo=None))
        if key not in self._agenda:
            session = meeting.session
            lines = [f"Session {meeting.number}: {session.title}"]
            if session.topics:
                lines.append("Topics: " + ", ".join(session.topics))
            if session.agenda:
                lines.append("")
                lines.append(f"Agenda ({session.agenda_minutes} minutes):")
                moment = meeting.start
                for block in session.agenda:
                    lines.append(f"{clock(moment)}  {block.title} ({block.minutes} min)")
                    moment += dt.timedelta(minutes=block.minutes)
            self._agenda[key] = escape_text("\n".join(lines))
        return self._agenda[key]

    def body(self, meeting: Meeting, attendees: Sequence[Member]) -> list[str]:
        """The folded lines that define the event (all but UID, stamp, sequence, status)."""
        program = self.program
        session = meeting.session
        tzid = program.timezone
        description = [""]
        names = ", ".join(m.name or m.id for m in attendees)
        description.append(f"Who: {names}" if names else "Who: (no members)")
        if meeting.match_id and 1 < len(attendees) <= 12:
            description.extend(_local_times(meeting, attendees, program.timezone))
        if meeting.location:
            description.append(f"Where: {meeting.location}")
        if meeting.video and is_url(meeting.video):
            description.append(f"Video: {meeting.video}")
        description.append(f"Handout: {self.handout(meeting)}")
        if meeting.moved:
            description.append(f"Moved from {long_date(meeting.planned)}.")
        contact = program.contact
        if contact.name or contact.email:
            who = f"{contact.name} <{contact.email}>" if contact.email else contact.name
            description.append(f"Questions: {who.strip()}")
        lines = [
            _when("DTSTART", meeting.start, tzid),
            _when("DTEND", meeting.end, tzid),
            f"SUMMARY:{escape_text(_summary(program, session.title, meeting.number, meeting.match_id))}",
        ]
        place = meeting.location or (meeting.video if is_url(meeting.video) else "")
        if place:
            lines.append(f"LOCATION:{escape_text(place)}")
        if meeting.video and is_url(meeting.video):
            lines.append(f"URL:{meeting.video}")
        text = escape_text("\n".join(description))
        lines.append(f"DESCRIPTION:{self.agenda(meeting)}\\n{text}")
        folded = [_fold_text(line) for line in lines]
        folded.append(
            self.static(
                f"CATEGORIES:{escape_text(program.name)},{self.kinds.get(session.kind, 'Session')}"
            )
        )
        if self.organizer:
            folded.append(self.static(self.organizer))
        for member in attendees:
            line = self.attendee(member)
            if line:
                folded.append(self.static(line))
        folded.append(self.static("TRANSP:OPAQUE"))
        if self.alarm:
            folded.append(self.static("\n".join(self.alarm)))
        return folded

    def handout(self, meeting: Meeting) -> str:
        """Where `peerkit agenda` writes this match's handout for the session."""
        from peerkit.agenda import OUT_DIR as AGENDA_DIR
        from peerkit.text import safe_filename as handout_name

        name = handout_name(meeting.match_id)
        if name in ("all", "handouts"):  # the names of the combined files
            name = f"match-{name}"
        return f"{AGENDA_DIR}/session-{meeting.number:02d}/{name}.html"

    def static(self, text: str) -> str:
        """Folded lines that recur in many events, folded once (`text` may hold several)."""
        if text not in self._folded:
            self._folded[text] = "".join(_fold_text(line) for line in text.split("\n"))
        return self._folded[text]

    def cancelled_body(self, match_id: str, number: int, record: EventRecord) -> list[str]:
        """What is left of a vanished event: enough for a client to find and cancel it."""
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(self.program.timezone)
        start = dt.datetime.fromisoformat(record.start).astimezone(zone)
        end = dt.datetime.fromisoformat(record.end).astimezone(zone)
        session = self.program.session(number)
        title = session.title if session else f"Session {number}"
        summary = "Cancelled: " + _summary(self.program, title, number, match_id)
        lines = [
            _when("DTSTART", start, self.program.timezone),
            _when("DTEND", end, self.program.timezone),
            f"SUMMARY:{escape_text(summary)}",
        ]
        if self.organizer:
            lines.append(self.organizer)
        return [_fold_text(line) for line in lines]


def _event_bytes(uid: str, stamp: str, sequence: int, status: str, body: list[str]) -> bytes:
    head = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp}",
        f"SEQUENCE:{sequence}",
        f"STATUS:{status}",
    ]
    return "".join([*(_fold_text(line) for line in head), *body, "END:VEVENT\r\n"]).encode("utf-8")


def _hash(lines: Sequence[str]) -> str:
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()[:16]


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
                program.where("contact.email"),
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
    stamp_now = _utc(now) if now else ""
    default_stamp = _utc(dt.datetime.combine(program.start, dt.time(0), tzinfo=dt.UTC))
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
                if absent:
                    cancel = _event_bytes(
                        uid,
                        dtstamp,
                        sequence,
                        "CANCELLED",
                        renderer.cancelled_body(match_id, meeting.number, record),
                    )
                outs.append(
                    _Out(
                        key=(_utc(meeting.start), meeting.number, match_id, origin),
                        data=_event_bytes(uid, dtstamp, sequence, "CONFIRMED", body),
                        cancel=cancel,
                        cancelled=False,
                        match=match_id,
                        attendees=attending,
                        former=tuple(sorted(absent)),
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
                data = _event_bytes(uid, dtstamp, item.sequence, "CANCELLED", body)
                start = dt.datetime.fromisoformat(item.start)
                end = dt.datetime.fromisoformat(item.end)
                years.update((start.year, end.year))
                everyone = tuple(sorted(set(match_record.members) | set(match_record.former)))
                outs.append(
                    _Out(
                        (_utc(start), item.session, match_id, origin),
                        data,
                        data,
                        True,
                        match_id,
                        (),
                        everyone,
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
    result.files.update(_files(folder, outs, method, only, years))
    result.events.sort(key=lambda e: (e.start, e.match, e.round, e.session))
    return result


def _warnings(folder: Folder, round_: Round) -> list[Problem]:
    """What the calendars will quietly leave out, said out loud."""
    from peerkit.schedule import is_rrule, valid_day

    program = folder.program
    found = []
    for match in round_.matches:
        where = match.where or Location(round_.file)
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
    method: Method | None,
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
    if method == "request":
        files.update(_invitations(program, outs, only, span))
    return files


def _invitations(
    program: Program, outs: list[_Out], only: str | None, span: tuple[int, int]
) -> dict[str, bytes]:
    """iTIP messages, one meeting each (mail clients act on one event per invitation):
    invites/MATCH/session-NN.ics (REQUEST) and session-NN.cancel.ics (CANCEL) for those
    no longer invited, or for everyone when the meeting is gone."""
    files = {}
    # meetings that go ahead first, so theirs are the plain session-NN names; another event
    # with that name (a cancelled one of an earlier round, or of a skipped date) gets its date
    for out in sorted(outs, key=lambda o: (o.cancelled, o.key)):
        if only is not None and only not in (out.match, *out.attendees, *out.former):
            continue
        base = f"{OUT_DIR}/invites/{unique_filename(out.match)}/session-{out.key[1]:02d}"
        if f"{base}.ics" in files or f"{base}.cancel.ics" in files:
            base = f"{base}-{out.key[0][:8]}"
        name = f"{program.name}: {out.match}"
        if not out.cancelled:
            files[f"{base}.ics"] = calendar_bytes(
                name, program.timezone, span, [out.data], "REQUEST"
            )
        if out.cancel and (out.cancelled or out.former):
            files[f"{base}.cancel.ics"] = calendar_bytes(
                name, program.timezone, span, [out.cancel], "CANCEL"
            )
    return files


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
