"""Export files → a grid of text: which tool wrote the export (Google Forms, Microsoft Forms,
SurveyMonkey, Qualtrics, KoboToolbox/ODK, plain CSV/XLSX), its header texts per column and its
answer rows; the exports in responses/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from peerkit.source import Table

RESPONSE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")

KOBO_MARKERS = frozenset(
    {"_uuid", "_submission_time", "meta/instanceid", "_id", "_index", "meta-instanceid", "key"}
)
QUALTRICS_NOT_ANSWERS = frozenset({"survey preview", "survey test", "spam", "1", "2", "16"})

Row = tuple[int, list[str]]


@dataclass
class Grid:
    """One export as its tool wrote it: header texts per column and the answer rows."""

    file: str
    tool: str
    headers: list[str]  # one text per column, used for matching
    alternates: list[list[str]]  # more texts per column to try (question text, statement)
    options: list[str]  # SurveyMonkey second header row: option per column ("" when none)
    rows: list[Row]  # the answer rows: (file line, stripped cell texts)
    header_line: int = 1
    skipped: int = 0  # rows the tool marks as not real answers (Qualtrics previews)


def cell(texts: list[str], index: int) -> str:
    """A row's cell ("" past the end of a short row)."""
    return texts[index] if index < len(texts) else ""


def stripped_rows(table: Table) -> list[Row]:
    """Each row's line and its cells stripped (blank rows at the end left out)."""
    strip = str.strip
    rows = [
        (line, list(map(strip, row))) for line, row in zip(table.lines, table.rows, strict=True)
    ]
    while rows and not any(rows[-1][1]):
        rows.pop()
    return rows


# --- recognising the tool ---------------------------------------------------------------


def detect_tool(rows: list[Row], rel: str) -> Grid:
    """Which tool wrote the export, and its header texts per column."""
    first = rows[0][1] if rows else []
    lowered = [h.casefold() for h in first]
    if len(rows) >= 3 and any(cell(rows[2][1], i).startswith('{"ImportId"') for i in range(3)):
        return _qualtrics(rows, rel, lowered)
    if "respondent id" in lowered or "collector id" in lowered:
        return _surveymonkey(rows, rel)
    tool = "plain"
    if lowered and lowered[0] in ("timestamp", "marca temporal", "horodateur", "zeitstempel"):
        tool = "google-forms"
    elif {"id", "start time", "completion time"} <= set(lowered):
        tool = "microsoft-forms"
    elif KOBO_MARKERS & set(lowered) or any("/" in h for h in lowered):
        tool = "kobo"
    alternates = []
    for header in first:
        alts = []
        bracket = re.fullmatch(r"(.*)\[(.+)\]\s*", header)  # Google grid: "Question [row]"
        if bracket:
            alts.append(bracket.group(2))
        alternates.append(alts)
    return Grid(rel, tool, first, alternates, [""] * len(first), rows[1:], 1)


def _qualtrics(rows: list[Row], rel: str, lowered: list[str]) -> Grid:
    """Qualtrics: ids, then question texts, then import ids; previews and tests left out."""
    first, texts = rows[0][1], rows[1][1]
    alternates = []
    for i in range(len(first)):
        text = texts[i] if i < len(texts) else ""
        alts = [text]
        for sep in (" - ", " – "):
            if sep in text:
                # "Question - Selected Choice" / "Matrix question - statement"
                before, after = text.rsplit(sep, 1)
                alts.extend([after, before])
        alternates.append(alts)
    data = rows[3:]
    if "status" in lowered:
        # Preview, test and spam responses are not answers from members.
        status = lowered.index("status")
        data = [r for r in data if cell(r[1], status).casefold() not in QUALTRICS_NOT_ANSWERS]
    found = Grid(rel, "qualtrics", first, alternates, [""] * len(first), data, 1)
    found.skipped = len(rows) - 3 - len(data)
    return found


def _surveymonkey(rows: list[Row], rel: str) -> Grid:
    """SurveyMonkey: questions, then a row of options or "Response" under each column."""
    first = rows[0][1]
    second = rows[1][1] if len(rows) > 1 else []
    headers: list[str] = []
    options: list[str] = []
    alternates = []
    current = ""
    for i, header in enumerate(first):
        current = header or current
        sub = second[i] if i < len(second) else ""
        generic = sub.casefold() in ("", "response", "open-ended response")
        headers.append(current)
        options.append("" if generic else sub)
        alternates.append([] if generic else [sub, f"{current} {sub}"])
    return Grid(rel, "surveymonkey", headers, alternates, options, rows[2:], 1)


def export_files(root: Path) -> list[Path]:
    """The survey exports in `responses/` (sorted; hidden and lock files left out)."""
    folder = root / "responses"
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in RESPONSE_SUFFIXES
        and not path.name.startswith((".", "~$"))
    )
