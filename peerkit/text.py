"""How values are written in every output: dates, clock times, file names, Markdown.

A leaf: the handouts, survey forms, calendars and sign-in sheets all spell a date, a time
or a file name through here, so they agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from peerkit.model import Program
from peerkit.validate import is_url


def safe_filename(text: str) -> str:
    """A match or survey id as a file name: no path separators, no leading dot."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return name or "unnamed"


def unique_filename(text: str) -> str:
    """An id as a file name, kept unique by a short hash when cleaning changed it (two ids
    that clean up alike still get two files); an id that is already safe stays as it is."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    if name == text:
        return name
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]
    return f"{name or 'id'}-{digest}"


# `_` only at a word's edge: inside a word (America/Los_Angeles) it is plain text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|#!{}~]|(?<!\w)_|_(?!\w))")


def escape_markdown(value: object) -> str:
    """Text that a Markdown renderer shows as itself: `<script>` stays text, `|` stays in its cell."""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_url(value: object) -> str:
    """A link as a Markdown autolink, or as escaped text when it could break out of one."""
    text = str(value).strip()
    if is_url(text):
        return f"<{text}>"
    return escape_markdown(text)


def long_date(day: dt.date) -> str:
    """`Tuesday 12 January 2027`: unambiguous in every country."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def clock(moment: dt.datetime | dt.time) -> str:
    """`09:30`: a 24-hour clock time."""
    return f"{moment:%H:%M}"


def program_context(program: Program) -> dict[str, Any]:
    """What every template may show about the program."""
    return {
        "name": program.name,
        "organization": program.organization,
        "contact": {"name": program.contact.name, "email": program.contact.email},
        "timezone": program.timezone,
        "format": program.format,
        "start": long_date(program.start),
        "end": long_date(program.end),
        "min_group_size": program.min_group_size,
    }
