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

# (name, stage) in the order they run; each later issue adds its stage here.
STEPS: list[tuple[str, Step]] = []


def _match(folder: Folder, options: BuildOptions) -> StepResult:
    from peerkit.match import match_step

    made: StepResult = match_step(folder, options)
    return made


STEPS.append(("match", _match))  # first: the later steps use the round it makes


def _calendar(folder: Folder, options: BuildOptions) -> StepResult:
    from peerkit.calendar import calendar_step

    made: StepResult = calendar_step(folder, options)
    return made


STEPS.append(("calendar", _calendar))


def _agenda(folder: Folder, options: BuildOptions) -> StepResult:
    from peerkit.agenda import agenda_step

    made: StepResult = agenda_step(folder, options)
    return made


def _surveys(folder: Folder, options: BuildOptions) -> StepResult:
    from peerkit.survey import surveys_step

    made: StepResult = surveys_step(folder, options)
    return made


STEPS.append(("agenda", _agenda))
STEPS.append(("surveys", _surveys))


def _tally(folder: Folder, options: BuildOptions) -> StepResult:
    from peerkit.report import tally_step

    made: StepResult = tally_step(folder, options)
    return made


def _report(folder: Folder, options: BuildOptions) -> StepResult:
    from peerkit.report import report_step

    made: StepResult = report_step(folder, options)
    return made


STEPS.append(("tally", _tally))
STEPS.append(("report", _report))


@dataclass
class BuildResult:
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (step, note)
    problems: list[Problem] = field(default_factory=list)


def build_outputs(folder: Folder, options: BuildOptions) -> BuildResult:
    """Run every stage and collect their files; nothing is written here."""
    result = BuildResult()
    for name, step in STEPS:
        made = step(folder, options)
        folder = made.folder or folder
        result.files.update(made.files)
        result.notes.extend((name, note) for note in made.notes)
        result.problems.extend(made.problems)
    return result
