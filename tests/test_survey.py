"""Survey forms: `peerkit survey` as HTML, PDF, Markdown, CSV and XLSForm."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from peerkit.load.folder import load_folder
from peerkit.model import Folder
from peerkit.survey import render_surveys, survey_questions, xlsform_rows
from tests.conftest import MINIMAL_MEMBERS, assert_golden, run, write_folder

GOLDEN = Path(__file__).parent / "golden" / "survey"


def loaded(root: Path) -> Folder:
    folder, problems = load_folder(root)
    assert folder is not None, problems
    return folder


def golden(name: str, data: bytes) -> None:
    assert_golden(GOLDEN / name, data)


def test_golden_forms_for_the_sample(sample: Path) -> None:
    result = run("survey", sample, "--as", "md", "--as", "html", "--as", "csv")
    assert result.exit_code == 0, result.output
    out = sample / "out" / "surveys"
    for name in ("checkin", "final"):
        for ext in ("md", "html", "csv"):
            golden(f"{name}.{ext}", (out / f"{name}.{ext}").read_bytes())


def test_every_survey_in_every_format(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt
    import time
    import types

    import openpyxl.writer.excel
    import weasyprint.pdf.fonts

    # fontTools subsets (as where libharfbuzz-subset0 is missing) and dates them unless told
    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    folder = loaded(sample)
    made = render_surveys(folder)
    assert made.surveys == ["checkin", "final", "midpoint"]  # midpoint ships as a default
    for name in made.surveys:
        for suffix in (".html", ".pdf", ".md", ".csv", "-xlsform.xlsx"):
            assert f"out/surveys/{name}{suffix}" in made.files
    # who answers, which match and which session first (tally reads them by these ids)
    assert made.files["out/surveys/checkin.csv"] == (
        b"name,email,match_id,session,useful,participation,honest_feedback,listened,progress,"
        b"comment\n"
    )
    assert made.files["out/surveys/final.csv"] == (
        b"match_id,goals_met,honest_feedback,confidentiality,common_ground,most_valuable,"
        b"recommend,improve\n"
    )
    # the same folder gives the same bytes, the spreadsheet and the PDF included, a year later:
    # the clock moves for fontTools (time.time) and for openpyxl (datetime.now)
    later = time.time() + 366 * 86400
    monkeypatch.setattr(time, "time", lambda: later)

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Later:
            return cls.fromtimestamp(later, tz)

    clock = types.SimpleNamespace(datetime=Later, timezone=dt.timezone)
    monkeypatch.setattr(openpyxl.writer.excel, "datetime", clock)
    assert render_surveys(folder).files == made.files


def test_xlsform_converts_with_pyxform(sample: Path) -> None:
    from pyxform.xls2xform import convert

    result = run("survey", sample, "--as", "xlsform")
    assert result.exit_code == 0, result.output
    for name in ("checkin", "final", "midpoint"):
        path = sample / "out" / "surveys" / f"{name}-xlsform.xlsx"
        warnings: list[str] = []
        converted = convert(xlsform=str(path), warnings=warnings)
        xform = converted.xform
        assert "<h:title>High Desert Peer Teams 2027: " in xform
        assert "<match_id/>" in xform
        assert warnings == []
    final = convert(xlsform=str(sample / "out/surveys/final-xlsform.xlsx")).xform
    for question in ("goals_met", "most_valuable", "recommend", "improve"):
        assert f"<{question}/>" in final
    assert "<name>hot_seats</name><label>hot seats</label>" in final
    assert re.search(r'<select ref="/data/most_valuable"', final)  # select_multiple
    assert re.search(r'<select1 ref="/data/recommend"', final)


def test_xlsform_sheets(sample: Path) -> None:
    folder = loaded(sample)
    survey_rows, choice_rows, settings_rows = xlsform_rows(
        folder.program, folder.program.surveys["final"]
    )
    types = {row[1]: row[0] for row in survey_rows[1:]}
    assert types == {
        "match_id": "text",
        "goals_met": "select_one likert5",
        "honest_feedback": "select_one likert5",
        "confidentiality": "select_one likert5",
        "common_ground": "select_one likert5",
        "most_valuable": "select_multiple most_valuable_options",
        "recommend": "select_one nps",
        "improve": "text",
    }
    lists = sorted({row[0] for row in choice_rows[1:]})
    assert lists == ["likert5", "most_valuable_options", "nps"]
    assert [row[1] for row in choice_rows if row[0] == "nps"] == [str(n) for n in range(11)]
    assert settings_rows[1][1] == "high_desert_peer_teams_2027_final"


def test_xlsform_is_a_real_workbook(sample: Path) -> None:
    from openpyxl import load_workbook

    result = run("survey", sample, "checkin", "--as", "xlsform")
    assert result.exit_code == 0, result.output
    path = sample / "out/surveys/checkin-xlsform.xlsx"
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    column = [workbook["survey"][f"B{row}"].value for row in range(2, 6)]
    assert column == ["name", "email", "match_id", "session"]
    assert workbook["survey"]["A5"].value == "integer"
    with zipfile.ZipFile(path) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_pdf_form(sample: Path) -> None:
    pdftotext = shutil.which("pdftotext")
    pdfinfo = shutil.which("pdfinfo")
    if pdftotext is None or pdfinfo is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    result = run("survey", sample, "final", "--as", "pdf", "--paper", "letter")
    assert result.exit_code == 0, result.output
    pdf = sample / "out/surveys/final.pdf"
    info = subprocess.run([pdfinfo, pdf], capture_output=True, text=True, check=True).stdout
    assert "612 x 792" in info
    text = subprocess.run([pdftotext, pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert "End-of-year evaluation" in text
    assert "This survey is anonymous." in text
    assert "How likely are you to recommend the program to a peer?" in text
    assert "Strongly agree" in text
    assert "new perspectives" in text


# --- folders of our own -------------------------------------------------------------------

OWN_SURVEY = """\
name: Test Program
timezone: Europe/London
start: 2027-01-01
end: 2027-06-30
format: pairs
surveys:
  pulse:
    title: "Pulse <script>alert(1)</script>"
    anonymous: true
    questions:
      - {id: mood, text: "=HYPERLINK(\\"http://x\\") {{ 7*7 }}", type: likert5}
      - {id: nps_q, text: Would you recommend us?, type: nps}
      - id: likert5
        text: "Pick *one* | or two"
        type: choice
        options: ["a b", "a-b", "<b>bold</b>"]
"""


@pytest.fixture
def own(tmp_path: Path) -> Path:
    return write_folder(
        tmp_path / "own", {"program.yaml": OWN_SURVEY, "members.yaml": MINIMAL_MEMBERS}
    )


def test_a_survey_without_match_id_gets_one_first(own: Path) -> None:
    result = run("survey", own, "pulse", "--as", "csv")
    assert result.exit_code == 0, result.output
    assert (own / "out/surveys/pulse.csv").read_text() == "match_id,session,mood,nps_q,likert5\n"
    assert "has no match_id question; the forms add one first" in result.stderr
    survey = loaded(own).program.surveys["pulse"]
    ids = [q.id for q in survey_questions(survey)]
    assert ids == ["match_id", "session", "mood", "nps_q", "likert5"]


def test_hostile_survey_text_is_escaped_and_converts(own: Path) -> None:
    from markdown_it import MarkdownIt
    from openpyxl import load_workbook
    from pyxform.xls2xform import convert

    result = run("survey", own, "pulse", "--as", "html", "--as", "md", "--as", "xlsform")
    assert result.exit_code == 0, result.output
    html = (own / "out/surveys/pulse.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "Pulse &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    md = (own / "out/surveys/pulse.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").render(md)
    assert "<script>" not in rendered
    assert "<em>" not in rendered
    assert "Pick *one* | or two" in rendered
    path = own / "out/surveys/pulse-xlsform.xlsx"
    cell = load_workbook(path)["survey"]["C4"]
    assert cell.data_type == "s"  # text, never a formula
    assert str(cell.value).startswith("=HYPERLINK")
    xform = convert(xlsform=str(path)).xform
    # two options that clean up to the same value stay apart; a choice question named like
    # a shared list keeps its own list
    assert "<name>a_b</name>" in xform
    assert "<name>a_b_2</name>" in xform
    assert 'instance id="likert5_options"' in xform


def test_unknown_survey_suggests_the_name(sample: Path) -> None:
    result = run("survey", sample, "chekin")
    assert result.exit_code == 2  # a usage error, as in tally
    assert "program.yaml has no survey 'chekin'" in result.stderr
    assert "did you mean 'checkin'?" in result.stderr


def test_lone_name_means_the_current_folder(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(sample)
    result = run("survey", "checkin", "--as", "csv")
    assert result.exit_code == 0, result.output
    assert (sample / "out/surveys/checkin.csv").is_file()
    result = run("survey", "--as", "csv", "--format", "json", "--dry-run")
    assert result.exit_code == 0, result.output
    assert '"surveys": [\n    "checkin",\n    "final",\n    "midpoint"\n  ]' in result.stdout


def test_not_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run("survey", tmp_path / "nowhere", "checkin")
    assert result.exit_code == 2
    assert "is not a folder" in result.stderr


def test_dry_run_writes_nothing(sample: Path) -> None:
    result = run("survey", sample, "final", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would write" in result.stdout
    assert not (sample / "out").exists()


def test_template_override_and_broken_template(sample: Path) -> None:
    write_folder(
        sample, {"templates/survey.md.j2": "{{ survey.title }}: {{ questions | length }}\n"}
    )
    result = run("survey", sample, "final", "--as", "md")
    assert result.exit_code == 0, result.output
    assert (sample / "out/surveys/final.md").read_text() == "End-of-year evaluation: 8\n"
    write_folder(sample, {"templates/survey.html.j2": "<h1>{{ survey.title }}</h1>\n{% if %}\n"})
    result = run("survey", sample, "final", "--as", "html")
    assert result.exit_code == 1
    assert re.search(r"survey\.html\.j2:2: template error", result.stderr), result.stderr
    assert not (sample / "out/surveys/final.html").exists()


def test_build_writes_every_survey(sample: Path) -> None:
    result = run("build", sample, "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    for name in ("checkin", "final", "midpoint"):
        assert f"out/surveys/{name}-xlsform.xlsx" in result.stdout
        assert f"out/surveys/{name}.pdf" in result.stdout


def test_a_filled_template_tallies_with_its_session_and_respondent(sample: Path) -> None:
    """The CSV template, filled in by hand and saved under its own name in responses/,
    tallies: each row's session and respondent are found, and the low-scoring match is
    flagged."""
    import csv
    import io
    import json

    for export in (sample / "responses").iterdir():
        export.unlink()
    assert run("survey", sample, "checkin", "--as", "csv").exit_code == 0
    header = (sample / "out/surveys/checkin.csv").read_text(encoding="utf-8").splitlines()[0]
    columns = header.split(",")
    assert columns[:4] == ["name", "email", "match_id", "session"]
    people = {
        "match-01": ["aaron-blake", "dev-patel", "kenji-sato"],
        "match-02": ["ana-ruiz", "bianca-romano", "tara-nguyen"],
    }
    score = {"match-01": "1", "match-02": "5"}
    folder = loaded(sample)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for match, ids in people.items():
        for member_id in ids:
            member = folder.member(member_id)
            assert member is not None
            row = dict.fromkeys(columns, score[match])
            row |= {"name": member.name, "email": member.email, "match_id": match}
            row |= {"session": "2", "comment": f"{member.name} says hello"}
            writer.writerow(row)
    (sample / "responses/checkin.csv").write_text(buffer.getvalue(), encoding="utf-8")
    result = run("tally", sample, "--format", "json", "--now", "2027-02-20")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    checkin = next(s for s in data["surveys"] if s["survey"] == "checkin")
    assert checkin["files"] == [{"file": "responses/checkin.csv", "tool": "plain", "rows": 6}]
    assert [(g["label"], g["respondents"]) for g in checkin["by_session"]] == [("session 2", 6)]
    by_match = {g["key"]: (g["health"], g["latest_session"]) for g in checkin["by_match"]}
    assert by_match["match-01"] == (1.0, 2)
    assert by_match["match-02"] == (5.0, 2)
    comment = next(q for q in checkin["questions"] if q["id"] == "comment")
    assert {(c["member"], c["match"], c["session"]) for c in comment["comments"]} >= {
        ("Aaron Blake", "match-01", 2),
        ("Ana Ruiz", "match-02", 2),
    }
    flagged = {r["match"]: r["reasons"] for r in data["at_risk"]}
    assert "match-01" in flagged
    assert any("1.0 of 5" in reason for reason in flagged["match-01"])
    assert "match-02" not in flagged
    # the printed form asks for the same: who, the team and the session, before the questions
    assert run("survey", sample, "checkin", "--as", "html").exit_code == 0
    html = (sample / "out/surveys/checkin.html").read_text(encoding="utf-8")
    asked = re.findall(r'<span class="q-number">\d+\.</span>([^<]*)', html)
    assert len(asked) >= 4
    assert [a.strip() for a in asked[:4]] == [
        q.text for q in survey_questions(folder.program.surveys["checkin"])[:4]
    ]
