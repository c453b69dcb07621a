"""Files → validated model: program.yaml, the roster and the round files.

Loading never raises for bad data: every wrong value becomes a Problem with its file,
line, column, key path and a hint, and loading goes on so the coordinator sees every
problem at once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from peerkit import schedule
from peerkit.model import (
    DEFAULT_WEIGHTS,
    FORMATS,
    LEVELS,
    MAIL_SECURITY,
    QUESTION_TYPES,
    ROLES,
    AgendaBlock,
    Contact,
    Folder,
    Format,
    GroupSize,
    Levels,
    Location,
    Mail,
    Match,
    Matching,
    Meetings,
    Member,
    Problem,
    Program,
    Question,
    QuestionType,
    Role,
    RosterImport,
    Round,
    Rules,
    Session,
    SessionKind,
    Severity,
    Survey,
    Unmatched,
)
from peerkit.repeats import collapse_repeats
from peerkit.roster import (
    MEMBER_ID_RE,
    header_fields,
    language_codes,
    member_reference_hint,
    outside_managers,
    prepared_record,
    read_roster_import,
    same_people,
)
from peerkit.source import Node, grid_records, parse_yaml, read_grid, read_yaml
from peerkit.validate import is_email, is_timezone, is_url, suggest, timezone_hint

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|min|mins|minutes?|hours?|days?)", re.IGNORECASE)
WHOLE_RE = re.compile(r"(?<=\d)\.0+$")
TIME_RE = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?$", re.IGNORECASE)
MAX_MEMBERS = 50_000
# Dates a program can plausibly use: the schedule, calendars and PDFs need real years.
FIRST_YEAR, LAST_YEAR = 1900, 2200
# More meetings than this is a cadence typo (e.g. FREQ=HOURLY), not a program.
MAX_MEETINGS = 3000
# Values shown in handouts, calendars and reports: a name fits a line, a text a page.
MAX_NAME = 200
MAX_TEXT = 5000
MAX_WEIGHT = 1000.0
ROSTER_FILES = ("members.yaml", "members.yml", "members.csv", "members.xlsx")
# Letters that Unicode does not decompose into an ASCII base letter.
TRANSLITERATION = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "đ": "d", "Đ": "D"}
)
TRUE_WORDS = frozenset({"true", "yes", "on", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "n", "0"})

PROGRAM_KEYS = (
    "id",
    "name",
    "organization",
    "contact",
    "goals",
    "timezone",
    "start",
    "end",
    "format",
    "group_size",
    "capacity",
    "meetings",
    "matching",
    "sessions",
    "surveys",
    "privacy",
    "roster",
    "handouts_url",
    "mail",
)
MEMBER_KEYS = (
    "id",
    "name",
    "email",
    "role",
    "organization",
    "department",
    "manager",
    "industry",
    "timezone",
    "languages",
    "levels",
    "goals",
    "offers",
    "obstacles",
    "capacity",
    "availability",
    "avoid",
    "active",
    "left",
    "pause",
    "fields",
    "notes",
    "private",
)
ROUND_MATCH_KEYS = (
    "id",
    "members",
    "score",
    "locked",
    "reasons",
    "rules",
    "terms",
    "location",
    "day",
    "time",
)


@dataclass
class Reader:
    """Collects problems while coercing Nodes of one file into typed values."""

    problems: list[Problem] = field(default_factory=list)

    def report(
        self,
        loc: Location | None,
        code: str,
        message: str,
        hint: str = "",
        severity: Severity = "error",
    ) -> None:
        self.problems.append(Problem(loc, code, message, hint, severity))

    def wrong(self, node: Node, key: str, expected: str, hint: str = "") -> None:
        shown = node.value if isinstance(node.value, str) else type(node.value).__name__
        if isinstance(node.value, list):
            shown = "a list"
        elif isinstance(node.value, dict):
            shown = "a mapping"
        elif isinstance(shown, str):
            shown = repr(shown[:60])
        self.report(node.loc, "type", f"{key}: expected {expected}, got {shown}", hint)

    def mapping(
        self, node: Node | None, key: str, known: Sequence[str] | None = None
    ) -> dict[str, Node]:
        """A mapping's entries; unknown keys (when `known` is given) are reported."""
        if node is None or node.value is None:
            return {}
        if not isinstance(node.value, dict):
            self.wrong(node, key, "a mapping of `key: value` lines")
            return {}
        if known is not None:
            for name in node.key_names():
                if name not in known:
                    self.unknown_key(node.keys[name], key, name, known)
        return node.value

    def unknown_key(self, loc: Location, key: str, name: str, known: Sequence[str]) -> None:
        where = f"{key}.{name}" if key else name
        hint = suggest(name.lower(), known, f"known keys: {', '.join(known)}")
        self.report(loc, "unknown-key", f"unknown key '{where}'", hint)

    def text(self, node: Node | None, key: str, default: str = "", limit: int = MAX_TEXT) -> str:
        if node is None or node.value is None:
            return default
        if isinstance(node.value, str):
            value = node.value.strip()
            return value if len(value) <= limit else self.too_long(node, key, value, limit)
        self.wrong(node, key, "text")
        return default

    def too_long(self, node: Node, key: str, value: str, limit: int) -> str:
        """A value too long for a handout, calendar or report: an error, and cut to `limit`."""
        self.report(
            node.loc,
            "too-long",
            f"{key}: the value is {len(value):,} characters long; at most {limit:,} fit "
            "in handouts, calendars and reports",
            "shorten it (a note that long belongs in `notes:`, which is never printed)",
        )
        return value[:limit]

    def choice(self, node: Node | None, key: str, options: Sequence[str], default: str) -> str:
        value = self.text(node, key, default).lower()
        if node is not None and value not in options:
            hint = suggest(value, options, f"use one of: {', '.join(options)}")
            self.report(node.loc, "value", f"{key}: '{value}' is not one of the choices", hint)
            return default
        return value

    def integer(
        self,
        node: Node | None,
        key: str,
        default: int,
        low: int | None = None,
        high: int | None = None,
    ) -> int:
        text = self.text(node, key, "")
        if node is None or not text:
            return default
        try:
            # `2.0` is how spreadsheets export a whole number; `2.5` is not one
            value = int(WHOLE_RE.sub("", text))
        except ValueError:
            self.wrong(node, key, "a whole number")
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.report(node.loc, "range", f"{key}: {value} is out of range", f"use {bounds}")
            return default
        return value

    def number(self, node: Node | None, key: str, default: float | None) -> float | None:
        text = self.text(node, key, "")
        if node is None or not text:
            return default
        try:
            value = float(text)
        except ValueError:
            self.wrong(node, key, "a number")
            return default
        if value != value or value in (float("inf"), float("-inf")):
            self.wrong(node, key, "a finite number")
            return default
        return value

    def boolean(self, node: Node | None, key: str, default: bool) -> bool:
        text = self.text(node, key, "").lower()
        if node is None or not text:
            return default
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        self.wrong(node, key, "true or false")
        return default

    def date(self, node: Node | None, key: str) -> dt.date | None:
        text = self.text(node, key, "")
        if node is None or not text:
            return None
        try:
            day = dt.date.fromisoformat(text)
        except ValueError as exc:
            reason = str(exc).replace("month must be in 1..12", "there is no month 13 or later")
            self.report(
                node.loc,
                "date",
                f"{key}: '{text}' is not a date ({reason})",
                "write dates as YYYY-MM-DD, e.g. 2027-01-12",
            )
            return None
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            self.report(
                node.loc,
                "date",
                f"{key}: {text} is not a date a program can use "
                f"(peerkit reads years {FIRST_YEAR} to {LAST_YEAR})",
                "check the year; for no end date, leave the key out",
            )
            return None
        return day

    def time(self, node: Node | None, key: str, default: dt.time | None) -> dt.time | None:
        text = self.text(node, key, "")
        if node is None or not text:
            return default
        match = TIME_RE.match(text)
        if match:
            hour, minute = int(match.group(1)), int(match.group(2) or 0)
            suffix = (match.group(3) or "").lower().replace(".", "")
            if suffix == "pm" and hour < 12:
                hour += 12
            elif suffix == "am" and hour == 12:
                hour = 0
            if hour < 24 and minute < 60 and (match.group(2) or suffix):
                return dt.time(hour, minute)
        self.report(node.loc, "time", f"{key}: '{text}' is not a time of day", "write e.g. 08:00")
        return default

    def duration(
        self, node: Node | None, key: str, default: dt.timedelta | None
    ) -> dt.timedelta | None:
        text = self.text(node, key, "")
        if node is None or not text:
            return default
        if text.isdigit():
            return dt.timedelta(minutes=int(text))
        parts = DURATION_RE.findall(text)
        leftover = DURATION_RE.sub("", text).replace(" ", "")
        if not parts or leftover:
            self.report(
                node.loc,
                "duration",
                f"{key}: '{text}' is not a duration",
                "write e.g. 3h30m, 90m or 1d",
            )
            return default
        total = dt.timedelta()
        for amount, unit in parts:
            letter = unit[0].lower()
            scale = {"d": dt.timedelta(days=1), "h": dt.timedelta(hours=1)}.get(
                letter, dt.timedelta(minutes=1)
            )
            total += float(amount) * scale
        return total

    def link(self, node: Node | None, key: str) -> str:
        """A web link (http or https): it becomes a clickable link in handouts."""
        text = self.text(node, key)
        if node is not None and text and not is_url(text):
            self.report(
                node.loc,
                "link",
                f"{key}: '{text[:80]}' is not a web link; it is left out of every output",
                "write the full address, starting with https://",
                "warning",
            )
            return ""
        return text

    def place(self, node: Node | None, key: str) -> str:
        """A place: any text or link, but never a script or local-file link."""
        text = self.text(node, key)
        scheme = re.match(r"^\s*(javascript|vbscript|data|file):", text, re.IGNORECASE)
        if node is not None and scheme:
            self.report(
                node.loc,
                "link",
                f"{key}: a {scheme.group(1).lower()}: link is not a place; "
                "peerkit will not put it in handouts or calendars",
                "write the room or address, or an https:// link",
            )
            return ""
        return text

    def strings(self, node: Node | None, key: str) -> tuple[str, ...]:
        """A list of texts; a single text is split on `;` (as roster CSV cells are)."""
        if node is None or node.value is None:
            return ()
        if isinstance(node.value, str):
            value = node.value
            if len(value) > MAX_TEXT:
                value = self.too_long(node, key, value, MAX_TEXT)
            return tuple(part.strip() for part in value.split(";") if part.strip())
        if isinstance(node.value, list):
            items = []
            for item in node.value:
                value = self.text(item, key)
                if value:
                    items.append(value)
            return tuple(items)
        self.wrong(node, key, "a list")
        return ()

    def items(self, node: Node | None, key: str) -> list[Node]:
        if node is None or node.value is None:
            return []
        if isinstance(node.value, list):
            return node.value
        self.wrong(node, key, "a list (lines starting with `- `)")
        return []

    def timezone(self, node: Node | None, key: str, default: str) -> str:
        name = self.text(node, key, "")
        if node is None or not name:
            return default
        if is_timezone(name):
            return name
        regions = timezone_hint(name)
        if regions:
            self.report(
                node.loc,
                "timezone",
                f"{key}: '{name}' is "
                + ("a fixed offset" if re.search(r"\d", name) else "an abbreviation")
                + ", not a timezone: it names no place, so summer time and local meeting "
                "times would come out wrong",
                regions,
            )
            return default
        from zoneinfo import available_timezones

        hint = suggest(
            name, sorted(available_timezones()), "use an IANA name like Europe/Paris", cutoff=0.5
        )
        self.report(node.loc, "timezone", f"{key}: '{name}' is not a known timezone", hint)
        return default


def slugify(name: str) -> str:
    """A stable member id from a name: `Zoë O'Brien` → `zoe-obrien`."""
    spelled = name.translate(TRANSLITERATION)
    ascii_name = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower().replace("'", "")).strip("-")
    return slug


# --- program.yaml ---------------------------------------------------------------------


def _sources(node: Node, prefix: str = "") -> dict[str, Location]:
    found: dict[str, Location] = {}
    if isinstance(node.value, dict):
        for key, child in node.value.items():
            path = f"{prefix}.{key}" if prefix else key
            found[path] = node.keys.get(key, child.loc)
            found.update(_sources(child, path))
    elif isinstance(node.value, list):
        for index, child in enumerate(node.value):
            path = f"{prefix}.{index}"
            found[path] = child.loc
            found.update(_sources(child, path))
    return found


def _defaults(one_to_one: bool = False) -> Node:
    """The shipped sessions and surveys; worded for two people (`one_to_one:` in
    defaults.yaml) for mentoring and pairs, for a team otherwise."""
    problems: list[Problem] = []
    text = (Path(__file__).parent / "defaults.yaml").read_text(encoding="utf-8")
    node = parse_yaml(text, "peerkit/defaults.yaml", problems)
    if node is None or problems or not isinstance(node.value, dict):  # pragma: no cover
        msg = f"shipped defaults are broken: {problems}"
        raise RuntimeError(msg)
    two = node.value.pop("one_to_one", None)
    if one_to_one and two is not None and isinstance(two.value, dict):
        for key, value in two.value.items():
            shipped = node.value.get(key)
            if isinstance(value.value, dict) and shipped is not None:
                # surveys by name: the ones not reworded (final) stay as shipped
                assert isinstance(shipped.value, dict)
                shipped.value.update(value.value)
            else:
                node.value[key] = value
    return node


def _meetings(reader: Reader, node: Node | None, start: dt.date, end: dt.date) -> Meetings:
    keys = (
        "cadence",
        "day",
        "time",
        "duration",
        "location",
        "video",
        "reminder",
        "skip",
        "moved",
        "hours",
    )
    entries = reader.mapping(node, "meetings", keys)
    first_problem = len(reader.problems)
    base = Meetings()
    cadence = reader.text(entries.get("cadence"), "meetings.cadence", base.cadence)
    if cadence.lower() == "fortnightly":
        cadence = "biweekly"
    if cadence.lower() in schedule.CADENCES:
        cadence = cadence.lower()
    elif not schedule.is_rrule(cadence):
        reader.report(
            entries["cadence"].loc,
            "value",
            f"meetings.cadence: '{cadence}' is not a cadence",
            "use weekly, biweekly, monthly or an RRULE like FREQ=MONTHLY;BYDAY=2TU",
        )
        cadence = base.cadence
    else:
        try:
            from dateutil.rrule import rrulestr

            rule = rrulestr(cadence.split(":", 1)[-1], dtstart=dt.datetime(2000, 1, 1))  # noqa: DTZ001
            if getattr(rule, "_freq", 0) > 3:  # HOURLY, MINUTELY or SECONDLY
                reader.report(
                    entries["cadence"].loc,
                    "rrule",
                    "meetings.cadence: the RRULE repeats more often than daily",
                    "use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY, e.g. FREQ=WEEKLY;BYDAY=TU",
                )
                cadence = base.cadence
        except (ValueError, TypeError, OverflowError) as exc:
            reader.report(
                entries["cadence"].loc,
                "rrule",
                f"meetings.cadence: the RRULE cannot be read ({exc})",
                "check it against RFC 5545, e.g. FREQ=MONTHLY;BYDAY=2TU",
            )
            cadence = base.cadence
    day = reader.text(entries.get("day"), "meetings.day")
    if day and schedule.parse_day(day) is None:
        reader.report(
            entries["day"].loc,
            "value",
            f"meetings.day: '{day}' is not a day",
            "write a weekday, optionally with which one in the month: Tuesday, second Tuesday",
        )
        day = ""
    duration = reader.duration(entries.get("duration"), "meetings.duration", base.duration)
    if duration is not None and not dt.timedelta(minutes=5) <= duration <= dt.timedelta(hours=24):
        reader.report(
            entries["duration"].loc,
            "range",
            f"meetings.duration: {duration} is not a meeting length",
            "use between 5m and 24h, e.g. 1h30m",
        )
        duration = None
    skip = []
    dated: list[tuple[str, dt.date, Location]] = []  # (key, date, where) to check below
    for item in reader.items(entries.get("skip"), "meetings.skip"):
        value = reader.date(item, "meetings.skip")
        if value:
            skip.append(value)
            dated.append(("meetings.skip", value, item.loc))
    moved = []
    for key_name, target in reader.mapping(entries.get("moved"), "meetings.moved").items():
        source_node = Node(key_name, (entries["moved"].keys.get(key_name) or target.loc))
        old = reader.date(source_node, "meetings.moved")
        new = reader.date(target, f"meetings.moved.{key_name}")
        if old and new:
            moved.append((old, new))
        if old:
            dated.append(("meetings.moved", old, source_node.loc))
    # with a cadence or day that could not be read, every date would look wrong
    unread = ("meetings.cadence", "meetings.day")
    if not any(p.message.startswith(unread) for p in reader.problems[first_problem:]):
        planned = schedule.planned_dates(Meetings(cadence=cadence, day=day), start, end)
        for key, value, loc in dated:
            if value not in planned:
                reader.report(
                    loc,
                    "schedule",
                    f"{key}: no meeting is planned on {value:%a} {value}, so this date does nothing",
                    _nearest_meetings(planned, value),
                )
    time = reader.time(entries.get("time"), "meetings.time", base.time) or base.time
    return Meetings(
        cadence=cadence,
        day=day,
        time=time,
        duration=duration or base.duration,
        location=reader.place(entries.get("location"), "meetings.location"),
        video=reader.link(entries.get("video"), "meetings.video"),
        reminder=reader.duration(entries.get("reminder"), "meetings.reminder", base.reminder),
        skip=tuple(sorted(skip)),
        moved=tuple(sorted(moved)),
        hours=_hours(reader, entries.get("hours"), _default_hours(time, duration or base.duration)),
    )


def _default_hours(time: dt.time, duration: dt.timedelta) -> tuple[dt.time, dt.time]:
    """08:00-18:00, widened to hold a meeting at meetings.time: an evening program (18:30)
    keeps its evening, and members elsewhere meet within the same span of their own day."""
    start = min(Meetings().hours[0], time)
    finish = dt.datetime.combine(dt.date(2000, 1, 1), time) + duration
    late = dt.time(23, 59) if finish.date() > dt.date(2000, 1, 1) else finish.time()
    return start, max(Meetings().hours[1], late)


def _hours(
    reader: Reader, node: Node | None, default: tuple[dt.time, dt.time]
) -> tuple[dt.time, dt.time]:
    """`meetings.hours: "09:00-17:30"`: the local part of each member's day for meetings."""
    from peerkit.hours import parse_span, span_problem

    text = reader.text(node, "meetings.hours", "")
    if node is None or not text:
        return default
    span = parse_span(text)
    if span is None or span[1] - span[0] < 30:
        why = span_problem(text) if span is None else f"'{text}' is shorter than half an hour"
        reader.report(
            node.loc,
            "hours",
            f"meetings.hours: {why}",
            'write the local working day meetings may fall in, e.g. hours: "09:00-17:30" '
            "(each member's own time; the default is 08:00-18:00)",
        )
        return default
    end = dt.time(23, 59) if span[1] >= 24 * 60 else dt.time(span[1] // 60, span[1] % 60)
    return dt.time(span[0] // 60, span[0] % 60), end


def _nearest_meetings(planned: Sequence[dt.date], day: dt.date) -> str:
    """The hint for a skip or move on a day with no meeting: the planned dates around it."""
    before = [d for d in planned if d < day][-1:]
    after = [d for d in planned if d > day][:1]
    near = [f"{d:%a} {d}" for d in (*before, *after)]
    if not near:
        return "no meeting falls between start and end: check start, end and meetings.cadence"
    return f"the nearest meeting dates are {' and '.join(near)}: use the date it was planned for"


def _matching(reader: Reader, node: Node | None) -> Matching:
    keys = ("rules", "weights", "seed", "pins", "diversity", "mentors_per_mentee", "spread")
    entries = reader.mapping(node, "matching", keys)
    rule_keys = (
        "differ_in_one_of",
        "not_same",
        "share_one_of",
        "max_timezone_gap",
        "availability_overlap",
        "no_repeat",
    )
    rules_node = entries.get("rules")
    rule_entries = reader.mapping(rules_node, "matching.rules", rule_keys)
    differ = reader.strings(rule_entries.get("differ_in_one_of"), "matching.rules.differ_in_one_of")
    for level in differ:
        if level not in LEVELS:
            reader.report(
                rule_entries["differ_in_one_of"].loc,
                "value",
                f"matching.rules.differ_in_one_of: '{level}' is not a level",
                f"use any of: {', '.join(LEVELS)}",
            )
    rules = Rules(
        differ_in_one_of=tuple(level for level in differ if level in LEVELS),
        not_same=reader.strings(rule_entries.get("not_same"), "matching.rules.not_same"),
        share_one_of=reader.strings(
            rule_entries.get("share_one_of"), "matching.rules.share_one_of"
        ),
        max_timezone_gap=_timezone_gap(reader, rule_entries.get("max_timezone_gap")),
        availability_overlap=reader.boolean(
            rule_entries.get("availability_overlap"), "matching.rules.availability_overlap", False
        ),
        no_repeat=reader.boolean(rule_entries.get("no_repeat"), "matching.rules.no_repeat", True),
    )
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in reader.mapping(
        entries.get("weights"), "matching.weights", tuple(DEFAULT_WEIGHTS)
    ).items():
        number = reader.number(value, f"matching.weights.{name}", None)
        if number is not None and name in weights:
            if number < 0:
                reader.report(
                    value.loc, "range", f"matching.weights.{name} is negative", "use 0 or more"
                )
            elif number > MAX_WEIGHT:
                reader.report(
                    value.loc,
                    "range",
                    f"matching.weights.{name}: {number:g} is far too large a weight",
                    f"use 0 to {MAX_WEIGHT:g}; weights only compare with each other, e.g. 1 to 5",
                )
            else:
                weights[name] = number
    pins = []
    pinned: dict[str, int] = {}
    for item in reader.items(entries.get("pins"), "matching.pins"):
        group = reader.strings(item, "matching.pins")
        twice = sorted({m for m in group if group.count(m) > 1 or m in pinned})
        if twice:
            other = pinned.get(twice[0])
            reader.report(
                item.loc,
                "duplicate-pin",
                f"matching.pins: '{twice[0]}' is pinned twice"
                + (f" (also on line {other})" if other and other != item.loc.line else ""),
                "a member can be in one pin only: merge the two pins into one list",
            )
        elif len(group) < 2:
            reader.report(
                item.loc,
                "value",
                "matching.pins: a pin needs at least two member ids",
                "write a list like [ana, ben]",
            )
        else:
            pins.append(group)
            pinned.update(dict.fromkeys(group, item.loc.line))
    return Matching(
        rules=rules,
        weights=weights,
        seed=reader.integer(entries.get("seed"), "matching.seed", 0, 0, 2**32 - 1),
        pins=tuple(pins),
        diversity=reader.strings(entries.get("diversity"), "matching.diversity"),
        mentors_per_mentee=reader.integer(
            entries.get("mentors_per_mentee"), "matching.mentors_per_mentee", 1, 1, 5
        ),
        spread=reader.boolean(entries.get("spread"), "matching.spread", True),
    )


def _timezone_gap(reader: Reader, node: Node | None) -> float | None:
    gap = reader.number(node, "matching.rules.max_timezone_gap", None)
    if node is not None and gap is not None and not 0 <= gap <= 26:
        reader.report(
            node.loc,
            "range",
            f"matching.rules.max_timezone_gap: {gap:g} hours is not a gap between timezones",
            "use 0 to 26 (hours), e.g. 3",
        )
        return None
    return gap


def _session(reader: Reader, node: Node, number: int) -> Session:
    key = f"sessions.{number - 1}"
    entries = reader.mapping(node, key, ("title", "kind", "goals", "topics", "agenda"))
    kind = reader.choice(entries.get("kind"), f"{key}.kind", ("kickoff", "regular", "closing"), "")
    if not kind:
        kind = "regular"
    blocks = []
    for block_node in reader.items(entries.get("agenda"), f"{key}.agenda"):
        block = reader.mapping(block_node, f"{key}.agenda", ("title", "minutes", "notes"))
        title = reader.text(block.get("title"), f"{key}.agenda.title", limit=MAX_NAME)
        if not title:
            reader.report(block_node.loc, "missing", f"{key}.agenda: a block has no title")
        blocks.append(
            AgendaBlock(
                title=title,
                minutes=reader.integer(block.get("minutes"), f"{key}.agenda.minutes", 0, 0, 1440),
                notes=reader.text(block.get("notes"), f"{key}.agenda.notes"),
            )
        )
    title = reader.text(entries.get("title"), f"{key}.title", limit=MAX_NAME)
    if not title:
        reader.report(node.loc, "missing", f"{key}: the session has no title", "add `title: ...`")
    return Session(
        number=number,
        title=title or f"Session {number}",
        kind=cast(SessionKind, kind),
        goals=reader.strings(entries.get("goals"), f"{key}.goals"),
        topics=reader.strings(entries.get("topics"), f"{key}.topics"),
        agenda=tuple(blocks),
    )


def _fit_agenda(blocks: tuple[AgendaBlock, ...], minutes: int) -> tuple[AgendaBlock, ...]:
    """Shipped agenda blocks stretched or shrunk to the meeting's length, in 5-minute steps."""
    total = sum(block.minutes for block in blocks)
    if not total or minutes < 5 * len(blocks):
        return blocks
    sizes = [max(5, round(block.minutes * minutes / total / 5) * 5) for block in blocks]
    while sum(sizes) > minutes:
        sizes[sizes.index(max(sizes))] -= 5
    return tuple(
        AgendaBlock(block.title, size, block.notes)
        for block, size in zip(blocks, sizes, strict=True)
    )


def _sessions(
    reader: Reader, node: Node | None, count: int, defaults: Node, minutes: int
) -> tuple[Session, ...]:
    """The session each meeting holds: the program's own `sessions:` fitted to the schedule's
    `count` meetings (kickoff first, closing last), or the shipped ones, one per meeting."""
    shipped = reader.mapping(defaults, "").get("sessions")
    by_kind = {}
    for item in reader.items(shipped, "sessions"):
        session = _session(reader, item, 1)
        agenda = _fit_agenda(session.agenda, minutes)
        by_kind[session.kind] = replace(session, agenda=agenda)
    items = reader.items(node, "sessions") if node is not None and node.value else []
    if items:
        written = [
            replace(_session(reader, item, number), entry=number)
            for number, item in enumerate(items, start=1)
        ]
        if not count or len(written) == count:
            return tuple(written)
        held, dropped = schedule.held_sessions(
            written, count, lambda number: replace(by_kind["regular"], number=number)
        )
        for session in dropped:
            reader.report(
                items[session.entry - 1].loc,
                "sessions",
                f"sessions.{session.entry - 1}: session {session.entry} ({session.title}) is "
                f"left out: the schedule has {count} meetings for {len(written)} sessions, "
                "and the closing stays on the last meeting",
                "add a meeting (fewer `skip:` dates or a later `end`), or remove a session",
                "warning",
            )
        added = [s.number for s in held if not s.entry]
        if added:
            shown = ", ".join(str(n) for n in added[:10])
            if len(added) > 10:
                shown += f" and {len(added) - 10} more"
            reader.report(
                node.loc if node is not None else None,
                "sessions",
                f"the schedule has {count} meetings but {len(written)} sessions are defined: "
                f"meeting(s) {shown} hold the shipped '{by_kind['regular'].title}' session",
                "add sessions so there is one per meeting",
                "warning",
            )
        return held
    sessions = []
    for number in range(1, max(count, 1) + 1):
        if number == 1:
            kind = "kickoff"
        elif number == count and count > 1:
            kind = "closing"
        else:
            kind = "regular"
        base = by_kind[cast(SessionKind, kind)]
        # the session number is shown beside the title everywhere
        sessions.append(replace(base, number=number))
    return tuple(sessions)


def _held_after(surveys: dict[str, Survey], sessions: Sequence[Session]) -> dict[str, Survey]:
    """Surveys' `after:` names sessions as program.yaml lists them: when the schedule left
    one out or added one, the numbers become those of the meetings that hold them."""
    written = {s.entry: s.number for s in sessions if s.entry}
    if not written or (all(e == n for e, n in written.items()) and len(written) == len(sessions)):
        return surveys
    every = set(range(1, max(written) + 1))
    found = {}
    for name, survey in surveys.items():
        if survey.after and set(survey.after) == every:
            after = tuple(s.number for s in sessions)  # `every` is every meeting
        else:
            # a session left out: its survey goes after the last one held before it
            after = tuple(
                sorted(
                    {
                        max((n for e, n in written.items() if e <= number), default=1)
                        for number in survey.after
                    }
                )
            )
        found[name] = replace(survey, after=after)
    return found


def _survey(reader: Reader, name: str, node: Node, sessions: int) -> Survey:
    key = f"surveys.{name}"
    entries = reader.mapping(node, key, ("title", "questions", "after", "anonymous", "link"))
    questions = []
    seen: dict[str, Location] = {}
    for index, item in enumerate(reader.items(entries.get("questions"), f"{key}.questions")):
        qkey = f"{key}.questions.{index}"
        q = reader.mapping(item, qkey, ("id", "text", "type", "options", "required"))
        qid = reader.text(q.get("id"), f"{qkey}.id")
        if not qid:
            reader.report(item.loc, "missing", f"{qkey}: the question has no id", "add `id: ...`")
            continue
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", qid):
            reader.report(
                q["id"].loc,
                "question-id",
                f"{qkey}.id: '{qid}' is not a valid question id",
                "use letters, digits and _ (it becomes a column name), e.g. progress_goals",
            )
        if qid in seen:
            reader.report(
                q["id"].loc,
                "duplicate-question",
                f"{key}: question id '{qid}' is used twice (first on line {seen[qid].line})",
                "give each question its own id; tallies group answers by it",
            )
            continue
        seen[qid] = q["id"].loc
        qtype = reader.choice(q.get("type"), f"{qkey}.type", QUESTION_TYPES, "likert5")
        options = reader.strings(q.get("options"), f"{qkey}.options")
        if qtype in ("choice", "multi") and not options:
            reader.report(
                item.loc,
                "missing",
                f"{qkey}: a {qtype} question needs options",
                "add `options: [first, second, ...]`",
            )
        questions.append(
            Question(
                id=qid,
                text=reader.text(q.get("text"), f"{qkey}.text") or qid,
                type=cast(QuestionType, qtype),
                options=options,
                required=reader.boolean(q.get("required"), f"{qkey}.required", False),
            )
        )
    after: list[int] = []
    after_node = entries.get("after")
    if after_node is not None and after_node.is_scalar:
        if reader.text(after_node, f"{key}.after").lower() == "every":
            after = list(range(1, sessions + 1))
        else:
            number = reader.integer(after_node, f"{key}.after", 0, 1)
            after = [number] if number else []
    else:
        for item in reader.items(after_node, f"{key}.after"):
            number = reader.integer(item, f"{key}.after", 0, 1)
            if number > sessions:
                reader.report(
                    item.loc,
                    "range",
                    f"{key}.after: there is no session {number} (the program has {sessions})",
                    "use a session number from 1 to the number of sessions, or `every`",
                )
            elif number:
                after.append(number)
    anonymous = reader.boolean(entries.get("anonymous"), f"{key}.anonymous", False)
    return Survey(
        name=name,
        title=reader.text(entries.get("title"), f"{key}.title") or name.replace("_", " ").title(),
        questions=tuple(questions),
        after=tuple(after),
        anonymous=anonymous,
        link=_survey_link(reader, entries.get("link"), f"{key}.link", anonymous),
    )


SURVEY_LINK_FIELDS = ("match", "email", "session")


def _survey_link(reader: Reader, node: Node | None, key: str, anonymous: bool) -> str:
    """A survey's web link; `{match}`, `{email}` and `{session}` are filled per recipient."""
    import string

    text = reader.text(node, key)
    if node is None or not text:
        return ""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        reader.report(
            node.loc,
            "survey-link",
            f"{key}: a '{{' or '}}' in the link is not a placeholder",
            "placeholders are {match}, {email} and {session}; write a literal brace as {{ or }}",
        )
        return ""
    unknown = [name for name in names if name not in SURVEY_LINK_FIELDS]
    if unknown:
        hint = suggest(
            unknown[0], SURVEY_LINK_FIELDS, "placeholders are {match}, {email} and {session}"
        )
        reader.report(node.loc, "survey-link", f"{key}: unknown placeholder {{{unknown[0]}}}", hint)
        return ""
    if anonymous and "email" in names:
        reader.report(
            node.loc,
            "survey-link",
            f"{key}: the survey is anonymous, but its link would tell who answered ({{email}})",
            "remove {email} from the link, or make the survey `anonymous: false`",
        )
        return ""
    filled = text.format(**dict.fromkeys(SURVEY_LINK_FIELDS, "x"))
    if not is_url(filled):
        reader.report(
            node.loc,
            "survey-link",
            f"{key}: '{text[:80]}' is not a web link",
            "write the full address, starting with https://",
        )
        return ""
    return text


SMTP_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d+))?$")


def _mail(reader: Reader, node: Node | None) -> Mail:
    """`mail:` — the sender, the SMTP server (host:port), security, user, and `remind`."""
    from email.utils import parseaddr

    known = ("from", "smtp", "security", "user", "remind", "password")
    entries = reader.mapping(node, "mail", known)
    if "password" in entries:
        reader.report(
            entries["password"].loc,
            "mail-password",
            "mail.password: a password never belongs in the program folder (it is in git)",
            "remove it; `peerkit send` reads PEERKIT_SMTP_PASSWORD or asks for it",
        )
    sender = reader.text(entries.get("from"), "mail.from")
    if sender and not is_email(parseaddr(sender)[1]):
        reader.report(
            entries["from"].loc,
            "email",
            f"mail.from: '{sender[:80]}' is not an email address",
            "write it like coordinator@example.org or 'Renata Oyelaran <renata@example.org>'",
        )
        sender = ""
    host, port = "", 0
    smtp = reader.text(entries.get("smtp"), "mail.smtp")
    if smtp:
        found = SMTP_RE.match(smtp)
        number = int(found.group(2)) if found and found.group(2) else 0
        if found is None or not 0 <= number <= 65535 or found.group(2) == "0":
            reader.report(
                entries["smtp"].loc,
                "mail-smtp",
                f"mail.smtp: '{smtp[:80]}' is not a server as host:port",
                "write e.g. smtp.example.org:587 (587 for starttls, 465 for ssl)",
            )
        else:
            host, port = found.group(1).strip("[]"), number
    security = reader.choice(entries.get("security"), "mail.security", MAIL_SECURITY, "starttls")
    remind = reader.duration(entries.get("remind"), "mail.remind", dt.timedelta(days=2))
    if remind is not None and remind > dt.timedelta(days=60):
        reader.report(
            entries["remind"].loc,
            "range",
            f"mail.remind: {entries['remind'].value} before a meeting is more than 60 days",
            "write e.g. 2d, or 0 for no reminders",
        )
        remind = dt.timedelta(days=2)
    return Mail(
        sender=sender,
        host=host,
        port=port,
        security=security,
        user=reader.text(entries.get("user"), "mail.user"),
        remind=remind if remind else None,
    )


def _surveys(reader: Reader, node: Node | None, defaults: Node, sessions: int) -> dict[str, Survey]:
    surveys = {}
    shipped = reader.mapping(reader.mapping(defaults, "").get("surveys"), "")
    own = reader.mapping(node, "surveys")
    for name, item in {**shipped, **own}.items():
        surveys[name] = _survey(reader, name, item, sessions)
    return surveys


def load_program(root: Path, reader: Reader) -> Program | None:
    """program.yaml to a Program (None only when the file is missing or unreadable)."""
    path = root / "program.yaml"
    if path.is_dir():
        reader.report(
            Location("program.yaml"),
            "not-a-file",
            f"program.yaml in {root} is a folder, not a file",
            "move the folder away and put the program's definition in a file program.yaml",
        )
        return None
    if not path.is_file():
        reader.report(
            Location("program.yaml"),
            "missing-file",
            f"there is no program.yaml in {root}",
            "run `peerkit init DIR` to start a program folder",
        )
        return None
    node = read_yaml(path, "program.yaml", reader.problems)
    if node is None:
        return None
    if node.value is None:
        node = Node({}, node.loc)
    entries = reader.mapping(node, "", PROGRAM_KEYS)
    if not isinstance(node.value, dict):
        return None
    written_format = entries["format"].value if "format" in entries else "pairs"
    defaults = _defaults(written_format in ("mentoring", "pairs"))
    name = reader.text(entries.get("name"), "name", limit=MAX_NAME)
    if not name:
        reader.report(node.loc, "missing", "the program has no name", "add `name: ...`")
    start = reader.date(entries.get("start"), "start")
    end = reader.date(entries.get("end"), "end")
    if "start" not in entries:
        reader.report(
            node.loc, "missing", "the program has no start date", "add `start: YYYY-MM-DD`"
        )
    if start and end and end < start:
        reader.report(
            entries["end"].loc,
            "date-order",
            f"end ({end}) is before start ({start})",
            "swap the two dates or fix the year",
        )
        end = None
    # with a start or end that did not load, the schedule is a guess: say nothing about it
    dates_known = start is not None and (end is not None or "end" not in entries)
    start = start or dt.date(2000, 1, 1)
    end = end or dt.date(start.year + 1, start.month, 1) - dt.timedelta(days=1)
    contact_entries = reader.mapping(entries.get("contact"), "contact", ("name", "email"))
    contact = Contact(
        reader.text(contact_entries.get("name"), "contact.name", limit=MAX_NAME),
        reader.text(contact_entries.get("email"), "contact.email"),
    )
    if contact.email and not is_email(contact.email):
        reader.report(
            contact_entries["email"].loc,
            "email",
            f"contact.email: '{contact.email}' is not an email address",
            "write it like coordinator@example.org",
        )
    size_entries = reader.mapping(entries.get("group_size"), "group_size", ("min", "max"))
    group_size = GroupSize(
        reader.integer(size_entries.get("min"), "group_size.min", 4, 2, 100),
        reader.integer(size_entries.get("max"), "group_size.max", 6, 2, 100),
    )
    if group_size.min > group_size.max:
        reader.report(
            entries["group_size"].loc,
            "range",
            f"group_size: min ({group_size.min}) is larger than max ({group_size.max})",
            "swap the two numbers",
        )
    meetings = _meetings(reader, entries.get("meetings"), start, end)
    count = len(schedule.meeting_dates(meetings, start, end))
    if count > MAX_MEETINGS:
        reader.report(
            (entries.get("meetings") or node).loc,
            "schedule",
            f"the schedule has {count:,} meetings from {start} to {end}; "
            f"a program has at most {MAX_MEETINGS:,}",
            "check meetings.cadence and the years of start and end",
        )
        meetings = replace(meetings, cadence="monthly")
        count = len(schedule.meeting_dates(meetings, start, end))
    minutes = int(meetings.duration.total_seconds() // 60)
    sessions = _sessions(
        reader, entries.get("sessions"), count if dates_known else 0, defaults, minutes
    )
    # surveys' `after:` counts the sessions as written (which the schedule may not all hold)
    written = max((s.entry for s in sessions), default=0) or len(sessions)
    survey_node = entries.get("surveys")
    privacy = reader.mapping(entries.get("privacy"), "privacy", ("min_group_size",))
    program_id = reader.text(entries.get("id"), "id")
    if program_id and not ID_RE.match(program_id):
        reader.report(
            entries["id"].loc,
            "program-id",
            f"id '{program_id}' is not a valid program id",
            f"use lowercase letters, digits, '-', '_' or '.', e.g. '{slugify(program_id) or 'my-program'}'"
            " (calendar UIDs hang on it: once members have invitations, keep it as it is)",
        )
        program_id = ""
    return Program(
        id=program_id,
        name=name or root.resolve().name,
        organization=reader.text(entries.get("organization"), "organization"),
        contact=contact,
        goals=reader.strings(entries.get("goals"), "goals"),
        timezone=reader.timezone(entries.get("timezone"), "timezone", "UTC"),
        start=start,
        end=end,
        format=cast(Format, reader.choice(entries.get("format"), "format", FORMATS, "pairs")),
        group_size=group_size,
        capacity=reader.integer(entries.get("capacity"), "capacity", 2, 1, 1000),
        meetings=meetings,
        matching=_matching(reader, entries.get("matching")),
        sessions=sessions,
        surveys=_held_after(_surveys(reader, survey_node, defaults, written), sessions),
        min_group_size=reader.integer(
            privacy.get("min_group_size"), "privacy.min_group_size", 3, 1, 1000
        ),
        root=root,
        sources=_sources(node),
        roster=read_roster_import(entries.get("roster"), reader.problems, MEMBER_KEYS),
        handouts_url=_handouts_url(reader, entries.get("handouts_url")),
        mail=_mail(reader, entries.get("mail")),
    )


def _handouts_url(reader: Reader, node: Node | None) -> str:
    """Where the handouts are published (`peerkit agenda`'s out/agenda/, copied to a web
    server): calendar events then link each match's handout there."""
    text = reader.text(node, "handouts_url")
    if node is not None and text and not is_url(text):
        reader.report(
            node.loc,
            "url",
            f"handouts_url: '{text[:80]}' is not a web link",
            "write the address the handouts are published at, e.g. "
            "https://example.org/peer-teams/handouts (each session is a folder in it)",
        )
        return ""
    return text.rstrip("/")


# --- the roster -----------------------------------------------------------------------


def _column_key(header: str) -> str:
    return header.strip().lower().replace(" ", "_")


def _member_entries(record: Node, reader: Reader, tabular: bool) -> dict[str, Node]:
    """A roster record's entries; in a table, `knowledge` / `levels.knowledge` and
    `fields.x` columns are folded into `levels` and `fields` (unknown columns were
    reported once, from the header)."""
    if not tabular:
        return reader.mapping(record, "member", MEMBER_KEYS)
    entries: dict[str, Node] = {}
    levels: dict[str, Node] = {}
    custom: dict[str, Node] = {}
    assert isinstance(record.value, dict)
    for header, cell in record.value.items():
        name = _column_key(header)
        if name in LEVELS or name.startswith("levels."):
            levels[name.removeprefix("levels.")] = cell
        elif name.startswith("fields."):
            custom[header.strip()[len("fields.") :]] = cell
        elif name in MEMBER_KEYS:
            entries[name] = cell
    if levels:
        entries["levels"] = Node(levels, record.loc, {k: v.loc for k, v in levels.items()})
    if custom:
        entries["fields"] = Node(custom, record.loc, {k: v.loc for k, v in custom.items()})
    return entries


def _member(reader: Reader, record: Node, program: Program | None, tabular: bool) -> Member | None:
    entries = _member_entries(record, reader, tabular)
    if not isinstance(record.value, dict):
        reader.wrong(record, "member", "a mapping with at least `name:`")
        return None
    name = reader.text(entries.get("name"), "name", limit=MAX_NAME)
    given_id = reader.text(entries.get("id"), "id", limit=MAX_NAME)
    if not name and not given_id:
        reader.report(record.loc, "missing", "a member has neither a name nor an id", "add `name:`")
        return None
    member_id = given_id or slugify(name)
    if given_id and not MEMBER_ID_RE.match(given_id):
        reader.report(
            entries["id"].loc,
            "member-id",
            f"id '{given_id}' is not a valid member id",
            f"use letters, digits, '-', '_' or '.', e.g. '{slugify(given_id) or 'ana-r'}'",
        )
    elif not member_id:
        reader.report(
            record.loc, "member-id", f"no id can be made from the name '{name}'", "add `id:`"
        )
    email = reader.text(entries.get("email"), "email")
    if email and not is_email(email):
        reader.report(
            entries["email"].loc,
            "email",
            f"email '{email}' is not an email address",
            "write it like ana@example.org",
        )
    level_entries = reader.mapping(entries.get("levels"), "levels", LEVELS)
    levels = Levels(
        *(reader.integer(level_entries.get(k), f"levels.{k}", 0, 1, 5) or None for k in LEVELS)
    )
    custom = {
        key: reader.text(value, f"fields.{key}")
        for key, value in reader.mapping(entries.get("fields"), "fields").items()
    }
    default_tz = program.timezone if program else "UTC"
    left = reader.date(entries.get("left"), "left")
    pauses = _pauses(reader, entries.get("pause"))
    return Member(
        id=member_id or "?",
        name=name or member_id,
        email=email,
        role=cast(Role, reader.choice(entries.get("role"), "role", ROLES, "peer")),
        organization=reader.text(entries.get("organization"), "organization"),
        department=reader.text(entries.get("department"), "department"),
        manager=reader.text(entries.get("manager"), "manager"),
        industry=reader.text(entries.get("industry"), "industry"),
        timezone=reader.timezone(entries.get("timezone"), "timezone", default_tz),
        languages=language_codes(
            reader.strings(entries.get("languages"), "languages"),
            entries.get("languages"),
            reader.problems,
        ),
        levels=levels,
        goals=reader.strings(entries.get("goals"), "goals"),
        offers=reader.strings(entries.get("offers"), "offers"),
        obstacles=reader.strings(entries.get("obstacles"), "obstacles"),
        capacity=reader.integer(
            entries.get("capacity"), "capacity", program.capacity if program else 1, 0, 1000
        ),
        availability=_availability(reader, entries.get("availability"), record.loc),
        avoid=reader.strings(entries.get("avoid"), "avoid"),
        active=reader.boolean(entries.get("active"), "active", True),
        left=left,
        pauses=pauses,
        fields=custom,
        source=record.loc,
        sources={key: value.loc for key, value in entries.items()},
    )


def _availability(reader: Reader, node: Node | None, where: Location) -> tuple[str, ...]:
    """`availability: Tue 09:00-12:00; Thu 14:00-17:00`: weekly windows of local time,
    kept written the one way (`Tue 09:00-12:00`); an entry that is not one is an error."""
    from peerkit.hours import SYNTAX, parse_window

    kept: list[str] = []
    for entry in reader.strings(node, "availability"):
        windows, why = parse_window(entry)
        if why:
            reader.report(
                node.loc if node is not None else where,
                "availability",
                f"availability: {why}",
                f"write weekly windows of the member's local time, e.g. {SYNTAX}; "
                "separate windows with `;`",
            )
            continue
        kept.extend(str(w) for w in windows)
    return tuple(dict.fromkeys(kept))


def _pauses(reader: Reader, node: Node | None) -> tuple[tuple[dt.date, dt.date], ...]:
    """`pause: {from: DATE, until: DATE}` (or a list of them): spans a member is away."""
    if node is None or node.value in (None, ""):
        return ()
    items = node.value if isinstance(node.value, list) else [node]
    spans = []
    for item in items:
        if isinstance(item, Node) and isinstance(item.value, str) and ".." in item.value:
            # a roster cell: `2027-03-01..2027-05-31`
            begin_text, _, until_text = item.value.partition("..")
            begin = reader.date(Node(begin_text.strip(), item.loc), "pause.from")
            until = reader.date(Node(until_text.strip(), item.loc), "pause.until")
            where = item
        else:
            fields = reader.mapping(item, "pause", ("from", "until"))
            if not isinstance(item.value, dict):
                continue
            begin = reader.date(fields.get("from"), "pause.from")
            until = reader.date(fields.get("until"), "pause.until")
            where = item
            if "from" not in fields or "until" not in fields:
                reader.report(
                    where.loc,
                    "missing",
                    "pause: needs both `from:` and `until:` (the first and last day away)",
                    "write it like `pause: {from: 2027-03-01, until: 2027-05-31}`",
                )
                continue
        if begin is None or until is None:
            continue
        if until < begin:
            reader.report(
                where.loc,
                "date-order",
                f"pause: until ({until}) is before from ({begin})",
                "swap the two dates or fix the year",
            )
            continue
        spans.append((begin, until))
    return tuple(sorted(spans))


def _roster_file(root: Path, reader: Reader) -> Path | None:
    found = [root / name for name in ROSTER_FILES if (root / name).is_file()]
    if not found:
        reader.report(
            Location("members.yaml"),
            "missing-file",
            f"there is no roster in {root}",
            "add members.yaml (or members.csv / members.xlsx) with one entry per member",
        )
        return None
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        reader.report(
            Location(found[1].name),
            "roster",
            f"there are several rosters ({names}); peerkit reads only {found[0].name}",
            "keep one roster file",
            "warning",
        )
    return found[0]


def load_roster(root: Path, program: Program | None, reader: Reader) -> tuple[Member, ...]:
    """The roster (members.yaml, .csv or .xlsx) as Members, in file order."""
    path = _roster_file(root, reader)
    if path is None:
        return ()
    rel = path.name
    records: list[Node]
    tabular = path.suffix != ".yaml" and path.suffix != ".yml"
    spec = program.roster if program else RosterImport()
    first_problem = len(reader.problems)
    if tabular:
        grid = read_grid(path, rel, reader.problems, MAX_MEMBERS, ("members", "roster"))
        if grid is None:
            return ()
        if grid:  # each column renamed to the member field it holds (roster.columns)
            grid = [header_fields(grid[0], spec, reader.problems, MEMBER_KEYS, rel), *grid[1:]]
        records = grid_records(grid)
        header = {str(c.value) for c in grid[0]} if grid else set()
        if not {"name", "id"} & header:
            reader.report(
                grid[0][0].loc if grid and grid[0] else Location(rel, 1, 1),
                "header",
                "the roster has no `name` or `id` column",
                "the first row must name the columns: id, name, email, role, ...; or map the "
                'export\'s own in program.yaml: `roster: {columns: {"Full Name": name}}`',
            )
            return ()
    else:
        if spec.columns or spec.ignore:
            reader.report(
                program.source_of("roster") if program else Location("program.yaml"),
                "roster-column",
                f"roster.columns and roster.ignore name the columns of an export (members.csv "
                f"or members.xlsx); {rel} is read by its keys, so they do nothing",
                "remove them, or use the export itself as the roster",
                "warning",
            )
        node = read_yaml(path, rel, reader.problems)
        if node is None:
            return ()
        if isinstance(node.value, dict) and "members" in node.value:
            node = node.value["members"]
        records = reader.items(node, "members")
    members: list[Member] = []
    seen: dict[str, Location] = {}
    for record in records:
        member = _member(reader, prepared_record(record, spec, reader.problems), program, tabular)
        if member is None:
            continue
        if member.id in seen:
            reader.report(
                member.source,
                "duplicate-id",
                f"member id '{member.id}' is used twice (first at line {seen[member.id].line})",
                "give one of them its own `id:`",
            )
            continue
        seen[member.id] = member.source
        members.append(member)
    same_people(members, reader.problems)
    reader.problems[first_problem:] = collapse_repeats(reader.problems[first_problem:])
    return tuple(members)


# --- round files ----------------------------------------------------------------------


def _plain(node: Node | None) -> Any:
    if node is None or node.value is None or isinstance(node.value, str):
        return None if node is None else node.value
    if isinstance(node.value, list):
        return [_plain(item) for item in node.value]
    return {key: _plain(value) for key, value in node.value.items()}


def load_round(path: Path, rel: str, reader: Reader) -> Round | None:
    """A round file written by `peerkit match` (and perhaps edited by hand)."""
    node = read_yaml(path, rel, reader.problems)
    if node is None:
        return None
    if node.value is None or (isinstance(node.value, dict) and "matches" not in node.value):
        # an empty round would cancel every meeting already sent: never take it as meant
        reader.report(
            Location(rel, 1, 1) if node.value is None else node.loc,
            "round-empty",
            f"{rel} is empty" if node.value is None else f"{rel} has no `matches:`",
            "restore it from git, or delete it and run `peerkit match` again",
        )
        return None
    entries = reader.mapping(node, "", ("round", "start", "end", "summary", "matches", "unmatched"))
    if "summary" in entries and "unmatched" not in entries and isinstance(node.value, dict):
        last = max((loc.line for loc in _sources(node).values()), default=node.loc.line)
        reader.report(
            Location(rel, last, 1),
            "round-truncated",
            f"{rel} looks cut short: it ends before `unmatched:`, which `peerkit match` "
            "always writes last",
            "restore it from git (a partial copy or download), or add `unmatched: []` "
            "at the end if you removed it on purpose",
        )
        return None
    matches = []
    seen: set[str] = set()
    for index, item in enumerate(reader.items(entries.get("matches"), "matches"), start=1):
        fields = reader.mapping(item, "matches", ROUND_MATCH_KEYS)
        match_id = reader.text(fields.get("id"), "matches.id") or f"match-{index:02d}"
        if match_id in seen:
            reader.report(
                item.loc, "duplicate-match", f"match id '{match_id}' is used twice", "rename one"
            )
        seen.add(match_id)
        matches.append(
            Match(
                id=match_id,
                members=reader.strings(fields.get("members"), "matches.members"),
                score=reader.number(fields.get("score"), "matches.score", 0.0) or 0.0,
                locked=reader.boolean(fields.get("locked"), "matches.locked", False),
                reasons=reader.strings(fields.get("reasons"), "matches.reasons"),
                rules=reader.strings(fields.get("rules"), "matches.rules"),
                location=reader.place(fields.get("location"), "matches.location"),
                day=reader.text(fields.get("day"), "matches.day"),
                time=reader.time(fields.get("time"), "matches.time", None),
                source=item.loc,
            )
        )
    unmatched = []
    for item in reader.items(entries.get("unmatched"), "unmatched"):
        fields = reader.mapping(item, "unmatched", ("member", "reason"))
        unmatched.append(
            Unmatched(
                reader.text(fields.get("member"), "unmatched.member"),
                reader.text(fields.get("reason"), "unmatched.reason"),
            )
        )
    summary = _plain(entries.get("summary"))
    start = reader.date(entries.get("start"), "start")
    end = reader.date(entries.get("end"), "end")
    if start and end and end < start:
        reader.report(
            entries["end"].loc,
            "date-order",
            f"the round ends ({end}) before it starts ({start})",
            "fix `end:`, or delete it (a round runs until the next round starts)",
        )
        end = None
    return Round(
        name=reader.text(entries.get("round"), "round") or path.stem,
        matches=tuple(matches),
        unmatched=tuple(unmatched),
        summary=summary if isinstance(summary, dict) else {},
        file=rel,
        start=start,
        end=end,
        source=entries["start"].loc if "start" in entries else node.loc,
    )


def load_rounds(root: Path, reader: Reader) -> tuple[Round, ...]:
    """Every round file, as written (use `date_rounds` to give each its start and order)."""
    folder = root / "rounds"
    if not folder.is_dir():
        return ()
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    except OSError as exc:
        reader.report(
            Location("rounds"),
            "unreadable",
            f"the rounds/ folder cannot be read: {exc.strerror}",
            "check its permissions (e.g. `chmod u+rx rounds`)",
        )
        return ()
    rounds: list[Round] = []
    first: dict[str, str] = {}
    for path in paths:
        rel = f"rounds/{path.name}"
        if path.stem in first:
            reader.report(
                Location(rel),
                "duplicate-round",
                f"{rel} and {first[path.stem]} are two files for round '{path.stem}'",
                "keep one of them (peerkit writes .yaml)",
            )
            continue
        first[path.stem] = rel
        loaded = load_round(path, rel, reader)
        if loaded is None:
            continue
        same = next((r for r in rounds if r.name == loaded.name), None)
        if same is not None:
            reader.report(
                Location(rel, 1, 1),
                "duplicate-round",
                f"{rel} and {same.file} both say `round: {loaded.name}`",
                "give each round its own name, the same as its file name",
            )
            continue
        rounds.append(loaded)
    return tuple(rounds)


def date_rounds(rounds: Sequence[Round], program: Program, reader: Reader) -> tuple[Round, ...]:
    """The rounds in the order they run, by start date: a round file without `start:` starts
    with the program when it is the only one (or the earliest); any other is an error."""
    undated = [r for r in rounds if r.start is None]
    dated = [r for r in rounds if r.start is not None]
    earliest = min((r.start for r in dated if r.start is not None), default=None)
    result = list(dated)
    guessed: set[str] = set()
    for index, round_ in enumerate(sorted(undated, key=lambda r: r.name)):
        first = index == 0 and (earliest is None or earliest > program.start)
        if not first:
            reader.report(
                round_.source or Location(round_.file),
                "round-start",
                f"round '{round_.name}' has no start date, and it is not the first round",
                "add `start: YYYY-MM-DD` to the round file: the day its matches take over "
                "(rounds run in the order of their start dates, never of their names)",
            )
            guessed.add(round_.name)
        result.append(replace(round_, start=program.start))
    result.sort(key=lambda r: (r.start or program.start, r.name))
    for earlier, later in itertools.pairwise(result):
        if earlier.start == later.start and not {earlier.name, later.name} & guessed:
            reader.report(
                later.source or Location(later.file),
                "round-start",
                f"rounds '{earlier.name}' and '{later.name}' both start on {later.start}",
                "give the later round a later `start:` (peerkit match --round NAME --start DATE)",
            )
    for round_ in result:
        if round_.start is not None and not program.start <= round_.start <= program.end:
            reader.report(
                round_.source or Location(round_.file),
                "round-start",
                f"round '{round_.name}' starts on {round_.start}, outside the program "
                f"({program.start} to {program.end})",
                "give a start date between the program's start and end",
            )
    return tuple(result)


# --- the whole folder -----------------------------------------------------------------


def _check_refs(
    reader: Reader,
    ids: set[str],
    refs: Iterable[tuple[str, Location, str]],
    hint_ids: Sequence[str],
) -> None:
    folded = {member_id.casefold(): member_id for member_id in hint_ids}
    for ref, loc, what in refs:
        if ref and ref not in ids:
            hint = member_reference_hint(ref, folded) or suggest(
                ref, hint_ids, "use a member id from the roster"
            )
            reader.report(loc, "unknown-member", f"{what}: no member has the id '{ref}'", hint)


def check_references(folder: Folder, reader: Reader) -> None:
    """Every member id mentioned anywhere (avoid, pins, rounds) exists; a manager may be
    someone outside the program (said once)."""
    ids = set(folder.members_by_id)
    known = sorted(ids)
    refs: list[tuple[str, Location, str]] = []
    kept_apart = "manager" in folder.program.matching.rules.not_same
    outside_managers(folder.members, reader.problems, kept_apart)
    for member in folder.members:
        refs.extend(
            (other, member.source_of("avoid"), f"{member.id}: avoid") for other in member.avoid
        )
        if member.manager == member.id:
            reader.report(member.source_of("manager"), "value", f"{member.id} is their own manager")
        if member.id in member.avoid:
            reader.report(
                member.source_of("avoid"),
                "value",
                f"{member.id}: avoid lists {member.id} themselves",
                f"take {member.id} out of their own `avoid:` list",
            )
    program = folder.program
    for index, pin in enumerate(program.matching.pins):
        loc = program.source_of(f"matching.pins.{index}")
        refs.extend((member_id, loc, "matching.pins") for member_id in pin)
    _check_refs(reader, ids, refs, known)
    roster_failed = any(
        p.severity == "error" and p.source is not None and p.source.file == folder.roster_file
        for p in reader.problems
    )
    for round_ in folder.rounds:
        missing = [
            (match, gone)
            for match in round_.matches
            for gone in match.members
            if gone and gone not in ids
        ]
        if roster_failed and missing:
            # a roster that did not load whole says nothing about who left: one note, not
            # one error per member of every round
            reader.report(
                Location(round_.file),
                "unknown-member",
                f"{len(missing)} member(s) of round {round_.name} are not in "
                f"{folder.roster_file}, which has errors",
                f"fix the errors in {folder.roster_file} first",
                "warning",
            )
            continue
        folded = {member_id.casefold(): member_id for member_id in known}
        for match, gone in missing:
            case_hint = member_reference_hint(gone, folded)
            if case_hint:  # a hand edit that wrote the id in another case
                reader.report(
                    match.source or Location(round_.file),
                    "unknown-member",
                    f"match {match.id}: no member has the id '{gone}'",
                    f"{case_hint} in {round_.file}",
                )
                continue
            # A round names members as they were when it was made: an id missing now
            # is most often someone taken off the roster, not a typo.
            reader.report(
                match.source or Location(round_.file),
                "unknown-member",
                f"match {match.id}: '{gone}' is no longer on the roster ({folder.roster_file})",
                f"if they left, put them back in {folder.roster_file} with `left: DATE` "
                f"(their meetings stop then); otherwise delete '{gone}' from {match.id} in "
                f"{round_.file}, or re-match the round with "
                f"`peerkit match {folder.root} --round {round_.name} --force`",
            )


def load_folder(root: Path) -> tuple[Folder | None, list[Problem]]:
    """Read and validate a program folder; the Folder is None when it cannot be used at all."""
    reader = Reader()
    if not root.is_dir():
        reader.report(
            Location(str(root)),
            "missing-folder",
            f"{root} is not a folder",
            "give the path of a program folder, or run `peerkit init DIR` to make one",
        )
        return None, reader.problems
    program = load_program(root, reader)
    members = load_roster(root, program, reader)
    rounds = load_rounds(root, reader)
    if program is None:
        return None, reader.problems
    rounds = date_rounds(rounds, program, reader)
    roster = next((name for name in ROSTER_FILES if (root / name).is_file()), "members.yaml")
    folder = Folder(root, program, members, rounds, roster)
    check_references(folder, reader)
    return folder, reader.problems


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.sort_key())
