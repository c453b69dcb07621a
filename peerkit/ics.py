"""iCalendar (RFC 5545) bytes, written by the `icalendar` library.

The library's value types (vText, vDDDTypes, vCalAddress, vCategory, vUri, vInt) escape
each value and its content lines fold it at 75 octets on a character boundary with CRLF;
its Alarm, Timezone and Calendar objects make the VALARM, the VTIMEZONE (derived from the
system's zoneinfo) and the calendar's head.

A 10,000-member program has 55,000 events in 15,000 files, so nothing is encoded twice:
a line that recurs (an attendee, the organizer, a meeting's start, the alarm) is encoded
once and its bytes reused, each event is encoded once and its bytes go into every file
that holds it, and the VTIMEZONE once per time zone.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from typing import Any

PRODID = "-//peerkit//peerkit calendar//EN"

# Everything a parser might take for the end of a line (Python's splitlines() included),
# and the other control characters: the library escapes only CR and LF.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_SUSPECT = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\r]")
_PIECE = 74  # octets of a folded line, after the space that begins all but the first
# what clean_text or the library's TEXT escaping changes: the above, LF, \\ ; and ,
_ESCAPED = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029\\\\;,]")


def clean_text(value: str) -> str:
    """A value as plain text with LF for every line break and no other control characters
    (what the library then escapes cannot hide a line break from any parser)."""
    if not _SUSPECT.search(value):
        return value
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", value))


def one_line(value: str) -> str:
    """A value on one line (a parameter's CN=…, a mail header): a line break or control
    character is a space, or gone."""
    return " ".join(clean_text(value).replace("\n", " ").split())


def content_line(name: str, value: Any) -> bytes:
    """One property as the library writes it: the value escaped, its parameters quoted,
    the line folded at 75 octets, CRLF."""
    from icalendar import Parameters
    from icalendar.parser import Contentline

    params = getattr(value, "params", None) or Parameters()
    return fold(str(Contentline.from_parts(name, params, value))) + b"\r\n"


def escape_text(value: str) -> str:
    """A TEXT value cleaned, then escaped as the library's vText escapes it (RFC 5545
    3.3.11; the same replacements in its order, without a vText and its parameters for
    each of a calendar's 100,000 values). A test holds it to the library's."""
    if not _ESCAPED.search(value):
        return value  # nothing to clean or escape (most values)
    return (
        clean_text(value)
        .replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def text_line(name: str, value: str) -> bytes:
    """A TEXT property without parameters (SUMMARY, LOCATION, DESCRIPTION, UID…)."""
    return fold(f"{name}:{escape_text(value)}") + b"\r\n"


_FOLDED: dict[tuple[str, str], tuple[bytes, str]] = {}


def text_line_after(name: str, shared: str, value: str) -> bytes:
    """`text_line(name, shared + value)`, byte for byte, where `shared` begins many values
    (the session's agenda in every match's DESCRIPTION)."""
    return folded_after(name, shared, escape_text(value))


def folded_after(name: str, shared: str, escaped: str) -> bytes:
    """`text_line(name, shared + value)` given `value` escaped already: the library folds
    greedily into pieces of one size, so the pieces of `shared` that end before its last
    one are the same whatever follows; they are folded once and only the rest each time."""
    key = (name, shared)
    if key not in _FOLDED:
        folded = fold(f"{name}:{escape_text(shared)}")
        pieces, cut, unfinished = folded.rpartition(b"\r\n ")
        _FOLDED[key] = (pieces + cut, unfinished.decode("utf-8"))
    head, last = _FOLDED[key]
    return head + fold(last + escaped) + b"\r\n"


def fold(line: str) -> bytes:
    """An escaped content line folded as the library folds it, no final CRLF: pieces of at
    most 74 octets on a character boundary, joined by CRLF and a space; a piece does not
    end in `\\` or `^` (it begins the next one), so no escape is cut in two. Cut from the
    UTF-8 bytes here (the library goes a character at a time); a test holds it to the
    library's."""
    data = line.encode("utf-8")
    if len(data) < 75:
        return data
    pieces = []
    start = 0
    while len(data) - start > _PIECE:
        end = start + _PIECE
        while data[end] & 0xC0 == 0x80:  # inside a character: it begins the next piece
            end -= 1
        if data[end - 1] in b"\\^" and end - start > 1:
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def uri_line(name: str, value: str) -> bytes:
    from icalendar import vUri

    return content_line(name, vUri(value))


def categories_line(values: Sequence[str]) -> bytes:
    from icalendar import vCategory

    return content_line("CATEGORIES", vCategory([clean_text(v) for v in values]))


def address_line(name: str, email: str, common_name: str, **params: str) -> bytes:
    """ORGANIZER or ATTENDEE: mailto:email with CN and the other parameters, as the library
    writes it (a test holds it to the library's). Written here when every value is plain:
    a calendar has an ATTENDEE line for each of 10,000 members, and the library's took
    70 us each."""
    cn = one_line(common_name) or email
    named = {key.replace("_", "-").upper(): value for key, value in params.items()}
    plain = named.keys() <= _PLAIN_KEYS and _PLAIN_VALUES.fullmatch("".join(named.values()))
    if plain and not _NOT_PLAIN_ADDRESS.search(email):
        # quoted when it holds a space or an apostrophe too (one that RFC 6868's `^'` stands
        # for does not count)
        quoted = _QUOTED_CN.search(cn)
        if _RFC_6868.search(cn):
            cn = _RFC_6868.sub(lambda m: _RFC_6868_ESCAPES[m[0]], cn)
        named["CN"] = f'"{cn}"' if quoted else cn
        shown = ";".join(f"{key}={named[key]}" for key in sorted(named))
        return fold(f"{name};{shown}:mailto:{email}") + b"\r\n"
    from icalendar import vCalAddress

    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = cn
    for key, value in named.items():
        address.params[key] = value
    return content_line(name, address)


# Parameters the library writes as they are (ROLE=REQ-PARTICIPANT, RSVP=TRUE), an address
# with nothing it would change, and RFC 6868's escapes in a parameter value
_PLAIN_KEYS = frozenset({"ROLE", "PARTSTAT", "RSVP"})
_PLAIN_VALUES = re.compile(r"[A-Z0-9-]*")
_NOT_PLAIN_ADDRESS = re.compile(r"[^!#-~]")
_RFC_6868 = re.compile(r'\^|\r\n|\r|\n|"')
_RFC_6868_ESCAPES = {"^": "^^", "\r\n": "^n", "\r": "^n", "\n": "^n", '"': "^'"}
_QUOTED_CN = re.compile("[,;:\u2019 ']")


def is_exact_local(moment: dt.datetime) -> bool:
    """Whether the wall-clock time names one instant: not in the repeated hour when clocks
    go back, nor in the hour skipped when they go forward."""
    return moment.replace(fold=1 - moment.fold).utcoffset() == moment.utcoffset()


def when_line(name: str, moment: dt.datetime) -> bytes:
    """DTSTART/DTEND in local time with TZID, or in UTC when the local time is ambiguous or
    does not exist (written locally, start and end could read the same, or clients could
    each pick another hour)."""
    # keyed by the zone too, not the moment alone: equal moments in two zones are written
    # differently (and by `fold`, which equal wall-clock times in one zone can differ in)
    key = (name, moment, moment.tzinfo, moment.fold)
    line = _WHEN.get(key)
    if line is None:
        from icalendar import vDDDTypes

        exact = moment if is_exact_local(moment) else moment.astimezone(dt.UTC)
        line = _WHEN[key] = content_line(name, vDDDTypes(exact))
    return line


_WHEN: dict[tuple[str, dt.datetime, dt.tzinfo | None, int], bytes] = {}


def utc_stamp(moment: dt.datetime) -> str:
    """A moment as an iCalendar UTC date-time (how calendars.yaml keeps DTSTAMPs)."""
    stamp = _STAMPS.get(moment)
    if stamp is None:
        stamp = _STAMPS[moment] = f"{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    return stamp


_STAMPS: dict[dt.datetime, str] = {}


@functools.lru_cache(maxsize=256)
def _stamp_line(stamp: str) -> bytes:
    from icalendar import vDDDTypes

    moment = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    return content_line("DTSTAMP", vDDDTypes(moment))


@functools.lru_cache(maxsize=1024)
def _head_line(name: str, value: int | str) -> bytes:
    from icalendar import vInt, vText

    return content_line(name, vInt(value) if isinstance(value, int) else vText(value))


def alarm_bytes(description: str, before: dt.timedelta) -> bytes:
    """A VALARM that shows `description` `before` the start."""
    from icalendar import Alarm

    alarm = Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", clean_text(description))
    alarm.add("TRIGGER", -before)
    data: bytes = alarm.to_ical()
    return data


def event_bytes(uid: str, stamp: str, sequence: int, status: str, body: Iterable[bytes]) -> bytes:
    """One VEVENT: its identity, then the body's already encoded lines; no STATUS when
    `status` is empty (an iTIP CANCEL that only uninvites some attendees must not carry one)."""
    head = [
        b"BEGIN:VEVENT\r\n",
        text_line("UID", uid),
        _stamp_line(stamp),
        _head_line("SEQUENCE", sequence),
    ]
    if status:
        head.append(_head_line("STATUS", status))
    return b"".join([*head, *body, b"END:VEVENT\r\n"])


@functools.lru_cache(maxsize=64)
def vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of `tzid` from the year before first_year to the year after
    last_year, derived by the library from the system's zoneinfo."""
    from zoneinfo import ZoneInfo

    from icalendar import Timezone

    zone = Timezone.from_tzinfo(
        ZoneInfo(tzid), tzid, dt.date(first_year - 1, 1, 1), dt.date(last_year + 2, 1, 1)
    )
    observance: Any  # TimezoneStandard or TimezoneDaylight (typed as Component)
    for observance in [*zone.standard, *zone.daylight]:
        # RFC 5545 gives an onset on the clock before the change; where clocks go forward
        # the library gives the first time after it (03:00 for a change at 02:00), an hour
        # late for a client that reads the VTIMEZONE rather than its own zoneinfo
        gap = observance.TZOFFSETTO - observance.TZOFFSETFROM
        if gap <= dt.timedelta(0):
            continue
        observance.DTSTART = observance.DTSTART - gap
        if "RDATE" in observance:
            rdates: Any = observance["RDATE"]
            onsets = [
                when.dt - gap
                for entry in (rdates if isinstance(rdates, list) else [rdates])
                for when in entry.dts
            ]
            del observance["RDATE"]
            observance.add("RDATE", onsets)
    data: bytes = zone.to_ical()
    return data


@functools.lru_cache(maxsize=8)
def _calendar_head(method: str) -> bytes:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    data: bytes = calendar.to_ical()
    return data.removesuffix(b"END:VCALENDAR\r\n")


def calendar_bytes(
    name: str, tzid: str, years: tuple[int, int], events: Iterable[bytes], method: str = ""
) -> bytes:
    """A whole VCALENDAR: its head, the VTIMEZONE, the already encoded events, its end."""
    return b"".join(
        [
            _calendar_head(method),
            text_line("X-WR-CALNAME", name),
            vtimezone(tzid, *years),
            *events,
            b"END:VCALENDAR\r\n",
        ]
    )
