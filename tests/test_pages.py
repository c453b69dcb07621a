"""Pages people read: the report, the handouts and the survey forms print inside the page.

Each PDF is made by the real command, for the sample program and for a generated program
of 200 matches with long names, long unbroken words and a wide survey, then read back with
poppler's `pdftotext -bbox`: no word may lie outside the page's printable area, every
column header of each table is on the page where its rows are, and every page says which
program (and session and match, for a handout) it belongs to, with its page number.
"""

from __future__ import annotations

import html
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, run

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (Debian poppler-utils) is not installed"
)

NOW = "2027-04-01"
# Printers leave about 4 mm at each edge unprinted; a word within it is cut off.
PRINTER_EDGE_PT = 4 / 25.4 * 72
LONG_PROGRAM = (
    "The Greater Intermountain High Desert Regional Small Business Owners' "
    "Peer Accountability Teams Programme 2027"
)
# a word with nowhere to break, and names longer than any column
UNBROKEN = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft"
FIRST = ("Maximiliana-Theodora", "Bartholomew-Alexander", "Oluwaseyifunmi", "Guðmundsdóttir")
LAST = ("Featherstonehaugh-Vanderbilt", "Papadopoulou-Konstantinidou", "Venkataraghavan")
# extra check-in questions with long ids: the report's By-match table gets a column each
EXTRA_QUESTIONS = (
    "communication_between_meetings",
    "accountability_for_commitments",
    "psychological_safety_in_the_room",
    "quality_of_the_hot_seat_advice",
    "relevance_of_the_monthly_theme",
    "facilitation_and_time_keeping",
)
BIG_TEAM_EXTRA = 14  # members added to the last team, whose handout takes two pages


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Page:
    number: int
    width: float
    height: float
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def pdf_pages(pdf: Path) -> list[Page]:
    """Every page of `pdf` with its words and their boxes, from `pdftotext -bbox`."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    ).stdout
    pages = []
    for number, match in enumerate(
        re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S), 1
    ):
        words = tuple(
            Word(html.unescape(w[4]), float(w[0]), float(w[1]), float(w[2]), float(w[3]))
            for w in re.findall(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">'
                r"(.*?)</word>",
                match[3],
            )
        )
        pages.append(Page(number, float(match[1]), float(match[2]), words))
    return pages


def outside(page: Page) -> list[Word]:
    """The words of `page` that reach into the unprinted edge, or beyond the paper."""
    edge = PRINTER_EDGE_PT
    return [
        w
        for w in page.words
        if w.x0 < edge or w.y0 < edge or w.x1 > page.width - edge or w.y1 > page.height - edge
    ]


def assert_inside(pdf: Path) -> list[Page]:
    pages = pdf_pages(pdf)
    assert pages, f"{pdf} has no pages"
    for page in pages:
        beyond = outside(page)
        assert not beyond, (
            f"{pdf.name} page {page.number}: words outside the printable area: "
            + ", ".join(
                f"{w.text!r} at x {w.x0:.0f}–{w.x1:.0f}, y {w.y0:.0f}–{w.y1:.0f}"
                for w in beyond[:8]
            )
        )
    return pages


# --- the programs ---------------------------------------------------------------------


def big_program(root: Path, matches: int = 200) -> Path:
    """The sample program with 200 teams of five long-named members, six more check-in
    questions with long ids, three sessions of check-in answers and attendance."""
    shutil.copytree(
        SAMPLE,
        root,
        ignore=shutil.ignore_patterns("out", "responses", "attendance.csv", "rounds", "members.*"),
    )
    program = (root / "program.yaml").read_text(encoding="utf-8")
    program = program.replace("name: High Desert Peer Teams 2027", f"name: {LONG_PROGRAM}")
    extra = "".join(
        f"      - {{id: {qid}, text: How do you rate the team's {qid.replace('_', ' ')}?, "
        "type: likert5}\n"
        for qid in EXTRA_QUESTIONS
    )
    anchor = "      - {id: comment, text: Anything the coordinator should know?, type: text}\n"
    assert anchor in program
    program = program.replace(anchor, extra + anchor, 1)
    (root / "program.yaml").write_text(program, encoding="utf-8")
    rng = random.Random(17)
    lines = ["id,name,email,organization"]
    ids = []
    for n in range(matches * 5):
        member_id = f"m{n:04d}"
        ids.append(member_id)
        name = f"{FIRST[n % len(FIRST)]} {LAST[n % len(LAST)]}"
        if n % 7 == 0:
            name = f"{FIRST[n % len(FIRST)]} {UNBROKEN}"
        org = f"{UNBROKEN} Consolidated Holdings and Subsidiaries {n}"
        lines.append(f"{member_id},{name},{member_id}@example.org,{org}")
    # the last team is far too big: its handout runs onto a second page
    for n in range(matches * 5, matches * 5 + BIG_TEAM_EXTRA):
        member_id = f"m{n:04d}"
        ids.append(member_id)
        lines.append(f"{member_id},{FIRST[n % 4]} {UNBROKEN},{member_id}@example.org,Org {n}")
    (root / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    teams = ["round: big", "start: 2027-01-01", "matches:"]
    for t in range(matches):
        last = t == matches - 1
        team = ", ".join(ids[t * 5 :] if last else ids[t * 5 : t * 5 + 5])
        teams += [f"  - id: team-{t + 1:03d}", f"    members: [{team}]"]
    (root / "rounds").mkdir()
    (root / "rounds" / "big.yaml").write_text("\n".join(teams) + "\n", encoding="utf-8")
    questions = ["useful", "participation", "honest_feedback", "listened", "progress"]
    questions += EXTRA_QUESTIONS
    rows = [",".join(["member", "session", "match_id", *questions, "comment"])]
    days = ("2027-01-12", "2027-02-09", "2027-03-09")
    attendance = ["date,match,member,status"]
    for t in range(matches):
        for member_id in ids[t * 5 : t * 5 + 5]:
            for session, day in enumerate(days, 1):
                low = t % 40 == 0  # a few teams doing badly
                scores = [str(rng.choice((1, 2) if low else (3, 4, 5))) for _ in questions]
                comment = f"Session {session} {UNBROKEN}{UNBROKEN}" if t % 50 == 1 else ""
                rows.append(
                    ",".join([member_id, str(session), f"team-{t + 1:03d}", *scores, comment])
                )
                status = rng.choice(("present",) * 8 + ("absent", "excused"))
                attendance.append(f"{day},team-{t + 1:03d},{member_id},{status}")
    (root / "responses").mkdir()
    (root / "responses" / "checkin.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (root / "attendance.csv").write_text("\n".join(attendance) + "\n", encoding="utf-8")
    return root


# --- what the layout says: which tables have rows on which page ----------------------


def _walk(box: object) -> list[object]:
    found = [box]
    for child in getattr(box, "children", ()):
        found.extend(_walk(child))
    return found


def _text(box: object) -> str:
    return " ".join(b.text for b in _walk(box) if type(b).__name__ == "TextBox")  # type: ignore[attr-defined]


def table_headers_by_page(html_text: str, base_url: Path | None) -> list[list[list[str]]]:
    """For each page WeasyPrint lays `html_text` out on: the header cells of every table
    with at least one body row on that page."""
    import weasyprint
    from weasyprint.formatting_structure import boxes

    document = weasyprint.HTML(string=html_text, base_url=str(base_url) if base_url else None)
    rendered = document.render(stylesheets=[weasyprint.CSS(string="@page { size: A4; }")])
    pages = []
    for page in rendered.pages:
        tables = []
        for box in _walk(page._page_box):
            if not isinstance(box, boxes.TableBox) or box.element_tag != "table":
                continue
            header: list[str] = []
            rows = 0
            for group in box.children:
                if not isinstance(group, boxes.TableRowGroupBox):
                    continue
                if group.is_header:
                    header = [_text(cell) for row in group.children for cell in row.children]
                else:
                    rows += len(group.children)
            if rows:
                tables.append(header)
        pages.append(tables)
    return pages


def words_of(text: str) -> list[str]:
    return [w.casefold() for w in text.split()]


def assert_headers_where_rows_are(pdf: Path, html_text: str, base_url: Path | None) -> None:
    """Every column header of each table is printed on each page where the table has rows."""
    pages = pdf_pages(pdf)
    laid_out = table_headers_by_page(html_text, base_url)
    assert len(laid_out) == len(pages), "the layout and the PDF do not paginate alike"
    checked = 0
    for page, tables in zip(pages, laid_out, strict=True):
        printed = words_of(page.text)
        for header in tables:
            assert header, f"{pdf.name} page {page.number}: a table with rows and no header"
            for cell in header:
                missing = [w for w in words_of(cell) if w not in printed]
                assert not missing, (
                    f"{pdf.name} page {page.number}: header {cell!r} is not printed "
                    f"where its rows are (missing {missing})"
                )
                checked += 1
    assert checked, f"{pdf.name}: no table found"


def body_lines(page: Page) -> int:
    """Lines of text between the running header and footer."""
    top, bottom = 16 / 25.4 * 72, page.height - 16 / 25.4 * 72
    return len({round(w.y0) for w in page.words if top <= w.y0 and w.y1 <= bottom})


def assert_no_near_empty_last_page(pdf: Path, pages: list[Page]) -> None:
    if len(pages) > 1:
        lines = body_lines(pages[-1])
        # a trailing page holding only a three-line footnote is what this catches
        assert lines >= 5, f"{pdf.name}: the last page holds only {lines} line(s)"


# --- the fixtures: each program built and printed once ---------------------------------


@dataclass(frozen=True)
class Printed:
    root: Path
    report: Path
    handouts: Path
    surveys: tuple[Path, ...]
    sessions: int


def _print_all(root: Path, session: int) -> Printed:
    for args in (
        ("report", "--now", NOW, "--as", "pdf"),
        ("agenda", "--session", str(session), "--as", "pdf", "--as", "html"),
        ("survey", "--as", "pdf", "--as", "html"),
    ):
        result = run(args[0], root, *args[1:])
        assert result.exit_code == 0, result.output
    out = root / "out"
    return Printed(
        root,
        out / "report/report.pdf",
        out / f"agenda/session-{session:02d}/handouts.pdf",
        tuple(sorted((out / "surveys").glob("*.pdf"))),
        session,
    )


@pytest.fixture(scope="module")
def sample_printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    root = tmp_path_factory.mktemp("pages") / "sample"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    return _print_all(root, 4)


@pytest.fixture(scope="module")
def big_printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    root = big_program(tmp_path_factory.mktemp("pages") / "big")
    return _print_all(root, 2)


@pytest.fixture(params=["sample", "big"])
def printed(request: pytest.FixtureRequest) -> Printed:
    value: Printed = request.getfixturevalue(f"{request.param}_printed")
    return value


def report_print_html(root: Path) -> str:
    """The HTML `peerkit report` prints its PDF from, made by the same library calls."""
    from peerkit.cli.common import parse_now
    from peerkit.load.folder import load_folder
    from peerkit.report import gather, report_html

    folder, problems = load_folder(root)
    assert folder is not None, problems
    moment = parse_now(NOW)
    return report_html(folder, gather(folder, now=moment).report, for_print=True)


# --- the tests ---------------------------------------------------------------------------


def test_no_word_outside_the_printable_area(printed: Printed) -> None:
    for pdf in (printed.report, printed.handouts, *printed.surveys):
        pages = assert_inside(pdf)
        assert_no_near_empty_last_page(pdf, pages)


def test_report_tables_print_their_headers_on_every_page_with_rows(printed: Printed) -> None:
    html_text = report_print_html(printed.root)
    assert_headers_where_rows_are(printed.report, html_text, printed.root)


def test_handout_tables_print_their_headers_on_every_page_with_rows(printed: Printed) -> None:
    from peerkit.render import shipped_templates

    folder = printed.handouts.parent
    if printed.root.name == "big":
        # the two-page handout, printed on its own: 200 handouts are laid out once already
        result = run(
            "agenda", printed.root, "-s", "2", "--only", "team-200", "--as", "pdf", "--as", "html"
        )
        assert result.exit_code == 0, result.output
        pdf, page = folder / "handouts-team-200.pdf", folder / "team-200.html"
        assert len(pdf_pages(pdf)) == 2
        assert_inside(pdf)
    else:
        pdf, page = printed.handouts, folder / "all.html"
    assert_headers_where_rows_are(pdf, page.read_text(encoding="utf-8"), shipped_templates())


def test_the_wide_by_match_table_is_split_with_a_legend(big_printed: Printed) -> None:
    text = " ".join(p.text for p in pdf_pages(big_printed.report))
    assert "Q11 facilitation and time keeping:" in text
    assert "part 1 of 2" in text
    assert "part 2 of 2" in text
    html_text = report_print_html(big_printed.root)
    parts = re.findall(r'<table class="by-match" data-part="(\d)">.*?</table>', html_text, re.S)
    assert parts == ["1", "2"]
    heads = re.findall(r'<table class="by-match".*?<thead>(.*?)</thead>', html_text, re.S)
    assert [re.findall(r">(Q\d+)</abbr>", h) for h in heads] == [
        [f"Q{n}" for n in range(1, 7)],
        [f"Q{n}" for n in range(7, 12)],
    ]
    assert all(">Match</th>" in h for h in heads)


def _running(page: Page) -> tuple[str, str]:
    """The running header and footer of a page: the words in its top and bottom margins."""
    top, bottom = 16 / 25.4 * 72, page.height - 16 / 25.4 * 72
    head = " ".join(w.text for w in page.words if w.y1 <= top)
    foot = " ".join(w.text for w in page.words if w.y0 >= bottom)
    return head, foot


def test_every_handout_page_says_which_match_and_session(printed: Printed) -> None:
    pages = pdf_pages(printed.handouts)
    name = "High Desert Peer Teams 2027" if printed.root.name == "sample" else LONG_PROGRAM[:40]
    team = ""
    for page in pages:
        head, foot = _running(page)
        eyebrow = re.search(r"SESSION \d+ OF 12 · (\S+)", page.text)
        if eyebrow:
            team = eyebrow[1].casefold()
        assert team, f"page {page.number} before any handout"
        assert head.startswith(name), head
        assert head.endswith(f"Session {printed.sessions} of 12 · {team}"), (page.number, head)
        assert f"Page {page.number} of {len(pages)}" in foot
        assert "Confidential to the team" in foot
        assert "renata@highdesert-alliance.org" in foot
    if printed.root.name == "big":
        assert len(pages) == 201  # 200 teams, the last on two pages
        head, _ = _running(pages[-1])
        assert head.endswith("team-200")
        assert "SESSION 2 OF 12" not in pages[-1].text  # a continuation, named by its header


def test_every_report_and_survey_page_says_where_it_belongs(printed: Printed) -> None:
    pages = pdf_pages(printed.report)
    for page in pages:
        head, foot = _running(page)
        assert f"Page {page.number} of {len(pages)}" in foot
        assert "High Desert Business Alliance" in foot
        if page.number > 1:  # the first page has the title block
            assert head.endswith(f"Program report · as of {NOW}"), head
    for pdf in printed.surveys:
        pages = pdf_pages(pdf)
        for page in pages:
            head, foot = _running(page)
            assert f"Page {page.number} of {len(pages)}" in foot
            assert re.search(r"(Monthly check-in|Mid-program|End-of-year evaluation|\w)$", head)


def test_the_report_reads_well(sample_printed: Printed) -> None:
    text = " ".join(" ".join(p.text for p in pdf_pages(sample_printed.report)).split())
    assert ".:" not in text  # "since last month.: mean 4.19"
    assert "since last month: mean" in text
    html_text = report_print_html(sample_printed.root)
    trend = re.search(r'<svg class="chart" id="chart-checkin-trend".*?</svg>', html_text, re.S)
    assert trend is not None
    assert "4 = agree" in trend[0]
    assert 'id="chart-checkin-trend-title"' in trend[0]
    assert "Mean score by session" in trend[0]
