"""`peerkit report`: program health as HTML with charts, PDF, JSON and CSV."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from peerkit.cli.common import (
    ANSWERS_AND_ATTENDANCE,
    DirArg,
    DryRunOpt,
    NowOpt,
    Paper,
    PaperOpt,
    RoundOpt,
    deprecated,
    err,
    handle_errors,
    hold_lock,
    load_checked,
    out,
    parse_now,
    print_json,
    print_problems,
    reading_status,
)
from peerkit.errors import DataError, UsageError


class ReportFile(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"
    csv = "csv"


# `--format all|html|pdf|csv` picked files before `--as` did; kept for a release.
OLD_FORMATS = ("all", "html", "pdf", "csv")


@handle_errors
def report_command(
    folder: DirArg = Path(),
    file_as: Annotated[
        list[ReportFile] | None,
        typer.Option(
            "--as",
            help="Files to write: html, pdf, json or csv; repeat for several (default: all).",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="How stdout is printed: text (the files written), or json (the report's "
            "numbers, as in report.json).",
        ),
    ] = "text",
    paper: PaperOpt = Paper.a4,
    no_names: Annotated[
        bool, typer.Option("--no-names", help="List comments without who wrote them.")
    ] = False,
    now: NowOpt = None,
    round: RoundOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Report program health: goals, participation, attendance, survey results, at-risk matches.

    Writes out/report/report.html (charts inline, no network), report.pdf, report.json
    (the same numbers) and report.csv (for spreadsheets). The report is as of --now (default:
    today in the program's timezone), on the round in effect then (or --round NAME, which
    also reads every answer and attendance row against that round's matches).

    Example: peerkit report sample-program --as html
    """
    from peerkit.model import Problem, has_errors
    from peerkit.report import gather, report_dict, report_files
    from peerkit.timeline import choose_round

    formats = [f.value for f in file_as] if file_as else [f.value for f in ReportFile]
    if format in OLD_FORMATS:
        deprecated(
            f"--format {format}", "--as " + ("html --as pdf ..." if format == "all" else format)
        )
        formats = [f.value for f in ReportFile] if format == "all" else [format]
        format = "text"
    elif format not in ("text", "json"):
        msg = f"--format: '{format}' is not text or json"
        raise UsageError(msg, "--format picks how stdout is printed; --as picks the files")

    if not dry_run:
        hold_lock(folder)
    loaded = load_checked(folder, now=parse_now(now))
    moment = parse_now(now)
    if round is not None:
        choose_round(loaded, round)  # an unknown name is a usage error, with a suggestion
    with reading_status() as status:
        inputs = gather(loaded, names=not no_names, progress=status, now=moment, round_name=round)
    if has_errors(inputs.problems):
        raise DataError(inputs.problems)
    print_problems(folder, inputs.problems, ANSWERS_AND_ATTENDANCE)
    report = inputs.report
    font_problems: list[Problem] = []
    files = report_files(loaded, report, formats, paper.value, font_problems)
    print_problems(folder, font_problems)
    if not dry_run:
        from peerkit.write import write_files

        write_files(folder, files)
    if format == "json":
        print_json(report_dict(report))
    else:
        verb = "would write" if dry_run else "wrote"
        for name in sorted(files):
            out.print(f"{verb} {folder / name}", markup=False)
    risk = len(inputs.tally.at_risk)
    err.print(
        f"[green]done:[/] {len(inputs.tally.surveys)} survey(s), "
        f"{'no' if inputs.attendance is None else inputs.attendance.records} attendance record(s), "
        f"{risk} match(es) needing attention"
    )
