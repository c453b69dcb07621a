"""Rosters as HR systems export them: mapped columns, ids with capitals, US dates, languages
by name, abbreviated zones, people entered twice, managers outside the program."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerkit.check import check_folder
from peerkit.load.folder import load_folder
from peerkit.model import Problem
from peerkit.roster.languages import language_code
from peerkit.text import safe_filename, unique_filename
from peerkit.validate import is_timezone, timezone_hint
from tests.conftest import MINIMAL_PROGRAM, run, write_folder

OFFICES = (
    ("New York", "America/New_York", "English"),
    ("London", "Europe/London", "English"),
    ("Berlin", "Europe/Berlin", "Deutsch, English"),
    ("Bangalore", "Asia/Kolkata", "English; Hindi"),
    ("São Paulo", "America/Sao_Paulo", "Português, Español, English"),
)
# What a coordinator writes for an export like `hr_export` below.
HR_PROGRAM = """\
name: Acme Mentoring
organization: Acme
timezone: America/New_York
start: 2027-01-12
end: 2027-12-14
format: mentoring
roster:
  columns:
    "Employee ID": id
    "Full Name": name
    "Work Email": email
    "Office": fields.site
    "Reports To": manager
    "Program Role": role
    "Time Zone": timezone
    "Spoken Languages": languages
    "Mentee Slots": capacity
    "Seniority": experience
    "End Date": left
    "Dept": department
  ignore: [Location, Cost Center]
  date_format: "%m/%d/%Y"
matching:
  rules:
    not_same: [manager]
    share_one_of: [languages]
"""
HR_HEADER = (
    "Employee ID",
    "Full Name",
    "Work Email",
    "Office",
    "Location",
    "Cost Center",
    "Reports To",
    "Program Role",
    "Time Zone",
    "Spoken Languages",
    "Mentee Slots",
    "Seniority",
    "End Date",
    "Dept",
)


def hr_rows(count: int = 120, zones: tuple[str, ...] = ()) -> list[list[str]]:
    """An HR-style export: `E1001`-style ids, managers outside the roster (`M9...`), US
    dates, languages by name, capacity and levels written `2.0`; `zones` replaces the
    offices' timezones (e.g. with abbreviations)."""
    rows = []
    for n in range(count):
        office, zone, languages = OFFICES[n % len(OFFICES)]
        mentor = n % 3 == 0
        rows.append(
            [
                f"E{1001 + n}",
                f"Person {n:03d} {office}",
                f"Person.{n:03d}@Acme.example",
                office[:3].upper(),
                office,
                f"CC-{n % 7}",
                f"M{9000 + n % 9}" if n % 10 else "E1002",
                "Mentor" if mentor else "Mentee",
                zones[n % len(zones)] if zones else zone,
                languages,
                "2.0" if mentor else "",
                f"{2 + (n % 4)}.0",
                "11/30/2027" if n % 25 == 7 else "",
                ("Sales", "Engineering", "Finance", "People")[n % 4],
            ]
        )
    return rows


def csv_text(header: tuple[str, ...], rows: list[list[str]], sep: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def xlsx_bytes(header: tuple[str, ...], rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def where(problem: Problem) -> tuple[str, int, int]:
    assert problem.source is not None
    return (problem.source.file, problem.source.line, problem.source.col)


def errors(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


def test_an_hr_export_loads_as_written_and_matches(tmp_path: Path) -> None:
    root = write_folder(
        tmp_path / "acme",
        {"program.yaml": HR_PROGRAM, "members.csv": "sep=,\n" + csv_text(HR_HEADER, hr_rows())},
    )
    folder, problems = check_folder(root)
    assert errors(problems) == []
    assert folder is not None
    assert len(folder.members) == 120
    first = folder.members[0]
    assert (first.id, first.email, first.role, first.timezone) == (
        "E1001",
        "Person.000@Acme.example",
        "mentor",
        "America/New_York",
    )
    assert (first.capacity, first.levels.experience, first.fields) == (2, 2, {"site": "NEW"})
    assert folder.members[4].languages == ("pt", "es", "en")
    assert folder.members[2].languages == ("de", "en")
    assert folder.members[3].languages == ("en", "hi")
    assert folder.members[7].left == dt.date(2027, 11, 30)
    # the sep= line is line 1: the first member is on line 3
    assert (first.source.file, first.source.line) == ("members.csv", 3)
    # managers outside the roster: one warning, naming each manager once
    outside = only(problems, "outside-manager")
    assert outside.severity == "warning"
    assert outside.message.startswith("9 manager(s) named in the roster are not members: ")
    assert outside.message.count("M9001") == 1

    made = run("match", str(root))
    assert made.exit_code == 0, made.output
    round_file = next((root / "rounds").glob("*.yaml"))
    data = yaml.safe_load(round_file.read_text(encoding="utf-8"))
    matched = {member for match in data["matches"] for member in match["members"]}
    assert "E1001" in matched
    assert all(member.startswith("E") for member in matched)
    by_id = {m.id: m for m in folder.members}
    for match in data["matches"]:
        people = [by_id[member] for member in match["members"]]
        managers = [p.manager for p in people]
        assert len(set(managers)) == len(managers), match  # not_same: [manager]
        ids = {p.id for p in people}
        assert not any(p.manager in ids for p in people), match  # not their own manager

    # a person types the id in any case; what is printed keeps the roster's
    explained = run("explain", str(root), "e1002")
    assert explained.exit_code == 0, explained.output
    assert "E1002" in explained.output
    assert "e1002" not in explained.output.replace("E1002", "")


def test_the_same_export_as_xlsx_loads_the_same_members(tmp_path: Path) -> None:
    rows = hr_rows(30)
    as_csv = write_folder(
        tmp_path / "csv", {"program.yaml": HR_PROGRAM, "members.csv": csv_text(HR_HEADER, rows)}
    )
    cells: list[list[object]] = []
    for row in rows:
        cell: list[object] = list(row)
        cell[10] = 2.0 if row[10] else None  # numbers as a spreadsheet stores them
        cell[11] = float(row[11])
        cell[12] = dt.datetime(2027, 11, 30) if row[12] else None  # noqa: DTZ001 (a date cell)
        cells.append(cell)
    as_xlsx = write_folder(
        tmp_path / "xlsx",
        {"program.yaml": HR_PROGRAM, "members.xlsx": xlsx_bytes(HR_HEADER, cells)},
    )
    loaded = []
    for root in (as_csv, as_xlsx):
        folder, problems = check_folder(root)
        assert errors(problems) == []
        assert folder is not None
        loaded.append(
            [
                (m.id, m.email, m.languages, m.left, m.capacity, m.levels, dict(m.fields))
                for m in folder.members
            ]
        )
    assert loaded[0] == loaded[1]
    assert len(loaded[0]) == 30


def test_ids_keep_their_case_in_every_output(tmp_path: Path) -> None:
    members = """\
        members:
          - {id: E1001, name: Ana Lima, email: ana@example.org}
          - {id: E1002, name: Ben Carter, email: ben@example.org}
          - {id: ops.Cat_3, name: Cat Ngo, email: cat@example.org}
          - {id: E1004, name: Dan Osei, email: dan@example.org}
    """
    program = MINIMAL_PROGRAM + "matching:\n  pins:\n    - [E1001, ops.Cat_3]\n"
    root = write_folder(tmp_path / "p", {"program.yaml": program, "members.yaml": members})
    folder, problems = check_folder(root)
    assert problems == []
    assert folder is not None
    assert [m.id for m in folder.members] == ["E1001", "E1002", "ops.Cat_3", "E1004"]
    assert safe_filename("E1001") == unique_filename("E1001") == "E1001"
    assert run("match", str(root)).exit_code == 0
    data = yaml.safe_load(next((root / "rounds").glob("*.yaml")).read_text(encoding="utf-8"))
    assert ["E1001", "ops.Cat_3"] in [sorted(m["members"]) for m in data["matches"]]
    built = run("build", str(root))
    assert built.exit_code == 0, built.output
    names = {p.name for p in (root / "out" / "calendars" / "members").iterdir()}
    assert {"E1001.ics", "ops.Cat_3.ics"} <= names, names
    ics = (root / "out" / "calendars" / "members" / "E1001.ics").read_text(encoding="utf-8")
    assert "ana@example.org" in ics
    pair = run("explain", str(root), "E1001", "ops.cat_3")
    assert pair.exit_code == 0, pair.output
    assert "Ana Lima (E1001) with Cat Ngo (ops.Cat_3)" in pair.output


def test_ids_that_differ_only_in_case_and_references_in_another_case(tmp_path: Path) -> None:
    members = """\
        - {id: E1001, name: Ana Lima}
        - {id: e1001, name: Ana Two}
        - {id: E1003, name: Cat Ngo, manager: e1001x}
        - {id: E1004, name: Dan Osei, manager: e1003, avoid: [e1003]}
    """
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": members})
    problems = check_folder(root)[1]
    twice = only(problems, "duplicate-id")
    assert where(twice) == ("members.yaml", 2, 8)
    assert "'e1001' (members.yaml:2) and 'E1001' (members.yaml:1)" in twice.message
    refs = sorted((where(p), p.hint) for p in problems if p.code == "unknown-member")
    # files compare ids exactly: a reference in another case says how the id is written
    assert refs == [
        (("members.yaml", 4, 40), "ids keep their case: write 'E1003'"),
        (("members.yaml", 4, 54), "ids keep their case: write 'E1003'"),
    ]
    assert "e1001x (1)" in only(problems, "outside-manager").message


def test_lower_case_ids_read_as_before(folder: Path) -> None:
    loaded, problems = load_folder(folder)
    assert problems == []
    assert loaded is not None
    assert [m.id for m in loaded.members] == ["ana", "ben", "cat", "dan"]
    bad = write_folder(
        folder.parent / "bad",
        {"program.yaml": MINIMAL_PROGRAM, "members.yaml": "- {id: 'E 1001', name: Ana}\n"},
    )
    problem = only(check_folder(bad)[1], "member-id")
    assert problem.hint == "use letters, digits, '-', '_' or '.', e.g. 'e-1001'"


# --- roster: in program.yaml ----------------------------------------------------------


def test_unknown_column_names_the_field_fields_and_the_mapping(tmp_path: Path) -> None:
    text = "id,name,Location,Work Email\nana,Ana,NYC,ana@example.org\nben,Ben,LDN,b@example.org\n"
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": text})
    problems = check_folder(root)[1]
    found = {p.source.col: p for p in problems if p.source and p.code == "unknown-key"}
    assert sorted(found) == [3, 4]
    location, email = found[3], found[4]
    assert location.message == "unknown column 'Location'"
    assert "organization" not in location.hint  # no far-fetched guess
    assert '`roster: {columns: {"Location": FIELD}}`' in location.hint
    assert "fields.location" in location.hint
    assert '`roster: {ignore: ["Location"]}`' in location.hint
    assert email.hint.startswith("did you mean 'email'? ")
    assert '{"Work Email": email}' in email.hint
    assert len(problems) == 2  # once per column, not per row


@pytest.mark.parametrize(
    ("roster", "line", "col", "fragments"),
    [
        (
            '  columns: {"Work Email": emial}\n',
            7,
            27,
            ("mapped to 'emial', which is no member field", "did you mean 'email'?", "fields."),
        ),
        (
            '  columns: {"Work Email": email, "Mail 2": email}\n',
            7,
            44,
            ("'Mail 2' and 'Work Email' are both mapped to email", "roster.ignore"),
        ),
        (
            '  columns: {"Knowledge score": knowledge, "Know": levels.knowledge}\n',
            7,
            51,
            ("both mapped to levels.knowledge",),
        ),
        ("  ignore: [login]\n  columns: {Login: id}\n", 7, 12, ("also mapped in roster.columns",)),
        ("  date_format: '%m/%Y'\n", 7, 16, ("day, month and year", "%m/%d/%Y")),
        ("  colums: {}\n", 7, 3, ("unknown key 'roster.colums'", "did you mean 'columns'?")),
    ],
)
def test_roster_settings_problems_are_located(
    tmp_path: Path, roster: str, line: int, col: int, fragments: tuple[str, ...]
) -> None:
    root = write_folder(
        tmp_path,
        {
            "program.yaml": MINIMAL_PROGRAM + "roster:\n" + roster,
            "members.csv": "id,name\nana,Ana\nben,Ben\n",
        },
    )
    problems = [p for p in check_folder(root)[1] if p.severity == "error"]
    assert len(problems) == 1, [str(p) for p in problems]
    assert where(problems[0]) == ("program.yaml", line, col)
    for fragment in fragments:
        assert fragment in problems[0].message + " " + problems[0].hint


def test_a_mapped_column_beside_a_column_of_the_same_field(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + 'roster:\n  columns: {"Work Email": email, "Badge": id}\n'
    text = "id,name,email,Work Email\nana,Ana,a@example.org,ana@example.org\nben,Ben,,\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.csv": text})
    problems = check_folder(root)[1]
    twice = only(problems, "duplicate-column")
    assert where(twice) == ("members.csv", 1, 4)
    assert "'email' (column 3) and 'Work Email' both give email" in twice.message
    missing = only(problems, "roster-column")
    assert (missing.severity, missing.message) == (
        "warning",
        "roster.columns: members.csv has no column 'Badge'",
    )


def test_columns_are_matched_without_case_or_spacing(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + 'roster:\n  columns: {"employee id": id}\n  ignore: [cost center]\n'
    text = "EMPLOYEE  ID,Name,Cost Center\nA-1,Ana,10\nB-2,Ben,20\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.csv": text})
    folder, problems = check_folder(root)
    assert problems == []
    assert folder is not None
    assert [m.id for m in folder.members] == ["A-1", "B-2"]


# --- values ---------------------------------------------------------------------------


def test_dates_in_iso_or_the_declared_format(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + "roster: {date_format: '%m/%d/%Y'}\n"
    text = (
        "id,name,left,pause\n"
        "ana,Ana,5/14/2027,\n"
        "ben,Ben,2027-05-14,3/1/2027..3/31/2027\n"
        "cat,Cat,14/5/2027,\n"
        "dan,Dan,,2027-04-01..4/30/2027\n"
    )
    root = write_folder(tmp_path, {"program.yaml": program, "members.csv": text})
    folder, problems = check_folder(root)
    bad = only(problems, "date")
    assert where(bad) == ("members.csv", 4, 3)
    assert "'14/5/2027' is not a date in YYYY-MM-DD or in roster.date_format '%m/%d/%Y'" in (
        bad.message
    )
    assert folder is not None
    ana, ben, _, dan = folder.members
    assert ana.left == ben.left == dt.date(2027, 5, 14)
    assert ben.pauses == ((dt.date(2027, 3, 1), dt.date(2027, 3, 31)),)
    assert dan.pauses == ((dt.date(2027, 4, 1), dt.date(2027, 4, 30)),)


def test_an_undeclared_date_format_is_one_error_with_the_format_to_declare(
    tmp_path: Path,
) -> None:
    rows = "".join(f"m{n},Member {n},5/{n + 1}/2027\n" for n in range(40))
    root = write_folder(
        tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": "id,name,left\n" + rows}
    )
    problems = check_folder(root)[1]
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert where(problem) == ("members.csv", 2, 3)
    assert problem.message == (
        "left: '5/1/2027' is not a date in YYYY-MM-DD — and 39 more like it "
        "(lines 3, 4, 5, 6, 7 and 34 more)"
    )
    assert "`roster: {date_format: '%m/%d/%Y'}`" in problem.hint
    result = run("check", str(root))
    assert result.exit_code == 1
    assert result.output.count("error[date]") == 1
    assert "1 error(s), 0 warning(s)" in result.output


def test_whole_numbers_written_with_a_decimal_point(tmp_path: Path) -> None:
    text = (
        "id,name,role,capacity,knowledge\n"
        "ana,Ana,mentor,2.0,5.0\n"
        "ben,Ben,mentee,,2\n"
        "cat,Cat,mentor,2.5,1.5\n"
    )
    program = MINIMAL_PROGRAM.replace("format: pairs", "format: mentoring")
    root = write_folder(tmp_path, {"program.yaml": program, "members.csv": text})
    folder, problems = check_folder(root)
    wrong = sorted((where(p), p.message) for p in problems if p.code == "type")
    assert wrong == [
        (("members.csv", 4, 4), "capacity: expected a whole number, got '2.5'"),
        (("members.csv", 4, 5), "levels.knowledge: expected a whole number, got '1.5'"),
    ]
    assert folder is not None
    assert (folder.members[0].capacity, folder.members[0].levels.knowledge) == (2, 5)


@pytest.mark.parametrize("first_line", ["sep=;\n", '"sep=;"\r\n', ""])
def test_semicolon_csv_with_or_without_the_excel_sep_line(tmp_path: Path, first_line: str) -> None:
    text = first_line + "id;name;languages;timezone\nana;Ana;EN, DE;Europe/Paris\nben;Ben;x;CET\n"
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": text})
    folder, problems = check_folder(root)
    assert folder is not None
    assert [m.languages for m in folder.members] == [("en", "de"), ("x",)]
    offset = 1 if first_line else 0
    zone = only(problems, "timezone")
    assert where(zone) == ("members.csv", 3 + offset, 4)
    assert where(only(problems, "language")) == ("members.csv", 3 + offset, 3)


# --- languages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("English", "en"),
        ("EN", "en"),
        ("eng", "en"),
        ("en-US", "en"),
        ("Deutsch", "de"),
        ("ger", "de"),
        ("español", "es"),
        ("Español (native)", "es"),
        ("français", "fr"),
        ("中文", "zh"),
        ("Mandarin", "zh"),
        ("zh-Hans", "zh"),
        ("pt_BR", "pt"),
        ("Português", "pt"),
        ("no", "no"),
        ("Bokmål", "no"),
        ("Hindi", "hi"),
        ("Klingon", None),
        ("xx-YY", None),
    ],
)
def test_language_names_and_codes(written: str, code: str | None) -> None:
    assert language_code(written) == code


def test_languages_are_codes_and_unknown_ones_are_located_warnings(tmp_path: Path) -> None:
    members = """\
        - {id: ana, name: Ana, languages: "English, Deutsch"}
        - {id: ben, name: Ben, languages: [en, "fra; ES"]}
        - {id: cat, name: Cat, languages: Englsh}
        - {id: dan, name: Dan, languages: [Klingon]}
    """
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": members})
    folder, problems = check_folder(root)
    assert folder is not None
    assert [m.languages for m in folder.members] == [
        ("en", "de"),
        ("en", "fr", "es"),
        ("englsh",),
        ("klingon",),
    ]
    warned = sorted((where(p), p.hint) for p in problems if p.code == "language")
    assert [w[0] for w in warned] == [("members.yaml", 3, 35), ("members.yaml", 4, 35)]
    assert warned[0][1] == "did you mean 'english' (en)?"
    assert all(p.severity == "warning" for p in problems)


def test_a_language_name_matches_its_code(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + "matching:\n  rules:\n    share_one_of: [languages]\n"
    members = """\
        - {id: ana, name: Ana, languages: English}
        - {id: ben, name: Ben, languages: en}
        - {id: cat, name: Cat, languages: Deutsch}
        - {id: dan, name: Dan, languages: de}
    """
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": members})
    assert run("match", str(root)).exit_code == 0
    data = yaml.safe_load(next((root / "rounds").glob("*.yaml")).read_text(encoding="utf-8"))
    assert sorted(sorted(m["members"]) for m in data["matches"]) == [["ana", "ben"], ["cat", "dan"]]


# --- timezones ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "zones"),
    [
        ("EST", ("America/New_York", "America/Toronto")),
        ("est", ("America/New_York", "America/Toronto")),
        ("IST", ("Asia/Kolkata", "Europe/Dublin")),
        ("CET", ("Europe/Berlin", "Europe/Paris")),
        ("GMT+1", ("Europe/Berlin", "Europe/Paris")),
        ("UTC-05:00", ("America/New_York",)),
        ("PST", ("America/Los_Angeles",)),
        ("BST", ("Europe/London",)),
        ("AEST", ("Australia/Sydney",)),
        ("BRT", ("America/Sao_Paulo",)),
    ],
)
def test_timezone_abbreviations_name_the_regions_zones(written: str, zones: tuple[str]) -> None:
    assert not is_timezone(written)
    hint = timezone_hint(written)
    assert all(zone in hint for zone in zones), hint


def test_real_zone_names_stay_valid() -> None:
    for name in ("UTC", "Europe/London", "America/Sao_Paulo", "Asia/Kolkata", "Etc/GMT+1"):
        assert is_timezone(name), name
        assert timezone_hint(name) == ""


def test_timezone_abbreviations_in_program_and_roster_are_errors(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM.replace("Europe/London", "EST")
    members = """\
        - {id: ana, name: Ana, timezone: IST}
        - {id: ben, name: Ben, timezone: GMT+1}
        - {id: cat, name: Cat, timezone: Asia/Kolkata}
    """
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": members})
    problems = check_folder(root)[1]
    zones = {where(p): p for p in problems if p.code == "timezone"}
    assert sorted(zones) == [
        ("members.yaml", 1, 34),
        ("members.yaml", 2, 34),
        ("program.yaml", 2, 11),
    ]
    est = zones[("program.yaml", 2, 11)]
    assert est.message.startswith("timezone: 'EST' is an abbreviation, not a timezone")
    assert (
        est.hint == "write the IANA name of the place instead: America/New_York or America/Toronto"
    )
    assert "Asia/Kolkata, Europe/Dublin" in zones[("members.yaml", 1, 34)].hint
    assert "a fixed offset" in zones[("members.yaml", 2, 34)].message


def test_an_abbreviated_zone_down_a_column_is_one_error(tmp_path: Path) -> None:
    rows = hr_rows(60, zones=("EST", "America/New_York", "IST"))
    root = write_folder(
        tmp_path, {"program.yaml": HR_PROGRAM, "members.csv": csv_text(HR_HEADER, rows)}
    )
    result = run("check", str(root))
    assert result.exit_code == 1
    zone_lines = [line for line in result.output.splitlines() if "error[timezone]" in line]
    assert len(zone_lines) == 2, result.output  # EST and IST: one line each, with a count
    assert "'EST' is an abbreviation" in zone_lines[0]
    assert "and 19 more like it (lines 5, 8, 11, 14, 17 and 14 more)" in zone_lines[0]


# --- people ---------------------------------------------------------------------------


def test_one_person_twice_is_an_error_naming_both_rows(tmp_path: Path) -> None:
    members = """\
        - {id: ana, name: Ana Lima, email: ana@example.org, organization: Acme}
        - {id: ben, name: Ben Carter, organization: Acme}
        - {id: ana2, name: Ana L., email: ANA@example.org}
        - {id: ben2, name: ben  carter, organization: Acme}
        - {id: cat, name: Cat Ngo, email: cat@example.org, organization: Acme}
        - {id: cat2, name: Cat Ngo, email: cat.ngo@example.org, organization: Acme}
        - {id: dan, name: Dan Osei, organization: Acme}
        - {id: dan2, name: Dan Osei, organization: Globex}
    """
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": members})
    problems = sorted(
        (where(p), p.severity, p.message)
        for p in check_folder(root)[1]
        if p.code == "duplicate-person"
    )
    assert problems == [
        (
            ("members.yaml", 3, 35),
            "error",
            "ana2 (members.yaml:3) has the same email as ana (members.yaml:1): ANA@example.org",
        ),
        (
            ("members.yaml", 4, 20),
            "error",
            "ben2 (members.yaml:4) and ben (members.yaml:2) are both 'ben  carter' in Acme",
        ),
        (
            ("members.yaml", 6, 20),
            "warning",
            "cat2 (members.yaml:6) and cat (members.yaml:5) are both 'Cat Ngo' in Acme, "
            "with different emails",
        ),
    ]


def test_not_same_manager_and_own_manager_with_managers_outside(tmp_path: Path) -> None:
    # ana and ben share an outside manager; cat manages dan; eve and fay are free
    members = """\
        - {id: ana, name: Ana, manager: boss-1}
        - {id: ben, name: Ben, manager: boss-1}
        - {id: cat, name: Cat}
        - {id: dan, name: Dan, manager: cat}
    """
    program = MINIMAL_PROGRAM + "matching:\n  rules:\n    not_same: [manager]\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": members})
    problems = check_folder(root)[1]
    assert [p.code for p in problems] == ["outside-manager"]
    assert run("match", str(root)).exit_code == 0
    data = yaml.safe_load(next((root / "rounds").glob("*.yaml")).read_text(encoding="utf-8"))
    pairs = sorted(sorted(m["members"]) for m in data["matches"])
    assert ["ana", "ben"] not in pairs
    assert ["cat", "dan"] not in pairs
    shared = run("explain", str(root), "ana", "ben")
    assert "may not be matched" in shared.output
    assert "same manager (boss-1)" in shared.output
    boss = run("explain", str(root), "cat", "dan")
    assert "may not be matched" in boss.output
    assert "cat is dan's manager" in boss.output


def test_a_round_file_naming_an_id_in_another_case(tmp_path: Path) -> None:
    members = "- {id: E1001, name: Ana}\n- {id: E1002, name: Ben}\n"
    round_file = "round: r1\nmatches:\n  - {id: match-01, members: [e1001, E1002]}\nunmatched: []\n"
    program = MINIMAL_PROGRAM + 'roster: {columns: {"Employee ID": id}}\n'
    root = write_folder(
        tmp_path,
        {"program.yaml": program, "members.yaml": members, "rounds/r1.yaml": round_file},
    )
    problems = check_folder(root)[1]
    wrong = only(problems, "unknown-member")
    assert where(wrong) == ("rounds/r1.yaml", 3, 5)
    assert wrong.hint == "ids keep their case: write 'E1001' in rounds/r1.yaml"
    unused = only(problems, "roster-column")
    assert (unused.severity, where(unused)) == ("warning", ("program.yaml", 6, 1))


def test_a_line_break_in_a_name_is_read_as_a_space(tmp_path: Path) -> None:
    members = (
        'members:\n  - {id: ana, name: "Ana\\r\\nBcc: x@example.org"}\n  - {id: ben, name: Ben}\n'
    )
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": members})
    folder, problems = check_folder(root)
    assert folder is not None
    assert folder.member("ana").name == "Ana Bcc: x@example.org"
    [warning] = [p for p in problems if p.code == "name-line-break"]
    assert (warning.severity, where(warning)) == ("warning", ("members.yaml", 2, 21))


# Cells good and bad for each column of a roster, to read two ways (see below).
_CELLS = {
    "id": ("E1001", "e1001", "ana-r", "x y", "-bad", "", " E1002 "),
    "Full Name": ("Ana Lima", "Zoë O'Brien", "", "  Ben  ", "Ana\nLima", "李雷", "x" * 201),
    "name": ("Ana Lima", "Ben Carter", "", "Ana Lima"),
    "email": ("ana@example.org", "not an email", "", "BEN@EXAMPLE.ORG"),
    "Role": ("mentor", "Mentee", "peer", "boss", ""),
    "department": ("Sales", " sales ", ""),
    "manager": ("E1001", "M9000", ""),
    "timezone": ("Europe/Paris", "EST", "Mars/Olympus", "", "UTC"),
    "languages": ("English; Deutsch", "en", "Klingon", ""),
    "knowledge": ("3", "2.0", "0", "9", "x", ""),
    "levels.experience": ("1", "5", "", "2.5"),
    "levels.wisdom": ("1", ""),
    "goals": ("Sales; hiring", "hiring", "", ";;", "x" * 5001),
    "offers": ("sales", "", "Hiring;Sales"),
    "capacity": ("2", "0", "1001", "two", ""),
    "availability": ("Tue 09:00-12:00", "sometimes", "Mon 10:00-11:00; Thu 14:00-16:00", ""),
    "avoid": ("E1001", "E1001; E1002", ""),
    "active": ("yes", "false", "maybe", ""),
    "left": ("2027-05-01", "05/14/2027", "2027-13-40", ""),
    "pause": ("2027-03-01..2027-04-01", "soon", ""),
    "fields.site": ("NYC", ""),
    "notes": ("kind", ""),
    "levels": ("3", ""),
}


def _cell(column: str) -> st.SearchStrategy[str]:
    """A cell of `column`: most often one of its first two (good) values."""
    values = _CELLS[column]
    return st.sampled_from(values[:2]) | st.sampled_from(values[:2]) | st.sampled_from(values)


@given(
    st.lists(st.sampled_from(sorted(_CELLS)), min_size=1, max_size=8, unique=True),
    st.data(),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_table_roster_reads_as_it_reads_cell_by_cell(
    tmp_path: Path, columns: list[str], data: st.DataObject
) -> None:
    """Rows with nothing wrong are made straight from their text; every Member, where it
    was written and every problem are as when each row is read cell by cell."""
    from peerkit.load import members as roster

    header = ["id", *[c for c in columns if c != "id"]]
    rows = [
        [data.draw(_cell(c)) for c in header][
            : data.draw(st.sampled_from((len(header), len(header) - 1)))
        ]
        for _ in range(data.draw(st.integers(1, 6)))
    ]
    root = write_folder(
        tmp_path / f"prog{len(list(tmp_path.iterdir()))}",
        {"program.yaml": MINIMAL_PROGRAM, "members.csv": csv_text(tuple(header), rows)},
    )

    def read() -> tuple[list[tuple[object, ...]], list[str]]:
        folder, problems = load_folder(root)
        members = folder.members if folder else ()
        return [(m, m.source, list(m.sources.items())) for m in members], [
            f"{p.severity} {p.source} {p}" for p in problems
        ]

    fast = read()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(roster._TableRows, "members", lambda self, rows, lines: [None] * len(rows))
        assert read() == fast


def test_a_csv_rosters_wrong_cells_are_each_said_at_their_row_and_column(tmp_path: Path) -> None:
    """Ids, names, texts and lists are read from a CSV's cells without the general reading;
    a cell it would find wrong is still said at its row and column, and only that row is
    read the general way."""
    long = "x" * 5001
    text = (
        "id,name,department,goals\n"
        "ana,Ana,Sales,pricing; export\n"
        "e 1,Ben,Sales,pricing\n"
        f"cat,{'C' * 201},Sales,pricing\n"
        f"dan,Dan,{long},pricing\n"
        f"eve,Eve,Sales,{long}\n"
    )
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": text})
    loaded, problems = load_folder(root)
    assert loaded is not None
    found = sorted((p.code, p.source.line, p.source.col) for p in problems if p.source)
    assert found == [
        ("member-id", 3, 1),
        ("too-long", 4, 2),
        ("too-long", 5, 3),
        ("too-long", 6, 4),
    ]
    ana = loaded.members_by_id["ana"]
    assert (ana.name, ana.department, ana.goals) == ("Ana", "Sales", ("pricing", "export"))
    assert ana.source_of("goals").col == 4
    # without an id column, the id comes from the name: a name that is wrong is said too
    text = 'name,email\n"Ana\nLima",ana@example.org\nBen,ben@example.org\n'
    root = write_folder(tmp_path / "named", {"program.yaml": MINIMAL_PROGRAM, "members.csv": text})
    loaded, problems = load_folder(root)
    assert loaded is not None
    assert [m.id for m in loaded.members] == ["ana-lima", "ben"]
    assert [(p.code, p.source.line) for p in problems if p.source] == [("name-line-break", 2)]


ROSTER_COLUMNS = (
    *("id", "name", "email", "role", "department", "goals", "offers", "knowledge"),
    *("fields.team", "timezone", "capacity", "active", "left", "avoid", "manager", "industry"),
)
CELLS = (
    *("", " ", "ana", "Ana Lima", "Ana\nLima", "x" * 201, "x" * 5001, "a;b;;c", "E 1"),
    *("mentor", "mentee", "3", "-1", "9", "yes", "2027-02-01", "Europe/Berlin", "EST"),
    *("é", "=1+1", "ana@example.org", "ana-lima", "ANA", "null"),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(ROSTER_COLUMNS), min_size=1, max_size=8, unique=True),
    st.lists(st.lists(st.sampled_from(CELLS), max_size=9), max_size=6),
)
def test_a_csv_roster_reads_alike_cell_by_cell_and_row_by_row(
    columns: list[str], rows: list[list[str]]
) -> None:
    """Rows made straight from their cells are the members (and problems) that reading
    every row the general way makes, whatever the cells."""
    import peerkit.load.members as members_module

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as temp:
        root = write_folder(
            Path(temp), {"program.yaml": MINIMAL_PROGRAM, "members.csv": out.getvalue()}
        )
        quick = load_folder(root)
        general = members_module._TableRows.members
        try:
            members_module._TableRows.members = (  # type: ignore[method-assign]
                lambda self, rows, lines: [None] * len(rows)
            )
            slow = load_folder(root)
        finally:
            members_module._TableRows.members = general  # type: ignore[method-assign]
    assert (quick[0] is None) == (slow[0] is None)
    assert quick[1] == slow[1]
    if quick[0] is not None and slow[0] is not None:
        assert quick[0].members == slow[0].members
        for a, b in zip(quick[0].members, slow[0].members, strict=True):
            assert a.source == b.source
            assert {k: a.source_of(k) for k in b.sources} == dict(b.sources)
