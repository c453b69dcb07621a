"""The one exception tree; each class carries the exit code the CLI ends with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `peerkit --help` imports this; the model is not needed for it
    from peerkit.model import Problem


class PeerkitError(Exception):
    """A failure the coordinator can act on; never a bug."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class DataError(PeerkitError):
    """The program folder has problems (exit 1)."""

    exit_code = 1

    def __init__(self, problems: Sequence[Problem], message: str = "") -> None:
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(message or f"{len(errors)} problem(s) in the program folder")
        self.problems = tuple(problems)


class UsageError(PeerkitError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2
