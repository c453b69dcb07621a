"""One check per kind of value, and the one did-you-mean.

A leaf: it imports nothing from peerkit, so the loader, the stages and the CLI all judge an
email, a link or a timezone by the same rule (an address `check` accepts is an address the
calendars can invite).
"""

from __future__ import annotations

import difflib
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


def is_timezone(name: str) -> bool:
    """An IANA timezone name this system knows (`Europe/Paris`), never a path."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name or name.startswith(("/", ".")) or ".." in name or "\x00" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice `word` was probably meant to be, if one is close enough."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else None


def suggest(word: str, choices: Iterable[str], otherwise: str = "", cutoff: float = 0.6) -> str:
    """The hint for a word that is not one of `choices`: `did you mean 'x'?`, else `otherwise`."""
    close = closest(word, choices, cutoff)
    return f"did you mean '{close}'?" if close is not None else otherwise
