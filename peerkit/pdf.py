"""HTML → PDF through WeasyPrint (a pip install, no browser); imported only when PDF is asked for.

The bytes depend only on the HTML and the moment given: no clock. And before a PDF is
written, `glyph_problems` says which members' names hold characters no installed font has
(they would print as empty boxes), with the Debian package that covers them.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import html as htmllib
import os
import re
import shutil
import subprocess
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from peerkit.model import Member, Problem

PAPERS = {"a4": "A4", "letter": "Letter"}
# When a caller has no moment to date a PDF from: a fixed one, never the clock.
FIXED_MOMENT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

# The Debian font package for each script a name may be written in (fonts-noto-core and
# fonts-noto-cjk are what the print CSS names); anything else is in the fonts-noto set.
FONT_PACKAGES: tuple[tuple[int, int, str], ...] = (
    (0x0000, 0x058F, "fonts-noto-core"),  # Latin, Greek, Cyrillic, Armenian
    (0x0590, 0x08FF, "fonts-noto-core"),  # Hebrew, Arabic, Syriac, Thaana
    (0x0900, 0x0DFF, "fonts-noto-core"),  # Devanagari and the other Indic scripts
    (0x0E00, 0x10FF, "fonts-noto-core"),  # Thai, Lao, Tibetan, Myanmar, Georgian
    (0x1100, 0x11FF, "fonts-noto-cjk"),  # Hangul Jamo
    (0x1E00, 0x1FFF, "fonts-noto-core"),  # Latin extended additional, Greek extended
    (0x2000, 0x2BFF, "fonts-noto-core"),  # punctuation, symbols
    (0x2E80, 0x9FFF, "fonts-noto-cjk"),  # CJK radicals, kana, Han
    (0xA960, 0xA97F, "fonts-noto-cjk"),  # Hangul Jamo extended
    (0xAC00, 0xD7FF, "fonts-noto-cjk"),  # Hangul syllables
    (0xF900, 0xFAFF, "fonts-noto-cjk"),  # CJK compatibility ideographs
    (0xFB1D, 0xFDFF, "fonts-noto-core"),  # Hebrew and Arabic presentation forms
    (0xFE30, 0xFE4F, "fonts-noto-cjk"),  # CJK compatibility forms
    (0xFE70, 0xFEFF, "fonts-noto-core"),  # Arabic presentation forms B
    (0xFF00, 0xFFEF, "fonts-noto-cjk"),  # full-width forms
    (0x1F000, 0x1FAFF, "fonts-noto-color-emoji"),
    (0x20000, 0x3FFFF, "fonts-noto-cjk"),  # CJK extensions
)
OTHER_FONT_PACKAGE = "fonts-noto"

_render_lock = threading.Lock()


def paper_size(paper: str) -> str:
    """The CSS page size for a paper name (`a4`, `letter`, any case)."""
    return PAPERS.get(paper.lower(), paper)


def html_to_pdf(
    html: str,
    base_url: Path | None,
    paper: str = "A4",
    *,
    moment: dt.datetime | dt.date | None = None,
) -> bytes:
    """Render an HTML document to PDF bytes on `paper`; relative URLs resolve against `base_url`.

    `moment` dates what the libraries would otherwise date from the clock (the font
    subsets' `head.modified`); without it, a fixed moment. The same HTML and moment give
    the same bytes, whenever and wherever it runs.
    """
    import logging

    import weasyprint

    # WeasyPrint logs every unsupported CSS property at WARNING; those are not the user's problem.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    page = weasyprint.CSS(string=f"@page {{ size: {paper_size(paper)}; }}")
    document = weasyprint.HTML(string=html, base_url=str(base_url) if base_url else None)
    with _source_date_epoch(moment):
        data: bytes = document.write_pdf(
            stylesheets=[page], pdf_identifier=b"peerkit", uncompressed_pdf=False
        )
    return data


def source_date_epoch(moment: dt.datetime | dt.date | None) -> int:
    """Seconds since 1970 for `moment` (a date is its midnight UTC; None is FIXED_MOMENT)."""
    if moment is None:
        moment = FIXED_MOMENT
    elif not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(0), tzinfo=dt.UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


@contextlib.contextmanager
def _source_date_epoch(moment: dt.datetime | dt.date | None) -> Iterator[None]:
    """SOURCE_DATE_EPOCH set for the render only, whatever the caller's environment says.

    fontTools stamps each font subset's head.modified with time.time() unless it is set
    (WeasyPrint subsets with fontTools where HarfBuzz-subset is not installed). The lock
    keeps two threads from restoring each other's value mid-render.
    """
    with _render_lock:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(source_date_epoch(moment))
        try:
            yield
        finally:
            if before is None:
                del os.environ["SOURCE_DATE_EPOCH"]
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


# --- fonts for every name -------------------------------------------------------------


def glyph_problems(html: str, members: Iterable[Member]) -> list[Problem]:
    """A warning per member whose name, as printed in `html`, has characters no installed
    font has, and one for any other such text; none when fontconfig is not there to ask."""
    coverage = installed_coverage()
    if coverage is None:
        return []
    text = htmllib.unescape(re.sub(r"<[^>]*>", " ", html))
    missing = {c for c in set(text) if _printable(c) and not _covered(coverage, ord(c))}
    if not missing:
        return []
    problems: list[Problem] = []
    named: set[str] = set()
    seen: set[str] = set()
    for member in members:
        lacking = sorted(c for c in set(member.name) if c in missing)
        if not lacking or member.id in seen or member.name not in text:
            continue
        seen.add(member.id)
        named.update(lacking)
        problems.append(
            Problem(
                member.source_of("name"),
                "font",
                f"no installed font has {_chars(lacking)} in {member.name!r} ({member.id}): "
                "the PDF prints them as empty boxes",
                _install_hint(lacking),
                "warning",
            )
        )
    rest = sorted(missing - named)
    if rest:
        problems.append(
            Problem(
                None,
                "font",
                f"no installed font has {_chars(rest)}: the PDF prints them as empty boxes",
                _install_hint(rest),
                "warning",
            )
        )
    return problems


def font_package(char: str) -> str:
    """The Debian package whose fonts cover `char`."""
    code = ord(char)
    for low, high, package in FONT_PACKAGES:
        if low <= code <= high:
            return package
    return OTHER_FONT_PACKAGE


@functools.cache
def installed_coverage() -> tuple[list[int], list[int]] | None:
    """Every code point some installed font has, as sorted (starts, ends) of ranges, from
    fontconfig (what WeasyPrint finds its fonts with); None when fc-list is missing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(
            [fc_list, "--format", "%{charset}\n"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if listed.returncode != 0:
        return None
    ranges: list[tuple[int, int]] = []
    for token in listed.stdout.split():
        first, _, last = token.partition("-")
        try:
            ranges.append((int(first, 16), int(last or first, 16)))
        except ValueError:
            continue
    ranges.sort()
    starts: list[int] = []
    ends: list[int] = []
    for low, high in ranges:
        if ends and low <= ends[-1] + 1:
            ends[-1] = max(ends[-1], high)
        else:
            starts.append(low)
            ends.append(high)
    return starts, ends


def _covered(coverage: tuple[list[int], list[int]], code: int) -> bool:
    starts, ends = coverage
    index = bisect.bisect_right(starts, code) - 1
    return index >= 0 and code <= ends[index]


def _printable(char: str) -> bool:
    """A character that needs a glyph: not a space, a control or a direction mark."""
    return unicodedata.category(char)[0] not in "CZ"


def _chars(chars: list[str]) -> str:
    shown = " ".join(f"'{c}' (U+{ord(c):04X})" for c in chars[:5])
    return shown + (f" and {len(chars) - 5} more" if len(chars) > 5 else "")


def _install_hint(chars: list[str]) -> str:
    packages = sorted({font_package(c) for c in chars})
    return f"install Debian's {', '.join(packages)} (apt-get install {' '.join(packages)})"
