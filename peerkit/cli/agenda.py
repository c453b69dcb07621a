"""`peerkit agenda`: a handout per match for one session, as Markdown, HTML and PDF."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from peerkit.cli.common import (
    DirArg,
    DryRunOpt,
    FormatOpt,
    NowOpt,
    Paper,
    PaperOpt,
    RoundOpt,
    SessionOpt,
    TextJson,
    deprecated,
    err,
    handle_errors,
    hold_lock,
    load_checked,
    out,
    parse_now,
    print_json,
    print_problems,
)


class HandoutFormat(StrEnum):
    md = "md"
    html = "html"
    pdf = "pdf"


@handle_errors
def agenda_command(
    folder: DirArg = Path(),
    session: SessionOpt = None,
    round_name: RoundOpt = None,
    file_as: Annotated[
        list[HandoutFormat] | None,
        typer.Option(
            "--as", help="Files to write: md, html or pdf; repeat for several (default: all)."
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only", help="Only this match (a match id, or a member id for their match)."
        ),
    ] = None,
    paper: PaperOpt = Paper.a4,
    now: NowOpt = None,
    dry_run: DryRunOpt = False,
    format: FormatOpt = TextJson.text,
    as_json: Annotated[bool, typer.Option("--json", hidden=True)] = False,
) -> None:
    """Write a handout per match for one session (default: the next one): who, when, where,
    the agenda with times, the ground rules, and room for notes and commitments.

    Files go to out/agenda/session-NN/: MATCH.md, MATCH.html, all.html and handouts.pdf
    (one print file with a page per match). With --only, the match's own MATCH.md,
    MATCH.html and handouts-MATCH.pdf: all.html and handouts.pdf are left as they are.

    Example: peerkit agenda sample-program --session 1 --as pdf --paper letter
    """
    from peerkit.agenda import render_agenda
    from peerkit.write import write_files

    if as_json:
        deprecated("--json", "--format json")
        format = TextJson.json
    moment = parse_now(now)
    if not dry_run:
        hold_lock(folder)
    loaded = load_checked(folder, now=moment)
    formats = [f.value for f in file_as] if file_as else [f.value for f in HandoutFormat]
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
    if format is TextJson.json:
        summary = {
            "session": result.session,
            "round": result.round,
            "files": sorted(result.files),
            "dry_run": dry_run,
        }
        print_json(summary)
        return
    verb = "would write" if dry_run else "wrote"
    for name in sorted(result.files):
        out.print(f"{verb} {folder / name}", markup=False)
    err.print(
        f"[green]done:[/] session {result.session} handouts for round {result.round}: "
        f"{len(result.files)} file(s) {'would be written' if dry_run else 'written'}"
    )
