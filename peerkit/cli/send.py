"""`peerkit send`: the outbox over SMTP, each message once, recorded in mail.yaml."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from peerkit.cli.common import (
    DirArg,
    DryRunOpt,
    FormatOpt,
    TextJson,
    err,
    handle_errors,
    hold_lock,
    load_checked,
    out,
    print_json,
    shown,
)
from peerkit.errors import DataError, PeerkitError

if TYPE_CHECKING:
    from peerkit.model import Mail
    from peerkit.send import SendResult

PASSWORD_VARIABLE = "PEERKIT_SMTP_PASSWORD"


@handle_errors
def send_command(
    folder: DirArg = Path(),
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Only messages whose file (under out/outbox/), address or purpose matches "
            "this pattern, e.g. 'reminder/*' or 'ana@example.org'.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Send at most this many messages.")
    ] = None,
    per_minute: Annotated[
        float | None,
        typer.Option("--per-minute", min=0.1, help="Send at most this many messages a minute."),
    ] = None,
    dry_run: DryRunOpt = False,
    format: FormatOpt = TextJson.text,
) -> None:
    """Send the messages of out/outbox/ that mail.yaml does not list as sent, over the
    SMTP server in program.yaml (`mail: {from, smtp: host:port, security, user}`).

    The password comes from PEERKIT_SMTP_PASSWORD, or is asked for on a terminal; it is
    never stored. Each message is recorded in mail.yaml as the server accepts it, so
    running the command again sends only what is left.

    Example: peerkit send sample-program --only 'reminder/*'
    """
    from peerkit.send import send_outbox

    if not dry_run:
        hold_lock(folder)
    loaded = load_checked(folder)
    password = None if dry_run else _password(loaded.program.mail)
    show = err.is_terminal and not dry_run
    with _progress(show) as report:
        result = send_outbox(
            loaded,
            password=password,
            dry_run=dry_run,
            only=only,
            limit=limit,
            per_minute=per_minute,
            progress=report,
        )
    if result.problems:
        raise DataError(result.problems)
    _print_result(result, format)
    if not result.ok:
        raise typer.Exit(1)


def _password(mail: Mail) -> str | None:
    """The SMTP password: from PEERKIT_SMTP_PASSWORD, else asked for on a terminal."""
    if not mail.user:
        return None
    password = os.environ.get(PASSWORD_VARIABLE)
    if password is not None:
        return password
    if not sys.stdin.isatty():
        msg = f"no password for {mail.user}: {PASSWORD_VARIABLE} is not set"
        raise PeerkitError(msg, f"set {PASSWORD_VARIABLE}, or run on a terminal")
    import getpass

    return getpass.getpass(f"SMTP password for {mail.user}@{mail.host}: ")


def _print_result(result: SendResult, format: TextJson) -> None:
    """What was sent and what is left on stdout; what was refused, why sending stopped and
    the counts on stderr."""
    from peerkit.send import summary

    if format is TextJson.json:
        print_json(summary(result))
    else:
        verb = "would send" if result.dry_run else "left"
        for message in result.sent:
            out.print(f"sent {', '.join(message.to)}  {message.file}", markup=False)
        for message in result.left:
            out.print(f"{verb} {', '.join(message.to)}  {message.file}", markup=False)
    for message, why in result.refused:
        line = f"{', '.join(message.to)} ({message.file}): {why}"
        err.print(f"[red]refused:[/] {escape(shown(line))}")
    if result.failure:
        err.print(f"[red]error:[/] {escape(shown(result.failure))}")
        if result.hint:
            err.print(f"    [dim]hint:[/] {escape(result.hint)}")
    sent, left = len(result.sent), len(result.left)
    what = f"{left} would be sent" if result.dry_run else f"{sent} sent, {left} left"
    err.print(
        f"{'[green]done:[/]' if result.ok else '[red]stopped:[/]'} {what}, "
        f"{result.already} sent before, {len(result.refused)} refused"
    )


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on stderr (only on a terminal), fed (done, total)."""
    if not show:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "sending",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("sending", total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield report
