"""Rows as CSV for spreadsheets: UTF-8 with a BOM, and no cell that runs as a formula.

A leaf: the report, the tally and the sign-in sheet all write CSV through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (=, +, -, @, tab, CR)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") or text.lstrip()[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text


def csv_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    """Rows as UTF-8 CSV with a BOM (so Excel reads accents), every cell made safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(_plain_number(cell)) for cell in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _plain_number(value: object) -> object:
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return value
