"""One meaning per option across commands, and the shared validators."""

from __future__ import annotations

import inspect
import json
import typing
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer.main

from peerkit.cli import app
from peerkit.validate import is_email, is_timezone, is_url, suggest
from tests.conftest import run
from tests.test_agenda import with_round


@pytest.fixture
def sample_round(sample: Path) -> Path:
    return with_round(sample)


# The spelling of each shared option, wherever a command has it.
SHARED = {
    "--session": ("--session", "-s"),
    "--survey": ("--survey",),
    "--round": ("--round", "-r"),
    "--now": ("--now",),
    "--format": ("--format", "-f"),
    "--dry-run": ("--dry-run",),
}
# `--format` is how stdout is printed; these are the values that mean that.
STDOUT_FORMATS = {"text", "json", "csv", "html", "github"}


def _options() -> list[tuple[str, tuple[str, ...], Any]]:
    """(command, flags, type) of every option of every command."""
    return [
        (name, (*param.opts, *param.secondary_opts), annotation)
        for name, param, annotation in _params()
    ]


def _annotation(command: Any, name: str) -> Any:
    """The type a command's function declares for its parameter `name` (Annotated's
    metadata left out), read from the function itself rather than from Typer's insides."""
    return typing.get_type_hints(inspect.unwrap(command.callback))[name]


# Every option of every command, as `--help` shows them (hidden ones are old spellings,
# kept for a release with a note). A new option is added here on purpose, after checking
# that its name means nothing else in another command.
TABLE: dict[str, set[tuple[str, ...]]] = {
    "init": {("--force",), ("--dry-run",), ("--format", "-f")},
    "check": {("--format", "-f"), ("--strict",), ("--now",)},
    "match": {
        ("--round", "-r"),
        ("--seed",),
        ("--start",),
        ("--fill",),
        ("--force",),
        ("--dry-run",),
        ("--format", "-f"),
        ("--rows",),
    },
    "explain": {("--round", "-r"), ("--format", "-f")},
    "calendar": {
        ("--round", "-r"),
        ("--only",),
        ("--method",),
        ("--now",),
        ("--dry-run",),
        ("--format", "-f"),
    },
    "agenda": {
        ("--session", "-s"),
        ("--round", "-r"),
        ("--as",),
        ("--only",),
        ("--paper",),
        ("--now",),
        ("--dry-run",),
        ("--format", "-f"),
    },
    "survey": {("--as",), ("--paper",), ("--dry-run",), ("--format", "-f")},
    "tally": {
        ("--survey",),
        ("--map", "-m"),
        ("--format", "-f"),
        ("--no-names",),
        ("--round", "-r"),
        ("--session", "-s"),
        ("--now",),
        ("--dry-run",),
    },
    "report": {
        ("--as",),
        ("--format", "-f"),
        ("--paper",),
        ("--no-names",),
        ("--now",),
        ("--round", "-r"),
        ("--dry-run",),
    },
    "outbox": {("--now",), ("--dry-run",), ("--format", "-f")},
    "send": {("--only",), ("--limit",), ("--per-minute",), ("--dry-run",), ("--format", "-f")},
    "build": {("--now",), ("--dry-run",), ("--format", "-f")},
    "attendance sheet": {
        ("--session", "-s"),
        ("--round", "-r"),
        ("--format", "-f"),
        ("--dry-run",),
        ("--now",),
    },
    "attendance rates": {("--round", "-r"), ("--format", "-f"), ("--now",)},
}
# Options whose help is word for word the same wherever they are: one meaning.
SAME_HELP = ("--now", "--dry-run", "--paper", "--no-names")


def _params() -> list[tuple[str, Any, Any]]:
    """(command, click parameter, type) of every option of every command, hidden ones too."""
    group: Any = typer.main.get_command(app)
    found = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", {})
        for full, each in [(f"{name} {sub}", c) for sub, c in subcommands.items()] or [
            (name, command)
        ]:
            found += [
                (full, p, _annotation(each, p.name))
                for p in each.params
                if p.opts and p.opts[0].startswith("-")
            ]
    return found


def test_the_option_table_of_every_command() -> None:
    shown: dict[str, set[tuple[str, ...]]] = {}
    for name, param, _ in _params():
        if not param.hidden:
            shown.setdefault(name, set()).add((*param.opts, *param.secondary_opts))
    for name in TABLE:
        shown.setdefault(name, set())
    assert shown == TABLE


def _bare(annotation: Any) -> Any:
    """`str` for `str | None` (and for `str`)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if len(args) == 1 else annotation


def test_a_shared_option_means_the_same_in_every_command() -> None:
    helps: dict[str, set[str]] = {}
    for name, param, annotation in _params():
        flag = param.opts[0]
        if flag in SAME_HELP:
            helps.setdefault(flag, set()).add(param.help)
        kind = _bare(annotation)
        if flag == "--round":
            assert kind is str, name  # a round's name, never a number
            assert "round" in param.help.casefold(), name
        if flag == "--session":
            # a session number; `next` (the first meeting after --now) where a command makes
            # something for a meeting to come, never in tally (no answer is for one)
            assert kind is (int if name == "tally" else str), name
        if flag == "--as":
            assert param.help.startswith("Files to write: "), name
    assert {flag: len(texts) for flag, texts in helps.items()} == dict.fromkeys(SAME_HELP, 1)


def test_match_rows_and_its_old_spelling(sample: Path) -> None:
    new = run("match", sample, "--round", "2027", "--force", "--dry-run", "--rows", "1")
    old = run("match", sample, "--round", "2027", "--force", "--dry-run", "--limit", "1")
    assert new.exit_code == old.exit_code == 0, old.output
    assert "... and 6 more matches" in new.stdout
    assert old.stdout == new.stdout
    assert "note: --limit is deprecated; use --rows" in old.stderr
    assert "deprecated" not in new.stderr


def test_init_dry_run_and_json(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    result = run("init", folder, "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["dry_run"] is True
    assert {"program.yaml", "members.yaml", ".gitignore"} <= set(data["files"])
    assert not folder.exists()
    text = run("init", folder, "--dry-run")
    assert f"would write {folder / 'program.yaml'}" in text.stdout
    made = run("init", folder, "-f", "json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["files"] == data["files"]
    assert (folder / "program.yaml").is_file()


# Each command's --format json, on the sample with a round (writing nothing).
JSON_RUNS = [
    ("check",),
    ("match", "--round", "fixture", "--force", "--dry-run"),
    ("explain", "ana-ruiz"),
    ("calendar", "--dry-run"),
    ("agenda", "-s", "1", "--as", "md", "--dry-run"),
    ("survey", "checkin", "--as", "csv", "--dry-run"),
    ("report", "--as", "json", "--dry-run"),
    ("outbox", "--dry-run"),
    ("attendance", "sheet", "-s", "1", "--dry-run"),
    ("attendance", "rates"),
]


@pytest.mark.parametrize("args", JSON_RUNS, ids=lambda a: " ".join(a[:2]))
def test_json_is_written_the_same_way_by_every_command(
    sample_round: Path, args: tuple[str, ...]
) -> None:
    from peerkit.jsontext import json_text

    command, *rest = args
    if command == "attendance":
        command, rest = f"{command} {rest[0]}", rest[1:]
    now = ("--now", "2027-03-01") if ("--now",) in TABLE[command] else ()
    result = run(*command.split(), sample_round, *rest, "--format", "json", *now)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data
    # sorted keys, two spaces, characters as they are, one newline: print_json's text
    assert result.stdout == json_text(data) + "\n"


def test_shared_options_are_spelled_the_same_in_every_command() -> None:
    seen = set()
    for name, flags, _ in _options():
        for long, spelling in SHARED.items():
            if long in flags or (len(spelling) > 1 and spelling[1] in flags):
                seen.add((name, long))
                assert sorted(flags) == sorted(spelling), (name, flags)
    assert ("agenda", "--session") in seen
    assert ("agenda", "--format") in seen
    assert ("survey", "--format") in seen
    assert ("attendance sheet", "--session") in seen
    assert ("tally", "--survey") in seen


def test_format_is_about_stdout_everywhere() -> None:
    formats = 0
    for name, flags, annotation in _options():
        if "--format" in flags:
            formats += 1
            if name == "report":  # a str: it still takes the old file values, with a note
                assert annotation is str
                continue
            assert isinstance(annotation, type), name
            assert issubclass(annotation, Enum), name
            choices = {str(choice.value) for choice in annotation}
            assert {"text", "json"} <= choices, name
            assert choices <= STDOUT_FORMATS, name
    assert formats >= 8


def test_report_format_is_stdout_and_as_picks_the_files(sample_round: Path) -> None:
    result = run("report", sample_round, "--as", "csv", "--format", "json", "--dry-run")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["program"]
    assert "deprecated" not in result.stderr
    old = run("report", sample_round, "--format", "csv", "--dry-run")
    assert old.exit_code == 0, old.output
    assert "note: --format csv is deprecated; use --as csv" in old.stderr
    assert old.stdout.split() == ["would", "write", f"{sample_round}/out/report/report.csv"]
    wrong = run("report", sample_round, "--format", "yaml")
    assert wrong.exit_code == 2
    assert "--as picks the files" in wrong.stderr


@pytest.mark.parametrize("command", ["agenda", "survey"])
def test_old_json_flag_still_works_with_a_note(sample_round: Path, command: str) -> None:
    args = ("-s", "1") if command == "agenda" else ("checkin",)
    new = run(command, sample_round, *args, "--as", "md", "--dry-run", "--format", "json")
    old = run(command, sample_round, *args, "--as", "md", "--dry-run", "--json")
    assert new.exit_code == old.exit_code == 0, old.output
    assert json.loads(old.stdout) == json.loads(new.stdout)
    assert "note: --json is deprecated; use --format json" in old.stderr
    assert "deprecated" not in new.stderr
    assert json.loads(new.stdout)["dry_run"] is True


def test_as_chooses_the_files(sample_round: Path) -> None:
    result = run("agenda", sample_round, "-s", "2", "--as", "md", "--dry-run", "-f", "json")
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert files
    assert all(f.endswith(".md") for f in files)
    bad = run("agenda", sample_round, "-s", "2", "--as", "docx")
    assert bad.exit_code == 2


def test_email() -> None:
    assert is_email("ana@example.org")
    assert is_email("o'brien+peer@mail.example.co.uk")
    assert is_email("zoë@exämple.de")
    for bad in (
        "",
        "ana",
        "ana@example",
        "a b@example.org",
        "ana@@example.org",
        "<ana@example.org>",
        "ana@example.org,ben@example.org",
        'a"b@example.org',
    ):
        assert not is_email(bad), bad


def test_url() -> None:
    assert is_url("https://meet.example.org/abc-def?pwd=1&x=2#top")
    assert is_url("http://example.org")
    assert is_url("https://example.org:8443/room")
    for bad in (
        "",
        "example.org",
        "ftp://example.org",
        "https://",
        "https:///path",
        "https://exa mple.org",
        "https://example.org/<script>",
        'https://x.org/"',
        "javascript:alert(1)",
        "https://example.org/\x00",
    ):
        assert not is_url(bad), bad


def test_timezone() -> None:
    assert is_timezone("Europe/Paris")
    assert is_timezone("UTC")
    for bad in ("", "Europe/Londn", "/etc/passwd", "../zoneinfo/UTC", "Europe/\x00"):
        assert not is_timezone(bad), bad


def test_suggest() -> None:
    assert suggest("chekin", ["checkin", "final"]) == "did you mean 'checkin'?"
    assert suggest("zzz", ["checkin", "final"], "use one of: checkin, final") == (
        "use one of: checkin, final"
    )
    assert suggest("zzz", []) == ""
