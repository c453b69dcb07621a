"""Rows as CSV for spreadsheets: UTF-8 with a BOM, and no cell that runs as a formula.

A leaf: the report, the tally and the sign-in sheet all write CSV through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

_FORMULA = ("=", "+", "-", "@")
_UNSAFE_FIRST = frozenset((*_FORMULA, "\t", "\r"))
# first characters of a cell that is safe as it is (letters and digits: no formula, no blank)
_PLAIN_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (=, +, -, @, tab, CR)."""
    text = "" if value is None else str(value)
    if not text:
        return text
    first = text[0]
    # Leading blanks hide a formula too: " =1+2" still runs.
    if first in _UNSAFE_FIRST or (first.isspace() and text.lstrip()[:1] in _FORMULA):
        return "'" + text
    return text


def csv_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    """Rows as UTF-8 CSV with a BOM (so Excel reads accents), every cell made safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    # most cells are empty or plain text: those are kept as they are without a call
    writer.writerows(
        [
            value
            if type(value) is str and (not value or value[0] in _PLAIN_FIRST)
            else _cell(value)
            for value in row
        ]
        for row in rows
    )
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    """One cell's text: empty cells (most of a report's) and plain text take the short way."""
    if type(value) is str:
        return safe_cell(value) if value else ""
    if isinstance(value, float):
        return safe_cell(f"{value:g}" if abs(value) < 1e15 else str(value))
    return safe_cell(value)
