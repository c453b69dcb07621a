"""Shared fixtures: program folders built in tmp_path and the real CLI."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from peerkit.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample-program"
UPDATE_GOLDEN = os.environ.get("PEERKIT_UPDATE_GOLDEN") == "1"

MINIMAL_PROGRAM = """\
name: Test Program
timezone: Europe/London
start: 2027-01-01
end: 2027-06-30
format: pairs
"""

MINIMAL_MEMBERS = """\
members:
  - {id: ana, name: Ana Lima, email: ana@example.org}
  - {id: ben, name: Ben Carter, email: ben@example.org}
  - {id: cat, name: Cat Ngo, email: cat@example.org}
  - {id: dan, name: Dan Osei, email: dan@example.org}
"""


def write_folder(root: Path, files: dict[str, str | bytes]) -> Path:
    """A program folder with the given files (text is dedented)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A minimal valid program folder."""
    return write_folder(
        tmp_path / "prog", {"program.yaml": MINIMAL_PROGRAM, "members.yaml": MINIMAL_MEMBERS}
    )


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A fresh copy of sample-program/ (without out/)."""
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("out"))
    return target


def run(*args: str | Path) -> Result:
    """Run the real `peerkit` command; returns click's Result."""
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_golden(path: Path, data: bytes) -> None:
    """`data` equals the golden file; PEERKIT_UPDATE_GOLDEN=1 rewrites it (a missing one fails)."""
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"no golden file {path}; PEERKIT_UPDATE_GOLDEN=1 makes it"
    expected = path.read_bytes()
    if expected != data:
        # text to compare, so pytest shows where they differ
        assert data.decode("utf-8") == expected.decode("utf-8"), (
            f"{path.name} differs; PEERKIT_UPDATE_GOLDEN=1 to accept"
        )
        assert data == expected, f"{path.name} differs in line endings or encoding"


def two_rounds(root: Path, fall_b: tuple[str, ...] = ("cai", "gus", "dee", "zoe")) -> None:
    """Turn the tally/report/attendance fixture's one round into two: spring from the
    program's start, fall from 1 July with the same match ids reshuffled."""
    program = root / "program.yaml"
    text = program.read_text(encoding="utf-8")
    program.write_text(text + "matching: {rules: {no_repeat: false}}\n", encoding="utf-8")
    (root / "rounds" / "2027.yaml").unlink()
    (root / "rounds" / "spring.yaml").write_text(
        "round: spring\nstart: 2027-01-01\nmatches:\n"
        "  - {id: team-a, members: [ana, ben, cai, dee]}\n"
        "  - {id: team-b, members: [eva, fin, gus, zoe]}\n",
        encoding="utf-8",
    )
    (root / "rounds" / "fall.yaml").write_text(
        "round: fall\nstart: 2027-07-01\nmatches:\n"
        "  - {id: team-a, members: [ana, eva, ben, fin]}\n"
        f"  - {{id: team-b, members: [{', '.join(fall_b)}]}}\n",
        encoding="utf-8",
    )
