"""PDFs: the same bytes whenever they are made, and every member's name printed as glyphs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import peerkit.pdf
from peerkit.load.folder import load_folder
from peerkit.pdf import font_package, glyph_problems, html_to_pdf, installed_coverage
from tests.conftest import run

# One name per script a roster may hold; they replace the sample's first nine names.
NAMES = (
    "Zoë Łukasiewicz-Ñúñez",  # Latin with diacritics
    "Ελένη Παπαδοπούλου",  # Greek
    "Дмитрий Соколов",  # Cyrillic
    "فاطمة الزهراء",  # Arabic, right to left
    "נועה כהן",  # Hebrew, right to left
    "प्रिया शर्मा",  # Devanagari
    "王芳",  # Chinese
    "佐藤さくら",  # Japanese
    "김민준",  # Korean
)
SUBSETTERS = ("fonttools", "harfbuzz")


def with_names(root: Path) -> Path:
    """The sample program with members named in every script of NAMES."""
    path = root / "members.yaml"
    text = path.read_text(encoding="utf-8")
    ids = re.findall(r"^  - id: (\S+)\n    name: (.*)$", text, re.MULTILINE)
    for (member_id, name), new in zip(ids, NAMES, strict=False):
        text = text.replace(
            f"  - id: {member_id}\n    name: {name}\n", f"  - id: {member_id}\n    name: {new}\n"
        )
    path.write_text(text, encoding="utf-8")
    return root


def roster_ids(root: Path) -> list[str]:
    """The first member ids of the folder, in the order NAMES renames them."""
    text = (root / "members.yaml").read_text(encoding="utf-8")
    return re.findall(r"^  - id: (\S+)$", text, re.MULTILINE)[: len(NAMES)]


@pytest.fixture(params=SUBSETTERS)
def subsetter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """WeasyPrint's font subsetting path: fontTools (forced) or HarfBuzz (where installed)."""
    import weasyprint.pdf.fonts

    if request.param == "fonttools":
        # WeasyPrint subsets with HarfBuzz when libharfbuzz-subset loads, else with fontTools
        monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    elif weasyprint.pdf.fonts.harfbuzz_subset is None:
        pytest.skip("libharfbuzz-subset0 is not installed: WeasyPrint cannot subset with it")
    return str(request.param)


class Clock:
    """time.time() and SOURCE_DATE_EPOCH, moved on at will; peerkit must read neither."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.offset = 0.0
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + self.offset)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")

    def move(self, days: int) -> None:
        self.offset += days * 86400.0
        self.monkeypatch.setenv("SOURCE_DATE_EPOCH", str(1700000000 + days * 86400))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def pdf_bytes(root: Path, kind: str) -> bytes:
    """One PDF of `kind` made by the real command, read back from out/."""
    commands = {
        "handouts": (
            ("agenda", "--session", "2", "--only", "match-01", "--as", "pdf"),
            "agenda/session-02/handouts-match-01.pdf",
        ),
        "survey": (("survey", "checkin", "--as", "pdf"), "surveys/checkin.pdf"),
        "report": (("report", "--now", "2027-04-01", "--as", "pdf"), "report/report.pdf"),
    }
    args, name = commands[kind]
    result = run(args[0], root, *args[1:])
    assert result.exit_code == 0, result.output
    return (root / "out" / name).read_bytes()


@pytest.mark.parametrize("kind", ["handouts", "survey", "report"])
def test_pdf_is_the_same_bytes_when_the_clock_moves(
    sample: Path, kind: str, subsetter: str, clock: Clock
) -> None:
    first = pdf_bytes(sample, kind)
    clock.move(400)
    second = pdf_bytes(sample, kind)
    assert first.startswith(b"%PDF")
    assert first == second
    # the render set SOURCE_DATE_EPOCH for itself only: the caller's value is back
    assert os.environ["SOURCE_DATE_EPOCH"] == str(1700000000 + 400 * 86400)


def test_the_moment_dates_the_font_subsets(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """With fontTools, the subset's head.modified is the moment given: the clock is not read."""
    import datetime as dt

    import weasyprint.pdf.fonts

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    html = '<p style=\'font-family: "DejaVu Sans", "Noto Sans"\'>Zoë</p>'
    day = dt.date(2027, 1, 1)
    first = html_to_pdf(html, None, moment=day)
    clock.move(-9000)
    assert html_to_pdf(html, None, moment=day) == first
    assert html_to_pdf(html, None) == html_to_pdf(html, None)  # a fixed moment without one
    assert html_to_pdf(html, None, moment=dt.date(2030, 1, 1)) != first


# --- every name prints -----------------------------------------------------------------


def poppler(tool: str, pdf: Path) -> str:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    done = subprocess.run(
        [tool, str(pdf), "-"] if tool == "pdftotext" else [tool, str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def letters(text: str) -> set[str]:
    return {c for c in text if not c.isspace()}


def need_noto() -> None:
    families = (
        subprocess.run(
            ["fc-list", ":", "family"], capture_output=True, text=True, check=False
        ).stdout
        if shutil.which("fc-list")
        else ""
    )
    if "Noto Sans CJK" not in families or "Noto Sans Devanagari" not in families:
        pytest.skip("install Debian's fonts-noto-core and fonts-noto-cjk (the README's list)")


@pytest.mark.parametrize("kind", ["handouts", "report"])
def test_names_in_every_script_print_as_glyphs(sample: Path, kind: str) -> None:
    need_noto()
    root = with_names(sample)
    args = ("agenda", "--session", "1") if kind == "handouts" else ("report", "--now", "2027-06-01")
    result = run(args[0], root, *args[1:])
    assert result.exit_code == 0, result.output
    assert "warning[font]" not in result.stderr
    pdf = (
        root
        / "out"
        / ("agenda/session-01/handouts.pdf" if kind == "handouts" else "report/report.pdf")
    )
    fonts = poppler("pdffonts", pdf)
    rows = [line.split() for line in fonts.splitlines()[2:]]
    # every font is embedded (emb = yes), none left to the reader's machine
    assert rows, fonts
    assert all(row[-5] == "yes" for row in rows), fonts
    for family in ("Noto-Sans-Arabic", "Noto-Sans-Hebrew", "Noto-Sans-Devanagari", "Noto-Sans-CJK"):
        assert family in fonts, fonts
    text = poppler("pdftotext", pdf)
    found = letters(text)
    for name in NAMES:
        # right-to-left and Devanagari come back in visual order: the characters, not the order
        assert letters(name) <= found, (name, sorted(letters(name) - found))
    assert "Zoë Łukasiewicz-Ñúñez" in text
    assert "王芳" in text
    assert "김민준" in text


def test_a_survey_prints_a_contact_in_any_script(sample: Path) -> None:
    need_noto()
    program = sample / "program.yaml"
    text = program.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^(  name: ).*$", r"\1Ελένη 王芳 فاطمة", text, count=1)
    assert count == 1, "the sample's contact has a name"
    program.write_text(text, encoding="utf-8")
    result = run("survey", sample, "checkin", "--as", "pdf")
    assert result.exit_code == 0, result.output
    found = letters(poppler("pdftotext", sample / "out/surveys/checkin.pdf"))
    assert letters("Ελένη 王芳 فاطمة") <= found


# --- a name no font has ---------------------------------------------------------------


@pytest.fixture
def latin_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the only installed fonts had Latin (U+0020 to U+024F) and general punctuation."""
    monkeypatch.setattr(
        peerkit.pdf, "installed_coverage", lambda: ([0x20, 0x2000], [0x24F, 0x206F])
    )
    # no layout: the warning comes before the PDF, whatever WeasyPrint would make of it
    monkeypatch.setattr(peerkit.pdf, "html_to_pdf", lambda *args, **kwargs: b"%PDF-1.7\n")


def font_warnings(stderr: str) -> list[str]:
    """The font warnings that name a member (others are about the program's own text)."""
    return [
        line for line in stderr.splitlines() if "warning[font]" in line and "members.yaml" in line
    ]


def test_a_name_no_font_has_is_a_warning_with_the_package(sample: Path, latin_only: None) -> None:
    root = with_names(sample)
    ids = roster_ids(root)
    result = run("agenda", root, "--session", "1", "--as", "pdf")
    assert result.exit_code == 0, result.output
    warnings = font_warnings(result.stderr)
    # Latin with diacritics prints; the eight others are named, each once, at their line
    assert len(warnings) == 8, result.stderr
    assert not any(ids[0] in w for w in warnings)
    by_id = {member_id: w for w in warnings for member_id in ids if f"({member_id})" in w}
    assert sorted(by_id) == sorted(ids[1:])
    assert re.match(
        r".*members\.yaml:\d+:\d+: warning\[font\]: no installed font has '王'", by_id[ids[6]]
    )
    assert "王芳" in by_id[ids[6]]
    hints = result.stderr.split(by_id[ids[6]])[1].splitlines()[1]
    assert "fonts-noto-cjk" in hints
    hints = result.stderr.split(by_id[ids[3]])[1].splitlines()[1]
    assert "fonts-noto-core" in hints


def test_build_warns_once_per_name(sample: Path, latin_only: None) -> None:
    root = with_names(sample)
    result = run("build", root, "--now", "2027-02-01")
    assert result.exit_code == 0, result.output
    warnings = font_warnings(result.stderr)
    # the handouts and the report both print the names; each is said once
    assert len(warnings) == len(set(warnings)) == 8, result.stderr
    again = run("build", root, "--now", "2027-02-01")
    assert font_warnings(again.stderr) == warnings


def test_no_fontconfig_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peerkit.pdf.shutil, "which", lambda name: None)
    installed_coverage.cache_clear()
    try:
        folder, _ = load_folder(Path(__file__).resolve().parent.parent / "sample-program")
        assert folder is not None
        assert glyph_problems("<p>王芳 \U000e0100</p>", folder.members) == []
    finally:
        installed_coverage.cache_clear()


def test_text_outside_names_is_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peerkit.pdf, "installed_coverage", lambda: ([0x20], [0x7E]))
    problems = glyph_problems("<h1>Ünïcode &amp; 東京</h1><p>\u200f \u00a0</p>", [])
    assert len(problems) == 1
    assert problems[0].source is None
    assert problems[0].severity == "warning"
    assert "'Ü' (U+00DC)" in problems[0].message
    assert "東" in problems[0].message
    assert "fonts-noto-cjk" in problems[0].hint
    assert "fonts-noto-core" in problems[0].hint


def test_font_packages() -> None:
    assert font_package("ë") == font_package("ع") == font_package("ש") == "fonts-noto-core"
    assert font_package("प") == font_package("Ж") == font_package("Ω") == "fonts-noto-core"
    assert font_package("王") == font_package("さ") == font_package("김") == "fonts-noto-cjk"
    assert font_package("\U0001f600") == "fonts-noto-color-emoji"
    assert font_package("\U00011000") == "fonts-noto"  # Brahmi: in the full set only
