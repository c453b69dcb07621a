"""The program as peerkit understands it: frozen dataclasses built by `load`.

Every value that came from a file can say where it came from (`Location`), so any later
stage can point the coordinator at the line that caused a problem.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

Format = Literal["mentoring", "pairs", "groups"]
Role = Literal["mentor", "mentee", "peer"]
QuestionType = Literal["likert5", "nps", "choice", "multi", "text"]
Severity = Literal["error", "warning"]
SessionKind = Literal["kickoff", "regular", "closing"]
CadenceKind = Literal["weekly", "biweekly", "monthly", "rrule"]

FORMATS: tuple[str, ...] = ("mentoring", "pairs", "groups")
ROLES: tuple[str, ...] = ("mentor", "mentee", "peer")
QUESTION_TYPES: tuple[str, ...] = ("likert5", "nps", "choice", "multi", "text")
LEVELS: tuple[str, ...] = ("knowledge", "experience", "authority")
_NOT_ASCII_ALNUM = re.compile(r"[^0-9a-z]+")
T = TypeVar("T")
LIKERT5_LABELS: tuple[str, ...] = (
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
)


def made_from(cls: type[T], values: Mapping[str, Any]) -> T:
    """An instance of the frozen dataclass `cls` from a value for every one of its fields
    (`values` names each, no more), as `cls(**values)` makes it but in a fifth of the time:
    a frozen dataclass's `__init__` sets each field through `object.__setattr__`, and a
    roster of 10,000 members or a round of 6,000 matches makes thousands. For classes
    without `__post_init__` or `__slots__`."""
    made = object.__new__(cls)
    made.__dict__.update(values)
    return made


# Soft-score terms and their default weights (see peerkit.match).
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "common_ground": 3.0,  # shared goals and obstacles (seed 001: not just the same industry)
    "goals_offers": 3.0,  # one member's goals met by another's offers
    "levels": 1.0,  # complementary knowledge / experience / authority
    "timezone": 1.0,  # closeness of timezones
    "availability": 1.0,  # overlap of availability slots
    "diversity": 1.0,  # difference on `matching.diversity` fields
}


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from: file relative to the program folder, 1-based line and column."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col or 1}"
        return self.file


@dataclass(frozen=True)
class Problem:
    """Something wrong (or worth a look) in the program folder."""

    source: Location | None
    code: str
    message: str
    hint: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        where = str(self.source) if self.source else "peerkit"
        return f"{where}: {self.severity}[{self.code}]: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.source or Location("")
        return (loc.file, loc.line, loc.col, self.code)

    def as_dict(self) -> dict[str, object]:
        loc = self.source
        return {
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.col if loc else None,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class GroupSize:
    min: int = 4
    max: int = 6


CADENCES: tuple[str, ...] = ("weekly", "biweekly", "monthly")
WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
WEEKDAYS.update({name.lower(): index for index, name in enumerate(calendar.day_abbr)})
ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
}
ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


@dataclass(frozen=True)
class Cadence:
    """How often the program meets: weekly, biweekly, monthly, or an RRULE (RFC 5545).

    Two cadences are the same when they meet alike, however they were written; `str()`
    gives what program.yaml said (`Fortnightly` stays `Fortnightly`)."""

    kind: CadenceKind = "monthly"
    rule: str = ""  # the RRULE without an `RRULE:` prefix, when `kind` is "rrule"
    text: str = field(default="", compare=False)  # as written

    @classmethod
    def parse(cls, text: str) -> Cadence | None:
        """`weekly`, `biweekly` (or `fortnightly`) or `monthly` in any case, or an RRULE
        (`FREQ=…` or `RRULE:FREQ=…`, its rule not checked here); None for anything else."""
        written = text.strip()
        word = written.lower()
        if word == "fortnightly":
            word = "biweekly"
        if word in CADENCES:
            return cls(cast(CadenceKind, word), "", written)
        if written.upper().startswith("RRULE:"):
            return cls("rrule", written.split(":", 1)[1], written)
        if written.upper().startswith("FREQ="):
            return cls("rrule", written, written)
        return None

    @property
    def is_rrule(self) -> bool:
        return self.kind == "rrule"

    def __str__(self) -> str:
        return self.text or self.rule or self.kind


@dataclass(frozen=True)
class DayRule:
    """A meeting day: a weekday, and which one in the month (`second Tuesday`, `last Friday`)
    or every one the cadence gives (`Tuesday`).

    `weekday` (0 is Monday) is None when the text names no day: a match's `day:` in a round
    file edited by hand, which the calendar says it does not use. Two days are the same
    when they name the same day; `str()` gives what the file said."""

    weekday: int | None
    ordinal: int | None = None  # 1 to 5, or -1 for the last; None: every such weekday
    text: str = field(default="", compare=False)  # as written

    @classmethod
    def parse(cls, text: str) -> DayRule:
        """`Tuesday`, `tuesdays`, `Tue`, `second Tuesday`, `2nd tue`, `last-Friday`."""
        words = text.lower().replace("-", " ").split()
        if len(words) == 1 and words[0].rstrip("s") in WEEKDAYS:
            return cls(WEEKDAYS[words[0].rstrip("s")], None, text)
        if len(words) == 2 and words[0] in ORDINALS and words[1].rstrip("s") in WEEKDAYS:
            return cls(WEEKDAYS[words[1].rstrip("s")], ORDINALS[words[0]], text)
        return cls(None, None, text)

    @property
    def known(self) -> bool:
        """Whether the text names a day."""
        return self.weekday is not None

    def __str__(self) -> str:
        if self.text or self.weekday is None:
            return self.text
        name = calendar.day_name[self.weekday]
        return f"{ORDINAL_WORDS[self.ordinal]} {name}" if self.ordinal else name


@dataclass(frozen=True)
class Meetings:
    """When and where matches meet."""

    cadence: Cadence = field(default_factory=Cadence)
    day: DayRule | None = None  # None: the start date's weekday
    time: dt.time = dt.time(9, 0)
    duration: dt.timedelta = dt.timedelta(hours=1)
    location: str = ""
    video: str = ""
    reminder: dt.timedelta | None = dt.timedelta(days=1)
    skip: tuple[dt.date, ...] = ()
    moved: tuple[tuple[dt.date, dt.date], ...] = ()  # (scheduled date, new date)
    # the part of each member's own day meetings may fall in (`hours: "09:00-17:30"`)
    hours: tuple[dt.time, dt.time] = (dt.time(8, 0), dt.time(18, 0))


@dataclass(frozen=True)
class Rules:
    """Hard matching rules: a match that breaks one is never made."""

    differ_in_one_of: tuple[str, ...] = ()
    not_same: tuple[str, ...] = ()
    share_one_of: tuple[str, ...] = ()
    max_timezone_gap: float | None = None  # hours
    availability_overlap: bool = False
    no_repeat: bool = True


@dataclass(frozen=True)
class Matching:
    rules: Rules = field(default_factory=Rules)
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    seed: int = 0
    pins: tuple[tuple[str, ...], ...] = ()  # member ids that must be matched together
    diversity: tuple[str, ...] = ()  # member fields on which difference is rewarded
    mentors_per_mentee: int = 1
    # Mentoring: every mentor who can take a mentee gets one before anyone gets a second.
    spread: bool = True


@dataclass(frozen=True)
class AgendaBlock:
    title: str
    minutes: int
    notes: str = ""


@dataclass(frozen=True)
class Session:
    number: int  # 1-based, the meeting that holds it
    title: str
    kind: SessionKind = "regular"
    goals: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    agenda: tuple[AgendaBlock, ...] = ()
    # its place in program.yaml's `sessions:` list (0: a shipped default), which differs
    # from `number` when the schedule has more or fewer meetings than sessions are written
    entry: int = 0

    @property
    def agenda_minutes(self) -> int:
        return sum(block.minutes for block in self.agenda)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: QuestionType
    options: tuple[str, ...] = ()  # choice/multi options; likert5 labels are LIKERT5_LABELS
    required: bool = False


@dataclass(frozen=True)
class Survey:
    name: str
    title: str
    questions: tuple[Question, ...]
    after: tuple[int, ...] = ()  # session numbers after which it is sent
    anonymous: bool = False
    # where members answer it; may hold {match}, {email}, {session} (filled per recipient)
    link: str = ""

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


@dataclass(frozen=True)
class RosterImport:
    """How an HR export's columns map onto member fields (`roster:` in program.yaml).

    Column names are kept folded (stripped, case- and space-insensitive: `folded_column`)."""

    columns: Mapping[str, str] = field(default_factory=dict)  # column → field key (`fields.site`)
    ignore: frozenset[str] = frozenset()
    date_format: str = ""  # a strptime format (`%m/%d/%Y`), besides ISO dates
    # the column names as written in program.yaml, by folded name (for messages)
    written: Mapping[str, str] = field(default_factory=dict, compare=False)


def folded_column(header: str) -> str:
    """A column name as compared: `  Work  Email ` and `work email` are one column."""
    return " ".join(header.split()).casefold()


MAIL_SECURITY: tuple[str, ...] = ("starttls", "ssl", "none")
SMTP_PORTS: Mapping[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class Mail:
    """`mail:` in program.yaml: who messages come from, the SMTP server, when reminders go.

    The password is never here: `peerkit send` reads it from PEERKIT_SMTP_PASSWORD or asks."""

    sender: str = ""  # `from:`, e.g. "Renata Oyelaran <renata@example.org>"; default: contact
    host: str = ""
    port: int = 0  # 0: the usual port for `security`
    security: str = "starttls"
    user: str = ""
    remind: dt.timedelta | None = dt.timedelta(days=2)  # None or 0: no reminders

    @property
    def server_port(self) -> int:
        return self.port or SMTP_PORTS[self.security]


@dataclass(frozen=True)
class Program:
    name: str
    organization: str
    contact: Contact
    goals: tuple[str, ...]
    timezone: str
    start: dt.date
    end: dt.date
    format: Format
    group_size: GroupSize
    capacity: int  # default mentor capacity (mentoring format)
    meetings: Meetings
    matching: Matching
    sessions: tuple[Session, ...]
    surveys: Mapping[str, Survey]
    min_group_size: int  # privacy: no score shown for fewer respondents
    root: Path
    sources: Mapping[str, Location] = field(default_factory=dict, compare=False)
    # A stable slug that calendar UIDs hang on (`id:`), so a rename never duplicates events;
    # empty when program.yaml has none (the calendar then keeps one in calendars.yaml).
    id: str = ""
    roster: RosterImport = field(default_factory=RosterImport)
    # where out/agenda/ is published (no trailing slash): events link their handout there
    handouts_url: str = ""
    mail: Mail = field(default_factory=Mail)

    def source_of(self, key_path: str) -> Location:
        """Where a key path like `meetings.duration` was written (or the file, if unknown)."""
        while key_path:
            if key_path in self.sources:
                return self.sources[key_path]
            key_path = key_path.rpartition(".")[0]
        return Location("program.yaml")

    def session(self, number: int) -> Session | None:
        return next((s for s in self.sessions if s.number == number), None)


@dataclass(frozen=True)
class Levels:
    knowledge: int | None = None
    experience: int | None = None
    authority: int | None = None

    def get(self, name: str) -> int | None:
        value: int | None = getattr(self, name, None)
        return value


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    email: str = ""
    role: Role = "peer"
    organization: str = ""
    department: str = ""
    manager: str = ""  # a member id
    industry: str = ""
    timezone: str = ""
    languages: tuple[str, ...] = ()
    levels: Levels = field(default_factory=Levels)
    goals: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()
    obstacles: tuple[str, ...] = ()
    capacity: int = 1
    availability: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    active: bool = True
    left: dt.date | None = None
    # spans away from the program, each (from, until) with both days included
    pauses: tuple[tuple[dt.date, dt.date], ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    source: Location = field(default=Location("members.yaml"), compare=False)
    # where each field's value was written (for messages that point at the value)
    sources: Mapping[str, Location] = field(default_factory=dict, compare=False, repr=False)

    def source_of(self, key: str) -> Location:
        return self.sources.get(key, self.source)

    @cached_property
    def label(self) -> str:
        """The member as a person reads them: `Ana Lima (E1001)`; the name alone when the
        id is only the name written as an id (`ana-lima`), the id alone when unnamed."""
        if not self.name:
            return self.id
        folded = self.name.casefold()
        if folded.isascii():  # (the same words: an ASCII letter or digit is alphanumeric)
            slug = "-".join(filter(None, _NOT_ASCII_ALNUM.split(folded)))
        else:
            slug = "-".join("".join(c if c.isalnum() else " " for c in folded).split())
        if self.id.casefold() in (slug, folded):
            return self.id if self.name.casefold() == self.id.casefold() else self.name
        return f"{self.name} ({self.id})"

    def value(self, name: str) -> str | tuple[str, ...]:
        """A member attribute by name, for rules over any field (custom ones in `fields`)."""
        if name in self.fields:
            return self.fields[name]
        if name in LEVELS:
            level = self.levels.get(name)
            return "" if level is None else str(level)
        value = getattr(self, name, None)
        if isinstance(value, str | tuple):
            return value
        return ""

    def is_active_on(self, day: dt.date) -> bool:
        """Whether the member takes part on `day`: active, not left yet, not on a pause."""
        if not self.active or (self.left is not None and self.left <= day):
            return False
        return not any(begin <= day <= until for begin, until in self.pauses)

    def paused_on(self, day: dt.date) -> bool:
        return any(begin <= day <= until for begin, until in self.pauses)


@dataclass(frozen=True)
class Match:
    """One match of a round: a mentor and mentees, a pair or trio, or a team."""

    id: str
    members: tuple[str, ...]
    score: float = 0.0
    locked: bool = False
    reasons: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    location: str = ""  # overrides meetings.location
    day: DayRule | None = None  # overrides meetings.day
    time: dt.time | None = None  # overrides meetings.time
    source: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Meeting:
    """One meeting of one match (or of the whole program when `match_id` is empty).

    `start` and `end` are timezone-aware, in the program's timezone, so a meeting at 08:00
    is at 08:00 local time on both sides of a daylight-saving change.
    """

    number: int  # 1-based; the session held at this meeting
    session: Session
    start: dt.datetime
    end: dt.datetime
    planned: dt.date  # the date the cadence gave, before `meetings.moved`
    location: str = ""
    video: str = ""
    moved: bool = False
    match_id: str = ""
    members: tuple[str, ...] = ()

    @property
    def date(self) -> dt.date:
        return self.start.date()


@dataclass(frozen=True)
class Unmatched:
    member: str
    reason: str


def _whole(value: object, default: int = 0) -> int:
    """An int from a round file's summary (the loader keeps scalars as text)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return default


def _real(value: object, default: float = 0.0) -> float:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return default


def _flag(value: object) -> bool:
    return value is True or str(value).lower() == "true"


def _texts(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(item) for item in value if item is not None)
    return ()


@dataclass(frozen=True)
class RoundChanges:
    """What a `--fill` round changed from the round it takes over from (`changes:`)."""

    source_round: str  # `from:` in the round file
    kept: int = 0
    new: int = 0
    grown: tuple[str, ...] = ()
    ended: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    paused: tuple[str, ...] = ()
    joined: tuple[str, ...] = ()
    returned: tuple[str, ...] = ()
    orphaned: tuple[str, ...] = ()
    unmatched: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """The `changes:` block, keys in the round file's order."""
        lists = {key: list(getattr(self, key)) for key in CHANGE_LISTS}
        return {"from": self.source_round, "kept": self.kept, "new": self.new, **lists}

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> RoundChanges:
        lists = {key: _texts(data.get(key)) for key in CHANGE_LISTS}
        return cls(
            str(data.get("from") or ""),
            _whole(data.get("kept")),
            _whole(data.get("new")),
            grown=lists["grown"],
            ended=lists["ended"],
            left=lists["left"],
            paused=lists["paused"],
            joined=lists["joined"],
            returned=lists["returned"],
            orphaned=lists["orphaned"],
            unmatched=lists["unmatched"],
        )


CHANGE_LISTS = ("grown", "ended", "left", "paused", "joined", "returned", "orphaned", "unmatched")


@dataclass(frozen=True)
class RoundSummary:
    """A round's `summary:` block: how many were matched, how good the matching is, and
    what was kept, moved or changed. `match` makes it; `load` reads it back from the
    round file (an old file's missing keys take their defaults, unknown keys are ignored)."""

    format: str = ""
    seed: int = 0
    members: int = 0
    active: int = 0
    inactive: int = 0
    matches: int = 0
    matched: int = 0
    unmatched: int = 0
    matched_percent: float = 0.0
    mean_score: float = 0.0
    total: float = 0.0
    bound: float = 0.0
    gap_percent: float = 0.0
    optimal: bool = False
    objective: str = ""
    max_score: float = 0.0
    locked: int = 0
    pinned: int = 0
    rules: tuple[str, ...] = ()
    weights: Mapping[str, float] = field(default_factory=dict)
    # mentoring only (None in the other formats)
    spread: bool | None = None
    mentor_loads: Mapping[int, int] | None = None  # mentees per mentor -> how many mentors
    lowest_member_score: float | None = None
    # written only when not 0
    staggered: int = 0
    moved_into_hours: int = 0
    no_common_slot: int = 0
    same_time: int = 0
    changes: RoundChanges | None = None  # a --fill round

    def as_dict(self) -> dict[str, object]:
        """The block as the round file and `--format json` give it, keys in file order."""
        data: dict[str, object] = {
            "format": self.format,
            "seed": self.seed,
            "members": self.members,
            "active": self.active,
            "inactive": self.inactive,
            "matches": self.matches,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "matched_percent": self.matched_percent,
            "mean_score": self.mean_score,
            "total": self.total,
            "bound": self.bound,
            "gap_percent": self.gap_percent,
            "optimal": self.optimal,
            "objective": self.objective,
            "max_score": self.max_score,
            "locked": self.locked,
            "pinned": self.pinned,
            "rules": list(self.rules),
            "weights": dict(self.weights),
        }
        if self.spread is not None:
            data["spread"] = self.spread
        if self.mentor_loads is not None:
            data["mentor_loads"] = dict(self.mentor_loads)
        if self.lowest_member_score is not None:
            data["lowest_member_score"] = self.lowest_member_score
        for key in ("staggered", "moved_into_hours", "no_common_slot", "same_time"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.changes is not None:
            data["changes"] = self.changes.as_dict()
        return data

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> RoundSummary:
        """The summary a round file's `summary:` block gives (values may be text)."""

        def count(key: str) -> int:
            return _whole(data.get(key))

        def real(key: str) -> float:
            return _real(data.get(key))

        weights, loads, changes = data.get("weights"), data.get("mentor_loads"), data.get("changes")
        return cls(
            format=str(data.get("format") or ""),
            seed=count("seed"),
            members=count("members"),
            active=count("active"),
            inactive=count("inactive"),
            matches=count("matches"),
            matched=count("matched"),
            unmatched=count("unmatched"),
            matched_percent=real("matched_percent"),
            mean_score=real("mean_score"),
            total=real("total"),
            bound=real("bound"),
            gap_percent=real("gap_percent"),
            optimal=_flag(data.get("optimal")),
            objective=str(data.get("objective") or ""),
            max_score=real("max_score"),
            locked=count("locked"),
            pinned=count("pinned"),
            rules=_texts(data.get("rules")),
            weights=(
                {str(k): _real(v) for k, v in weights.items()} if isinstance(weights, dict) else {}
            ),
            spread=_flag(data["spread"]) if "spread" in data else None,
            mentor_loads=(
                {_whole(k): _whole(v) for k, v in loads.items()}
                if isinstance(loads, dict)
                else None
            ),
            lowest_member_score=real("lowest_member_score")
            if "lowest_member_score" in data
            else None,
            staggered=count("staggered"),
            moved_into_hours=count("moved_into_hours"),
            no_common_slot=count("no_common_slot"),
            same_time=count("same_time"),
            changes=RoundChanges.from_mapping(changes) if isinstance(changes, dict) else None,
        )


@dataclass(frozen=True)
class Round:
    """The matches of one period of the program: from `start` until the next round begins
    (or its own `end`, when that comes first)."""

    name: str
    matches: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...] = ()
    summary: RoundSummary = field(default_factory=RoundSummary)
    file: str = ""  # relative to the program folder
    start: dt.date | None = (
        None  # None only for a round file that gives none (loader: program start)
    )
    end: dt.date | None = None  # the last day it runs, when the file says so
    source: Location | None = field(default=None, compare=False)

    def match_of(self, member_id: str) -> Match | None:
        return next((m for m in self.matches if member_id in m.members), None)


@dataclass(frozen=True)
class Folder:
    """A loaded program folder."""

    root: Path
    program: Program
    members: tuple[Member, ...]
    rounds: tuple[Round, ...] = ()  # sorted by start date; the newest is last
    roster_file: str = "members.yaml"
    # responses/ and attendance.csv, read once on first use by the input stages
    # (peerkit.responses.load_responses, peerkit.attendance.load_attendance): no later stage
    # opens them itself, and a command that needs neither never pays.
    read_once: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def member(self, member_id: str) -> Member | None:
        return self.members_by_id.get(member_id)

    def find_member(self, typed: str) -> Member | None:
        """The member an id typed by a person means, in any case: `e1001` finds `E1001` (a
        roster never holds two ids that differ only in case). Files compare ids exactly."""
        found = self.members_by_id.get(typed)
        if found is None and typed:
            found = self.members_by_folded_id.get(typed.casefold())
        return found

    @cached_property
    def members_by_id(self) -> Mapping[str, Member]:
        return {m.id: m for m in self.members}

    @cached_property
    def members_by_folded_id(self) -> Mapping[str, Member]:
        return {m.id.casefold(): m for m in reversed(self.members)}

    def round(self, name: str | None = None) -> Round | None:
        """The named round, or the newest one when `name` is None."""
        if name is None:
            return self.rounds[-1] if self.rounds else None
        return next((r for r in self.rounds if r.name == name), None)


# --- survey responses and attendance (read by peerkit.responses / peerkit.attendance) ---

AnswerValue = int | str | tuple[str, ...]
AttendanceStatus = Literal["present", "absent", "excused"]


@dataclass(frozen=True)
class Response:
    """One respondent's answers to one survey, as read from an export.

    `answers` maps a question id to its value: likert5 1–5, nps 0–10 (int), choice text,
    multi a tuple of options, text a string. Unanswered questions are absent. For an
    anonymous survey `respondent` is always empty: who answered is never kept.
    """

    survey: str
    answers: Mapping[str, AnswerValue]
    source: Location  # file and row of the export
    # member id, when the export says who answered and the survey is not anonymous
    respondent: str = ""
    match_id: str = ""
    session: int | None = None
    submitted: dt.datetime | None = None
    round: str = ""  # the round the match belongs to (in effect on the answer's date)


@dataclass(frozen=True)
class Column:
    """What one column of an export holds."""

    index: int
    header: str
    role: str  # question, option, email, name, first-name, last-name, member, session, time, meta, unmapped
    question: str = ""  # question id for role question/option
    option: str = ""  # for role option: the choice the column stands for
    how: str = ""  # id, text, map, tool: how the column was recognised


@dataclass(frozen=True)
class Export:
    """One export file read against one survey."""

    file: str
    tool: str
    survey: str
    columns: tuple[Column, ...]
    responses: tuple[Response, ...]


@dataclass(frozen=True)
class Responses:
    """responses/ as read: one Export per file, and what was wrong in them (located)."""

    exports: tuple[Export, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class AttendanceRecord:
    """One line of attendance.csv: whether a member came to their match's meeting on a date."""

    date: dt.date
    match: str
    member: str
    status: AttendanceStatus
    source: Location
    session: int | None = None  # the meeting this date belongs to (on the match's days)
    round: str = ""  # the round the match belongs to (in effect on the date)


@dataclass(frozen=True)
class Attendance:
    """attendance.csv as read: its records and what was wrong in it (located)."""

    records: tuple[AttendanceRecord, ...] = ()
    problems: tuple[Problem, ...] = ()


def has_errors(problems: Sequence[Problem], strict: bool = False) -> bool:
    """Whether `problems` stop a command: any error, or with `strict` any problem at all."""
    return any(p.severity == "error" or strict for p in problems)
