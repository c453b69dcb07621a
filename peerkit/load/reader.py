"""The reader of one file's values: each Node (a text, list or mapping and where it was
written) coerced into a typed value; a wrong value becomes a Problem with its file, line,
column, key path and a hint, and reading goes on.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from peerkit.model import Location, Problem, Severity
from peerkit.source.node import Node
from peerkit.validate import is_timezone, is_url, suggest, timezone_hint

DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|min|mins|minutes?|hours?|days?)", re.IGNORECASE)
WHOLE_RE = re.compile(r"(?<=\d)\.0+$")
TIME_RE = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?$", re.IGNORECASE)
# Dates a program can plausibly use: the schedule, calendars and PDFs need real years.
FIRST_YEAR, LAST_YEAR = 1900, 2200
# Values shown in handouts, calendars and reports: a name fits a line, a text a page.
MAX_NAME = 200
MAX_TEXT = 5000
# Letters that Unicode does not decompose into an ASCII base letter.
TRANSLITERATION = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "đ": "d", "Đ": "D"}
)
TRUE_WORDS = frozenset({"true", "yes", "on", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "n", "0"})


def cell_list(value: str) -> tuple[str, ...]:
    """A text of several values, split on `;` (as roster CSV cells are)."""
    return tuple([part for part in map(str.strip, value.split(";")) if part])


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
            return cell_list(value)
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


def key_sources(node: Node, prefix: str = "") -> dict[str, Location]:
    found: dict[str, Location] = {}
    if isinstance(node.value, dict):
        for key, child in node.value.items():
            path = f"{prefix}.{key}" if prefix else key
            found[path] = node.keys.get(key, child.loc)
            found.update(key_sources(child, path))
    elif isinstance(node.value, list):
        for index, child in enumerate(node.value):
            path = f"{prefix}.{index}"
            found[path] = child.loc
            found.update(key_sources(child, path))
    return found
