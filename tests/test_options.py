"""One meaning per option across commands, and the shared validators."""

from __future__ import annotations

import json
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
    group: Any = typer.main.get_command(app)
    commands = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", {})
        commands += [(f"{name} {sub}", c) for sub, c in subcommands.items()] or [(name, command)]
    found = []
    for name, command in commands:
        for param in command.params:
            if param.opts and param.opts[0].startswith("-"):
                annotation = param.type_descriptor.annotation
                found.append((name, (*param.opts, *param.secondary_opts), annotation))
    return found


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
