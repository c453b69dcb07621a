"""CSV and XLSX files as Tables of text: the delimiter sniffed (or Excel's `sep=` line), the
workbook's sheet chosen, each row with the file line it starts on."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from pathlib import Path
from typing import Any

from peerkit.model import Location, Problem
from peerkit.source.decode import decode_text, read_bytes
from peerkit.source.node import NO_KEYS, Node, problem_at

MAX_TABLE_BYTES = 200 * 1024 * 1024


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header line, counting only what is outside quotes."""
    first = _QUOTED.sub("", text[:65536]).split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


_SEPARATOR_LINE = re.compile(r'"?sep=(.)"?[ \t]*(?:\r\n|\r|\n|$)', re.IGNORECASE)


def _separator_line(text: str) -> tuple[str, int]:
    """Excel's `sep=;` first line: the delimiter it declares, and its length to skip."""
    found = _SEPARATOR_LINE.match(text)
    if found is None or found.group(1) in '\r\n"':
        return "", 0
    return found.group(1), found.end()


def _too_many_rows(rel: str, line: int, max_rows: int) -> Problem:
    return problem_at(
        rel,
        line,
        1,
        "too-many-rows",
        f"the file has more than {max_rows:,} rows; peerkit reads at most {max_rows:,}",
        "split it, e.g. one program folder per cohort",
    )


class Table:
    """A CSV or XLSX sheet as text: each row's cells, and the file line each row starts on.

    Plain strings, no Node per cell: a large export has millions of cells, and most are
    never pointed at. `nodes()` makes the located grid for the readers that want one.
    """

    __slots__ = ("file", "lines", "rows")

    def __init__(self, file: str, rows: list[list[str]], lines: list[int]) -> None:
        self.file = file
        self.rows = rows
        self.lines = lines

    def nodes(self) -> list[list[Node]]:
        """Each cell as a Node with its file, line and column."""
        file = self.file
        return [
            [Node(cell, None, NO_KEYS, file, line, col) for col, cell in enumerate(row, start=1)]
            for row, line in zip(self.rows, self.lines, strict=True)
        ]


def _parse_csv(text: str, rel: str, problems: list[Problem], max_rows: int) -> Table | None:
    old_limit = csv.field_size_limit()
    csv.field_size_limit(64 * 1024 * 1024)
    try:
        return _read_csv(text, rel, problems, max_rows)
    finally:
        csv.field_size_limit(old_limit)


def _read_csv(text: str, rel: str, problems: list[Problem], max_rows: int) -> Table | None:
    declared, skipped = _separator_line(text)
    text = text[skipped:]
    delimiter = declared or _sniff_delimiter(text)
    first = 2 if skipped else 1  # the line numbers of the file, `sep=` line included
    try:
        # The usual file: a row a line. Read at once, its rows' lines count up from the first.
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        every = list(itertools.islice(reader, max_rows + 2))
        if len(every) <= max_rows + 1 and reader.line_num == len(every):
            return Table(rel, every, list(range(first, first + len(every))))
    except csv.Error:
        pass
    # A cell over several lines, too many rows, a broken quote: row by row, to know each
    # row's line (and the line of what is wrong).
    line = first
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if len(rows) > max_rows:
                problems.append(_too_many_rows(rel, line, max_rows))
                return None
            rows.append(row)
            lines.append(line)
            line = reader.line_num + first
        return Table(rel, rows, lines)
    except csv.Error as exc:
        problems.append(problem_at(rel, line, 1, "csv", f"the CSV cannot be read: {exc}"))
        return None


def _cell_text(value: object) -> str:
    """A workbook cell as text: most cells of an export that are not text are numbers and
    times, so those come first."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        if value.hour or value.minute or value.second or value.microsecond:
            return value.isoformat(sep=" ")
        return value.date().isoformat()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _parse_xlsx(
    path: Path, rel: str, problems: list[Problem], max_rows: int, sheet_names: tuple[str, ...]
) -> Table | None:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        problems.append(
            problem_at(
                rel,
                0,
                0,
                "xlsx",
                f"this is not a readable XLSX workbook ({exc.__class__.__name__})",
                "open it in a spreadsheet program and save it again as .xlsx, or export CSV",
            )
        )
        return None
    except Exception as exc:  # openpyxl on a damaged file can raise anything
        problems.append(_damaged(rel, exc))
        return None
    try:
        return _read_sheet(book, path, rel, problems, max_rows, sheet_names)
    except Exception as exc:  # a truncated sheet fails only while it is read
        problems.append(_damaged(rel, exc))
        return None
    finally:
        book.close()


def _damaged(rel: str, exc: BaseException) -> Problem:
    detail = (str(exc).splitlines() or [""])[0][:100]
    return problem_at(
        rel,
        0,
        0,
        "xlsx",
        f"the workbook is damaged and cannot be read ({exc.__class__.__name__}"
        + (f": {detail})" if detail else ")"),
        "download or export it again (a partial download is cut short), "
        "or open it in a spreadsheet program and save it again as .xlsx",
    )


def _read_sheet(
    book: Any,
    path: Path,
    rel: str,
    problems: list[Problem],
    max_rows: int,
    sheet_names: tuple[str, ...],
) -> Table | None:
    if not book.worksheets:
        problems.append(
            problem_at(rel, 0, 0, "xlsx", "the workbook has no sheet", "export it again")
        )
        return None
    named = [ws for ws in book.worksheets if ws.title.strip().lower() in sheet_names]
    sheet = (named or book.worksheets)[0]
    if len(book.worksheets) > 1 and not named:
        problems.append(
            Problem(
                Location(rel),
                "xlsx-sheet",
                f"the workbook has {len(book.worksheets)} sheets; peerkit reads the "
                f"first, '{sheet.title}'",
                f"name the sheet to read '{sheet_names[0]}'" if sheet_names else "",
                "warning",
            )
        )
    values = _calamine_values(path, sheet.title, max_rows + 2)
    if values is None:
        values = sheet.iter_rows(values_only=True)
    rows: list[list[str]] = []
    for number, row in enumerate(values, start=1):
        if number > max_rows + 1:
            problems.append(_too_many_rows(rel, number, max_rows))
            return None
        rows.append([value if type(value) is str else _cell_text(value) for value in row])
    return Table(rel, rows, list(range(1, len(rows) + 1)))


def _calamine_values(path: Path, title: str, rows: int) -> list[list[Any]] | None:
    """The sheet's values, from A1, read by calamine (its first `rows` rows at most):
    openpyxl took 23 s for a 100,000-row Microsoft Forms export, calamine takes 1.3 s
    (openpyxl still checks the workbook and picks the sheet). None when a sheet holds an
    error value (#N/A), which calamine reads as a blank cell and openpyxl as its text."""
    import zipfile

    from python_calamine import CalamineWorkbook

    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                data = archive.read(name)
                if b't="e"' in data or b"t='e'" in data:  # <c r="B2" t="e"><v>#N/A</v></c>
                    return None
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(title)
    return sheet.to_python(skip_empty_area=False, nrows=rows)


def read_table(
    path: Path,
    rel: str,
    problems: list[Problem],
    max_rows: int = 1_000_000,
    sheet_names: tuple[str, ...] = (),
) -> Table | None:
    """A CSV or XLSX file as rows of text, with the line each row starts on.

    In a workbook, the first sheet whose name is in `sheet_names` (lower case) is read,
    else the first sheet (with a warning when there are others)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _parse_xlsx(path, rel, problems, max_rows, sheet_names)
    data = read_bytes(path, rel, problems, MAX_TABLE_BYTES)
    if data is None:
        return None
    if data.startswith(b"PK\x03\x04"):
        problems.append(
            problem_at(
                rel,
                0,
                0,
                "csv",
                "this file is a spreadsheet workbook, not CSV text",
                "rename it to .xlsx, or export it from the spreadsheet as CSV",
            )
        )
        return None
    text = decode_text(data, rel, problems, legacy_ok=True)
    if text is None:
        return None
    return _parse_csv(text, rel, problems, max_rows)
