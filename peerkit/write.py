"""The only module that writes outputs to disk: atomically, one file at a time."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_files(root: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write every file (paths relative to `root`), sorted; everything was rendered first."""
    written = []
    for relative in sorted(files):
        target = root / relative
        write_atomic(target, files[relative])
        written.append(target)
    return written
