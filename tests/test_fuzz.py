"""Fuzzing: the sample program, mutated, through the real commands.

Every file kind of a program folder is mutated (lines deleted, duplicated and swapped,
values retyped and replaced by hostile ones, bytes truncated and corrupted), then `check`
and `build` run in-process. Whatever the input: the exit code is 0, 1 or 2, no traceback
is shown, and the folder is unchanged, or (exit 0) only gained what `build` writes.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from peerkit.cli import app
from tests.conftest import SAMPLE

FILES = (
    "program.yaml",
    "members.yaml",
    "rounds/2027.yaml",
    "calendars.yaml",
    "attendance.csv",
    "responses/checkin-session-01.csv",
    "responses/checkin-session-02.xlsx",
)
HOSTILE = (
    "",
    "~",
    "no",
    "-1",
    "0",
    "1e300",
    "nan",
    "-3",
    "9999-12-31",
    "0001-01-01",
    "2027-02-30",
    "FREQ=SECONDLY",
    "[",
    "{a: b}",
    "[1, [2, [3]]]",
    "&a x",
    "*a",
    "!!python/object/apply:os.system ['true']",
    '"\\x1b]0;owned\\x07\\x1b[2J"',
    "x" * 300,
    "'; DROP TABLE members; --",
    "{{ 1/0 }}",
    "<script>alert(1)</script>",
    "ana-ruiz",
    "a,b;c\td",
    '"unterminated',
)
KINDS = ("delete", "duplicate", "swap", "value", "retype", "truncate", "bytes", "indent")
NOW = "2027-03-01"


@dataclass(frozen=True)
class Mutation:
    file: str
    kind: str
    at: int  # a line or byte position, taken modulo the file's size
    other: int
    value: str


mutations = st.builds(
    Mutation,
    file=st.sampled_from(FILES),
    kind=st.sampled_from(KINDS),
    at=st.integers(0, 10_000),
    other=st.integers(0, 10_000),
    value=st.sampled_from(HOSTILE),
)


def _mutate_lines(data: bytes, m: Mutation) -> bytes:
    lines = data.split(b"\n")
    i, j = m.at % len(lines), m.other % len(lines)
    value = m.value.encode()
    line = lines[i]
    if m.kind == "delete":
        del lines[i]
    elif m.kind == "duplicate":
        lines.insert(i, line)
    elif m.kind == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif m.kind == "indent":
        lines[i] = b"  " * (m.other % 3) + line.lstrip() if m.other % 2 else line.lstrip()
    elif m.kind in ("value", "retype"):
        # the value after a YAML `key:` or a CSV cell separator
        for sep in (b": ", b",", b":"):
            if sep in line:
                head = line.split(sep, 1)[0]
                new = value if m.kind == "value" else (b"[" + value + b"]", b"{x: 1}")[m.other % 2]
                lines[i] = head + sep + new
                break
        else:
            lines[i] = value
    return b"\n".join(lines)


def _mutate_bytes(data: bytes, m: Mutation) -> bytes:
    if not data:
        return m.value.encode()
    at = m.at % len(data)
    if m.kind == "truncate":
        return data[:at]
    return data[:at] + bytes([m.other % 256]) + data[at + 1 :]


def _mutate_workbook(data: bytes, m: Mutation) -> bytes:
    """A zip member truncated or corrupted: what a partial download or a bad tool leaves."""
    try:
        return _edit_member(data, m)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError):
        return _mutate_bytes(data, m)  # already damaged by an earlier mutation


def _edit_member(data: bytes, m: Mutation) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        items = zin.infolist()
        target = items[m.at % len(items)].filename
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in items:
                content = zin.read(item.filename)
                if item.filename == target:
                    if m.kind == "delete":
                        continue
                    content = _mutate_bytes(content, m) if m.kind != "value" else m.value.encode()
                zout.writestr(item, content)
    return out.getvalue()


def mutate(root: Path, m: Mutation) -> None:
    path = root / m.file
    if not path.is_file():
        return
    data = path.read_bytes()
    if m.file.endswith(".xlsx"):
        data = _mutate_bytes(data, m) if m.kind == "truncate" else _mutate_workbook(data, m)
    elif m.kind in ("truncate", "bytes"):
        data = _mutate_bytes(data, m)
    else:
        data = _mutate_lines(data, m)
    path.write_bytes(data)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _may_change(name: str) -> bool:
    """What a successful build may write: out/, the calendar record, a first round file."""
    return name.startswith(("out/", "rounds/")) or name == "calendars.yaml"


@pytest.fixture
def fast_renderers(monkeypatch: pytest.MonkeyPatch) -> None:
    """PDFs as placeholder bytes and no charts: the fuzz is about inputs, and WeasyPrint
    and matplotlib take seconds a build (their own inputs are tested elsewhere)."""
    monkeypatch.setattr("peerkit.pdf.html_to_pdf", lambda *args, **kwargs: b"%PDF-1.7\n%%EOF\n")
    monkeypatch.setattr("peerkit.report.page.all_charts", lambda report: {})


@pytest.mark.usefixtures("fast_renderers")
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(mutations, min_size=1, max_size=3))
def test_a_mutated_program_is_a_located_problem_or_works(changes: list[Mutation]) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "prog"
        shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"), symlinks=True)
        for change in changes:
            mutate(root, change)
        before = snapshot(root)
        for args in (["check", str(root)], ["build", str(root), "--now", NOW]):
            result = runner.invoke(app, args)
            what = f"{args[0]} after {changes}:\n{result.output[-3000:]}"
            assert result.exit_code in (0, 1, 2), what
            assert "Traceback" not in result.output, what
            if result.exception is not None:
                assert isinstance(result.exception, SystemExit), what
            after = snapshot(root)
            if result.exit_code != 0:
                assert after == before, what
            else:
                changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
                assert all(_may_change(name) for name in changed), (sorted(changed), what)
            before = after
