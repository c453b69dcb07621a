"""iCalendar (RFC 5545) text: escaping, folding, dates, VTIMEZONE and whole VCALENDARs.

The bytes are written here rather than by a library, for exact control of what real
clients choke on: escaping, folding at 75 octets on a UTF-8 boundary, CRLF, property
order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

PRODID = "-//peerkit//peerkit calendar//EN"


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
    return fold_text(line).encode("utf-8")


def fold_text(line: str) -> str:
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


def utc_stamp(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def when(name: str, moment: dt.datetime, tzid: str) -> str:
    """DTSTART/DTEND in local time with TZID, or in UTC when the local time is ambiguous
    (the repeated hour when clocks go back: written locally, start and end could read
    the same and calendar programs drop the event)."""
    if moment.replace(fold=1 - moment.fold).utcoffset() != moment.utcoffset():
        return f"{name}:{utc_stamp(moment)}"
    return f"{name};TZID={tzid}:{_local(moment)}"


def duration(delta: dt.timedelta) -> str:
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
            "".join(fold_text(line) for line in head).encode("utf-8"),
            _vtimezone_cached(tzid, *years),
            *events,
            b"END:VCALENDAR\r\n",
        ]
    )


_VTIMEZONES: dict[tuple[str, int, int], bytes] = {}


def _vtimezone_cached(tzid: str, first: int, last: int) -> bytes:
    key = (tzid, first, last)
    if key not in _VTIMEZONES:
        _VTIMEZONES[key] = "".join(fold_text(x) for x in vtimezone(tzid, first, last)).encode()
    return _VTIMEZONES[key]


def event_bytes(uid: str, stamp: str, sequence: int, status: str, body: list[str]) -> bytes:
    """One VEVENT: its identity, then the already folded `body`; no STATUS when `status` is
    empty (an iTIP CANCEL that only uninvites some attendees must not carry one)."""
    head = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", f"SEQUENCE:{sequence}"]
    if status:
        head.append(f"STATUS:{status}")
    return "".join([*(fold_text(line) for line in head), *body, "END:VEVENT\r\n"]).encode("utf-8")
