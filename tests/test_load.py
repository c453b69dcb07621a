"""Loading: every wrong value becomes a located Problem; odd but valid input loads."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerkit.check import check_folder
from peerkit.load.folder import load_folder
from peerkit.load.reader import slugify
from peerkit.model import Cadence, DayRule, Problem
from peerkit.schedule import program_meetings
from peerkit.source.node import Node
from peerkit.source.written_yaml import written_tree
from peerkit.source.yaml_tree import parse_yaml
from tests.conftest import MINIMAL_MEMBERS, MINIMAL_PROGRAM, SAMPLE, run, write_folder


def problems_of(root: Path) -> list[Problem]:
    return check_folder(root)[1]


def only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def where(problem: Problem) -> tuple[str, int, int]:
    assert problem.source is not None
    return (problem.source.file, problem.source.line, problem.source.col)


def test_sample_program_loads_without_problems() -> None:
    folder, problems = check_folder(SAMPLE)
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert folder is not None
    program = folder.program
    assert program.format == "groups"
    assert program.meetings.duration == dt.timedelta(hours=3, minutes=30)
    assert program.meetings.moved == ((dt.date(2027, 11, 9), dt.date(2027, 11, 16)),)
    assert len(program.sessions) == 12
    assert program.sessions[0].kind == "kickoff"
    assert program.sessions[-1].kind == "closing"
    assert program.surveys["final"].anonymous is True
    assert len(folder.members) == 36
    zoe = folder.member("zoe-lukasiewicz")
    assert zoe is not None
    assert zoe.name == "Zoë Łukasiewicz"
    ivan = folder.member("ivan-horvat")
    assert ivan is not None
    assert ivan.left == dt.date(2027, 2, 20)
    assert not ivan.is_active_on(program.start + dt.timedelta(days=60))


def test_minimal_program_gets_defaults(folder: Path) -> None:
    loaded, problems = load_folder(folder)
    assert problems == []
    assert loaded is not None
    program = loaded.program
    assert program.meetings.cadence == Cadence("monthly")
    assert program.meetings.day is None
    assert [s.kind for s in program.sessions] == ["kickoff"] + ["regular"] * 4 + ["closing"]
    # shipped agendas are fitted to the (default one-hour) meeting
    assert all(s.agenda_minutes <= 60 for s in program.sessions)
    assert set(program.surveys) == {"checkin", "midpoint", "final"}
    assert program.min_group_size == 3
    assert loaded.member("ana") is not None


def test_yaml_booleans_stay_strings_where_text_is_expected(tmp_path: Path) -> None:
    root = write_folder(
        tmp_path,
        {
            "program.yaml": MINIMAL_PROGRAM,
            "members.yaml": """\
                - {name: No, organization: on, languages: [no, en], email: n@example.org}
                - {name: Yes, organization: off}
                - {name: Ana}
                - {name: Ben}
            """,
        },
    )
    loaded, problems = load_folder(root)
    assert problems == []
    assert loaded is not None
    first = loaded.members[0]
    assert (first.id, first.name, first.organization, first.languages) == (
        "no",
        "No",
        "on",
        ("no", "en"),
    )
    assert loaded.members[1].organization == "off"


@pytest.mark.parametrize(
    ("program_extra", "code", "line", "col", "fragment"),
    [
        ("meetngs: {}\n", "unknown-key", 6, 1, "did you mean 'meetings'?"),
        ("group_size: {min: four}\n", "type", 6, 19, "whole number"),
        ("meetings:\n  duration: forever\n", "duration", 7, 13, "3h30m"),
        ("meetings:\n  day: Funday\n", "value", 7, 8, "second Tuesday"),
        ("meetings:\n  cadence: FREQ=SOMETIMES\n", "rrule", 7, 12, "RFC 5545"),
        ("contact: {email: not-an-email}\n", "email", 6, 18, "example.org"),
        ("privacy: {min_group_size: 0}\n", "range", 6, 27, "between 1"),
    ],
)
def test_program_value_problems_are_located(
    tmp_path: Path, program_extra: str, code: str, line: int, col: int, fragment: str
) -> None:
    root = write_folder(
        tmp_path,
        {"program.yaml": MINIMAL_PROGRAM + program_extra, "members.yaml": MINIMAL_MEMBERS},
    )
    problem = only(problems_of(root), code)
    assert where(problem) == ("program.yaml", line, col)
    assert fragment in problem.message + problem.hint


def test_impossible_date_and_end_before_start(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM.replace("start: 2027-01-01", "start: 2027-13-40")
    root = write_folder(tmp_path / "a", {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    problem = only(problems_of(root), "date")
    assert where(problem) == ("program.yaml", 3, 8)
    assert "2027-13-40" in problem.message
    assert "YYYY-MM-DD" in problem.hint

    program = MINIMAL_PROGRAM.replace("end: 2027-06-30", "end: 2026-06-30")
    root = write_folder(tmp_path / "b", {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    problem = only(problems_of(root), "date-order")
    assert where(problem) == ("program.yaml", 4, 6)


def test_unknown_timezone_suggests_the_close_one(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM.replace("Europe/London", "Europe/Londn")
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    problem = only(problems_of(root), "timezone")
    assert where(problem) == ("program.yaml", 2, 11)
    assert problem.hint == "did you mean 'Europe/London'?"


def test_yaml_syntax_error_and_tab(tmp_path: Path) -> None:
    root = write_folder(
        tmp_path / "a",
        {"program.yaml": MINIMAL_PROGRAM + "goals: [unclosed\n", "members.yaml": MINIMAL_MEMBERS},
    )
    problem = only(problems_of(root), "yaml-syntax")
    assert problem.source is not None
    assert problem.source.file == "program.yaml"
    assert problem.source.line >= 6
    root = write_folder(
        tmp_path / "b",
        {
            "program.yaml": MINIMAL_PROGRAM + "meetings:\n\tday: Tuesday\n",
            "members.yaml": MINIMAL_MEMBERS,
        },
    )
    assert where(only(problems_of(root), "tab")) == ("program.yaml", 7, 1)


def test_member_problems_are_located(tmp_path: Path) -> None:
    members = """\
        members:
          - {id: ana, name: Ana, email: ana@example.org, departmnt: Sales}
          - {id: ana, name: Ana Again}
          - {id: Bad Id, name: Bad}
          - {id: cat, name: Cat, email: cat(at)example.org, manager: zed}
          - {id: dan, name: Dan, avoid: [ana, bem], levels: {knowledge: 7}}
          - {id: eve, name: Eve, timezone: Mars/Olympus, role: mentr}
    """
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": members})
    problems = problems_of(root)
    unknown = only(problems, "unknown-key")
    assert where(unknown) == ("members.yaml", 2, 50)
    assert unknown.hint == "did you mean 'department'?"
    assert where(only(problems, "duplicate-id")) == ("members.yaml", 3, 5)
    assert where(only(problems, "member-id")) == ("members.yaml", 4, 10)
    assert where(only(problems, "email")) == ("members.yaml", 5, 33)
    refs = sorted((p.message, p.hint) for p in problems if p.code == "unknown-member")
    assert refs == [
        ("dan: avoid: no member has the id 'bem'", "use a member id from the roster"),
    ]
    # a manager may be someone outside the program: a warning, not an error
    outside = only(problems, "outside-manager")
    assert (outside.severity, where(outside)) == ("warning", ("members.yaml", 5, 62))
    assert "zed (1)" in outside.message
    assert where(only(problems, "range")) == ("members.yaml", 6, 65)
    assert where(only(problems, "timezone")) == ("members.yaml", 7, 36)
    role = only(problems, "value")
    assert role.hint == "did you mean 'mentor'?"


def test_pins_must_name_members(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + "matching:\n  pins:\n    - [ana, zed]\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    problem = only(problems_of(root), "unknown-member")
    assert where(problem) == ("program.yaml", 8, 7)
    assert "zed" in problem.message


def test_duplicate_question_ids_and_agenda_overrun(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + (
        "meetings: {duration: 1h}\n"
        "sessions:\n"
        "  - title: Kickoff\n"
        "    agenda:\n"
        "      - {title: Talk, minutes: 50}\n"
        "      - {title: More talk, minutes: 20}\n"
        "surveys:\n"
        "  pulse:\n"
        "    questions:\n"
        "      - {id: mood, text: How are you?, type: likert5}\n"
        "      - {id: mood, text: Really?, type: likert5}\n"
    )
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    problems = problems_of(root)
    duplicate = only(problems, "duplicate-question")
    assert where(duplicate) == ("program.yaml", 16, 14)
    assert "first on line 15" in duplicate.message
    overrun = only(problems, "agenda-time")
    assert where(overrun) == ("program.yaml", 9, 5)
    assert "70 minutes" in overrun.message


def test_formats_that_cannot_work(tmp_path: Path) -> None:
    groups = MINIMAL_PROGRAM.replace("format: pairs", "format: groups\ngroup_size: {min: 5}")
    root = write_folder(tmp_path / "g", {"program.yaml": groups, "members.yaml": MINIMAL_MEMBERS})
    problem = only(problems_of(root), "format")
    assert problem.severity == "error"
    assert "only 4 active" in problem.message

    mentoring = MINIMAL_PROGRAM.replace("format: pairs", "format: mentoring")
    root = write_folder(
        tmp_path / "m", {"program.yaml": mentoring, "members.yaml": MINIMAL_MEMBERS}
    )
    assert "no active member has `role: mentor`" in only(problems_of(root), "format").message

    members = """\
        - {id: m1, name: M1, role: mentor, capacity: 1}
        - {id: e1, name: E1, role: mentee}
        - {id: e2, name: E2, role: mentee}
    """
    root = write_folder(tmp_path / "c", {"program.yaml": mentoring, "members.yaml": members})
    capacity = only(problems_of(root), "capacity")
    assert capacity.severity == "warning"
    assert "1 mentee(s) in all, but 2 place(s)" in capacity.message


def test_slugify_handles_non_ascii() -> None:
    assert slugify("Zoë Łukasiewicz") == "zoe-lukasiewicz"
    assert slugify("  Jean-Luc O'Neil ") == "jean-luc-oneil"


def test_reference_problems_point_at_the_value(tmp_path: Path) -> None:
    members = """\
        - id: ana
          name: Ana
          manager: zed
        - {id: ben, name: Ben, avoid: [ana, bem]}
        - {id: cat, name: Cat}
    """
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": members})
    problems = problems_of(root)
    refs = sorted(where(p) for p in problems if p.code == "unknown-member")
    assert refs == [("members.yaml", 4, 31)]
    assert where(only(problems, "outside-manager")) == ("members.yaml", 3, 12)


def test_a_rule_over_a_misspelt_field_is_an_error(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + (
        "matching:\n"
        "  rules:\n"
        "    not_same: [departmnt, site]\n"
        "    share_one_of: [langauges]\n"
        "  diversity: [industry]\n"
    )
    members = MINIMAL_MEMBERS + "  - {id: eve, name: Eve, fields: {site: Leeds}}\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": members})
    found = [(where(p), p.hint) for p in problems_of(root) if p.code == "unknown-field"]
    assert found == [
        (("program.yaml", 8, 16), "did you mean 'department'?"),
        (("program.yaml", 9, 20), "did you mean 'languages'?"),
    ]


def test_script_links_never_become_places(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + (
        "meetings:\n  video: javascript:alert(2)\n  location: 'data:text/html,<b>x</b>'\n"
    )
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    folder, problems = check_folder(root)
    assert sorted((p.code, where(p)[1]) for p in problems) == [("link", 7), ("link", 8)]
    assert folder is not None
    assert (folder.program.meetings.video, folder.program.meetings.location) == ("", "")


def test_zoom_style_locations_are_fine(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + "meetings:\n  location: 'Zoom: https://zoom.example/j/1'\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    folder, problems = check_folder(root)
    assert problems == []
    assert folder is not None
    assert folder.program.meetings.location == "Zoom: https://zoom.example/j/1"


@pytest.mark.parametrize(("duration", "col"), [("0m", 22), ("30h", 22)])
def test_a_meeting_length_must_be_a_meeting_length(tmp_path: Path, duration: str, col: int) -> None:
    program = MINIMAL_PROGRAM + f"meetings: {{duration: {duration}}}\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    problem = only(problems_of(root), "range")
    assert where(problem) == ("program.yaml", 6, col)
    assert "between 5m and 24h" in problem.hint


def test_a_move_outside_the_program_or_of_no_meeting(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + (
        "meetings:\n  day: first Thursday\n  moved:\n    2027-03-04: 2026-03-04\n"
        "    2027-03-05: 2027-03-06\n"
    )
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    found = [(p.severity, where(p)[1], p.message) for p in problems_of(root)]
    assert found == [
        (
            "error",
            9,
            "meetings.moved: 2027-03-04 is moved to 2026-03-04, outside the program "
            "(2027-01-01 to 2027-06-30)",
        ),
        (
            "error",
            10,
            "meetings.moved: no meeting is planned on Fri 2027-03-05, so this date does nothing",
        ),
    ]
    moved = next(p for p in problems_of(root) if p.message.startswith("meetings.moved: no"))
    assert moved.hint == (
        "the nearest meeting dates are Thu 2027-03-04 and Thu 2027-04-01: "
        "use the date it was planned for"
    )


def test_the_roster_sheet_of_a_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    readme = book.active
    assert readme is not None
    readme.title = "Read me"
    readme.append(["Fill in the Members sheet"])
    roster = book.create_sheet("Members")
    roster.append(["id", "name"])
    roster.append(["ana", "Ana"])
    roster.append(["ben", "Ben"])
    root = write_folder(tmp_path / "named", {"program.yaml": MINIMAL_PROGRAM})
    book.save(root / "members.xlsx")
    folder, problems = check_folder(root)
    assert problems == []
    assert folder is not None
    assert [m.id for m in folder.members] == ["ana", "ben"]

    roster.title = "2027"
    book.move_sheet("2027", offset=-1)
    root = write_folder(tmp_path / "unnamed", {"program.yaml": MINIMAL_PROGRAM})
    book.save(root / "members.xlsx")
    folder, problems = check_folder(root)
    assert [(p.code, p.message) for p in problems] == [
        ("xlsx-sheet", "the workbook has 2 sheets; peerkit reads the first, '2027'")
    ]
    assert folder is not None
    assert len(folder.members) == 2


# --- round files that cannot be what was meant ------------------------------------------


def round_codes(root: Path) -> list[tuple[str, int, str, str]]:
    return [
        (
            p.source.file if p.source else "",
            p.source.line if p.source else 0,
            p.code,
            p.severity,
        )
        for p in check_folder(root)[1]
        if p.code not in ("member-left",)
    ]


def test_an_empty_or_cut_round_file_is_an_error(sample: Path) -> None:
    path = sample / "rounds" / "2027.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"")
    result = run("check", sample)
    assert result.exit_code == 1
    assert f"{path}:1:1: error[round-empty]: rounds/2027.yaml is empty" in result.stderr
    assert run("build", sample, "--now", "2027-01-05").exit_code == 1
    assert not (sample / "out").exists()
    # cut inside the matches (a partial copy): the YAML still parses, but it ends early
    cut = text[: text.index("  - id: match-05")]
    path.write_text(cut, encoding="utf-8")
    assert [c for c in round_codes(sample) if c[3] == "error"] == [
        ("rounds/2027.yaml", cut.count("\n"), "round-truncated", "error")
    ]
    path.write_text(text.split("matches:")[0], encoding="utf-8")
    assert [c[2] for c in round_codes(sample) if c[3] == "error"] == ["round-empty"]


def test_two_files_for_one_round(sample: Path) -> None:
    text = (sample / "rounds" / "2027.yaml").read_text(encoding="utf-8")
    (sample / "rounds" / "2027.yml").write_text(text, encoding="utf-8")
    result = run("check", sample)
    assert result.exit_code == 1
    assert "error[duplicate-round]: rounds/2027.yml and rounds/2027.yaml are two files" in (
        result.stderr
    )
    (sample / "rounds" / "2027.yml").rename(sample / "rounds" / "other.yaml")
    result = run("check", sample)
    assert "rounds/other.yaml and rounds/2027.yaml both say `round: 2027`" in result.stderr


def test_an_active_member_in_no_match_is_named(sample: Path) -> None:
    path = sample / "rounds" / "2027.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("ana-ruiz, bianca-romano", "bianca-romano"), encoding="utf-8")
    result = run("check", sample)
    assert result.exit_code == 0
    assert (
        "warning[not-matched]: 1 active member(s) are in no match of round 2027: ana-ruiz; "
        "they get no meetings, and meetings already sent to them are cancelled"
    ) in result.stderr


def test_unreadable_rounds_folder(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = Path.iterdir

    def refuse(self: Path) -> Iterator[Path]:
        if self.name == "rounds":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", refuse)  # as `chmod 0 rounds` does, even for root
    result = run("check", sample)
    assert result.exit_code == 1
    assert f"{sample}/rounds: error[unreadable]: the rounds/ folder cannot be read: " in (
        result.stderr
    )


# --- one root error, one message ---------------------------------------------------------


def test_a_roster_that_did_not_load_does_not_cascade(sample: Path) -> None:
    (sample / "members.yaml").write_text("members: [\n", encoding="utf-8")
    result = run("check", sample)
    assert result.exit_code == 1
    assert "no longer on the roster" not in result.stderr
    assert result.stderr.count("error[") == 1
    assert "36 member(s) of round 2027 are not in members.yaml, which has errors" in result.stderr


def test_one_bad_duration_or_start_does_not_cascade(sample: Path) -> None:
    program = (sample / "program.yaml").read_text(encoding="utf-8")
    (sample / "program.yaml").write_text(
        program.replace("duration: 3h30m", "duration: 3 hours and a bit"), encoding="utf-8"
    )
    result = run("check", sample)
    assert result.stderr.count("error[") == 1, result.stderr
    assert "meetings last" not in result.stderr
    (sample / "program.yaml").write_text(
        program.replace("start: 2027-01-01", "start: 2027-01-41"), encoding="utf-8"
    )
    result = run("check", sample)
    assert result.stderr.count("error[") == 1, result.stderr
    assert "2000-01-01" not in result.stderr


def test_self_avoidance_is_an_error(folder: Path) -> None:
    members = (folder / "members.yaml").read_text(encoding="utf-8")
    members = members.replace(
        "{id: ana, name: Ana Lima,", "{id: ana, avoid: [ana], name: Ana Lima,"
    )
    (folder / "members.yaml").write_text(members, encoding="utf-8")
    problems = check_folder(folder)[1]
    assert [(p.code, p.message) for p in problems] == [("value", "ana: avoid lists ana themselves")]


def test_escape_sequences_are_shown_escaped_on_the_terminal(folder: Path) -> None:
    (folder / "members.csv").write_text(
        "id,name,email\nana,Ana,\x1b]0;owned\x07\x1b[2J@x\x9b.org\n", encoding="utf-8"
    )
    (folder / "members.yaml").unlink()
    result = run("check", folder)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert "\x9b" not in result.stderr
    assert "\\x1b]0;owned\\x07\\x1b[2J@x\\x9b.org" in result.stderr
    as_json = run("check", folder, "--format", "json")
    assert "\x9b" not in as_json.stdout
    assert "\\u009b" in as_json.stdout


def test_cadence_is_parsed_once_into_a_value_that_prints_as_written() -> None:
    fortnightly = Cadence.parse("Fortnightly")
    assert fortnightly == Cadence("biweekly")
    assert str(fortnightly) == "Fortnightly"
    assert Cadence.parse("WEEKLY") == Cadence("weekly")
    rule = Cadence.parse("RRULE:FREQ=MONTHLY;BYDAY=2TU")
    assert rule == Cadence("rrule", "FREQ=MONTHLY;BYDAY=2TU")
    assert rule is not None
    assert rule.is_rrule
    assert str(rule) == "RRULE:FREQ=MONTHLY;BYDAY=2TU"
    assert Cadence.parse("FREQ=WEEKLY") == Cadence("rrule", "FREQ=WEEKLY")
    assert Cadence.parse("every other week") is None
    assert str(Cadence()) == "monthly"


def test_a_day_is_a_weekday_and_which_one_in_the_month() -> None:
    assert DayRule.parse("second Tuesday") == DayRule(1, 2)
    assert DayRule.parse("2nd tue") == DayRule(1, 2)
    assert DayRule.parse("last-Friday") == DayRule(4, -1)
    assert DayRule.parse("Thursdays") == DayRule(3)
    assert str(DayRule.parse("2nd tue")) == "2nd tue"  # what the file said
    assert str(DayRule(4, -1)) == "last Friday"
    unknown = DayRule.parse("someday")
    assert not unknown.known
    assert str(unknown) == "someday"


def test_meetings_hold_the_parsed_cadence_and_day(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + "meetings:\n  cadence: Fortnightly\n  day: tuesdays\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    loaded, problems = load_folder(root)
    assert problems == []
    assert loaded is not None
    meetings = loaded.program.meetings
    assert meetings.cadence == Cadence("biweekly")
    assert meetings.day == DayRule(1)
    dates = [m.date for m in program_meetings(loaded.program)]
    assert {d.weekday() for d in dates} == {1}
    assert {(b - a).days for a, b in itertools.pairwise(dates)} == {14}


def test_meetings_follow_the_program_they_are_asked_for(tmp_path: Path) -> None:
    """Meetings are kept for the program in hand; another program (an edit, a reload) has
    its own, and a caller's list is its own to change."""
    from dataclasses import replace

    from peerkit.model import Match
    from peerkit.schedule import meetings_for

    root = write_folder(
        tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": MINIMAL_MEMBERS}
    )
    loaded, _ = load_folder(root)
    assert loaded is not None
    program = loaded.program
    match = Match("m1", ("a", "b"))
    first = meetings_for(program, match)
    first.clear()
    again = meetings_for(program, match)
    assert len(again) == len(program_meetings(program))
    assert {m.match_id for m in again} == {"m1"}
    later = replace(program, meetings=replace(program.meetings, time=dt.time(18, 30)))
    assert {m.start.time() for m in meetings_for(later, match)} == {dt.time(18, 30)}
    assert meetings_for(program, match) == again  # back to the first: made again, the same


def test_a_workbook_is_read_as_a_spreadsheet_shows_it(tmp_path: Path) -> None:
    """From A1, empty cells included; numbers, dates, times and booleans as text; an error
    value (which calamine reads as blank) as its text, as openpyxl reads it."""
    import io
    import re
    import zipfile

    from openpyxl import Workbook

    from peerkit.source.tables import read_table

    book = Workbook()
    sheet = book.active
    sheet["B2"] = "  x  "
    sheet["C3"] = 1.5
    sheet["A4"] = dt.datetime(2027, 1, 12, 16, 2, 30)  # noqa: DTZ001 (a workbook's clock)
    sheet["B4"] = dt.date(2027, 1, 2)
    sheet["C4"] = dt.time(13, 30)
    sheet["A5"] = True
    sheet["B5"] = 4.0
    sheet["C5"] = 0.1
    path = tmp_path / "answers.xlsx"
    book.save(path)
    problems: list[Problem] = []
    table = read_table(path, "answers.xlsx", problems)
    assert table is not None
    assert problems == []
    assert table.rows == [
        ["", "", ""],
        ["", "  x  ", ""],
        ["", "", "1.5"],
        ["2027-01-12 16:02:30", "2027-01-02", "13:30:00"],
        ["true", "4", "0.1"],
    ]
    assert table.lines == [1, 2, 3, 4, 5]
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<c r="C5"[^>]*>.*?</c>', b'<c r="C5" t="e"><v>#N/A</v></c>', data)
            target.writestr(item, data)
    path.write_bytes(out.getvalue())
    table = read_table(path, "answers.xlsx", problems)
    assert table is not None
    assert table.rows[4] == ["true", "4", "#N/A"]


def _rows_one_by_one(text: str, max_rows: int) -> tuple[list[list[str]], list[int], str]:
    """What reading a CSV row by row gives: its rows, the line each starts on, or the error
    and its line (the way peerkit read every CSV before it read a row a line at once)."""
    import csv
    import io

    rows: list[list[str]] = []
    lines: list[int] = []
    line = 1
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if len(rows) > max_rows:
                return [], [], f"{line}: too-many-rows"
            rows.append(row)
            lines.append(line)
            line = reader.line_num + 1
    except csv.Error:
        return [], [], f"{line}: csv"
    return rows, lines, ""


@given(
    st.text(alphabet='ab,"\r\n \x00', max_size=40),
    st.integers(min_value=0, max_value=4),
)
def test_a_csv_reads_as_it_reads_row_by_row(text: str, max_rows: int) -> None:
    """Quoted cells over several lines, blank lines, broken quotes, too many rows."""
    from peerkit.source.tables import _parse_csv

    problems: list[Problem] = []
    table = _parse_csv(text, "t.csv", problems, max_rows)
    rows, lines, error = _rows_one_by_one(text, max_rows)
    if error:
        assert table is None
        assert [f"{p.source.line}: {p.code}" for p in problems if p.source] == [error]
    else:
        assert table is not None
        assert problems == []
        assert (table.rows, table.lines) == (rows, lines)


# --- round files read straight from their lines (peerkit.source.written_yaml) ---------


def same_tree(fast: Node, slow: Node, path: str = "") -> None:
    """Two Node trees alike: each value, where it was written, each key and where."""
    assert type(fast.value) is type(slow.value), path
    assert (fast.loc, fast.value if fast.is_scalar else None) == (
        slow.loc,
        slow.value if slow.is_scalar else None,
    ), path
    if isinstance(fast.value, dict) and isinstance(slow.value, dict):
        assert dict(fast.keys) == dict(slow.keys), path
        for key in fast.value:
            same_tree(fast.value[key], slow.value[key], f"{path}.{key}")
    elif isinstance(fast.value, list) and isinstance(slow.value, list):
        assert len(fast.value) == len(slow.value), path
        for k, (a, b) in enumerate(zip(fast.value, slow.value, strict=True)):
            same_tree(a, b, f"{path}[{k}]")


def test_a_round_file_as_written_is_read_as_the_yaml_reader_reads_it() -> None:
    text = (SAMPLE / "rounds" / "2027.yaml").read_text(encoding="utf-8")
    # what a hand edit or a later peerkit may write, all still as peerkit writes YAML
    text += 'extra:\n  - {a: "x, y", b: "q \\"z\\" \\u00e9"}\n  - [1, -2.5, null, "]"]\n'
    fast = written_tree(text, "rounds/2027.yaml")
    assert fast is not None
    problems: list[Problem] = []
    slow = parse_yaml(text, "rounds/2027.yaml", problems)
    assert slow is not None
    assert problems == []
    same_tree(fast, slow)
    extra = fast.value["extra"].value  # type: ignore[index, union-attr]
    assert [n.value for n in extra[1].value] == ["1", "-2.5", "null", "]"]
    assert extra[0].value["b"].value == 'q "z" é'


@pytest.mark.parametrize(
    "edit",
    [
        "  - id: m1 # a comment after a value\n",
        "  - id: 'single quoted'\n",
        "  - id: a: b\n",
        "  - id:\n",
        "  - id: [a, [b]]\n",
        "  - id: |\n      block\n",
        "  - id: m1\n    id: m2\n",
        "  - id: m1\n   members: [a]\n",
        '  - id: "\\ud83d\\ude00"\n',
        "  - id: m1\n\tmembers: [a]\n",
        '  - id: "a\u2028b"\n',
        "---\n",
    ],
)
def test_a_round_file_written_otherwise_is_left_to_the_yaml_reader(edit: str) -> None:
    """Anything but YAML as peerkit writes it: the YAML reader reads it (and says what is
    wrong), not the line reader."""
    text = "round: r1\nmatches:\n" + edit + "unmatched: []\n"
    assert written_tree(text, "rounds/r1.yaml") is None


LINES = (
    "round: r1",
    "matches:",
    "  - id: match-01",
    "    # Ana Lima (ana): Tue 10:00 EST",
    "    members: [ana, ben]",
    "    score: 4.5",
    "    terms: {common_ground: 1.5, goals_offers: 3}",
    '    time: "10:00"',
    "    reasons:",
    '      - "ben offers pricing to ana"',
    "unmatched: []",
)
PIECES = ("", " ", "  ", "-", "- ", ":", ": ", "#", '"', "'", ",", "[", "]", "{", "}", "\\", "x1")


@given(
    st.lists(
        st.tuples(st.integers(0, len(LINES) - 1), st.integers(0, 60), st.sampled_from(PIECES)),
        max_size=4,
    ),
    st.lists(st.integers(0, len(LINES) - 1), max_size=2),
)
def test_an_edited_round_file_is_read_alike_or_left_to_the_yaml_reader(
    edits: list[tuple[int, int, str]], dropped: list[int]
) -> None:
    """Whatever a hand edit does to a round file, the line reader reads it as the YAML
    reader does, or leaves it to it: never another tree, never one the YAML reader would
    find wrong."""
    lines = [line for k, line in enumerate(LINES) if k not in dropped]
    for k, at, piece in edits:
        if lines:
            line = lines[k % len(lines)]
            lines[k % len(lines)] = line[:at] + piece + line[at + len(piece) // 2 :]
    text = "\n".join(lines) + "\n"
    fast = written_tree(text, "rounds/r1.yaml")
    if fast is None:
        return
    problems: list[Problem] = []
    slow = parse_yaml(text, "rounds/r1.yaml", problems)
    assert slow is not None, text
    assert problems == [], text
    same_tree(fast, slow)
