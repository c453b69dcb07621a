"""`peerkit attendance`: the sign-in sheet for a session, or rates from attendance.csv."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from peerkit.cli.common import (
    DirArg,
    DryRunOpt,
    NowOpt,
    RoundOpt,
    TextJson,
    err,
    handle_errors,
    hold_lock,
    load_checked,
    out,
    parse_now,
    print_problems,
)
from peerkit.errors import DataError

SessionOpt = Annotated[
    str | None,
    typer.Option(
        "--session",
        "-n",
        help="Write the sign-in sheet for this session: a number (1 = the first meeting) "
        "or next (the first meeting after --now, or after today).",
    ),
]


@handle_errors
def attendance_command(
    folder: DirArg = Path(),
    session: SessionOpt = None,
    round: RoundOpt = None,
    format: Annotated[
        TextJson, typer.Option("--format", "-f", help="text or json on stdout.")
    ] = TextJson.text,
    dry_run: DryRunOpt = False,
    now: NowOpt = None,
) -> None:
    """Print a session's sign-in sheet, or show attendance rates from attendance.csv.

    With --session N: writes out/attendance/session-NN-signin.html (print it) and .csv (the
    same rows with an empty status column; fill it in and append it to attendance.csv).
    Without: rates per member and match, and who missed two meetings in a row (per match).
    Each row counts for the match of the round in effect on its date (or --round NAME) and
    the session that match met for on or before it.

    Example: peerkit attendance sample-program --session 3
    """
    import dataclasses

    from peerkit.attendance import read_attendance, signin_files, signin_sheet, summarize_attendance
    from peerkit.responses import dump_json
    from peerkit.schedule import program_meetings
    from peerkit.timeline import as_of, choose_round, choose_session
    from peerkit.write import write_files

    if session is not None and not dry_run:
        hold_lock(folder)
    loaded = load_checked(folder, now=parse_now(now))
    if session is not None:
        program = loaded.program
        moment = as_of(program, parse_now(now))
        number = choose_session(program, session, moment)
        round_ = choose_round(loaded, round, program_meetings(program)[number - 1].date)
        sheet = signin_sheet(loaded, round_, number)
        files = signin_files(loaded, sheet)
        if not dry_run:
            write_files(folder, files)
        if format is TextJson.json:
            data = {"sheet": dataclasses.asdict(sheet), "files": sorted(files), "dry_run": dry_run}
            out.print(dump_json(data), markup=False)
        else:
            verb = "would write" if dry_run else "wrote"
            for name in sorted(files):
                out.print(f"{verb} {folder / name}", markup=False)
            err.print(
                f"[green]done:[/] sign-in sheet for session {number} ({escape(sheet.title)}), "
                f"{len(sheet.rows)} row(s) for {len({r.member for r in sheet.rows})} member(s) "
                f"in {len({r.match for r in sheet.rows})} match(es)"
            )
        return
    if round is None:
        records, problems = list(loaded.attendance.records), list(loaded.attendance.problems)
    else:
        choose_round(loaded, round)  # an unknown name is a usage error, with a suggestion
        records, problems = read_attendance(loaded, round)
    from peerkit.model import has_errors

    if has_errors(problems):
        raise DataError(problems)
    print_problems(folder, problems)
    summary = summarize_attendance(loaded, records)
    if format is TextJson.json:
        data = dataclasses.asdict(summary)
        data["problems"] = [p.as_dict() for p in problems]
        out.print(dump_json(data), markup=False)
        return
    if not records:
        err.print(
            f"no attendance recorded in {escape(str(folder / 'attendance.csv'))}; "
            "`peerkit attendance --session N` writes a sign-in sheet to fill in"
        )
        return
    out.print(
        f"{summary.records} member-meetings on {len(summary.sessions)} date(s): "
        f"{summary.rate:.0f}% present"
    )
    for match in summary.matches:
        rate = "–" if match.rate is None else f"{match.rate:.0f}%"
        out.print(f"  {escape(match.match)}: {rate} over {match.meetings} meeting(s)")
    missed = summary.two_in_a_row
    if missed:
        out.print(f"[bold]Missed two in a row[/] ({len(missed)}):")
        for member in missed:
            dates = ", ".join(d.isoformat() for d in member.missed)
            out.print(f"  {escape(member.name)} ({escape(member.match)}): {dates}")
    else:
        out.print("Nobody missed two meetings in a row.")
