"""The CLI as a coordinator meets it: exit codes, stdout vs stderr, formats, init, build."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from peerkit.cli import app
from tests.conftest import MINIMAL_MEMBERS, MINIMAL_PROGRAM, ROOT, SAMPLE, run, write_folder

BROKEN_MEMBERS = MINIMAL_MEMBERS + "  - {id: eve, name: Eve, email: eve-at-example}\n"


def broken(tmp_path: Path) -> Path:
    return write_folder(
        tmp_path / "broken",
        {
            "program.yaml": MINIMAL_PROGRAM.replace("Europe/London", "Europe/Londn"),
            "members.yaml": BROKEN_MEMBERS,
        },
    )


def test_check_ok_on_sample_program() -> None:
    result = run("check", SAMPLE)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "ok: High Desert Peer Teams 2027: 36 members, 12 sessions" in result.stderr


def test_check_reports_every_problem_sorted_with_hints(tmp_path: Path) -> None:
    root = broken(tmp_path)
    result = run("check", root, "--now", "2027-04-06")
    assert result.exit_code == 1
    first, *lines = result.stderr.splitlines()
    assert first == "as of Tue 6 Apr 2027"  # the moment it judges from, in the program's zone
    assert lines[0] == (
        f"{root}/members.yaml:6:33: error[email]: email 'eve-at-example' is not an email address"
    )
    assert lines[1].strip() == "hint: write it like ana@example.org"
    assert lines[2] == (
        f"{root}/program.yaml:2:11: error[timezone]: timezone: 'Europe/Londn' is not a known timezone"
    )
    assert lines[3].strip() == "hint: did you mean 'Europe/London'?"
    assert lines[-1] == "2 error(s), 0 warning(s)"


def test_check_json_and_github_formats(tmp_path: Path) -> None:
    root = broken(tmp_path)
    result = run("check", root, "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [(p["file"], p["line"], p["column"], p["code"]) for p in problems] == [
        (f"{root}/members.yaml", 6, 33, "email"),
        (f"{root}/program.yaml", 2, 11, "timezone"),
    ]
    assert problems[1]["hint"] == "did you mean 'Europe/London'?"
    result = run("check", root, "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1] == (
        f"::error file={root}/program.yaml,line=2,col=11,title=timezone::"
        "timezone: 'Europe/Londn' is not a known timezone (did you mean 'Europe/London'?)"
    )


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM.replace("format: pairs", "format: mentoring")
    members = "- {id: m, name: M, role: mentor, capacity: 1}\n- {id: a, name: A, role: mentee}\n"
    members += "- {id: b, name: B, role: mentee}\n"
    root = write_folder(tmp_path, {"program.yaml": program, "members.yaml": members})
    result = run("check", root)
    assert result.exit_code == 0
    assert "warning[capacity]" in result.stderr
    assert run("check", root, "--strict").exit_code == 1


def test_missing_folder_and_usage_errors(tmp_path: Path) -> None:
    result = run("check", tmp_path / "nope")
    assert result.exit_code == 1
    assert "is not a folder" in result.stderr
    assert "peerkit init" in result.stderr
    assert run("check", "--format", "xml").exit_code == 2
    assert run("no-such-command").exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("check", empty)
    assert result.exit_code == 1
    assert "error[missing-file]: there is no program.yaml" in result.stderr


def test_init_writes_a_folder_that_passes_check(tmp_path: Path) -> None:
    target = tmp_path / "new-program"
    result = run("init", target)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in target.iterdir()) == [
        ".gitignore",
        "members.yaml",
        "program.yaml",
    ]
    assert "# " in (target / "program.yaml").read_text()
    # the id calendar UIDs hang on comes from the folder's name
    assert "\nid: new-program    " in (target / "program.yaml").read_text()
    check = run("check", target, "--strict")
    assert check.exit_code == 0, check.stderr
    again = run("init", target)
    assert again.exit_code == 2
    assert "is not empty" in again.stderr
    assert "--force" in again.stderr
    (target / "members.yaml").write_text("- {name: Mine}\n")
    forced = run("init", target, "--force")
    assert forced.exit_code == 0
    assert (target / "members.yaml").read_text() == "- {name: Mine}\n"
    assert "kept" in forced.stderr


def test_build_stops_on_problems_and_writes_nothing(tmp_path: Path) -> None:
    root = broken(tmp_path)
    result = run("build", root)
    assert result.exit_code == 1
    assert "error[timezone]" in result.stderr
    assert not (root / "out").exists()


def test_build_on_sample_program(sample: Path) -> None:
    result = run("build", sample, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert not (sample / "out").exists()
    result = run("build", sample, "--now", "2027-01-05")
    assert result.exit_code == 0, result.stderr
    made = len(list((sample / "out").rglob("*.*")))
    # calendars.yaml, as sent in the sample, says what it said
    assert f"done: {made} file(s) written, 1 already up to date\n" in result.stderr
    # again: nothing changed, and the summary says so rather than "wrote" it all again
    again = run("build", sample, "--now", "2027-01-05")
    assert f"done: 0 file(s) written, {made + 1} already up to date\n" in again.stderr
    assert f"wrote    0 file(s) in {sample / 'out/agenda'}, 16 already up to date" in again.stdout
    # one edited session title: only what names it is written again
    program = (sample / "program.yaml").read_text(encoding="utf-8")
    (sample / "program.yaml").write_text(
        program.replace("title: Kickoff", "title: Kick-off", 1), encoding="utf-8"
    )
    edited = run("build", sample, "--now", "2027-01-05")
    assert f"wrote   16 file(s) in {sample / 'out/agenda'}\n" in edited.stdout
    assert f"wrote    0 file(s) in {sample / 'out/surveys'}, 15 already up to date" in edited.stdout


def test_every_command_has_help_with_an_example() -> None:
    commands = [c.name for c in app.registered_commands]
    assert {"init", "check", "build"} <= set(commands)
    for name in commands:
        assert name is not None
        result = run(name, "--help")
        assert result.exit_code == 0
        assert "Example: peerkit " in result.stdout, name


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; sys.argv = ['peerkit', '--help']\n"
        "from peerkit.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = {'scipy', 'numpy', 'icalendar', 'weasyprint', 'openpyxl', 'matplotlib',"
        " 'rustworkx', 'jinja2'}\n"
        "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip().splitlines()[-1] == "[]"


def test_readme_quick_start_matches_makefile_and_ci() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^\s*(make \w+)\s*$", quick, flags=re.MULTILINE)
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, flags=re.MULTILINE)
    assert "peerkit build sample-program" in makefile
    assert re.search(r"^test:", makefile, flags=re.MULTILINE)
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test( </dev/null)?$", ci, flags=re.MULTILINE)


def test_interrupt_exits_130(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(root: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("peerkit.check.check_folder", interrupted)
    result = run("build", folder)
    assert result.exit_code == 130
    assert "interrupted" in result.stderr


def test_outputs_are_readable_by_others_not_only_the_owner(sample: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        assert run("survey", sample, "checkin", "--as", "csv").exit_code == 0
    finally:
        os.umask(old)
    mode = stat.S_IMODE((sample / "out" / "surveys" / "checkin.csv").stat().st_mode)
    assert mode == 0o644


def readme_examples() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.startswith("peerkit ")]


@pytest.mark.parametrize("example", readme_examples())
def test_readme_examples_run(example: str, sample: Path, tmp_path: Path) -> None:
    import shlex

    args = shlex.split(example)[1:]
    args = [
        str(sample) + arg.removeprefix("sample-program")
        if arg.startswith("sample-program")
        else arg
        for arg in args
    ]
    if args[0] == "init":
        args[1] = str(tmp_path / args[1])
    result = run(*args)
    assert result.exit_code == 0, result.stderr


def test_init_force_keeps_a_csv_roster(tmp_path: Path) -> None:
    target = write_folder(tmp_path / "prog", {"members.csv": "id,name\nana,Ana\nben,Ben\n"})
    result = run("init", target, "--force")
    assert result.exit_code == 0
    assert not (target / "members.yaml").exists()
    assert "kept your own roster" in result.stderr


def test_build_fails_when_no_round_can_be_made(tmp_path: Path) -> None:
    program = MINIMAL_PROGRAM + "matching:\n  rules:\n    not_same: [organization]\n"
    members = "".join(f"- {{id: m{i}, name: M{i}, organization: Same}}\n" for i in range(4))
    root = write_folder(tmp_path / "prog", {"program.yaml": program, "members.yaml": members})
    result = run("build", root)
    assert result.exit_code == 1
    assert "error[match]: no round was made" in result.stderr
    assert not (root / "out").exists()


def test_what_a_command_made_is_old_when_the_collector_resumes() -> None:
    """The collector is paused while a command runs; after it, what the command made is in
    the oldest generation (a collection of the youngest would walk all of it at once)."""
    import gc

    from peerkit.__main__ import GC_THRESHOLDS
    from peerkit.cli.common import collector_paused

    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        gc.collect()
        with collector_paused():
            assert not gc.isenabled()
            made = [[k] for k in range(GC_THRESHOLDS[0])]  # a young collection is due
        assert gc.isenabled()
        young = {id(x) for x in gc.get_objects(generation=0)}
        old = {id(x) for x in gc.get_objects(generation=2)}
    finally:
        gc.set_threshold(*before)
    assert not any(id(x) in young for x in made)
    assert all(id(x) in old for x in made)
