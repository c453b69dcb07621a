"""A table as located cells, and the rows under its header as records (mapping Nodes keyed
by the header text), each column given twice reported once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from peerkit.model import Location, Problem
from peerkit.source.node import Node
from peerkit.source.tables import read_table


def read_grid(
    path: Path,
    rel: str,
    problems: list[Problem],
    max_rows: int = 1_000_000,
    sheet_names: tuple[str, ...] = (),
) -> list[list[Node]] | None:
    """A CSV or XLSX file as rows of cells (each a Node holding text and its row/column),
    as `read_table` reads it."""
    table = read_table(path, rel, problems, max_rows, sheet_names)
    return None if table is None else table.nodes()


def duplicate_columns(
    header: list[Node], problems: list[Problem], key: Callable[[str], str] | None = None
) -> set[int]:
    """Report each header cell that repeats an earlier one (compared by `key` of the
    stripped text, case-insensitively by default); their indexes come back, to skip."""
    fold = key or (lambda text: text.casefold())
    first: dict[str, Location] = {}
    repeated: set[int] = set()
    for index, cell in enumerate(header):
        text = str(cell.value or "").strip()
        if not text:
            continue
        name = fold(text)
        if name in first:
            shown = text if len(text) <= 60 else text[:57] + "..."
            problems.append(
                Problem(
                    cell.loc,
                    "duplicate-column",
                    f"the column '{shown}' is given twice (first in column {first[name].col}); "
                    "only one can count",
                    "delete or rename one of the two columns",
                )
            )
            repeated.add(index)
        else:
            first[name] = cell.loc
    return repeated


def grid_records(
    grid: list[list[Node]],
    header_row: int = 0,
    problems: list[Problem] | None = None,
    column_key: Callable[[str], str] | None = None,
) -> list[Node]:
    """Rows under a header row as mapping Nodes keyed by the (stripped) header text.

    Blank rows are skipped; `keys` holds where each header cell is. With `problems`, a
    column given twice is reported there (and only its first copy is read).
    """
    if len(grid) <= header_row:
        return []
    header = [str(cell.value or "").strip() for cell in grid[header_row]]
    if problems is not None:
        for index in duplicate_columns(grid[header_row], problems, column_key):
            header[index] = ""
    header_locs = {name: cell.loc for name, cell in zip(header, grid[header_row], strict=True)}
    records: list[Node] = []
    for row in grid[header_row + 1 :]:
        if all(not (cell.value or "").strip() for cell in row if isinstance(cell.value, str)):
            continue
        values: dict[str, Node] = {}
        for name, cell in zip(header, row, strict=False):
            if name:
                value = cell.value
                text = str(value or "").strip()
                # a cell already as read back (most are) is its own node
                values[name] = cell if text and text == value else cell.placed_like(text or None)
        where = row[0] if row else Node(None, Location(""))
        records.append(where.placed_like(values, dict(header_locs)))
    return records
