"""What a stage makes: one result type for every output stage, and the options they share.

A leaf beside model.py: the stages (match, calendar, agenda, surveys, report) return an
`Output`, `build` collects them, and the CLI writes `files` and shows `notes` and `problems`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from peerkit.model import Folder, Problem


@dataclass(frozen=True)
class BuildOptions:
    """What every stage of `build` is run with."""

    now: dt.datetime | None = None


@dataclass
class Output:
    """What one stage made: files relative to the program folder, and what to tell."""

    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The folder as later stages should see it (e.g. with the round this stage made).
    folder: Folder | None = None
