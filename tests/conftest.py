"""Shared fixtures: program folders built in tmp_path and the real CLI."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from peerkit.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample-program"

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
