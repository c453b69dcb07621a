"""A file's bytes, read within a size limit, and decoded to text: UTF-8 (with or without a
BOM), UTF-16 with a BOM, or (for exports) Windows-1252, line by line."""

from __future__ import annotations

import codecs
from pathlib import Path

from peerkit.model import Location, Problem
from peerkit.source.node import problem_at


def read_bytes(path: Path, rel: str, problems: list[Problem], limit: int) -> bytes | None:
    try:
        size = path.stat().st_size
        if size > limit:
            problems.append(
                problem_at(
                    rel,
                    0,
                    0,
                    "too-large",
                    f"the file is {size / 1e6:.0f} MB; peerkit reads at most {limit / 1e6:.0f} MB",
                    "for a large roster use members.csv, which has no such limit",
                )
            )
            return None
        return path.read_bytes()
    except OSError as exc:
        problems.append(
            problem_at(rel, 0, 0, "unreadable", f"cannot read the file: {exc.strerror}")
        )
        return None


def decode_text(data: bytes, rel: str, problems: list[Problem], *, legacy_ok: bool) -> str | None:
    """Bytes to text: UTF-8 (BOM or not), UTF-16 with a BOM, or Windows-1252 when allowed."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            problems.append(problem_at(rel, 1, 1, "encoding", "the file is not valid UTF-16 text"))
            return None
    nul = data.find(b"\x00", 0, 65536)
    if nul >= 0:
        problems.append(
            problem_at(
                rel,
                data[:nul].count(b"\n") + 1,
                nul - (data.rfind(b"\n", 0, nul) + 1) + 1,
                "binary",
                "this is not a text file (it contains NUL bytes)",
                "export it again as CSV (UTF-8) or save it as plain text",
            )
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if legacy_ok:
            return _decode_lines(data, rel, problems)
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            problem_at(
                rel,
                line,
                1,
                "encoding",
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                "save it as UTF-8 (in Excel: 'CSV UTF-8'; in an editor: 'Save with encoding')",
            )
        )
        return None


def _decode_legacy(line: bytes) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return line.decode("latin-1")


def _decode_lines(data: bytes, rel: str, problems: list[Problem]) -> str:
    """Text that is not UTF-8 throughout: each line UTF-8 where it can be, else Windows-1252.

    A file that mixes the two (rows pasted from two tools) gets a warning naming the first
    line that is not UTF-8; a file that is Windows-1252 throughout is read without one."""
    lines = data.split(b"\n")
    texts: list[str] = []
    first_bad = 0
    utf8_non_ascii = False
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            utf8_non_ascii = utf8_non_ascii or not line.isascii()
        except UnicodeDecodeError:
            text = _decode_legacy(line)
            first_bad = first_bad or number
        texts.append(text)
    if utf8_non_ascii and first_bad:
        problems.append(
            Problem(
                Location(rel, first_bad, 1),
                "encoding",
                f"the file mixes encodings: line {first_bad} is not UTF-8 while others are; "
                "it is read as Windows-1252, so some letters may be wrong",
                "export the file again as CSV (UTF-8), or re-save it with one encoding",
                "warning",
            )
        )
    return "\n".join(texts)
