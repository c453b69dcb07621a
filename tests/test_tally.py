"""peerkit tally: real export formats with known answers, exact numbers, privacy, hostile cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peerkit.cli import app
from peerkit.model import Question
from peerkit.responses.values import normalize, parse_multi, parse_scale, parse_time
from tests.conftest import SAMPLE, two_rounds

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
runner = CliRunner()

CHECKIN_HEADER = "member,session,match_id,useful,honest_feedback,comment"


def make_program(tmp_path: Path, *exports: str, files: dict[str, bytes] | None = None) -> Path:
    """The small test program with the named fixture exports (and extra files) in responses/."""
    root = tmp_path / "program"
    shutil.copytree(FIXTURES / "program", root)
    (root / "responses").mkdir()
    for name in exports:
        shutil.copy(FIXTURES / name, root / "responses" / name)
    for name, data in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def tally_json(root: Path, *args: str) -> dict[str, object]:
    result = runner.invoke(app, ["tally", str(root), *args, "--format", "json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def survey_of(data: dict[str, object], name: str) -> dict[str, object]:
    surveys = data["surveys"]
    assert isinstance(surveys, list)
    return next(s for s in surveys if s["survey"] == name)


def question_of(survey: dict[str, object], qid: str) -> dict[str, object]:
    questions = survey["questions"]
    assert isinstance(questions, list)
    return next(q for q in questions if q["id"] == qid)


@pytest.mark.parametrize(
    ("export", "tool", "session"),
    [
        ("google_forms.csv", "google-forms", 1),
        ("microsoft_forms.xlsx", "microsoft-forms", 2),
        ("plain.csv", "plain", 3),
    ],
)
def test_checkin_exports_give_exact_numbers(
    tmp_path: Path, export: str, tool: str, session: int
) -> None:
    root = make_program(tmp_path, export)
    data = tally_json(root)
    checkin = survey_of(data, "checkin")
    assert checkin["files"] == [{"file": f"responses/{export}", "tool": tool, "rows": 4}]
    assert checkin["respondents"] == 4
    useful = question_of(checkin, "useful")
    assert (useful["n"], useful["missing"]) == (4, 0)
    assert useful["mean"] == 3.75
    assert useful["median"] == 4.0
    assert useful["top2_box"] == 75.0
    assert useful["distribution"] == {
        "Strongly disagree": 0,
        "Disagree": 1,
        "Neither agree nor disagree": 0,
        "Agree": 2,
        "Strongly agree": 1,
    }
    honest = question_of(checkin, "honest_feedback")
    assert (honest["mean"], honest["median"], honest["top2_box"]) == (3.25, 3.5, 50.0)
    comments = question_of(checkin, "comment")["comments"]
    assert isinstance(comments, list)
    assert {c["member"] for c in comments} <= {"Ana Ruiz", "Ben Okafor", "Cai Lin"}
    assert any(c["text"] == '=HYPERLINK("http://evil.example","click")' for c in comments)
    by_session = checkin["by_session"]
    assert [(g["key"], g["respondents"]) for g in by_session] == [(str(session), 4)]
    # "Team A" on one answer is recognised as team-a.
    assert [(g["key"], g["respondents"]) for g in checkin["by_match"]] == [
        ("team-a", 3),
        ("team-b", 1),
    ]
    assert data["problems"] == []


@pytest.mark.parametrize(
    ("export", "tool"),
    [("surveymonkey.csv", "surveymonkey"), ("qualtrics.csv", "qualtrics"), ("kobo.csv", "kobo")],
)
def test_final_exports_give_exact_nps_and_counts(tmp_path: Path, export: str, tool: str) -> None:
    root = make_program(tmp_path, export)
    data = tally_json(root)
    final = survey_of(data, "final")
    assert final["anonymous"] is True
    assert final["files"][0]["tool"] == tool  # type: ignore[index]
    assert final["respondents"] == 7
    recommend = question_of(final, "recommend")
    assert recommend["nps"] == 14.3
    assert (recommend["promoters"], recommend["passives"], recommend["detractors"]) == (3, 2, 2)
    assert recommend["median"] == 8.0
    assert recommend["mean"] == 7.43
    goals = question_of(final, "goals_met")
    assert (goals["median"], goals["top2_box"]) == (4.0, 57.1)
    valuable = question_of(final, "most_valuable")
    assert valuable["counts"] == {"hot seats": 4, "accountability": 3, "new perspectives": 2}
    assert (valuable["n"], valuable["missing"]) == (5, 2)
    improve = question_of(final, "improve")
    # Anonymous: no author, no match, alphabetical order.
    assert [c["text"] for c in improve["comments"]] == [  # type: ignore[union-attr]
        "More time for hot seats",
        "Nothing, it was great",
        "Smaller teams",
        "Start on time",
    ]
    assert all(c["member"] == "" and c["match"] == "" for c in improve["comments"])  # type: ignore[union-attr]
    text = json.dumps(data)
    assert "person1@example.org" not in text
    assert "Secret" not in text


def test_anonymous_survey_under_the_cut_off_shows_no_score(tmp_path: Path) -> None:
    lines = (FIXTURES / "qualtrics.csv").read_text(encoding="utf-8").splitlines()
    root = make_program(
        tmp_path, files={"responses/final.csv": "\n".join(lines[:5]).encode("utf-8")}
    )
    data = tally_json(root)
    final = survey_of(data, "final")
    assert final["respondents"] is None
    recommend = question_of(final, "recommend")
    assert recommend["suppressed"] is True
    assert recommend["nps"] is None
    assert recommend["note"] == "fewer than 3 responses"
    assert question_of(final, "improve")["comments"] == []
    text = runner.invoke(app, ["tally", str(root)])
    assert text.exit_code == 0
    assert "fewer than 3 responses" in text.stdout
    assert "Start on time" not in text.stdout + json.dumps(data)


def test_anonymous_per_match_view_rolls_up_to_the_cohort(tmp_path: Path) -> None:
    lines = (FIXTURES / "qualtrics.csv").read_text(encoding="utf-8").splitlines()
    # Four from team-a and one from team-b: team-b alone would be one person.
    root = make_program(
        tmp_path, files={"responses/final.csv": "\n".join(lines[:8]).encode("utf-8")}
    )
    final = survey_of(tally_json(root), "final")
    assert final["respondents"] == 5
    assert final["by_match"] == []
    assert "rolled up to the cohort" in str(final["note"])
    assert question_of(final, "recommend")["nps"] == 60.0  # 10, 10, 9, 8, 7: (3 - 0) / 5


def test_identified_survey_shows_each_match_however_small(tmp_path: Path) -> None:
    root = make_program(tmp_path, "google_forms.csv")
    checkin = survey_of(tally_json(root), "checkin")
    team_b = next(g for g in checkin["by_match"] if g["key"] == "team-b")  # type: ignore[union-attr]
    assert team_b["respondents"] == 1
    assert team_b["scores"] == {"useful": 2.0, "honest_feedback": 1.0}


def _plain(rows: list[str]) -> str:
    return "\r\n".join([CHECKIN_HEADER, *rows]) + "\r\n"


KNOWN_ROWS = [
    "ana,1,team-a,5,4,Zoë said: très bien",
    "ben,1,team-a,4,3,",
    "cai,1,team-a,Agree,5,",
    "eva,1,team-b,2 - Disagree,1,",
]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("cp1252"),
        lambda text: text.replace(",", ";").encode("utf-8"),
        lambda text: text.replace(",", "\t").replace("\r\n", "\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "cp1252", "semicolon", "tab-lf"],
)
def test_encodings_and_delimiters(tmp_path: Path, encode: object) -> None:
    assert callable(encode)
    root = make_program(tmp_path, files={"responses/checkin.csv": encode(_plain(KNOWN_ROWS))})
    checkin = survey_of(tally_json(root), "checkin")
    useful = question_of(checkin, "useful")
    assert (useful["mean"], useful["median"], useful["top2_box"]) == (3.75, 4.0, 75.0)
    comments = question_of(checkin, "comment")["comments"]
    assert [c["text"] for c in comments] == ["Zoë said: très bien"]  # type: ignore[union-attr]


def test_out_of_scale_and_unmapped_are_located_warnings(tmp_path: Path) -> None:
    text = "member,session,match_id,useful,honest_feedback,favourite colour\r\n"
    text += "ana,1,team-a,7,4,blue\r\nben,1,team-a,4,maybe,red\r\n"
    root = make_program(tmp_path, files={"responses/checkin.csv": text.encode()})
    result = runner.invoke(app, ["tally", str(root)])
    assert result.exit_code == 0, result.stderr
    assert "checkin.csv:1:6: warning[unmapped-column]: column 'favourite colour'" in result.stderr
    assert "--map 'favourite colour=QUESTION_ID'" in result.stderr
    assert (
        "checkin.csv:2:4: warning[out-of-scale]: useful: '7' is not on the scale" in result.stderr
    )
    assert "checkin.csv:3:5: warning[out-of-scale]: honest_feedback: 'maybe'" in result.stderr
    assert "Traceback" not in result.stderr
    useful = question_of(survey_of(tally_json(root), "checkin"), "useful")
    assert (useful["n"], useful["missing"], useful["mean"]) == (1, 1, 4.0)


def test_map_option_maps_a_renamed_column(tmp_path: Path) -> None:
    text = "Email,How was it today?,Honest?\r\nana@example.org,5,4\r\nben@example.org,3,2\r\n"
    root = make_program(tmp_path, files={"responses/checkin-session-01.csv": text.encode()})
    data = tally_json(
        root,
        "--survey",
        "checkin",
        "--map",
        "How was it today?=useful",
        "--map",
        "Honest?=honest_feedback",
    )
    checkin = survey_of(data, "checkin")
    assert question_of(checkin, "useful")["mean"] == 4.0
    assert question_of(checkin, "honest_feedback")["mean"] == 3.0
    assert [g["key"] for g in checkin["by_match"]] == ["team-a"]  # from the respondents
    assert [g["key"] for g in checkin["by_session"]] == ["1"]  # from the file's name


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    root = make_program(tmp_path, "plain.csv")
    bad_map = runner.invoke(app, ["tally", str(root), "--map", "no equals sign"])
    assert bad_map.exit_code == 2
    assert "--map 'no equals sign' is not COLUMN=QUESTION_ID" in bad_map.stderr
    bad_survey = runner.invoke(app, ["tally", str(root), "--survey", "chekin"])
    assert bad_survey.exit_code == 2
    assert "did you mean 'checkin'?" in bad_survey.stderr


def test_unknown_survey_is_a_warning_and_survey_option_fixes_text_match(tmp_path: Path) -> None:
    text = "Timestamp,Favourite colour\r\n1/12/2027 10:00:00,blue\r\n"
    root = make_program(tmp_path, "plain.csv", files={"responses/colours.csv": text.encode()})
    result = runner.invoke(app, ["tally", str(root)])
    assert result.exit_code == 0
    assert "colours.csv:1:1: warning[unknown-survey]: cannot tell which survey" in result.stderr
    assert "--survey" in result.stderr


def test_hostile_cells(tmp_path: Path) -> None:
    huge = "x" * 1_000_000
    rows = [
        'ana,1,team-a,5,4,"=HYPERLINK(""http://evil.example"",""x"")"',
        "ben,1,team-a,4,3,<script>alert(1)</script>",
        f"cai,1,team-a,4,5,{huge}",
        "eva,1,team-b,+1,1,@SUM(A1:A2)",
    ]
    root = make_program(tmp_path, files={"responses/checkin.csv": _plain(rows).encode()})
    result = runner.invoke(app, ["tally", str(root), "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert "warning[long-answer]: comment: the answer is 1,000,000 characters" in result.stderr
    cells = [cell for row in csv.reader(io.StringIO(result.stdout)) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert "'@SUM(A1:A2)" in cells
    assert max(len(c) for c in cells) < 10_000
    html = (root / "out" / "tally" / "tally.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    data = json.loads((root / "out" / "tally" / "tally.json").read_text(encoding="utf-8"))
    useful = question_of(survey_of(data, "checkin"), "useful")
    assert useful["n"] == 4  # "+1" is the number 1, kept as text nowhere


def test_binary_and_broken_files_are_errors_not_tracebacks(tmp_path: Path) -> None:
    root = make_program(
        tmp_path,
        files={
            "responses/garbage.csv": b"\x00\x01\x02 binary",
            "responses/broken.xlsx": b"PK\x03\x04 not really a workbook",
        },
    )
    result = runner.invoke(app, ["tally", str(root)])
    assert result.exit_code == 1
    assert "garbage.csv:1:1: error[binary]" in result.stderr
    assert "broken.xlsx: error[xlsx]" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "out").exists()


def test_missing_file_argument(tmp_path: Path) -> None:
    root = make_program(tmp_path)
    result = runner.invoke(app, ["tally", str(root), str(root / "nope.csv")])
    assert result.exit_code == 1
    assert "nope.csv: error[missing-file]" in result.stderr


def test_no_responses_is_not_an_error(tmp_path: Path) -> None:
    root = make_program(tmp_path)
    result = runner.invoke(app, ["tally", str(root)])
    assert result.exit_code == 0
    assert "no survey responses found" in result.stderr


def test_files_given_on_the_command_line_and_dry_run(tmp_path: Path) -> None:
    root = make_program(tmp_path)
    result = runner.invoke(
        app, ["tally", str(root), str(FIXTURES / "kobo.csv"), "--dry-run", "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    assert survey_of(json.loads(result.stdout), "final")["respondents"] == 7
    assert "would write" in result.stderr
    assert not (root / "out").exists()


def test_at_risk_matches_with_reasons(tmp_path: Path) -> None:
    rows = [
        "ana,1,team-a,5,5,",
        "ben,1,team-a,5,4,",
        "eva,1,team-b,5,5,",
        "fin,1,team-b,4,4,",
        "ana,2,team-a,5,4,",
        "ben,2,team-a,4,4,",
        "cai,2,team-a,4,4,",
        "dee,2,team-a,5,5,",
        "eva,2,team-b,2,2,",
        "fin,2,team-b,3,2,",
        "gus,2,team-b,1,2,",
    ]
    root = make_program(tmp_path, files={"responses/checkin.csv": _plain(rows).encode()})
    data = tally_json(root, "--now", "2027-02-20")
    at_risk = data["at_risk"]
    assert isinstance(at_risk, list)
    assert [r["match"] for r in at_risk] == ["team-b"]
    reasons = at_risk[0]["reasons"]
    assert "low checkin scores: 2.0 of 5 after session 2" in reasons
    assert "checkin scores falling: 4.5 → 2.0 from session 1 to 2" in reasons
    assert "Gus Holm rated session 2 1.5 of 5 on average" in reasons
    assert "no checkin answer after session 2 from Zoë Łukasiewicz" in reasons
    text = runner.invoke(app, ["tally", str(root)])
    assert "team-b (Eva Novak (eva), Finn Berg (fin), Gus Holm (gus), Zoë Łukasiewicz (zoe))" in (
        text.stdout
    )


def test_no_names_leaves_authors_out(tmp_path: Path) -> None:
    root = make_program(tmp_path, "google_forms.csv")
    data = tally_json(root, "--no-names")
    comments = question_of(survey_of(data, "checkin"), "comment")["comments"]
    assert all(c["member"] == "" for c in comments)  # type: ignore[union-attr]


def test_scale_and_multi_parsing() -> None:
    likert = Question("q", "Q", "likert5")
    assert [parse_scale(t, likert) for t in ("5", "4.0", "Agree", "strongly AGREE")] == [5, 4, 4, 5]
    assert [parse_scale(t, likert) for t in ("4 - Agree", "Agree (4)", "Neutral")] == [4, 4, 3]
    assert [parse_scale(t, likert) for t in ("0", "6", "4.5", "maybe")] == [None] * 4
    nps = Question("r", "R", "nps")
    assert [parse_scale(t, nps) for t in ("0", "10", "10 - Extremely likely", "11")] == [
        0,
        10,
        10,
        None,
    ]
    multi = Question("m", "M", "multi", ("hot seats", "accountability", "new perspectives"))
    assert parse_multi("hot seats, accountability", multi) == (("hot seats", "accountability"), [])
    assert parse_multi("accountability;hot seats;", multi) == (("hot seats", "accountability"), [])
    assert parse_multi("hot_seats new_perspectives", multi) == (
        ("hot seats", "new perspectives"),
        [],
    )
    assert parse_multi("hot seats, golf", multi) == (("hot seats",), ["golf"])
    assert normalize("1. This session — was useful!") == "this session was useful"


def _time(text: str) -> dt.datetime:
    moment = parse_time(text)
    assert moment is not None
    return moment


def test_submission_times() -> None:
    assert _time("1/12/2027 1:05:00 PM").isoformat() == "2027-01-12T13:05:00"
    assert _time("2027/01/12 9:41:03").isoformat() == "2027-01-12T09:41:03"
    assert _time("25/12/2027 08:00").isoformat() == "2027-12-25T08:00:00"
    assert _time("2028-01-11T10:00:00.000-08:00").isoformat() == "2028-01-11T10:00:00"
    assert parse_time("yesterday") is None
    assert parse_time("13/13/2027") is None


def test_a_repeated_answer_counts_once(tmp_path: Path) -> None:
    root = make_program(tmp_path, "google_forms.csv")
    shutil.copy(FIXTURES / "google_forms.csv", root / "responses" / "again.csv")
    result = runner.invoke(app, ["tally", str(root), "--format", "json"])
    assert result.exit_code == 0
    assert "again.csv:2:1: warning[repeat-answer]: ana answered checkin for session 1 again" in (
        result.stderr
    )
    assert survey_of(json.loads(result.stdout), "checkin")["respondents"] == 4


def test_google_grid_and_microsoft_multi(tmp_path: Path) -> None:
    from openpyxl import Workbook

    grid = (
        "Timestamp,Rate this session [This session was useful for my business.],"
        "Rate this session [I got honest feedback I could act on.]\r\n"
        "1/12/2027 10:00:00,Agree,Strongly agree\r\n"
        "1/12/2027 10:01:00,Disagree,Agree\r\n"
    )
    book = Workbook()
    sheet = book.active
    sheet.append(
        ["ID", "Start time", "Completion time", "Email", "Name", "What was most valuable?"]
    )
    sheet.append(
        [1, "2028-01-11 10:00", "2028-01-11 10:05", "a@x", "A", "hot seats;accountability;"]
    )
    sheet.append([2, "2028-01-11 10:00", "2028-01-11 10:05", "b@x", "B", "new perspectives;"])
    sheet.append([3, "2028-01-11 10:00", "2028-01-11 10:05", "c@x", "C", "hot seats;"])
    root = make_program(tmp_path, files={"responses/grid.csv": grid.encode()})
    book.save(root / "responses" / "final.xlsx")
    data = tally_json(root)
    checkin = survey_of(data, "checkin")
    assert question_of(checkin, "useful")["distribution"]["Agree"] == 1  # type: ignore[index]
    assert question_of(checkin, "honest_feedback")["mean"] == 4.5
    final = survey_of(data, "final")
    assert final["files"][0]["tool"] == "microsoft-forms"  # type: ignore[index]
    assert question_of(final, "most_valuable")["counts"] == {
        "hot seats": 2,
        "accountability": 1,
        "new perspectives": 1,
    }
    assert "a@x" not in json.dumps(data)


def test_odk_central_headers_and_qualtrics_previews(tmp_path: Path) -> None:
    odk = (
        "SubmissionDate,final-goals_met,final-recommend,final-most_valuable,"
        "meta-instanceID,KEY,SubmitterID,ReviewState\r\n"
        "2028-01-11T18:05:00.000Z,5,10,hot_seats accountability,uuid:1,uuid:1,5,\r\n"
        "2028-01-11T18:06:00.000Z,4,9,new_perspectives,uuid:2,uuid:2,5,\r\n"
        "2028-01-11T18:07:00.000Z,2,3,,uuid:3,uuid:3,5,\r\n"
    )
    lines = (FIXTURES / "qualtrics.csv").read_text(encoding="utf-8").splitlines()
    preview = lines[3].replace(",IP Address,", ",Survey Preview,")
    qualtrics = "\n".join([*lines, preview]) + "\n"
    root = make_program(
        tmp_path, files={"responses/odk.csv": odk.encode(), "q/q.csv": qualtrics.encode()}
    )
    data = tally_json(root)
    final = survey_of(data, "final")
    assert final["files"] == [{"file": "responses/odk.csv", "tool": "kobo", "rows": 3}]
    assert question_of(final, "recommend")["nps"] == 33.3  # 10 and 9 promote, 3 detracts
    result = runner.invoke(app, ["tally", str(root), str(root / "q" / "q.csv"), "-f", "json"])
    assert "q/q.csv: warning[preview]: 1 survey preview, test or spam response(s) left out" in (
        result.stderr
    )
    assert survey_of(json.loads(result.stdout), "final")["respondents"] == 7


def test_check_reads_responses_and_attendance(tmp_path: Path) -> None:
    text = _plain(["ana,1,team-a,7,4,", "ben,1,team-a,4,-3," + "x" * 6000])
    attendance = "date,match,member,status\n2027-01-12,team-a,ana,maybe\n"
    root = make_program(
        tmp_path,
        files={"responses/checkin.csv": text.encode(), "attendance.csv": attendance.encode()},
    )
    result = runner.invoke(app, ["check", str(root)])
    assert result.exit_code == 0, result.stderr  # warnings: the program itself is fine
    assert (
        "checkin.csv:2:4: warning[out-of-scale]: useful: '7' is not on the scale" in result.stderr
    )
    assert "checkin.csv:3:5: warning[out-of-scale]: honest_feedback: '-3'" in result.stderr
    assert "checkin.csv:3:6: warning[long-answer]" in result.stderr
    assert (
        "attendance.csv:2:4: warning[attendance-status]: 'maybe' is not a status" in result.stderr
    )
    strict = runner.invoke(app, ["check", str(root), "--strict"])
    assert strict.exit_code == 1
    # Other commands leave the exports to tally and report: no warning about them here.
    agenda = runner.invoke(app, ["attendance", "sheet", str(root), "--session", "1", "--dry-run"])
    assert "out-of-scale" not in agenda.stderr


def test_a_formula_in_the_match_column_is_text_with_a_warning(tmp_path: Path) -> None:
    text = _plain([',1,"=HYPERLINK(""#match"",""match-2"")",5,5,', ",1,match-2,4,4,"])
    root = make_program(tmp_path, files={"responses/checkin.csv": text.encode()})
    (root / "rounds" / "2027.yaml").write_text(
        'round: "2027"\nmatches:\n'
        "  - {id: match-01, members: [ana, ben, cai, dee]}\n"
        "  - {id: match-02, members: [eva, fin, gus, zoe]}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["tally", str(root), "--format", "json", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert (
        'checkin.csv:2:3: warning[formula-cell]: \'=HYPERLINK("#match","match-2")\' is a '
        "spreadsheet formula, not a match id" in " ".join(result.stderr.split())
    )
    checkin = survey_of(json.loads(result.stdout), "checkin")
    # Only the typed "match-2" counts for match-02; the formula's row belongs to no match.
    assert [(g["key"], g["respondents"]) for g in checkin["by_match"]] == [("match-02", 1)]


def test_an_unknown_survey_is_a_usage_error_naming_the_surveys(tmp_path: Path) -> None:
    root = make_program(tmp_path, "plain.csv")
    result = runner.invoke(app, ["tally", str(root), "--survey", "NOPE"])
    assert result.exit_code == 2
    assert "--survey: the program has no survey 'NOPE'" in result.stderr
    assert "the surveys are: checkin, midpoint, final" in result.stderr
    assert result.stdout == ""
    assert not (root / "out").exists()


def test_text_lists_the_worst_at_risk_matches_and_counts_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("peerkit.report.page.AT_RISK_SHOWN", 0)
    rows = ["ana,1,team-a,5,5,", "ben,1,team-a,5,4,", "eva,1,team-b,1,1,", "fin,1,team-b,2,1,"]
    root = make_program(tmp_path, files={"responses/checkin.csv": _plain(rows).encode()})
    result = runner.invoke(app, ["tally", str(root), "--dry-run", "--now", "2027-01-20"])
    assert result.exit_code == 0, result.stderr
    assert "At risk (2 match(es), worst first):" in result.stdout
    assert "… and 2 more with fewer signals (--format json lists every one)" in result.stdout
    assert "low checkin scores" not in result.stdout


# --- which session, which match, which round (issue 11) -------------------------------------

# The fixture program meets on the second Tuesday: 12 Jan, 9 Feb, 9 Mar 2027, ...
GOOGLE_HEADER = (
    "Timestamp,Email Address,Your team (as on your handout),"
    "This session was useful for my business.,I got honest feedback I could act on.,"
    "Anything the coordinator should know?"
)
TEAMS = {"ana": "team-a", "ben": "team-a", "cai": "team-a", "dee": "team-a"}
TEAMS |= {"eva": "team-b", "fin": "team-b", "gus": "team-b", "zoe": "team-b"}


def _google(rows: list[tuple[str, str, str]]) -> bytes:
    """A Google Forms export: (M/D/YYYY time, member id, match) per row, as Google writes it."""
    lines = [GOOGLE_HEADER]
    lines += [
        f"{when},{who}@example.org,{match},Agree,Strongly agree," for when, who, match in rows
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _three_sessions() -> list[tuple[str, str, str]]:
    """8 answers after session 1, 7 after session 2, 6 after session 3 (days after each)."""
    members = list(TEAMS)
    rows = [(f"1/{13 + i % 3}/2027 9:{i:02d}:00", m, TEAMS[m]) for i, m in enumerate(members)]
    rows += [(f"2/{10 + i % 2}/2027 18:30:00", m, TEAMS[m]) for i, m in enumerate(members[:7])]
    rows += [(f"3/{9 + i % 4}/2027 20:15:00", m, TEAMS[m]) for i, m in enumerate(members[:6])]
    return rows


GOOGLE_NAME = "Session check-in (Responses) - Form Responses 1.csv"


def _sessions(checkin: object) -> list[tuple[str, object]]:
    assert isinstance(checkin, dict)
    return [(g["key"], g["respondents"]) for g in checkin["by_session"]]


def test_a_google_export_under_its_own_name_takes_sessions_from_timestamps(
    tmp_path: Path,
) -> None:
    rows = _three_sessions()
    rows.append(("12/20/2026 10:00:00", "ana", "team-a"))  # before the first meeting
    root = make_program(tmp_path, files={f"responses/{GOOGLE_NAME}": _google(rows)})
    result = runner.invoke(app, ["tally", str(root), "--format", "json", "--now", "2027-03-20"])
    assert result.exit_code == 0, result.stderr
    checkin = survey_of(json.loads(result.stdout), "checkin")
    assert checkin["respondents"] == 22
    assert _sessions(checkin) == [("1", 8), ("2", 7), ("3", 6)]
    assert "repeat-answer" not in result.stderr
    assert (
        f"responses/{GOOGLE_NAME}:23:1: warning[outside-program]: answered on 2026-12-20, "
        "before the first meeting (2027-01-12); it counts for no session" in result.stderr
    )
    assert "0 error(s), 1 warning(s) in the answers and attendance" in result.stderr
    by_match = [(g["key"], g["respondents"]) for g in checkin["by_match"]]  # type: ignore[union-attr]
    assert by_match == [("team-a", 13), ("team-b", 9)]  # the early answer counts for Ana's


def test_stray_digits_in_a_file_name_never_give_the_session(tmp_path: Path) -> None:
    root = make_program(tmp_path, files={"responses/s23.csv": _google(_three_sessions())})
    result = runner.invoke(app, ["tally", str(root), "--format", "json", "--now", "2027-03-20"])
    assert result.exit_code == 0, result.stderr
    checkin = survey_of(json.loads(result.stdout), "checkin")
    assert _sessions(checkin) == [("1", 8), ("2", 7), ("3", 6)]
    assert "23" not in [key for key, _ in _sessions(checkin)]
    assert "warning" not in result.stderr


def test_the_session_comes_from_option_column_name_then_timestamp(tmp_path: Path) -> None:
    rows = _three_sessions()[:8]  # all dated after session 1
    files = {
        "responses/checkin-session-02.csv": _google(rows),  # the name beats the timestamps
        "responses/plain.csv": _plain(["ana,3,team-a,5,5,", "ben,,team-a,4,4,"]).encode(),
    }
    root = make_program(tmp_path, files=files)
    result = runner.invoke(app, ["tally", str(root), "--format", "json", "--now", "2027-03-20"])
    assert result.exit_code == 0, result.stderr
    assert _sessions(survey_of(json.loads(result.stdout), "checkin")) == [("2", 8), ("3", 1)]
    # Ben's row has no session, the file's name gives none, and there is no timestamp.
    assert (
        "responses/plain.csv:3:1: warning[no-session]: cannot tell which session this answer "
        "is for" in result.stderr
    )
    forced = runner.invoke(
        app, ["tally", str(root), "--format", "json", "--session", "4", "--now", "2027-04-20"]
    )
    assert forced.exit_code == 0, forced.stderr
    # All for session 4: Ana's and Ben's two answers for team-a are now repeats.
    assert _sessions(survey_of(json.loads(forced.stdout), "checkin")) == [("4", 8)]
    assert forced.stderr.count("warning[repeat-answer]") == 2
    bad = runner.invoke(app, ["tally", str(root), "--session", "13"])
    assert bad.exit_code == 2
    assert "--session: there is no session 13; the program has 12 meeting(s)" in bad.stderr


def _mentor_of_two(root: Path) -> None:
    """Ana mentors Ben (team-a) and Eva (team-b); the others are in team-c."""
    program = root / "program.yaml"
    text = program.read_text(encoding="utf-8").replace("format: groups", "format: mentoring")
    program.write_text(text, encoding="utf-8")
    roster = root / "members.yaml"
    text = roster.read_text(encoding="utf-8")
    text = text.replace("organization: A1}", "organization: A1, role: mentor, capacity: 2}")
    for org in ("A2", "B1"):
        text = text.replace(f"organization: {org}}}", f"organization: {org}, role: mentee}}")
    roster.write_text(text, encoding="utf-8")
    (root / "rounds" / "2027.yaml").write_text(
        'round: "2027"\nmatches:\n'
        "  - {id: team-a, members: [ana, ben]}\n"
        "  - {id: team-b, members: [ana, eva]}\n",
        encoding="utf-8",
    )


def test_a_mentor_answers_once_for_each_match(tmp_path: Path) -> None:
    rows = [
        ("1/13/2027 9:00:00", "ana", "team-a"),
        ("1/13/2027 9:05:00", "ana", "team-b"),
        ("1/14/2027 9:00:00", "ben", "team-a"),
        ("1/14/2027 9:00:00", "eva", "team-b"),
        ("2/10/2027 9:00:00", "ana", "team-b"),
        ("2/10/2027 9:10:00", "ana", "team-b"),  # a repeat: the same match and session
        ("2/10/2027 9:00:00", "ana", "team-a"),
        ("2/11/2027 9:00:00", "eva", "team-b"),
        ("2/11/2027 9:00:00", "ben", "team-b"),  # Ben is not in team-b: counted for team-a
    ]
    root = make_program(tmp_path, files={"responses/checkin.csv": _google(rows)})
    _mentor_of_two(root)
    result = runner.invoke(app, ["tally", str(root), "--format", "json", "--now", "2027-02-20"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    checkin = survey_of(data, "checkin")
    assert _sessions(checkin) == [("1", 4), ("2", 4)]
    by_match = [(g["key"], g["respondents"]) for g in checkin["by_match"]]  # type: ignore[union-attr]
    assert by_match == [("team-a", 4), ("team-b", 4)]  # Ana counted once in each
    err = " ".join(result.stderr.split())
    assert err.count("repeat-answer") == 1
    assert (
        "checkin.csv:6:1: warning[repeat-answer]: ana answered checkin for session 2 again "
        "for team-b (checkin.csv line 7); the later answer counts" in err
    )
    assert (
        "checkin.csv:10:3: warning[wrong-match]: ben is not in team-b of round '2027': the "
        "answer counts for their match team-a" in err
    )
    reasons = [reason for risk in data["at_risk"] for reason in risk["reasons"]]
    assert not any("no checkin answer" in reason for reason in reasons)


def test_answers_belong_to_the_round_in_effect_on_their_date(tmp_path: Path) -> None:
    rows = [
        ("1/13/2027 9:00:00", "ana", "team-a"),
        ("1/13/2027 9:00:00", "eva", "team-b"),
        ("1/13/2027 9:00:00", "cai", "team-a"),
        ("7/14/2027 9:00:00", "ana", "team-a"),
        ("7/14/2027 9:00:00", "eva", "team-a"),
        ("7/14/2027 9:00:00", "cai", "team-b"),
    ]
    root = make_program(tmp_path, files={"responses/checkin.csv": _google(rows)})
    two_rounds(root)
    result = runner.invoke(app, ["tally", str(root), "--format", "json", "--now", "2027-07-20"])
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    data = json.loads(result.stdout)
    checkin = survey_of(data, "checkin")
    assert _sessions(checkin) == [("1", 3), ("7", 3)]
    groups = [(g["label"], g["round"], g["respondents"]) for g in checkin["by_match"]]
    assert groups == [
        ("team-a (spring)", "spring", 2),
        ("team-b (spring)", "spring", 1),
        ("team-a (fall)", "fall", 2),
        ("team-b (fall)", "fall", 1),
    ]
    assert data["round"] == "fall"  # at-risk judged on the round in effect on --now
    # --round reads every answer against that round's matches.
    pinned = runner.invoke(
        app, ["tally", str(root), "--format", "json", "--round", "spring", "--now", "2027-07-20"]
    )
    assert pinned.exit_code == 0, pinned.stderr
    err = " ".join(pinned.stderr.split())
    assert (
        "checkin.csv:6:3: warning[wrong-match]: eva is not in team-a of round 'spring': the "
        "answer counts for their match team-b" in err
    )
    assert (
        "checkin.csv:7:3: warning[wrong-match]: cai is not in team-b of round 'spring': the "
        "answer counts for their match team-a" in err
    )
    data = json.loads(pinned.stdout)
    checkin = survey_of(data, "checkin")
    groups = [(g["label"], g["round"], g["respondents"]) for g in checkin["by_match"]]
    assert groups == [("team-a", "spring", 4), ("team-b", "spring", 2)]
    assert data["round"] == "spring"
    unknown = runner.invoke(app, ["tally", str(root), "--round", "autumn"])
    assert unknown.exit_code == 2
    assert "--round: there is no round 'autumn' in rounds/" in unknown.stderr


def test_a_filled_csv_template_finds_respondent_match_and_session(tmp_path: Path) -> None:
    root = make_program(tmp_path)
    made = runner.invoke(app, ["survey", str(root), "checkin", "--as", "csv"])
    assert made.exit_code == 0, made.stderr
    template = (root / "out" / "surveys" / "checkin.csv").read_text(encoding="utf-8")
    assert template.splitlines()[0] == "name,email,match_id,session,useful,honest_feedback,comment"
    filled = template + "Ana Ruiz,,team-a,2,5,4,\n,fin@example.org,team-b,2,2,1,\n"
    (root / "responses" / "checkin.csv").write_text(filled, encoding="utf-8")
    result = runner.invoke(app, ["tally", str(root), "--format", "json", "--now", "2027-02-20"])
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    checkin = survey_of(json.loads(result.stdout), "checkin")
    assert _sessions(checkin) == [("2", 2)]
    by_match = [(g["key"], g["respondents"]) for g in checkin["by_match"]]  # type: ignore[union-attr]
    assert by_match == [("team-a", 1), ("team-b", 1)]
    comments = runner.invoke(app, ["tally", str(root), "--format", "json", "--now", "2027-02-20"])
    assert comments.stdout == result.stdout  # the second run gives the same bytes


def test_check_folds_repeated_problems_of_one_export(tmp_path: Path) -> None:
    rows = [f"{m},1,{TEAMS[m]},7,4," for m in TEAMS]  # 7 is off the scale on every row
    root = make_program(tmp_path, files={"responses/checkin.csv": _plain(rows).encode()})
    result = runner.invoke(app, ["check", str(root)])
    err = result.stderr
    assert err.count("warning[out-of-scale]: useful: '7' is not on the scale") == 3
    assert "checkin.csv:4:4: warning[out-of-scale]: useful: '7'" in err
    assert "checkin.csv:5:4: warning[out-of-scale]: and 5 more like this (lines 5–9)" in err
    assert "0 error(s), 4 warning(s)" in err


def test_tally_html_is_the_tallys_own_page(tmp_path: Path) -> None:
    """out/tally/tally.html holds per-question statistics; it is never a copy of the report."""
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    result = runner.invoke(app, ["build", str(root), "--now", "2027-04-01"])
    assert result.exit_code == 0, result.stderr
    tally = (root / "out/tally/tally.html").read_text(encoding="utf-8")
    report = (root / "out/report/report.html").read_text(encoding="utf-8")
    assert tally != report
    assert "survey tally</title>" in tally
    assert "<svg" not in tally  # the charts are the report's
    assert "Goals and where we stand" not in tally
    data = json.loads((root / "out/tally/tally.json").read_text(encoding="utf-8"))
    useful = question_of(survey_of(data, "checkin"), "useful")
    # the statistics table of `useful` shows the tally's own n, mean and median
    row = tally.split('<table class="question-stats" data-question="useful">')[1].split("</table>")[
        0
    ]
    assert f'<td class="n">{useful["n"]}</td>' in row
    assert f"{useful['mean']:.2f}" in row
    assert f"{useful['median']:.1f}" in row
    counts = tally.split('<table class="distribution" data-question="useful">')[1].split(
        "</table>"
    )[0]
    for value, count in useful["distribution"].items():
        assert f'<th scope="col" class="n">{value}</th>' in counts
        assert f'<td class="n">{count}</td>' in counts
    # `peerkit tally --format html` prints the same page it writes
    again = runner.invoke(app, ["tally", str(root), "--format", "html", "--now", "2027-04-01"])
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == tally.strip()


def test_json_text_writes_what_json_dumps_writes() -> None:
    """orjson writes the tally's JSON; where it would write other text, json.dumps does."""
    from dataclasses import dataclass

    from peerkit.jsontext import json_text

    @dataclass
    class Point:
        x: int

    samples: list[object] = [
        {"b": 1, "a": [1.5, 2.0, -0.0, 0.30000000000000004, None, True], "é": "ünï\u2028"},
        {"when": dt.date(2027, 3, 9), "t": dt.time(9)},
        {"at": dt.datetime(2027, 3, 9, 18, 30)},  # noqa: DTZ001 - as exports write them
        {"tuple": (1, "x"), "empty": {}, "none": [], "set": {3}, "point": Point(1)},
        {"tiny": 1e-05, "tinier": 2.5e-9, "huge": 1e16, "big": 10**30},
        {2: "int keys", 1: "sorted as numbers"},
        ['control \x00\x1f\t\n\r"\\ chars'],
    ]
    for data in samples:
        wanted = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True, default=str)
        assert json_text(data) == wanted


def test_csv_cells_never_run_as_formulas() -> None:
    from peerkit.tables import csv_bytes, safe_cell

    assert [safe_cell(v) for v in ("=1+2", " =1", "+3", "-4", "@x", "\tx", "", "a=b")] == [
        "'=1+2",
        "' =1",
        "'+3",
        "'-4",
        "'@x",
        "'\tx",
        "",
        "a=b",
    ]
    assert safe_cell(None) == ""
    assert safe_cell(-2) == "'-2"
    rows = [["a", 1.0, 0.125, None, "", -1.5, 1e20, "  "]]
    text = csv_bytes(rows).decode("utf-8-sig")
    assert text == "a,1,0.125,,,'-1.5,1e+20,  \r\n"


def test_short_and_long_rows_read_cell_by_cell(tmp_path: Path) -> None:
    """A row that stops early has no answer past its end; cells past the header are not read."""
    rows = ["ana,1,team-a,5", "ben,1,team-a,4,3", "cai,1,team-a,2,5,fine,stray"]
    root = make_program(tmp_path, files={"responses/checkin.csv": _plain(rows).encode()})
    checkin = survey_of(tally_json(root, "--now", "2027-03-01"), "checkin")
    useful, honest = question_of(checkin, "useful"), question_of(checkin, "honest_feedback")
    assert (useful["n"], useful["missing"], useful["mean"]) == (3, 0, 3.67)
    assert (honest["n"], honest["missing"], honest["mean"]) == (2, 1, 4.0)
    comments = question_of(checkin, "comment")["comments"]
    assert [c["text"] for c in comments] == ["fine"]  # type: ignore[union-attr]
