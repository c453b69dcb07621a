"""`peerkit attendance sheet|rates`: a session's sign-in sheet, or rates from attendance.csv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from peerkit.cli.common import (
    DirArg,
    DryRunOpt,
    FormatOpt,
    NowOpt,
    RoundOpt,
    SessionOpt,
    TextJson,
    err,
    handle_errors,
    hold_lock,
    load_checked,
    out,
    parse_now,
    print_json,
    print_problems,
)
from peerkit.errors import DataError


class _OldSpelling(TyperGroup):
    """`peerkit attendance DIR [--session N]`, the spelling before `sheet` and `rates`, still
    works for a release: with --session it is `sheet`, without it `rates` (with a note)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            sheet = any(a in ("--session", "-n", "-s") or a.startswith("--session=") for a in args)
            name = "sheet" if sheet else "rates"
            err.print(
                f"note: `peerkit attendance` without `sheet` or `rates` is deprecated; "
                f"write `peerkit attendance {name} ...`",
                markup=False,
            )
            args = [name, *("-s" if a == "-n" else a for a in args)]
        result: list[str] = super().parse_args(ctx, args)
        return result


app = typer.Typer(
    cls=_OldSpelling,
    add_completion=False,
    rich_markup_mode=None,
    help="A session's sign-in sheet (`sheet`), or attendance rates from attendance.csv "
    "(`rates`).\n\nExample: peerkit attendance sheet sample-program --session 3",
)


@app.command("sheet")
@handle_errors
def sheet_command(
    folder: DirArg = Path(),
    session: SessionOpt = None,
    round: RoundOpt = None,
    format: FormatOpt = TextJson.text,
    dry_run: DryRunOpt = False,
    now: NowOpt = None,
) -> None:
    """Write a session's sign-in sheet (default: the next session): out/attendance/
    session-NN-signin.html (print it) and .csv (the same rows with an empty status column;
    fill it in and append it to attendance.csv).

    Example: peerkit attendance sheet sample-program --session 3
    """
    from peerkit.schedule import program_meetings
    from peerkit.signin import signin_files, signin_sheet
    from peerkit.timeline import as_of, choose_round, choose_session
    from peerkit.write import write_files

    if not dry_run:
        hold_lock(folder)
    loaded = load_checked(folder, now=parse_now(now))
    program = loaded.program
    number = choose_session(program, session, as_of(program, parse_now(now)))
    round_ = choose_round(loaded, round, program_meetings(program)[number - 1].date)
    sheet = signin_sheet(loaded, round_, number)
    files = signin_files(loaded, sheet)
    if not dry_run:
        write_files(folder, files)
    if format is TextJson.json:
        import dataclasses

        print_json({"sheet": dataclasses.asdict(sheet), "files": sorted(files), "dry_run": dry_run})
        return
    verb = "would write" if dry_run else "wrote"
    for name in sorted(files):
        out.print(f"{verb} {folder / name}", markup=False)
    err.print(
        f"[green]done:[/] sign-in sheet for session {number} ({escape(sheet.title)}), "
        f"{len(sheet.rows)} row(s) for {len({r.member for r in sheet.rows})} member(s) "
        f"in {len({r.match for r in sheet.rows})} match(es)"
    )


@app.command("rates")
@handle_errors
def rates_command(
    folder: DirArg = Path(),
    round: RoundOpt = None,
    format: FormatOpt = TextJson.text,
    now: NowOpt = None,
) -> None:
    """Attendance rates per member and match from attendance.csv, and who missed two
    meetings in a row (per match). Each row counts for the match of the round in effect on
    its date (or --round NAME) and the session that match met for on or before it.

    Example: peerkit attendance rates sample-program --format json
    """
    import dataclasses

    from peerkit.attendance import load_attendance, read_attendance, summarize_attendance
    from peerkit.model import has_errors
    from peerkit.timeline import choose_round

    loaded = load_checked(folder, now=parse_now(now))
    if round is None:
        attendance = load_attendance(loaded)
        records, problems = list(attendance.records), list(attendance.problems)
    else:
        choose_round(loaded, round)  # an unknown name is a usage error, with a suggestion
        records, problems = read_attendance(loaded, round)

    if has_errors(problems):
        raise DataError(problems)
    print_problems(folder, problems)
    summary = summarize_attendance(loaded, records)
    if format is TextJson.json:
        data = dataclasses.asdict(summary)
        data["problems"] = [p.as_dict() for p in problems]
        print_json(data)
        return
    if not records:
        err.print(
            f"no attendance recorded in {escape(str(folder / 'attendance.csv'))}; "
            "`peerkit attendance sheet --session N` writes a sign-in sheet to fill in"
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
