"""`build`: every stage the folder has data for, rendered in memory, then written to out/."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from peerkit.agenda import agenda_step
from peerkit.calendar import calendar_step
from peerkit.match import match_step
from peerkit.model import Folder, Problem
from peerkit.outbox import outbox_step
from peerkit.output import BuildOptions, Output
from peerkit.report import report_step
from peerkit.survey import surveys_step

__all__ = ["STAGES", "BuildOptions", "BuildResult", "Output", "Stage", "build_outputs"]

Stage = Callable[[Folder, BuildOptions], Output]

# The stages in the order they run (each imports its heavy libraries only when it runs).
# `match` comes first: later stages use its round.
STAGES: tuple[tuple[str, Stage], ...] = (
    ("match", match_step),
    ("calendar", calendar_step),
    ("agenda", agenda_step),
    ("surveys", surveys_step),
    ("report", report_step),  # the tally, then the report from it
    # the messages due as of the build's moment (sending is `peerkit send`, never build)
    ("outbox", outbox_step),
)


@dataclass
class BuildResult:
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (stage, note)
    problems: list[Problem] = field(default_factory=list)


def build_outputs(folder: Folder, options: BuildOptions) -> BuildResult:
    """Run every stage and collect their files; nothing is written here."""
    result = BuildResult()
    for name, stage in STAGES:
        made = stage(folder, options)
        folder = made.folder or folder
        result.files.update(made.files)
        result.notes.extend((name, note) for note in made.notes)
        # a name no font has is found by both the handouts and the report: say it once
        result.problems.extend(
            p for p in made.problems if p.code != "font" or p not in result.problems
        )
    return result
