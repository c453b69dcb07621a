"""peerkit attendance: attendance.csv rates and streaks, located problems, the sign-in sheet."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from peerkit.cli import app
from tests.conftest import run, two_rounds

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
runner = CliRunner()

ATTENDANCE = """date,match,member,status
2027-01-12,team-a,ana,present
2027-01-12,team-a,ben,present
2027-01-12,team-a,cai,absent
2027-01-12,team-a,dee,present
2027-02-09,team-a,ana,present
2027-02-09,team-a,ben,excused
2027-02-09,team-a,cai,absent
2027-02-09,team-a,dee,present
2027-03-09,team-a,ana,present
2027-03-09,team-a,ben,absent
2027-03-09,team-a,cai,present
2027-03-09,team-a,dee,present
2027-01-12,team-b,eva,present
2027-01-12,team-b,fin,absent
2027-02-09,team-b,eva,present
2027-02-09,team-b,fin,absent
"""


def make_program(tmp_path: Path, attendance: str | None = ATTENDANCE) -> Path:
    root = tmp_path / "program"
    shutil.copytree(FIXTURES / "program", root)
    if attendance is not None:
        (root / "attendance.csv").write_text(attendance, encoding="utf-8")
    return root


def summary(root: Path) -> dict[str, object]:
    result = runner.invoke(app, ["attendance", "rates", str(root), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_rates_per_member_match_and_session(tmp_path: Path) -> None:
    data = summary(make_program(tmp_path))
    assert data["records"] == 16
    assert data["rate"] == 62.5  # 10 present of 16
    members = {m["member"]: m for m in data["members"]}  # type: ignore[union-attr]
    assert (members["ana"]["present"], members["ana"]["rate"]) == (3, 100.0)
    assert (members["ben"]["excused"], members["ben"]["rate"]) == (1, 33.3)
    # An excused meeting neither counts as a miss nor breaks a run of misses.
    assert members["cai"]["two_in_a_row"] is True
    assert members["cai"]["missed_last_two"] is False
    assert members["fin"]["missed_last_two"] is True
    assert members["ben"]["two_in_a_row"] is False
    matches = {m["match"]: m for m in data["matches"]}  # type: ignore[union-attr]
    assert (matches["team-a"]["meetings"], matches["team-a"]["rate"]) == (3, 66.7)
    assert (matches["team-b"]["present"], matches["team-b"]["rate"]) == (2, 50.0)
    sessions = [(s["session"], s["date"], s["rate"]) for s in data["sessions"]]  # type: ignore[union-attr]
    assert sessions == [(1, "2027-01-12", 66.7), (2, "2027-02-09", 50.0), (3, "2027-03-09", 75.0)]


def test_rows_may_name_members_by_name_or_email_in_any_case(tmp_path: Path) -> None:
    named = ATTENDANCE.replace(",ana,", ",ana ruiz,").replace(",ben,", ",BEN@example.org,")
    data = summary(make_program(tmp_path, named))
    members = {m["member"]: m for m in data["members"]}  # type: ignore[union-attr]
    assert (members["ana"]["present"], members["ana"]["rate"]) == (3, 100.0)
    assert (members["ben"]["excused"], members["ben"]["rate"]) == (1, 33.3)
    assert data["records"] == 16


def test_text_output_names_who_missed_two_in_a_row(tmp_path: Path) -> None:
    result = runner.invoke(app, ["attendance", "rates", str(make_program(tmp_path))])
    assert result.exit_code == 0
    assert "16 member-meetings on 3 date(s): 62% present" in result.stdout
    assert "Cai Lin (team-a): 2027-01-12, 2027-02-09" in result.stdout
    assert "Finn Berg (team-b): 2027-01-12, 2027-02-09" in result.stdout


def test_bad_rows_are_located_warnings_and_left_out(tmp_path: Path) -> None:
    text = ATTENDANCE + (
        "2027-02-30,team-a,ana,present\n"
        "2027-03-09,team-a,nobody,present\n"
        "2027-03-09,team-a,dee,maybe\n"
        "2027-03-09,team-z,eva,present\n"
        "2027-03-09,team-b,gus,\n"
        "2026-12-01,team-b,gus,present\n"
    )
    root = make_program(tmp_path, text)
    result = runner.invoke(app, ["attendance", "rates", str(root)])
    assert result.exit_code == 0, result.stderr
    err = result.stderr
    assert "attendance.csv:18:1: warning[attendance-date]: '2027-02-30' is not a date" in err
    assert (
        "attendance.csv:19:3: warning[unknown-member]: no member has the id, name or e-mail 'nobody'"
        in err
    )
    assert "attendance.csv:20:4: warning[attendance-status]: 'maybe' is not a status" in err
    assert "attendance.csv:21:2: warning[unknown-match]: 'team-z' is not a match" in err
    assert "attendance.csv:22:4: warning[attendance-status]: no status for gus" in err
    assert (
        "attendance.csv:23:1: warning[attendance-date]: 2026-12-01 is before the first meeting "
        "(2027-01-12); it counts for no session" in err
    )
    assert "Traceback" not in err
    data = summary(root)
    assert data["records"] == 18  # team-z counted for eva's own match, 2027-06-30 kept


def test_missing_columns_is_an_error(tmp_path: Path) -> None:
    root = make_program(tmp_path, "when,who\n2027-01-12,ana\n")
    result = runner.invoke(app, ["attendance", "rates", str(root)])
    assert result.exit_code == 1
    assert "attendance.csv:1:1: error[attendance-columns]" in result.stderr
    assert "date,match,member,status" in result.stderr


def test_no_attendance_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["attendance", "rates", str(make_program(tmp_path, None))])
    assert result.exit_code == 0
    assert "--session N" in result.stderr


def test_sign_in_sheet_is_prefilled_and_round_trips(tmp_path: Path) -> None:
    root = make_program(tmp_path, None)
    result = runner.invoke(app, ["attendance", "sheet", str(root), "--session", "2"])
    assert result.exit_code == 0, result.stderr
    sheet = root / "out" / "attendance" / "session-02-signin.csv"
    html = (root / "out" / "attendance" / "session-02-signin.html").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    assert [(r["date"], r["match"], r["member"], r["status"]) for r in rows[:2]] == [
        ("2027-02-09", "team-a", "ana", ""),
        ("2027-02-09", "team-a", "ben", ""),
    ]
    assert len(rows) == 8
    assert "Zoë Łukasiewicz" in html
    assert "Tuesday 9 February 2027" in html
    # The coordinator fills in the status column and saves it as attendance.csv.
    for row in rows:
        row["status"] = "absent" if row["member"] == "gus" else "present"
    filled = io.StringIO()
    writer = csv.DictWriter(filled, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    (root / "attendance.csv").write_text(filled.getvalue(), encoding="utf-8")
    data = summary(root)
    assert (data["records"], data["rate"]) == (8, 87.5)


def test_sign_in_sheet_escapes_names(tmp_path: Path) -> None:
    root = make_program(tmp_path, None)
    members = root / "members.yaml"
    members.write_text(
        members.read_text(encoding="utf-8").replace("Ana Ruiz", "<script>x</script>"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["attendance", "sheet", str(root), "--session", "1"])
    assert result.exit_code == 0, result.stderr
    html = (root / "out" / "attendance" / "session-01-signin.html").read_text(encoding="utf-8")
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_sign_in_usage_errors(tmp_path: Path) -> None:
    root = make_program(tmp_path, None)
    too_far = runner.invoke(app, ["attendance", "sheet", str(root), "--session", "13"])
    assert too_far.exit_code == 2
    assert "there is no session 13; the program has 12 meeting(s)" in too_far.stderr
    no_round = runner.invoke(
        app, ["attendance", "sheet", str(root), "--session", "1", "--round", "2030"]
    )
    assert no_round.exit_code == 2
    shutil.rmtree(root / "rounds")
    missing = runner.invoke(app, ["attendance", "sheet", str(root), "--session", "1"])
    assert missing.exit_code == 1
    assert "run `peerkit match`" in missing.stderr


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    root = make_program(tmp_path, None)
    result = runner.invoke(app, ["attendance", "sheet", str(root), "--session", "1", "--dry-run"])
    assert result.exit_code == 0
    assert "would write" in result.stdout
    assert not (root / "out").exists()


def test_sign_in_sheets_appended_whole_are_read(tmp_path: Path) -> None:
    root = make_program(tmp_path, None)
    for session in ("1", "2"):
        assert (
            runner.invoke(app, ["attendance", "sheet", str(root), "--session", session]).exit_code
            == 0
        )
    parts = []
    for session in ("01", "02"):
        sheet = root / "out" / "attendance" / f"session-{session}-signin.csv"
        parts.append(sheet.read_bytes().replace(b",,", b",present,"))
    # `cat session-01-signin.csv session-02-signin.csv > attendance.csv`, BOMs and all.
    (root / "attendance.csv").write_bytes(b"".join(parts))
    result = runner.invoke(
        app, ["attendance", "rates", str(root), "--format", "json", "--now", "2027-06-01"]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "as of Tue 1 Jun 2027\n"  # and no warning
    data = json.loads(result.stdout)
    assert (data["records"], data["rate"]) == (16, 100.0)


def _mentoring(root: Path) -> None:
    """Ana mentors Ben (team-a) and Eva (team-b)."""
    program = root / "program.yaml"
    program.write_text(
        program.read_text(encoding="utf-8").replace("format: groups", "format: mentoring"),
        encoding="utf-8",
    )
    roster = root / "members.yaml"
    text = roster.read_text(encoding="utf-8").replace(
        "organization: A1}", "organization: A1, role: mentor, capacity: 2}"
    )
    roster.write_text(
        text.replace("organization: B1}", "organization: B1, role: mentee}").replace(
            "organization: A2}", "organization: A2, role: mentee}"
        ),
        encoding="utf-8",
    )
    (root / "rounds" / "2027.yaml").write_text(
        'round: "2027"\nmatches:\n'
        "  - {id: team-a, members: [ana, ben]}\n"
        "  - {id: team-b, members: [ana, eva]}\n",
        encoding="utf-8",
    )


def test_a_mentor_in_several_matches_keeps_a_row_per_match(tmp_path: Path) -> None:
    # Ana mentors both teams: one date holds a row for her in each match.
    root = make_program(
        tmp_path,
        "date,match,member,status\n"
        "2027-01-12,team-a,ana,absent\n"
        "2027-01-12,team-a,ben,present\n"
        "2027-01-12,team-b,ana,present\n"
        "2027-01-12,team-b,eva,present\n"
        "2027-02-09,team-a,ana,absent\n"
        "2027-02-09,team-a,ben,present\n"
        "2027-02-09,team-b,ana,present\n"
        "2027-02-09,team-b,eva,present\n"
        "2027-02-09,team-b,eva,present\n",  # the same row entered twice counts once
    )
    _mentoring(root)
    data = summary(root)
    assert data["records"] == 8
    matches = {m["match"]: m for m in data["matches"]}  # type: ignore[union-attr]
    assert (matches["team-a"]["rate"], matches["team-b"]["rate"]) == (50.0, 100.0)
    assert matches["team-a"]["missed_last_two"] == ["Ana Ruiz"]
    assert matches["team-b"]["missed_last_two"] == []
    members = {m["member"]: m for m in data["members"]}  # type: ignore[union-attr]
    assert (members["ana"]["present"], members["ana"]["absent"]) == (2, 2)
    assert members["ana"]["matches"] == ["team-a", "team-b"]
    assert members["ana"]["match"] == "team-a, team-b"
    sheet = runner.invoke(app, ["attendance", "sheet", str(root), "--session", "1", "--dry-run"])
    assert "4 row(s) for 3 member(s) in 2 match(es)" in sheet.stderr


def test_a_mentor_row_without_a_match_is_counted_with_a_warning(tmp_path: Path) -> None:
    root = make_program(tmp_path, "date,match,member,status\n2027-01-12,,ana,present\n")
    _mentoring(root)
    result = runner.invoke(app, ["attendance", "rates", str(root), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert (
        "attendance.csv:2:2: warning[attendance-match]: ana is in 2 matches of round '2027' "
        "(team-a, team-b); the row is counted for team-a" in result.stderr
    )
    assert json.loads(result.stdout)["records"] == 1


def test_sign_in_sheet_for_the_next_session(sample: Path) -> None:
    result = runner.invoke(
        app,
        [
            "attendance",
            "sheet",
            str(sample),
            "--session",
            "next",
            "--now",
            "2027-03-01",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "session-03-signin.csv" in result.stdout


def test_missed_two_in_a_row_is_per_match(tmp_path: Path) -> None:
    # Ana mentors both teams and came to one of them on each date: no match missed her twice.
    text = (
        "date,match,member,status\n"
        "2027-01-12,team-a,ana,present\n2027-01-12,team-b,ana,absent\n"
        "2027-02-09,team-a,ana,absent\n2027-02-09,team-b,ana,present\n"
        "2027-03-09,team-a,ana,present\n2027-03-09,team-b,ana,absent\n"
        "2027-04-13,team-a,ben,absent\n2027-05-11,team-a,ben,absent\n"
    )
    root = make_program(tmp_path, text)
    _mentoring(root)
    data = summary(root)
    members = {m["member"]: m for m in data["members"]}  # type: ignore[union-attr]
    assert (members["ana"]["two_in_a_row"], members["ana"]["missed_last_two"]) == (False, False)
    assert (members["ben"]["two_in_a_row"], members["ben"]["missed_last_two"]) == (True, True)
    matches = {m["match"]: m for m in data["matches"]}  # type: ignore[union-attr]
    assert matches["team-a"]["missed_last_two"] == ["Ben Okafor"]
    assert matches["team-b"]["missed_last_two"] == []
    sessions = [(s["date"], s["session"]) for s in data["sessions"]]  # type: ignore[union-attr]
    assert sessions == [
        ("2027-01-12", 1),
        ("2027-02-09", 2),
        ("2027-03-09", 3),
        ("2027-04-13", 4),
        ("2027-05-11", 5),
    ]
    text_out = runner.invoke(app, ["attendance", "rates", str(root)])
    assert "Missed two in a row (1):" in text_out.stdout
    assert "Ben Okafor (team-a): 2027-04-13, 2027-05-11" in text_out.stdout


def test_rows_belong_to_the_round_in_effect_on_their_date(tmp_path: Path) -> None:
    text = (
        "date,match,member,status\n"
        "2027-06-08,team-a,ana,present\n2027-06-08,team-a,ben,absent\n"
        "2027-07-13,team-a,ana,present\n2027-07-13,team-a,eva,absent\n"
        "2027-07-15,,cai,present\n"  # two days after the meeting: still session 7
    )
    root = make_program(tmp_path, text)
    two_rounds(root)
    result = runner.invoke(app, ["attendance", "rates", str(root), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    data = json.loads(result.stdout)
    matches = [
        (m["round"], m["match"], m["meetings"], m["present"], m["absent"]) for m in data["matches"]
    ]
    assert matches == [
        ("spring", "team-a", 1, 1, 1),
        ("fall", "team-a", 1, 1, 1),
        ("fall", "team-b", 1, 1, 0),
    ]
    assert [(s["date"], s["session"]) for s in data["sessions"]] == [
        ("2027-06-08", 6),
        ("2027-07-13", 7),
        ("2027-07-15", 7),
    ]
    pinned = runner.invoke(
        app, ["attendance", "rates", str(root), "--format", "json", "--round", "spring"]
    )
    assert pinned.exit_code == 0, pinned.stderr
    err = " ".join(pinned.stderr.split())
    assert (
        "attendance.csv:5:2: warning[wrong-match]: eva is not in team-a of round 'spring'; "
        "counted for team-b" in err
    )
    data = json.loads(pinned.stdout)
    matches = [(m["round"], m["match"], m["present"], m["absent"]) for m in data["matches"]]
    assert matches == [("spring", "team-a", 3, 1), ("spring", "team-b", 0, 1)]


def test_a_match_meeting_on_its_own_day_has_its_own_sessions(tmp_path: Path) -> None:
    text = (
        "date,match,member,status\n"
        "2027-01-12,team-a,ana,present\n"  # team-a meets on the program's second Tuesday
        "2027-01-12,team-b,eva,present\n"  # team-b's first meeting is on Thursday the 14th
        "2027-01-14,team-b,fin,present\n"
        "2027-02-12,team-b,gus,absent\n"  # the day after team-b's second meeting
    )
    root = make_program(tmp_path, text)
    (root / "rounds" / "2027.yaml").write_text(
        'round: "2027"\nmatches:\n'
        "  - {id: team-a, members: [ana, ben, cai, dee]}\n"
        "  - {id: team-b, members: [eva, fin, gus, zoe], day: second Thursday}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["attendance", "rates", str(root), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert (
        "attendance.csv:3:1: warning[attendance-date]: 2027-01-12 is before the first meeting "
        "(2027-01-14); it counts for no session" in " ".join(result.stderr.split())
    )
    data = json.loads(result.stdout)
    sessions = [(s["date"], s["session"]) for s in data["sessions"]]
    assert sessions == [("2027-01-12", 1), ("2027-01-14", 1), ("2027-02-12", 2)]


def test_attendance_sheet_and_rates_are_two_commands(tmp_path: Path) -> None:
    root = make_program(tmp_path)
    sheet = run("attendance", "sheet", root, "-s", "2", "--dry-run", "-f", "json")
    assert sheet.exit_code == 0, sheet.output
    assert json.loads(sheet.stdout)["files"] == [
        "out/attendance/session-02-signin.csv",
        "out/attendance/session-02-signin.html",
    ]
    rates = run("attendance", "rates", root, "-f", "json")
    assert rates.exit_code == 0, rates.output
    assert json.loads(rates.stdout)["records"] == 16
    assert "deprecated" not in sheet.stderr + rates.stderr
    # the spelling before the two commands works for a release, with a note
    old_sheet = run("attendance", root, "-n", "2", "--dry-run", "-f", "json")
    assert old_sheet.exit_code == 0, old_sheet.output
    assert old_sheet.stdout == sheet.stdout
    assert "write `peerkit attendance sheet ...`" in old_sheet.stderr
    old_rates = run("attendance", root, "--format", "json")
    assert old_rates.stdout == rates.stdout
    assert "write `peerkit attendance rates ...`" in old_rates.stderr
    assert run("attendance", "--help").exit_code == 0
