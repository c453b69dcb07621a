"""Hostile and odd files: each ends in a clear located message or works, never a traceback."""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from peerkit.check import check_folder
from peerkit.load import members as load_members
from peerkit.model import Location
from tests.conftest import MINIMAL_MEMBERS, MINIMAL_PROGRAM, run, write_folder

CSV_ROSTER = "id,name,email,organization,languages,knowledge\n" + "".join(
    f"m{i},Member {i},m{i}@example.org,Org {i},en;fr,{i % 5 + 1}\n" for i in range(4)
)


def codes(root: Path) -> list[tuple[str, int, str]]:
    return [
        (p.source.file if p.source else "", p.source.line if p.source else 0, p.code)
        for p in check_folder(root)[1]
    ]


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    root = write_folder(
        tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": "\n".join(lines) + "\n"}
    )
    assert codes(root) == [("members.yaml", 1, "yaml-aliases")]


def test_binary_junk_roster(tmp_path: Path) -> None:
    junk = bytes(range(256)) * 40
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": junk})
    assert codes(root) == [("members.csv", 1, "binary")]


def test_binary_junk_program(tmp_path: Path) -> None:
    root = write_folder(
        tmp_path, {"program.yaml": b"\x89PNG\r\n\x1a\n\x00\x00", "members.csv": CSV_ROSTER}
    )
    assert codes(root) == [("program.yaml", 3, "binary")]  # the line of the first NUL


def test_non_utf8_yaml_names_the_line(tmp_path: Path) -> None:
    program = (MINIMAL_PROGRAM + "organization: Caf\xe9 Ltd\n").encode("cp1252")
    root = write_folder(tmp_path, {"program.yaml": program, "members.csv": CSV_ROSTER})
    result = check_folder(root)[1]
    assert [(p.source.line if p.source else 0, p.code) for p in result] == [(6, "encoding")]
    assert "UTF-8" in result[0].hint


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.replace("\n", "\r\n").encode("utf-8"),
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("cp1252"),
    ],
    ids=["bom", "crlf", "utf16", "cp1252"],
)
def test_roster_encodings_from_other_tools(tmp_path: Path, encode: object) -> None:
    text = CSV_ROSTER.replace("Member 0", "Zoë Café")
    assert callable(encode)
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": encode(text)})
    folder, problems = check_folder(root)
    assert problems == []
    assert folder is not None
    assert [m.name for m in folder.members][:2] == ["Zoë Café", "Member 1"]
    assert folder.members[0].languages == ("en", "fr")
    assert folder.members[3].levels.knowledge == 4
    assert folder.members[1].source.line == 3


def test_semicolon_csv_from_european_excel(tmp_path: Path) -> None:
    text = "id;name;email\r\nana;Ana;ana@example.org\r\nben;Ben;ben@example.org\r\n"
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": text})
    folder, problems = check_folder(root)
    assert problems == []
    assert folder is not None
    assert [m.email for m in folder.members] == ["ana@example.org", "ben@example.org"]


def test_bom_and_crlf_yaml(tmp_path: Path) -> None:
    program = codecs.BOM_UTF8 + MINIMAL_PROGRAM.replace("\n", "\r\n").encode()
    members = "- {name: Ana}\r\n- {name: Ben}\r\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": members})
    folder, problems = check_folder(root)
    assert problems == []
    assert folder is not None
    assert folder.program.name == "Test Program"


def test_unknown_csv_column_and_quoted_newline(tmp_path: Path) -> None:
    text = 'id,name,deparment\nana,"Ana\nLima",Sales\nben,Ben,Ops\n'
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": text})
    folder, problems = check_folder(root)
    # reported once, at the header cell, not once per row; the quoted line break in a
    # name is read as a space, with a warning at its cell
    assert [(p.code, str(p.source)) for p in problems] == [
        ("unknown-key", "members.csv:1:3"),
        ("name-line-break", "members.csv:2:2"),
    ]
    assert problems[0].hint.startswith("did you mean 'department'? map it to a member field")
    assert "fields.deparment" in problems[0].hint
    assert folder is not None
    assert folder.members[0].name == "Ana Lima"
    assert folder.members[1].source.line == 4


def test_roster_with_too_many_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_members, "MAX_MEMBERS", 3)
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": CSV_ROSTER})
    assert codes(root) == [("members.csv", 5, "too-many-rows")]


def test_huge_yaml_is_refused_with_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("peerkit.source.yaml_tree.MAX_YAML_BYTES", 100)
    root = write_folder(
        tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.yaml": "- {name: A}\n" * 20}
    )
    problems = check_folder(root)[1]
    assert [p.code for p in problems] == ["too-large"]
    assert "members.csv" in problems[0].hint


def test_xlsx_roster_and_a_fake_one(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name", "email", "knowledge", "left"])
    sheet.append(["ana", "Ana", "ana@example.org", 3, None])
    sheet.append(["ben", "Ben", "ben@example.org", 4.0, "2027-02-01"])
    root = write_folder(tmp_path / "ok", {"program.yaml": MINIMAL_PROGRAM})
    book.save(root / "members.xlsx")
    folder, problems = check_folder(root)
    assert problems == []
    assert folder is not None
    assert [(m.id, m.levels.knowledge, m.source.line) for m in folder.members] == [
        ("ana", 3, 2),
        ("ben", 4, 3),
    ]
    assert str(folder.members[1].left) == "2027-02-01"

    fake = write_folder(
        tmp_path / "fake", {"program.yaml": MINIMAL_PROGRAM, "members.xlsx": b"not a zip"}
    )
    assert [p.code for p in check_folder(fake)[1]] == ["xlsx"]


def test_deeply_nested_yaml(tmp_path: Path) -> None:
    deep = "goals: " + "[" * 5000 + "]" * 5000 + "\n"
    root = write_folder(
        tmp_path, {"program.yaml": MINIMAL_PROGRAM + deep, "members.csv": CSV_ROSTER}
    )
    result = run("check", root)
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_hostile_values_are_only_text(tmp_path: Path) -> None:
    members = """\
        - {name: "<script>alert(1)</script>", organization: "{{ 7*7 }}"}
        - {name: "!!python/object:os.system", email: "a@b.co"}
        - {name: Ben}
        - {name: Cat}
    """
    program = MINIMAL_PROGRAM + "organization: !!python/object/apply:os.system ['true']\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": members})
    folder, problems = check_folder(root)
    # the python tag is never honoured: the value is just a list where text belongs
    assert [(p.code, p.message) for p in problems] == [
        ("type", "organization: expected text, got a list")
    ]
    assert folder is not None
    assert folder.members[1].name == "!!python/object:os.system"
    assert folder.members[0].organization == "{{ 7*7 }}"
    assert folder.members[0].id == "script-alert-1-script"


# --- every input either loads or is a located problem ----------------------------------


def errors(root: Path) -> list[tuple[str, int, str]]:
    return [
        (p.source.file if p.source else "", p.source.line if p.source else 0, p.code)
        for p in check_folder(root)[1]
        if p.severity == "error"
    ]


def test_a_key_given_twice_is_an_error_at_its_line(tmp_path: Path) -> None:
    members = """\
        members:
          - id: ana
            name: Ana Lima
            email: ana@example.org
            email: ben@example.org
          - {id: ben, name: Ben Carter}
        members:
          - {id: cat, name: Cat Ngo}
    """
    program = MINIMAL_PROGRAM + "name: Another Name\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": members})
    result = run("check", root)
    assert result.exit_code == 1
    assert f"{root}/members.yaml:5:5: error[duplicate-key]: the key 'email' is given twice" in (
        result.stderr
    )
    assert "(first on line 4)" in result.stderr
    assert f"{root}/members.yaml:7:1: error[duplicate-key]: the key 'members'" in result.stderr
    assert f"{root}/program.yaml:6:1: error[duplicate-key]: the key 'name'" in result.stderr
    # the first value counts, and the roster error does not cascade
    folder = check_folder(root)[0]
    assert folder is not None
    assert folder.program.name == "Test Program"
    assert [m.email for m in folder.members] == ["ana@example.org", ""]


def test_a_csv_column_given_twice_is_an_error(tmp_path: Path) -> None:
    roster = "id,name,email,Email\na,Ana,ana@example.org,all@example.org\nb,Ben,b@example.org,\n"
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": roster})
    assert errors(root) == [("members.csv", 1, "duplicate-column")]
    problem = check_folder(root)[1][0]
    assert problem.source is not None
    assert problem.source.col == 4
    assert "first in column 3" in problem.message


def test_a_quoted_header_full_of_semicolons_stays_comma_separated(tmp_path: Path) -> None:
    roster = 'id,name,"goals (a; b; c; d; e)"\na,Ana,"x; y"\nb,Ben,z\n'
    program = MINIMAL_PROGRAM
    root = write_folder(tmp_path, {"program.yaml": program, "members.csv": roster})
    folder, problems = check_folder(root)
    assert folder is not None
    assert [m.id for m in folder.members] == ["a", "b"]
    assert [p.code for p in problems] == ["unknown-key"]  # the odd goals column, at 1:3
    assert problems[0].source == Location("members.csv", 1, 3)


def test_mixed_encodings_warn_at_the_first_bad_line(tmp_path: Path) -> None:
    roster = (
        b"id,name\n"
        + "a,Zoë Ruiz\n".encode()
        + b"b,Ben Carter\n"
        + "c,Café Ngo\n".encode("cp1252")
        + "d,José Ortega\n".encode()
    )
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": roster})
    folder, problems = check_folder(root)
    assert [(p.source.line if p.source else 0, p.code, p.severity) for p in problems] == [
        (4, "encoding", "warning")
    ]
    assert folder is not None
    assert [m.name for m in folder.members] == ["Zoë Ruiz", "Ben Carter", "Café Ngo", "José Ortega"]


def test_depth_and_control_characters_are_reported_at_their_line(tmp_path: Path) -> None:
    nested = "goals:\n" + "".join("  " * i + "-\n" for i in range(1, 80))
    root = write_folder(
        tmp_path, {"program.yaml": MINIMAL_PROGRAM + nested, "members.yaml": MINIMAL_MEMBERS}
    )
    [(file, line, code)] = errors(root)
    assert (file, code) == ("program.yaml", "yaml-depth")
    assert line > 60
    members = MINIMAL_MEMBERS + '  - {id: eve, name: "Eve \x1b]0;owned\x07"}\n'
    (root / "members.yaml").write_text(members, encoding="utf-8")
    (root / "program.yaml").write_text(MINIMAL_PROGRAM, encoding="utf-8")
    assert errors(root) == [("members.yaml", 6, "yaml-syntax")]
    (root / "members.yaml").write_bytes(b"members:\n  - {id: a}\n  - {id: b\x00}\n")
    assert errors(root) == [("members.yaml", 3, "binary")]


def test_program_yaml_that_is_a_folder(tmp_path: Path) -> None:
    root = write_folder(tmp_path, {"members.yaml": MINIMAL_MEMBERS, "program.yaml/x": "a"})
    result = run("check", root)
    assert result.exit_code == 1
    assert "program.yaml" in result.stderr
    assert "is a folder, not a file" in result.stderr
    assert "there is no program.yaml" not in result.stderr


@pytest.mark.parametrize(
    ("extra", "line", "code", "words"),
    [
        ("end: 9999-12-31\n", 5, "date", "years 1900 to 2200"),
        ("start: 0001-01-01\n", 5, "date", "years 1900 to 2200"),
        ("meetings: {cadence: 'FREQ=HOURLY'}\n", 6, "rrule", "more often than daily"),
        ("meetings: {cadence: 'FREQ=DAILY'}\nend: 2199-12-31\n", 5, "schedule", "at most 3,000"),
        ("matching: {weights: {levels: 1e300}}\n", 6, "range", "far too large"),
        ("matching: {weights: {levels: inf}}\n", 6, "type", "a finite number"),
        ("matching: {rules: {max_timezone_gap: -3}}\n", 6, "range", "not a gap"),
        ("matching: {seed: -1}\n", 6, "range", "matching.seed: -1 is out of range"),
        ("matching: {pins: [[ana, ana]]}\n", 6, "duplicate-pin", "'ana' is pinned twice"),
        ("matching:\n  pins:\n    - [ana, ben]\n    - [ana, cat]\n", 9, "duplicate-pin", "line 8"),
        (f"contact: {{name: {'x' * 300}}}\n", 6, "too-long", "at most 200 fit"),
    ],
)
def test_nonsense_values_are_errors_at_their_line(
    tmp_path: Path, extra: str, line: int, code: str, words: str
) -> None:
    replaced = {row.split(":")[0] for row in extra.splitlines() if not row.startswith(" ")}
    kept = list(MINIMAL_PROGRAM.splitlines(keepends=True))
    kept = [row for row in kept if row.split(":")[0] not in replaced]
    program = "".join(kept) + extra
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": MINIMAL_MEMBERS})
    problems = [p for p in check_folder(root)[1] if p.severity == "error"]
    assert [(p.source.line if p.source else 0, p.code) for p in problems][:1] == [(line, code)]
    assert words in problems[0].message
    assert "Traceback" not in run("check", root).output


# --- damaged workbooks, calendar state and templates ----------------------------------------


def _edited_xlsx(source: Path, edit: Callable[[str, bytes], bytes | None]) -> bytes:
    """A copy of a real workbook with some of its zip members edited or (None) removed."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = edit(item.filename, zin.read(item.filename))
            if data is not None:
                zout.writestr(item, data)
    return out.getvalue()


DAMAGE: dict[str, Callable[[str, bytes], bytes | None]] = {
    "truncated-sheet": lambda name, data: data[: len(data) // 2] if "worksheets/" in name else data,
    "missing-sheet": lambda name, data: None if "worksheets/" in name else data,
    "bad-styles": lambda name, data: b"<styleSheet><oops" if name.endswith("styles.xml") else data,
    "bad-rels": lambda name, data: b"not xml" if name.endswith("workbook.xml.rels") else data,
    "bad-workbook": lambda name, data: b"<workbook" if name == "xl/workbook.xml" else data,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_workbook_is_a_located_error(sample: Path, damage: str) -> None:
    path = sample / "responses" / "checkin-session-02.xlsx"
    path.write_bytes(_edited_xlsx(path, DAMAGE[damage]))
    before = snapshot(sample)
    for command in ("check", "tally", "build"):
        result = run(command, sample, *(("--now", "2027-03-01") if command == "build" else ()))
        assert result.exit_code == 1, (command, result.output)
        assert f"{path}: error[xlsx]: " in result.stderr, (command, result.stderr)
        assert "Traceback" not in result.output
        assert snapshot(sample) == before
    roster = sample / "members.xlsx"
    roster.write_bytes(path.read_bytes())
    (sample / "members.yaml").unlink()
    result = run("check", sample)
    assert result.exit_code == 1
    assert f"{roster}: error[xlsx]: " in result.stderr


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_calendar_state_that_is_a_link_loop_or_bad_yaml(sample: Path) -> None:
    state = sample / "calendars.yaml"
    state.unlink()
    state.symlink_to("calendars.yaml")
    result = run("calendar", sample, "--now", "2027-03-01")
    assert result.exit_code == 1
    assert (
        "calendars.yaml: error[calendar-state]: calendars.yaml is a link that leads to no file"
        in (result.stderr)
    )
    assert not (sample / "out").exists()
    state.unlink()
    state.write_text("rounds:\n  x: [\n    bad: {\n", encoding="utf-8")
    result = run("build", sample, "--now", "2027-03-01")
    assert result.exit_code == 1
    assert "calendars.yaml:4:1: error[calendar-state]: calendars.yaml cannot be read" in (
        result.stderr
    )
    assert "Traceback" not in result.output
    result = run("check", sample)
    assert result.exit_code == 1
    assert "calendars.yaml:4:1: error[calendar-state]" in result.stderr


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{{ 1/0 }}", "template error: ZeroDivisionError: division by zero"),
        ('{% include "agenda.md.j2" %}', "template error: it includes itself, endlessly"),
        ("{{ program.name + 1 }}", "template error: TypeError"),
    ],
)
def test_a_template_runtime_error_names_the_template_and_line(
    sample: Path, line: str, message: str
) -> None:
    shipped = (Path(__file__).parent.parent / "templates" / "agenda.md.j2").read_text("utf-8")
    (sample / "templates").mkdir()
    override = sample / "templates" / "agenda.md.j2"
    override.write_text(shipped + line + "\n", encoding="utf-8")
    number = shipped.count("\n") + 1
    result = run("agenda", sample, "--now", "2027-03-01")
    assert result.exit_code == 1
    assert f"error: {override}:{number}: {message}" in result.stderr
    assert "Traceback" not in result.output


def test_a_megabyte_word_in_a_name_is_refused_quickly(tmp_path: Path) -> None:
    word = "A" * 1_000_000
    roster = f"id,name,email\nana,{word},ana@example.org\nben,Ben,ben@example.org\n"
    root = write_folder(tmp_path, {"program.yaml": MINIMAL_PROGRAM, "members.csv": roster})
    result = run("build", root, "--now", "2027-03-01")
    assert result.exit_code == 1
    assert (
        f"{root}/members.csv:2:2: error[too-long]: name: the value is 1,000,000 characters long; "
        "at most 200 fit"
    ) in result.stderr
    assert not (root / "out").exists()


def test_a_bad_escape_in_the_calendar_state_is_located(sample: Path) -> None:
    # found by tests/test_fuzz.py: the fast reader of calendars.yaml crashed on it
    state = sample / "calendars.yaml"
    lines = state.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if line.startswith('    "match-01"'))
    lines[number] = lines[number].replace('"match-01"', '"\\qmatch-01"')
    state.write_text("".join(lines), encoding="utf-8")
    result = run("build", sample, "--now", "2027-03-01")
    assert result.exit_code == 1
    assert f"calendars.yaml:{number + 1}:6: error[calendar-state]" in result.stderr
    assert "Traceback" not in result.output
