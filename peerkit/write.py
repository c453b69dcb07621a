"""The only module that writes outputs to disk: atomically, one file at a time."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


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


def write_files(root: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write every file (paths relative to `root`), sorted; everything was rendered first."""
    written = []
    mode = _file_mode()
    for relative in sorted(files):
        target = root / relative
        write_atomic(target, files[relative], mode)
        written.append(target)
    return written
