"""The only module that writes outputs to disk: atomically, one file at a time."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from peerkit.errors import PeerkitError


def _file_mode() -> int:
    """The mode a plain new file gets under the user's umask (mkstemp makes files 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            os.fchmod(stream.fileno(), _file_mode() if mode is None else mode)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _blocked(root: Path, relative: str, folders_seen: set[Path]) -> str | None:
    """Why `relative` cannot be written under `root` (a file where a folder must be…)."""
    target = root / relative
    for parent in reversed(target.parents):
        if parent in folders_seen:
            continue
        if parent.exists() and not parent.is_dir():
            return f"{parent} is a file, but peerkit needs a folder there"
        folders_seen.add(parent)
    if target.is_dir():
        return f"{target} is a folder, but peerkit needs to write a file there"
    if target.exists() and not os.access(target, os.W_OK):
        return f"{target} is read-only"
    return None


def write_files(root: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write every file (paths relative to `root`), sorted; everything was rendered first.

    Every target is checked before the first is written, so a blocked path leaves the
    folder as it was; a disk error on the way is a PeerkitError, not a traceback.
    """
    folders_seen: set[Path] = set()
    for relative in sorted(files):
        reason = _blocked(root, relative, folders_seen)
        if reason:
            hint = "move it away"
            if relative.startswith("out/"):
                hint += " (or delete out/, which peerkit rebuilds)"
            raise PeerkitError(reason, hint)
    written: list[Path] = []
    mode = _file_mode()
    for relative in sorted(files):
        target = root / relative
        try:
            write_atomic(target, files[relative], mode)
        except OSError as exc:
            msg = f"cannot write {target}: {exc.strerror or exc}"
            hint = f"{len(written)} of {len(files)} file(s) were written before this one"
            raise PeerkitError(msg, hint) from None
        written.append(target)
    return written
