"""peerkit report: the HTML page parsed for its numbers, JSON = the library's result, safe CSV,
PDF, privacy, and the whole build on the sample program."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peerkit.cli import app
from tests.conftest import two_rounds

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "exports"
runner = CliRunner()

ATTENDANCE = """date,match,member,status
2027-01-12,team-a,ana,present
2027-01-12,team-b,fin,absent
2027-02-09,team-a,ana,present
2027-02-09,team-b,fin,absent
"""


def make_program(tmp_path: Path, *exports: str, attendance: bool = True) -> Path:
    root = tmp_path / "program"
    shutil.copytree(FIXTURES / "program", root)
    (root / "responses").mkdir()
    for name in exports:
        shutil.copy(FIXTURES / name, root / "responses" / name)
    if attendance:
        (root / "attendance.csv").write_text(ATTENDANCE, encoding="utf-8")
    return root


class Page(HTMLParser):
    """Text of each table cell by (table class, row data-question or data-match, cell class)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str, str], str] = {}
        self.ids: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self._table = ""
        self._row = ""
        self._cell: tuple[str, str, str] | None = None
        self._id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append((tag, found))
        if tag == "table":
            self._table = found.get("data-survey", found.get("class", ""))
        elif tag == "tr":
            self._row = found.get("data-question", found.get("data-match", ""))
        elif tag == "td":
            names = found.get("class", "").split()
            label = next((n for n in names if n not in ("n", "good", "fair", "bad")), "")
            self._cell = (self._table, self._row, label)
            self.cells[self._cell] = ""
        if "id" in found:
            self._id = found["id"]
            self.ids[self._id] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None
        if tag in ("div", "table"):
            self._id = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self.cells[self._cell] += data.strip()
        if self._id is not None:
            self.ids[self._id] += data.strip()


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_html_report_numbers(tmp_path: Path) -> None:
    root = make_program(tmp_path, "google_forms.csv", "kobo.csv")
    result = runner.invoke(app, ["report", str(root), "--as", "html", "--now", "2028-01-20"])
    assert result.exit_code == 0, result.stderr
    html = (root / "out" / "report" / "report.html").read_text(encoding="utf-8")
    page = parse(html)
    assert page.cells[("checkin", "useful", "mean")] == "3.75"
    assert page.cells[("checkin", "useful", "median")] == "4.0"
    assert page.cells[("checkin", "useful", "top2")] == "75.0%"
    assert page.cells[("checkin", "honest_feedback", "median")] == "3.5"
    assert page.cells[("final", "goals_met", "top2")] == "57.1%"
    text = " ".join(page.text)
    assert "Net Promoter Score +14.3" in " ".join(text.split())
    assert "3 promoter(s), 2 passive(s), 2 detractor(s) of 7" in text
    assert page.ids["attendance-rate"] == "50%"
    assert page.ids["at-risk-count"] == "2"
    assert "Finn Berg missed the last two meetings" in text
    assert "no checkin answer after session 1 from Dee Park" in text
    assert "anonymous" in text
    # Charts are inline SVG; nothing is fetched from the network.
    assert html.count("<svg") >= 3
    assert not [a for tag, a in page.tags if tag in ("script", "link", "img", "iframe")]
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', ""
    ).replace("http://purl.org/dc", "").replace("http://creativecommons.org/ns#", "").replace(
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#", ""
    ).replace("http://evil.example", "")
    # Hostile comments are shown as text.
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_json_is_the_librarys_result(tmp_path: Path) -> None:
    root = make_program(tmp_path, "google_forms.csv", "qualtrics.csv")
    result = runner.invoke(
        app, ["report", str(root), "--format", "json", "--as", "json", "--now", "2028-01-20"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == json.loads((root / "out" / "report" / "report.json").read_text())
    assert data["as_of"] == "2028-01-20"
    assert data["anonymous_surveys"] == ["final"]
    surveys = {s["survey"]: s for s in data["tally"]["surveys"]}
    final = {q["id"]: q for q in surveys["final"]["questions"]}
    assert final["recommend"]["nps"] == 14.3
    assert data["attendance"]["rate"] == 50.0
    assert data["participation"]["matches"] == 2
    goals = {g["goal"]: g["evidence"] for g in data["goals"]}
    assert goals["Members attend at least 10 of the 12 sessions"] == [
        "attendance rate (attendance.csv): 50% of member-meetings present; "
        "1 of 2 matches at 75% or more over 2 meeting date(s)"
    ]
    assert goals["Members would recommend the program to a peer"] == [
        "final · How likely are you to recommend the program to a peer? — NPS +14.3 "
        "(3 promoters of 7)"
    ]
    assert "person1@example.org" not in result.stdout


def test_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    root = make_program(tmp_path, "google_forms.csv", "microsoft_forms.xlsx")
    result = runner.invoke(app, ["report", str(root), "--as", "csv"])
    assert result.exit_code == 0, result.stderr
    data = (root / "out" / "report" / "report.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["section", "survey", "scope", "item"]
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert cells.count('\'=HYPERLINK("http://evil.example","click")') == 2
    useful = next(r for r in rows if r[:4] == ["survey", "checkin", "all", "useful"])
    assert useful[5:10] == ["8", "0", "3.75", "4", "75"]


def test_privacy_cut_off_in_the_report(tmp_path: Path) -> None:
    root = make_program(tmp_path, attendance=False)
    lines = (FIXTURES / "qualtrics.csv").read_text(encoding="utf-8").splitlines()
    (root / "responses" / "final.csv").write_text("\n".join(lines[:5]), encoding="utf-8")
    result = runner.invoke(app, ["report", str(root), "--as", "html"])
    assert result.exit_code == 0, result.stderr
    html = (root / "out" / "report" / "report.html").read_text(encoding="utf-8")
    page = parse(html)
    assert page.cells[("final", "goals_met", "withheld")] == "fewer than 3 responses"
    assert 'class="nps-score"' not in html
    assert 'class="value nps"' not in html
    for secret in ("person1@example.org", "Secret", "More time for hot seats", "R_abc1"):
        assert secret not in html


def test_pdf_renders(tmp_path: Path) -> None:
    root = make_program(tmp_path, "google_forms.csv")
    result = runner.invoke(app, ["report", str(root), "--as", "pdf", "--paper", "letter"])
    assert result.exit_code == 0, result.stderr
    pdf = root / "out" / "report" / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Tally Test Program" in text
    assert "Zoë Łukasiewicz" in text or "Finn Berg" in text


def test_report_is_deterministic(tmp_path: Path) -> None:
    root = make_program(tmp_path, "google_forms.csv", "surveymonkey.csv")
    outputs = []
    for _ in range(2):
        result = runner.invoke(app, ["report", str(root), "--as", "html"])
        assert result.exit_code == 0
        outputs.append((root / "out" / "report" / "report.html").read_bytes())
    assert outputs[0] == outputs[1]


def test_report_with_no_data_says_so(tmp_path: Path) -> None:
    root = make_program(tmp_path, attendance=False)
    result = runner.invoke(app, ["report", str(root), "--as", "html", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert "would write" in result.stdout
    assert not (root / "out").exists()


def test_bad_export_stops_the_report(tmp_path: Path) -> None:
    root = make_program(tmp_path)
    (root / "responses" / "broken.csv").write_bytes(b"\x00\x00garbage")
    result = runner.invoke(app, ["report", str(root)])
    assert result.exit_code == 1
    assert "broken.csv:1:1: error[binary]" in result.stderr
    assert not (root / "out").exists()


def test_build_runs_tally_and_report_on_the_sample(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    shutil.copytree(ROOT / "sample-program", sample, ignore=shutil.ignore_patterns("out"))
    result = runner.invoke(app, ["build", str(sample), "--now", "2027-03-10"])
    assert result.exit_code == 0, result.stderr
    out = sample / "out"
    for name in ("tally/tally.json", "report/report.html", "report/report.pdf"):
        assert (out / name).is_file(), name
    data = json.loads((out / "report" / "report.json").read_text(encoding="utf-8"))
    checkin = next(s for s in data["tally"]["surveys"] if s["survey"] == "checkin")
    assert {f["tool"] for f in checkin["files"]} == {
        "google-forms",
        "microsoft-forms",
        "surveymonkey",
    }
    assert [g["key"] for g in checkin["by_session"]] == ["1", "2", "3"]
    assert data["attendance"]["records"] > 0
    assert "report:" in result.stderr


def test_members_below_80_percent_are_listed(tmp_path: Path) -> None:
    root = make_program(tmp_path)
    result = runner.invoke(app, ["report", str(root), "--as", "html"])
    assert result.exit_code == 0, result.stderr
    page = parse((root / "out" / "report" / "report.html").read_text(encoding="utf-8"))
    table = page.ids["attendance-members"]
    assert "Finn Berg" in table
    assert "Ana Ruiz" not in table


def test_unknown_paper_is_a_usage_error(tmp_path: Path) -> None:
    root = make_program(tmp_path)
    result = runner.invoke(app, ["report", str(root), "--paper", "napkin"])
    assert result.exit_code == 2
    assert "'napkin' is not one of 'a4', 'letter'" in result.stderr


def _checkin(rows: list[str]) -> str:
    return "\r\n".join(["submitted,member,session,match_id,useful,honest_feedback", *rows]) + "\r\n"


def _leavers(root: Path) -> None:
    """Gus left before the data's last date, Zoë leaves after it."""
    roster = root / "members.yaml"
    text = roster.read_text(encoding="utf-8")
    text = text.replace("organization: B3}", "organization: B3, left: 2027-02-20}")
    roster.write_text(text.replace("organization: B4}", "organization: B4, left: 2027-04-01}"))


def test_headline_numbers_are_judged_on_the_as_of_date(tmp_path: Path) -> None:
    root = make_program(tmp_path)  # attendance on 12 January and 9 February
    _leavers(root)
    answers = [
        f"2027-03-09 18:00,{m},3,{t},4,4"
        for m, t in (
            ("ana", "team-a"),
            ("ben", "team-a"),
            ("cai", "team-a"),
            ("dee", "team-a"),
            ("eva", "team-b"),
            ("fin", "team-b"),
        )
    ]
    (root / "responses" / "checkin.csv").write_text(_checkin(answers), encoding="utf-8")
    now = ["--now", "2027-03-09"]
    result = runner.invoke(app, ["report", str(root), "--format", "json", "--dry-run", *now])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # --now as a bare date is that day in the program's timezone (America/Los_Angeles).
    assert data["as_of"] == "2027-03-09"
    # Zoë is still in the program on 9 March; Gus had left.
    part = data["participation"]
    assert (part["members"], part["matched"], part["left"]) == (7, 7, 1)
    assert data["tally"]["surveys"][0]["invited"] == 7
    reasons = {r["match"]: r["reasons"] for r in data["tally"]["at_risk"]}
    assert "no checkin answer after session 3 from Zoë Łukasiewicz" in reasons["team-b"]
    assert not any("Gus" in reason for reason in reasons["team-b"])
    assert runner.invoke(app, ["report", str(root), "--as", "html", *now]).exit_code == 0
    page = parse((root / "out" / "report" / "report.html").read_text(encoding="utf-8"))
    text = " ".join(" ".join(page.text).split())
    assert "6 response(s) of 7 members in a match (86%)" in text  # people, not places
    assert "7 / 7 members matched (round 2027) of those active on 2027-03-09; 1 had left" in text
    # --now before the data: the report is as of --now (one "as of"), and says so.
    early = runner.invoke(
        app, ["report", str(root), "--format", "json", "--dry-run", "--now", "2027-02-01"]
    )
    data = json.loads(early.stdout)
    assert data["as_of"] == "2027-02-01"
    assert any(
        "--now 2027-02-01 is before the latest data (2027-03-09)" in n for n in data["notes"]
    )
    later = runner.invoke(
        app, ["report", str(root), "--format", "json", "--dry-run", "--now", "2027-05-01"]
    )
    data = json.loads(later.stdout)
    assert data["as_of"] == "2027-05-01"
    assert data["participation"]["members"] == 6  # Zoë has left by May


def test_missing_answers_are_only_flagged_when_the_survey_was_run(tmp_path: Path) -> None:
    root = make_program(tmp_path, attendance=False)
    # One answer of eight members: the survey was not sent out for this session.
    (root / "responses" / "checkin.csv").write_text(
        _checkin(["2027-03-09 18:00,ana,3,team-a,4,4"]), encoding="utf-8"
    )
    result = runner.invoke(app, ["report", str(root), "--format", "json", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tally"]["at_risk"] == []


def test_the_page_lists_the_worst_at_risk_matches_first_and_counts_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("peerkit.report.page.AT_RISK_SHOWN", 1)
    root = make_program(tmp_path, "google_forms.csv", "kobo.csv")
    now = ["--now", "2028-01-20"]
    result = runner.invoke(app, ["report", str(root), "--format", "json", "--dry-run", *now])
    at_risk = json.loads(result.stdout)["tally"]["at_risk"]
    assert len(at_risk) == 2  # JSON keeps every one
    assert at_risk[0]["severity"] >= at_risk[1]["severity"]
    assert runner.invoke(app, ["report", str(root), "--as", "html", *now]).exit_code == 0
    html = (root / "out" / "report" / "report.html").read_text(encoding="utf-8")
    assert parse(html).ids["at-risk-count"] == "2"
    listed = html[html.index('<table class="risk"') :]
    listed = listed[: listed.index("</table>")]
    assert f"<td>{at_risk[0]['match']}</td>" in listed
    assert f"<td>{at_risk[1]['match']}</td>" not in listed
    assert "1 more match(es) have fewer" in " ".join(" ".join(parse(html).text).split())


def test_goals_find_their_measure_in_other_words(tmp_path: Path) -> None:
    root = make_program(tmp_path, "google_forms.csv")
    program = root / "program.yaml"
    text = program.read_text(encoding="utf-8").replace(
        "  - Members attend at least 10 of the 12 sessions\n"
        "  - Members would recommend the program to a peer\n",
        "  - Eight in ten pairs meet every month\n"
        "  - Mentees hear candid feedback\n"
        "  - Every mentee makes progress on one career goal\n",
    )
    program.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["report", str(root), "--format", "json", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    measures = {g["goal"]: g["measures"] for g in json.loads(result.stdout)["goals"]}
    assert measures["Every mentee makes progress on one career goal"] == ["progress"]
    goals = {g["goal"]: g["evidence"] for g in json.loads(result.stdout)["goals"]}
    assert goals["Eight in ten pairs meet every month"] == [
        "attendance rate (attendance.csv): 50% of member-meetings present; "
        "1 of 2 matches at 75% or more over 2 meeting date(s)"
    ]
    [feedback] = goals["Mentees hear candid feedback"]
    assert feedback.startswith("checkin · I got honest feedback I could act on: mean 3.25 of 5")
    # No question asks about progress: nothing is made up from a word like "mentee".
    assert goals["Every mentee makes progress on one career goal"] == []
    assert runner.invoke(app, ["report", str(root), "--as", "html"]).exit_code == 0
    html = (root / "out" / "report" / "report.html").read_text(encoding="utf-8")
    assert "no survey answered so far asks about progress" in html


def test_a_long_attendance_table_lists_the_lowest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("peerkit.report.page.AT_RISK_SHOWN", 0)  # the page then lists no match
    root = make_program(tmp_path)
    assert runner.invoke(app, ["report", str(root), "--as", "html"]).exit_code == 0
    html = (root / "out" / "report" / "report.html").read_text(encoding="utf-8")
    table = html[html.index('<table id="attendance-matches"') :]
    assert 'class="match"' not in table[: table.index("</table>")]
    assert "2 more attended as well or better" in " ".join(" ".join(parse(html).text).split())
    data = json.loads(
        runner.invoke(app, ["report", str(root), "--format", "json", "--as", "json"]).stdout
    )
    assert len(data["attendance"]["matches"]) == 2


def test_a_session_after_the_report_date_is_never_missed(tmp_path: Path) -> None:
    root = make_program(tmp_path, attendance=False)
    # Six of eight answered "session 4" early, on 9 March; session 4 meets on 13 April.
    answers = [
        f"2027-03-09 18:00,{m},4,{t},4,4"
        for m, t in (
            ("ana", "team-a"),
            ("ben", "team-a"),
            ("cai", "team-a"),
            ("dee", "team-a"),
            ("eva", "team-b"),
            ("fin", "team-b"),
        )
    ]
    (root / "responses" / "checkin.csv").write_text(_checkin(answers), encoding="utf-8")
    result = runner.invoke(app, ["report", str(root), "--format", "json", "--dry-run"])
    assert json.loads(result.stdout)["tally"]["at_risk"] == []
    later = runner.invoke(
        app, ["report", str(root), "--format", "json", "--dry-run", "--now", "2027-04-20"]
    )
    [risk] = json.loads(later.stdout)["tally"]["at_risk"]
    assert risk["reasons"] == ["no checkin answer after session 4 from Gus Holm, Zoë Łukasiewicz"]


def test_the_report_is_as_of_now_on_the_round_in_effect_then(tmp_path: Path) -> None:
    root = make_program(tmp_path)  # attendance (spring) on 12 January and 9 February
    two_rounds(root, ("cai", "gus", "dee"))
    answers = [
        "2027-01-13 09:00,ana,,team-a,4,4",
        "2027-01-13 09:00,eva,,team-b,2,2",
        "2027-07-14 09:00,ana,,team-a,5,5",
        "2027-07-14 09:00,eva,,team-a,5,4",
        "2027-07-14 09:00,cai,,team-b,3,3",
    ]
    (root / "responses" / "checkin.csv").write_text(_checkin(answers), encoding="utf-8")
    args = ["report", str(root), "--format", "json", "--dry-run"]
    spring = runner.invoke(app, [*args, "--now", "2027-03-01"])
    assert spring.exit_code == 0, spring.stderr
    data = json.loads(spring.stdout)
    assert data["as_of"] == "2027-03-01"
    assert data["tally"]["as_of"] == "2027-03-01"
    part = data["participation"]
    assert (part["round"], part["matches"], part["matched"]) == ("spring", 2, 8)
    assert data["tally"]["round"] == "spring"
    # Answers from both periods, each for its own round's match.
    groups = [
        (g["round"], g["key"], g["respondents"]) for g in data["tally"]["surveys"][0]["by_match"]
    ]
    assert groups == [
        ("spring", "team-a", 1),
        ("spring", "team-b", 1),
        ("fall", "team-a", 2),
        ("fall", "team-b", 1),
    ]
    assert {r["match"] for r in data["tally"]["at_risk"]} == {"team-b"}  # spring's team-b
    fall = json.loads(runner.invoke(app, [*args, "--now", "2027-08-01"]).stdout)
    assert fall["as_of"] == "2027-08-01"
    assert (fall["participation"]["round"], fall["participation"]["matched"]) == ("fall", 7)
    assert fall["tally"]["round"] == "fall"
    pinned = runner.invoke(app, [*args, "--now", "2027-08-01", "--round", "spring"])
    assert pinned.exit_code == 0, pinned.stderr
    data = json.loads(pinned.stdout)
    assert data["participation"]["round"] == "spring"
    groups = [
        (g["round"], g["key"], g["respondents"]) for g in data["tally"]["surveys"][0]["by_match"]
    ]
    assert groups == [("spring", "team-a", 3), ("spring", "team-b", 2)]
    # The same folder and --now give the same bytes.
    again = runner.invoke(app, [*args, "--now", "2027-08-01", "--round", "spring"])
    assert again.stdout == pinned.stdout
