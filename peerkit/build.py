"""`build`: every stage the folder has data for, rendered in memory, then written to out/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from peerkit.model import Folder, Problem


@dataclass(frozen=True)
class BuildOptions:
    now: dt.datetime | None = None


@dataclass
class StepResult:
    """What one stage made: files relative to the program folder, and what to tell."""

    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The folder as later steps should see it (e.g. with the round this step made).
    folder: Folder | None = None


Step = Callable[[Folder, BuildOptions], StepResult]

# The stages in the order they run, as "module:function" so that each stage's heavy
# imports happen only when it runs. `match` comes first: later stages use its round.
STEPS: tuple[tuple[str, str], ...] = (
    ("match", "peerkit.match:match_step"),
    ("calendar", "peerkit.calendar:calendar_step"),
    ("agenda", "peerkit.agenda:agenda_step"),
    ("surveys", "peerkit.survey:surveys_step"),
    ("report", "peerkit.report:report_step"),  # the tally, then the report from it
)


def _stage(target: str) -> Step:
    import importlib

    module, _, function = target.partition(":")
    step: Step = getattr(importlib.import_module(module), function)
    return step


@dataclass
class BuildResult:
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (step, note)
    problems: list[Problem] = field(default_factory=list)


def build_outputs(folder: Folder, options: BuildOptions) -> BuildResult:
    """Run every stage and collect their files; nothing is written here."""
    result = BuildResult()
    for name, target in STEPS:
        made = _stage(target)(folder, options)
        folder = made.folder or folder
        result.files.update(made.files)
        result.notes.extend((name, note) for note in made.notes)
        # a name no font has is found by both the handouts and the report: say it once
        result.problems.extend(
            p for p in made.problems if p.code != "font" or p not in result.problems
        )
    return result
