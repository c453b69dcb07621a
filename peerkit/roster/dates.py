"""An HR export's dates: `roster.date_format` checked, and `left` and `pause` rewritten as
the ISO dates the loader reads (`5/14/2027` → `2027-05-14`)."""

from __future__ import annotations

import datetime as dt
import re

from peerkit.model import Problem, RosterImport
from peerkit.source.node import Node

_ISO_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_SLASHED = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")


def read_date_format(node: Node | None, problems: list[Problem]) -> str:
    if node is None or not isinstance(node.value, str) or not node.value.strip():
        return ""
    text = node.value.strip()
    sample = dt.date(2027, 5, 14)
    try:
        # The format must write a date and read it back whole: day, month and year.
        ok = dt.datetime.strptime(sample.strftime(text), text).date() == sample  # noqa: DTZ007
    except ValueError:
        ok = False
    if not ok:
        problems.append(
            Problem(
                node.loc,
                "date-format",
                f"roster.date_format: '{text}' is not a date format with a day, month and year",
                "write it with %d (day), %m (month) and %Y (year), e.g. '%m/%d/%Y' for "
                "5/14/2027 or '%d.%m.%Y' for 14.05.2027",
            )
        )
        return ""
    return text


def prepared_record(record: Node, spec: RosterImport, problems: list[Problem]) -> Node:
    """A roster record with its dates written as ISO dates (`left`, `pause`), so the loader
    reads an export's `5/14/2027` as `roster.date_format` says; a date in neither form is
    an error naming both."""
    # (a table's columns are named by their fields already; a YAML key is `left` or unknown)
    if not isinstance(record.value, dict) or not (
        "left" in record.value or "pause" in record.value
    ):
        return record
    values = dict(record.value)
    if "left" in values:
        values["left"] = _iso_date(values["left"], "left", spec.date_format, problems)
    if "pause" in values:
        values["pause"] = _iso_pause(values["pause"], spec.date_format, problems)
    return Node(values, record.loc, record.keys)


def _iso_date(node: Node, key: str, date_format: str, problems: list[Problem]) -> Node:
    if not isinstance(node.value, str):
        return node
    text = node.value.strip()
    if not text or _ISO_LIKE.match(text):
        return node  # the loader judges ISO dates (and says why 2027-13-40 is none)
    if date_format:
        try:
            day = dt.datetime.strptime(text, date_format).date()  # noqa: DTZ007
        except ValueError:
            pass
        else:
            return Node(day.isoformat(), node.loc)
    example = dt.date(2027, 5, 14)
    if date_format:
        message = (
            f"{key}: '{text[:40]}' is not a date in YYYY-MM-DD or in roster.date_format "
            f"'{date_format}' (e.g. {example.strftime(date_format)})"
        )
        hint = "write it like the other dates of the roster, or as 2027-05-14"
    else:
        message = f"{key}: '{text[:40]}' is not a date in YYYY-MM-DD"
        guess = _guess_format(text)
        hint = (
            f"write it as YYYY-MM-DD, or say how the export writes dates in program.yaml: "
            f"`roster: {{date_format: '{guess or '%m/%d/%Y'}'}}`"
        )
    problems.append(Problem(node.loc, "date", message, hint))
    return Node(None, node.loc)


def _guess_format(text: str) -> str:
    """The strptime format a slashed date is probably in (`14/5/2027` is day first)."""
    match = _SLASHED.match(text)
    if match is None:
        return ""
    first, sep, second = int(match.group(1)), match.group(2), int(match.group(3))
    if first > 12 >= second:
        return f"%d{sep}%m{sep}%Y"
    return f"%m{sep}%d{sep}%Y" if sep == "/" else f"%d{sep}%m{sep}%Y"


def _iso_pause(node: Node, date_format: str, problems: list[Problem]) -> Node:
    if isinstance(node.value, str) and ".." in node.value:
        begin, _, until = node.value.partition("..")
        parts = [
            _iso_date(Node(part.strip(), node.loc), key, date_format, problems)
            for part, key in ((begin, "pause.from"), (until, "pause.until"))
        ]
        if any(part.value is None for part in parts):
            return Node(None, node.loc)
        return Node(f"{parts[0].value}..{parts[1].value}", node.loc)
    if isinstance(node.value, dict):
        values = dict(node.value)
        for key, child in node.value.items():
            if key in ("from", "until"):
                values[key] = _iso_date(child, f"pause.{key}", date_format, problems)
        return Node(values, node.loc, node.keys)
    if isinstance(node.value, list):
        return Node([_iso_pause(item, date_format, problems) for item in node.value], node.loc)
    return node
