"""`peerkit agenda`: a handout per match for one session, as Markdown, HTML and PDF."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from peerkit.cli.common import (
    DirArg,
    DryRunOpt,
    NowOpt,
    RoundOpt,
    err,
    handle_errors,
    hold_lock,
    load_checked,
    out,
    parse_now,
    print_problems,
)


class HandoutFormat(StrEnum):
    md = "md"
    html = "html"
    pdf = "pdf"


class Paper(StrEnum):
    a4 = "a4"
    letter = "letter"


@handle_errors
def agenda_command(
    folder: DirArg = Path(),
    session: Annotated[
        str,
        typer.Option(
            "--session",
            "-s",
            help="Session number, or 'next': the first meeting after --now (default: this moment).",
        ),
    ] = "next",
    round_name: RoundOpt = None,
    format: Annotated[
        list[HandoutFormat] | None,
        typer.Option("--format", "-f", help="md, html or pdf; repeat for several (default: all)."),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only", help="Only this match (a match id, or a member id for their match)."
        ),
    ] = None,
    paper: Annotated[Paper, typer.Option("--paper", help="Paper size of the PDF.")] = Paper.a4,
    now: NowOpt = None,
    dry_run: DryRunOpt = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="List the files as JSON (for scripts).")
    ] = False,
) -> None:
    """Write a handout per match for one session: who, when, where, the agenda with times,
    the ground rules, and room for notes and commitments.

    Files go to out/agenda/session-NN/: MATCH.md, MATCH.html, all.html and handouts.pdf
    (one print file with a page per match).

    Example: peerkit agenda sample-program --session 1 --format pdf --paper letter
    """
    from peerkit.agenda import render_agenda
    from peerkit.write import write_files

    moment = parse_now(now)
    if not dry_run:
        hold_lock(folder)
    loaded = load_checked(folder, now=parse_now(now))
    formats = [f.value for f in format] if format else [f.value for f in HandoutFormat]
    with err.status("rendering handouts…"):
        result = render_agenda(
            loaded,
            session,
            round_name=round_name,
            formats=formats,
            only=only,
            paper=paper.value,
            now=moment,
        )
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    print_problems(folder, result.problems)
    if not dry_run:
        write_files(folder, result.files)
    if as_json:
        summary = {
            "session": result.session,
            "round": result.round,
            "files": sorted(result.files),
            "dry_run": dry_run,
        }
        out.print(json.dumps(summary, indent=2), markup=False)
        return
    verb = "would write" if dry_run else "wrote"
    for name in sorted(result.files):
        out.print(f"{verb} {folder / name}", markup=False)
    err.print(
        f"[green]done:[/] session {result.session} handouts for round {result.round}: "
        f"{len(result.files)} file(s) {'would be written' if dry_run else 'written'}"
    )
