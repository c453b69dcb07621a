"""`peerkit report`: program health as HTML with charts, PDF, JSON and CSV."""

from __future__ import annotations

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
from peerkit.cli.tally import reading_status
from peerkit.errors import DataError, UsageError


class ReportFormat(StrEnum):
    all = "all"
    html = "html"
    pdf = "pdf"
    json = "json"
    csv = "csv"


@handle_errors
def report_command(
    folder: DirArg = Path(),
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="all (html, pdf, json, csv) or one of them; json and csv also go to stdout.",
        ),
    ] = ReportFormat.all,
    paper: Annotated[str, typer.Option("--paper", help="PDF paper: a4 or letter.")] = "a4",
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

    Example: peerkit report sample-program --format html
    """
    from peerkit.model import Problem, has_errors
    from peerkit.pdf import PAPERS
    from peerkit.report import build_report, gather, report_files

    if paper.lower() not in PAPERS:
        msg = f"--paper: '{paper}' is not a paper size peerkit knows"
        raise UsageError(msg, f"use one of: {', '.join(PAPERS)}")
    from peerkit.timeline import choose_round

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
    print_problems(folder, inputs.problems)
    report = build_report(
        loaded,
        inputs.tally,
        inputs.attendance,
        moment,
        inputs.problems,
        inputs.as_of,
        inputs.notes,
    )
    formats = ("html", "json", "csv", "pdf") if format is ReportFormat.all else (format.value,)
    font_problems: list[Problem] = []
    files = report_files(loaded, report, formats, paper, font_problems)
    print_problems(folder, font_problems)
    if not dry_run:
        from peerkit.write import write_files

        write_files(folder, files)
    if format in (ReportFormat.json, ReportFormat.csv):
        data = files[f"out/report/report.{format.value}"]
        out.print(data.decode("utf-8-sig"), markup=False, end="")
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
