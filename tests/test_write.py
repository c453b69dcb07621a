"""Writing outputs: all or nothing when a path is blocked, and never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from peerkit.errors import PeerkitError
from peerkit.write import write_files
from tests.conftest import run


def test_a_file_where_a_folder_belongs_stops_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "surveys").write_text("not a folder")
    files = {"out/agenda/a.md": b"a", "out/surveys/s.csv": b"s"}
    with pytest.raises(PeerkitError, match="out/surveys is a file"):
        write_files(tmp_path, files)
    assert not (tmp_path / "out" / "agenda").exists()


def test_a_folder_where_a_file_belongs(tmp_path: Path) -> None:
    (tmp_path / "out" / "x.md").mkdir(parents=True)
    with pytest.raises(PeerkitError, match="is a folder"):
        write_files(tmp_path, {"out/x.md": b"x"})


def test_build_into_a_blocked_out_folder_is_a_message(sample: Path) -> None:
    (sample / "out").mkdir()
    (sample / "out" / "surveys").write_text("in the way")
    result = run("build", sample, "--now", "2027-01-15")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "out/surveys is a file, but peerkit needs a folder there" in result.stderr
    assert sorted(p.name for p in (sample / "out").iterdir()) == ["surveys"]


def test_a_file_that_would_not_change_is_not_written_again(tmp_path: Path) -> None:
    write_files(tmp_path, {"out/a.txt": b"same", "out/b.txt": b"old", "c.txt": b"one"})
    before = {name: (tmp_path / name).stat() for name in ("out/a.txt", "out/b.txt", "c.txt")}
    written = write_files(tmp_path, {"out/a.txt": b"same", "out/b.txt": b"new", "c.txt": b"two"})
    assert written == [tmp_path / "c.txt", tmp_path / "out/b.txt"]
    after = {name: (tmp_path / name).stat() for name in before}
    # the unchanged file is the same file, untouched; the others were replaced
    assert after["out/a.txt"].st_ino == before["out/a.txt"].st_ino
    assert after["out/a.txt"].st_mtime_ns == before["out/a.txt"].st_mtime_ns
    assert after["out/b.txt"].st_ino != before["out/b.txt"].st_ino
    assert (tmp_path / "out/b.txt").read_bytes() == b"new"
    assert (tmp_path / "c.txt").read_bytes() == b"two"
    assert not (tmp_path / ".peerkit-staging").exists()
    # same size, other bytes: still written
    write_files(tmp_path, {"c.txt": b"six"})
    assert (tmp_path / "c.txt").read_bytes() == b"six"
