"""Matching: members into mentor/mentee pairs, peer pairs or peer teams, under hard rules.

`match_round` makes a round (its matches, the unmatched with why, and how good it is),
`match.explain.explain` says why two members are or are not matched, and `round_problems` checks a
round file a coordinator edited by hand.

A round is a period (DESIGN, "Rounds and time"): it takes over on its start
(`resolve_start`: `--start`, the round's own when re-made, the program's for the first)
and runs until the next round starts. Who takes part is judged on that day; "no repeat
partners" reads the rounds that started before it. With `fill`, the round keeps the whole
matches of the round before and matches only the members left without one
(`peerkit.match.fill`). numpy, scipy and rustworkx are imported
inside the functions that use them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from typing import Any

from peerkit.errors import PeerkitError, UsageError
from peerkit.match.results import Progress, RoundResult
from peerkit.model import Folder, Location, Match, Problem, Program, Round
from peerkit.output import BuildOptions, Output

ROUND_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _quiet(_phase: str, _done: float) -> None:
    return None


def _one_thread() -> Any:
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    return threadpool_limits(1, user_api="blas")


def round_path(name: str) -> str:
    """The round file of round `name`, relative to the program folder."""
    if not ROUND_NAME_RE.match(name) or name.endswith((".yaml", ".yml")):
        msg = f"'{name}' cannot name a round"
        raise UsageError(msg, "use letters, digits, '-', '_' or '.', e.g. --round 2027-q1")
    return f"rounds/{name}.yaml"


def default_round_name(program: Program) -> str:
    """The first round's name: the program's start year (`2027`)."""
    return str(program.start.year)


def match_round(
    folder: Folder,
    name: str,
    *,
    start: dt.date | None = None,
    fill: bool = False,
    seed: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
    effort: float = 1.0,
) -> RoundResult:
    """Match the members of `folder` active on the round's start into round `name`
    (nothing is written). `fill` keeps the whole matches of the round before and matches
    only the members left without one (see `peerkit.match.fill`)."""
    from peerkit.match.make import make_round

    rel = round_path(name)
    existing = folder.root / rel
    if existing.exists() and not force:
        msg = f"{rel} already exists"
        raise PeerkitError(
            msg,
            "add --force to match again (matches marked `locked: true` are kept), "
            "or choose another --round",
        )
    begins, end = resolve_start(folder, name, start)
    # Scores are many small matrix products: one BLAS thread each is faster than two
    # threads waiting on each other (and much faster on a busy machine). `peerkit` sets
    # OPENBLAS_NUM_THREADS before numpy loads, unless the user gave it (their choice
    # stands); called from Python without it, the limit is set here (9 ms at start).
    limit = contextlib.nullcontext() if os.environ.get("OPENBLAS_NUM_THREADS") else _one_thread()
    with limit:
        return make_round(
            folder,
            name,
            rel,
            start=begins,
            end=end,
            fill=fill,
            seed=folder.program.matching.seed if seed is None else seed,
            progress=progress or _quiet,
            effort=effort,
        )


def resolve_start(
    folder: Folder, name: str, start: dt.date | None
) -> tuple[dt.date, dt.date | None]:
    """The start (and kept `end`) of round `name`: `--start`, else the start of the round
    being re-made, else the program's start for the first round. A later round needs
    `--start`; a start outside the program, or out of its place among the other rounds
    (a new round starts after every existing one), is a usage error."""
    from peerkit.timeline import round_period

    program = folder.program
    existing = folder.round(name)
    others = [r for r in folder.rounds if r.name != name]
    if start is None:
        if existing is not None:
            return existing.start or program.start, existing.end
        if not others:
            return program.start, None
        last = others[-1]
        msg = (
            f"round {name} needs --start: round {last.name} is already in rounds/, and a new "
            "round takes over from a date"
        )
        raise UsageError(msg, _after_hint(folder, last))
    if not program.start <= start <= program.end:
        msg = f"--start {start} is outside the program ({program.start} to {program.end})"
        raise UsageError(msg, "give a date between the program's start and end")
    end = existing.end if existing is not None else None
    if end is not None and end < start:
        end = None  # the old `end:` would end the round before it starts
    mine = existing.start if existing is not None else None
    before = [r for r in others if mine is None or (r.start or program.start) < mine]
    after = [r for r in others if mine is not None and (r.start or program.start) > mine]
    clash = next((r for r in before if (r.start or program.start) >= start), None)
    if clash is not None:
        period = round_period(folder, clash)
        msg = (
            f"--start {start} is on or before the start of round {clash.name} "
            f"({clash.start or program.start}), "
            + (
                f"the round before {name}"
                if existing is not None
                else "and a new round starts after every round in rounds/"
            )
        )
        hint = (
            _after_hint(folder, before[-1])
            if existing is None
            else f"start round {name} after {period.start}, or re-make round {clash.name}"
        )
        raise UsageError(msg, hint)
    late = next((r for r in after if (r.start or program.start) <= start), None)
    if late is not None:
        msg = (
            f"--start {start} is on or after the start of round {late.name} "
            f"({late.start}), which follows round {name}"
        )
        raise UsageError(msg, f"give round {name} a start before {late.start}")
    return start, end


def _after_hint(folder: Folder, last: Round) -> str:
    """`round spring-2027 meets last on 2027-06-08; start the new one after it: --start
    2027-06-09` (or any later date of its period, to take over from then)."""
    from peerkit.schedule import program_meetings
    from peerkit.timeline import round_period

    program = folder.program
    period = round_period(folder, last)
    held = [m.date for m in program_meetings(program) if m.date in period]
    first_day = period.start + dt.timedelta(days=1)
    if not held:
        return (
            f"round {last.name} has no meeting from {period.start} to {period.end}; "
            f"start the new one after {period.start}: --start {first_day}"
        )
    after = held[-1] + dt.timedelta(days=1)
    if after > program.end:
        return (
            f"round {last.name} meets last on {held[-1]}, the program's last meeting; start the "
            f"new one on a date from {first_day} to {held[-1]} to take over from then"
        )
    return (
        f"round {last.name} meets last on {held[-1]}; start the new one after it: "
        f"--start {after} (or on an earlier date from {first_day} to take over from then)"
    )


def round_problems(folder: Folder, skipped: str | None = None) -> list[Problem]:
    """Problems in the round files (but the file `skipped`): a match breaking a hard rule,
    a member matched twice, an inactive member matched, a mentor over capacity (in
    mentees) — and pins in program.yaml that would put a mentor over capacity."""
    from peerkit.match.verify import check_rounds, pin_problems

    pinned = pin_problems(folder)
    rounds = [round_ for round_ in folder.rounds if round_.file != skipped]
    if not rounds:
        return pinned
    return pinned + check_rounds(folder, rounds)


def to_round(result: RoundResult) -> Round:
    """The model of a round just made, as `load_round` would read it back."""
    matches = tuple(
        Match(
            id=m.id,
            members=m.members,
            score=m.score,
            locked=m.locked,
            reasons=m.reasons,
            rules=m.rules,
            location=m.location,
            day=m.day,
            time=dt.time.fromisoformat(m.time) if m.time else None,
        )
        for m in result.matches
    )
    return Round(
        result.name,
        matches,
        result.unmatched,
        result.summary,
        result.file,
        start=result.start,
        end=result.end,
    )


def match_step(folder: Folder, options: BuildOptions) -> Output:
    """Build step: make the first round when `rounds/` has none yet."""
    from dataclasses import replace

    if folder.rounds:
        return Output()
    name = default_round_name(folder.program)
    try:
        result = match_round(folder, name)
    except PeerkitError as exc:
        problem = Problem(
            Location("rounds"), "match", f"no round was made: {exc.message}", exc.hint
        )
        return Output(problems=[problem])
    summary = result.summary
    note = (
        f"made round {name}: {summary.matched} of {summary.active} members in "
        f"{summary.matches} matches ({result.file})"
    )
    made = replace(folder, rounds=(*folder.rounds, to_round(result)))
    return Output({result.file: result.text.encode()}, [note], folder=made)
