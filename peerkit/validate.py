"""One check per kind of value, and the one did-you-mean.

A leaf: it imports nothing from peerkit, so the loader, the stages and the CLI all judge an
email, a link or a timezone by the same rule (an address `check` accepts is an address the
calendars can invite).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable

# local@domain.tld: no spaces, no quotes or brackets, no list separators; letters of any
# script (an internationalised address is still an address); a dot in the domain.
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# http(s)://host[/...]: a host, then nothing that breaks out of a link, a calendar line or a
# Markdown autolink (spaces, quotes, angle brackets, backslashes, control characters).
_URL_TEXT = r"[^\s\"<>\\^`{|}\x00-\x1f\x7f]"
_URL = re.compile(
    rf"https?://(?:[^\s\"<>\\^`{{|}}\x00-\x1f\x7f/?#@]+@)?[\w.-]+(?::\d+)?(?:[/?#]{_URL_TEXT}*)?"
)


def is_email(value: str) -> bool:
    """`ana@example.org`: an address a calendar invitation and a mail client can use."""
    return bool(_EMAIL.fullmatch(value))


def is_url(value: str) -> bool:
    """An http or https link with a host and no spaces: safe as a link in every output."""
    return bool(_URL.fullmatch(value))


@functools.lru_cache(maxsize=1024)  # a roster names a few zones thousands of times
def is_timezone(name: str) -> bool:
    """An IANA timezone name this system knows (`Europe/Paris`), never a path, and never an
    abbreviation or fixed offset that tzdata also knows (`EST`, `CET`: see timezone_hint)."""
    if not name or name.startswith(("/", ".")) or ".." in name or "\x00" in name:
        return False
    if timezone_regions(name) is not None:
        return False
    return _known_zone(name)


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice `word` was probably meant to be, if one is close enough."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else None


def suggest(word: str, choices: Iterable[str], otherwise: str = "", cutoff: float = 0.6) -> str:
    """The hint for a word that is not one of `choices`: `did you mean 'x'?`, else `otherwise`."""
    close = closest(word, choices, cutoff)
    return f"did you mean '{close}'?" if close is not None else otherwise


# --- timezone abbreviations -----------------------------------------------------------
# `EST` or `CET` is a clock offset, not a place: it has no summer time (tzdata's `EST` is
# UTC-5 all year while New York is on EDT half of it), and one abbreviation can name two
# regions (IST: India and Ireland). Each maps to the IANA zones of the regions that use it.
TIMEZONE_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "EST": ("America/New_York", "America/Toronto"),
    "EDT": ("America/New_York", "America/Toronto"),
    "ET": ("America/New_York", "America/Toronto"),
    "EST5EDT": ("America/New_York", "America/Toronto"),
    "EASTERN": ("America/New_York", "America/Toronto"),
    "CST": ("America/Chicago", "America/Mexico_City", "Asia/Shanghai"),
    "CDT": ("America/Chicago", "America/Mexico_City"),
    "CT": ("America/Chicago", "America/Mexico_City"),
    "CST6CDT": ("America/Chicago",),
    "CENTRAL": ("America/Chicago", "America/Mexico_City"),
    "MST": ("America/Denver", "America/Phoenix", "America/Edmonton"),
    "MDT": ("America/Denver", "America/Edmonton"),
    "MT": ("America/Denver", "America/Phoenix"),
    "MST7MDT": ("America/Denver",),
    "MOUNTAIN": ("America/Denver", "America/Phoenix"),
    "PST": ("America/Los_Angeles", "America/Vancouver"),
    "PDT": ("America/Los_Angeles", "America/Vancouver"),
    "PT": ("America/Los_Angeles", "America/Vancouver"),
    "PST8PDT": ("America/Los_Angeles",),
    "PACIFIC": ("America/Los_Angeles", "America/Vancouver"),
    "AKST": ("America/Anchorage",),
    "AKDT": ("America/Anchorage",),
    "HST": ("Pacific/Honolulu",),
    "AST": ("America/Halifax", "America/Puerto_Rico", "Asia/Riyadh"),
    "ADT": ("America/Halifax",),
    "NST": ("America/St_Johns",),
    "NDT": ("America/St_Johns",),
    "BRT": ("America/Sao_Paulo",),
    "BRST": ("America/Sao_Paulo",),
    "ART": ("America/Argentina/Buenos_Aires",),
    "CLT": ("America/Santiago",),
    "COT": ("America/Bogota",),
    "PET": ("America/Lima",),
    "GMT": ("Europe/London", "Europe/Dublin", "Africa/Accra", "UTC"),
    "GMT0": ("Europe/London", "UTC"),
    "GMT+0": ("Europe/London", "UTC"),
    "GMT-0": ("Europe/London", "UTC"),
    "GREENWICH": ("Europe/London", "UTC"),
    "UT": ("UTC",),
    "UCT": ("UTC",),
    "Z": ("UTC",),
    "ZULU": ("UTC",),
    "UNIVERSAL": ("UTC",),
    "BST": ("Europe/London", "Asia/Dhaka"),
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "WET": ("Europe/Lisbon", "Atlantic/Canary"),
    "WEST": ("Europe/Lisbon", "Atlantic/Canary"),
    "CET": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam"),
    "CEST": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam"),
    "MET": ("Europe/Berlin", "Europe/Paris"),
    "MEZ": ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
    "MESZ": ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
    "EET": ("Europe/Athens", "Europe/Helsinki", "Europe/Bucharest", "Africa/Cairo"),
    "EEST": ("Europe/Athens", "Europe/Helsinki", "Europe/Bucharest"),
    "MSK": ("Europe/Moscow",),
    "TRT": ("Europe/Istanbul",),
    "SAST": ("Africa/Johannesburg",),
    "WAT": ("Africa/Lagos",),
    "CAT": ("Africa/Maputo", "Africa/Harare"),
    "EAT": ("Africa/Nairobi",),
    "GST": ("Asia/Dubai",),
    "PKT": ("Asia/Karachi",),
    "NPT": ("Asia/Kathmandu",),
    "ICT": ("Asia/Bangkok", "Asia/Ho_Chi_Minh"),
    "WIB": ("Asia/Jakarta",),
    "SGT": ("Asia/Singapore",),
    "HKT": ("Asia/Hong_Kong",),
    "PHT": ("Asia/Manila",),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "AEST": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane"),
    "AEDT": ("Australia/Sydney", "Australia/Melbourne"),
    "ACST": ("Australia/Adelaide", "Australia/Darwin"),
    "ACDT": ("Australia/Adelaide",),
    "AWST": ("Australia/Perth",),
    "NZST": ("Pacific/Auckland",),
    "NZDT": ("Pacific/Auckland",),
}
# Names tzdata knows that are no place at all.
_NOT_PLACES = frozenset({"LOCALTIME", "FACTORY", "POSIXRULES"})
# `GMT+1`, `UTC-05:00`, `+0530`: a fixed offset, which has no summer time either.
_OFFSET = re.compile(r"(?:UTC|GMT|UT)?\s*([+\-\u2212])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)
# Offset in minutes → zones of large cities whose standard time it is.
_OFFSET_ZONES: dict[int, tuple[str, ...]] = {
    -600: ("Pacific/Honolulu",),
    -540: ("America/Anchorage",),
    -480: ("America/Los_Angeles", "America/Vancouver"),
    -420: ("America/Denver", "America/Phoenix"),
    -360: ("America/Chicago", "America/Mexico_City"),
    -300: ("America/New_York", "America/Toronto", "America/Bogota"),
    -240: ("America/Halifax", "America/Santiago", "America/Caracas"),
    -180: ("America/Sao_Paulo", "America/Argentina/Buenos_Aires"),
    0: ("Europe/London", "Europe/Lisbon", "Africa/Accra", "UTC"),
    60: ("Europe/Berlin", "Europe/Paris", "Africa/Lagos"),
    120: ("Europe/Athens", "Africa/Cairo", "Africa/Johannesburg"),
    180: ("Europe/Moscow", "Europe/Istanbul", "Africa/Nairobi", "Asia/Riyadh"),
    210: ("Asia/Tehran",),
    240: ("Asia/Dubai",),
    270: ("Asia/Kabul",),
    300: ("Asia/Karachi", "Asia/Tashkent"),
    330: ("Asia/Kolkata", "Asia/Colombo"),
    345: ("Asia/Kathmandu",),
    360: ("Asia/Dhaka",),
    420: ("Asia/Bangkok", "Asia/Jakarta"),
    480: ("Asia/Shanghai", "Asia/Singapore", "Australia/Perth"),
    540: ("Asia/Tokyo", "Asia/Seoul"),
    570: ("Australia/Adelaide", "Australia/Darwin"),
    600: ("Australia/Sydney", "Australia/Brisbane"),
    720: ("Pacific/Auckland",),
}


def timezone_regions(name: str) -> tuple[str, ...] | None:
    """For an abbreviation or a fixed offset (`EST`, `IST`, `GMT+1`), the IANA zones of the
    regions it stands for (possibly none known); None for anything else."""
    key = " ".join(name.split()).upper()
    if key in TIMEZONE_ABBREVIATIONS:
        zones = TIMEZONE_ABBREVIATIONS[key]
    elif key in _NOT_PLACES:
        zones = ()
    else:
        offset = _OFFSET.fullmatch(key)
        if offset is None or key.startswith("ETC/"):
            return None
        minutes = int(offset.group(2)) * 60 + int(offset.group(3) or 0)
        zones = _OFFSET_ZONES.get(-minutes if offset.group(1) != "+" else minutes, ())
    return tuple(zone for zone in zones if _known_zone(zone))


def timezone_hint(name: str) -> str:
    """The fix for an abbreviation or offset written as a timezone (empty for other text)."""
    zones = timezone_regions(name)
    if zones is None:
        return ""
    if not zones:
        return "write the IANA name of the place instead, e.g. Europe/Paris or America/New_York"
    names = ", ".join(zones[:-1]) + (" or " if len(zones) > 1 else "") + zones[-1]
    return f"write the IANA name of the place instead: {names}"


def _known_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
