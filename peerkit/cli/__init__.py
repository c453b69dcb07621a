"""The `peerkit` command: one module per command, each a thin layer over the library.

Heavy libraries (scipy, icalendar, weasyprint, openpyxl, matplotlib) are imported
inside the commands that need them so that `peerkit --help` starts quickly.
"""

from __future__ import annotations

from typing import Annotated

import typer

from peerkit.cli import (
    agenda,
    attendance,
    build,
    calendar,
    check,
    explain,
    init,
    match,
    outbox,
    report,
    send,
    survey,
    tally,
)

app = typer.Typer(
    name="peerkit",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
app.command("init")(init.init_command)
app.command("check")(check.check_command)
app.command("match")(match.match_command)
app.command("explain")(explain.explain_command)
app.command("calendar")(calendar.calendar_command)
app.command("agenda")(agenda.agenda_command)
app.command("survey")(survey.survey_command)
app.command("tally")(tally.tally_command)
app.add_typer(attendance.app, name="attendance")
app.command("report")(report.report_command)
app.command("outbox")(outbox.outbox_command)
app.command("send")(send.send_command)
app.command("build")(build.build_command)


def _show_version(value: bool) -> None:
    if value:
        from peerkit import __version__

        typer.echo(f"peerkit {__version__}")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Run a peer mentoring program from plain files.

    Example: peerkit check my-program && peerkit build my-program
    """


def main() -> None:
    try:
        app()
    except SystemExit as exc:
        if exc.code == 130:  # Ctrl-C while typer parsed the options (it says nothing)
            from peerkit.cli.common import say_interrupted

            say_interrupted()
        raise
