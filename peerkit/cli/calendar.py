"""`peerkit calendar`: .ics files for the program, each match and each member."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from peerkit.cli.common import (
    DirArg,
    DryRunOpt,
    FormatOpt,
    NowOpt,
    TextJson,
    collector_paused,
    err,
    handle_errors,
    hold_lock,
    keep_until_exit,
    load_checked,
    parse_now,
    print_json,
    print_problems,
    progress_bar,
    write_out,
)
from peerkit.errors import DataError, PeerkitError, UsageError
from peerkit.validate import suggest

if TYPE_CHECKING:
    from peerkit.model import Folder


class MethodChoice(StrEnum):
    request = "request"


RoundOpt = Annotated[
    str | None,
    typer.Option(
        "--round",
        "-r",
        help="Round name: only this round's events, and the cancellations dated in its period "
        "(default: every round, the program's whole timeline).",
    ),
]
OnlyOpt = Annotated[
    str | None,
    typer.Option(
        "--only",
        help="Only the calendar of this match id or member id (program.ics is skipped); "
        "calendars.yaml then records only the events written.",
    ),
]
MethodOpt = Annotated[
    MethodChoice | None,
    typer.Option(
        "--method",
        help="`request`: also write one iTIP message per meeting that mail clients act on, "
        "each naming who it is for (in stdout and --format json): "
        "invites/MATCH/session-NN.ics (METHOD:REQUEST, to its attendees), "
        "session-NN.cancel.ics (METHOD:CANCEL, to everyone, when the meeting is gone) and "
        "session-NN.cancel.MEMBER.ics (METHOD:CANCEL, to one member no longer in it).",
    ),
]


PROGRESS_FROM = 200  # matches: below this the calendars take about a second, no bar


def _check_only(loaded: Folder, round_name: str | None, only: str) -> None:
    rounds = [r for r in loaded.rounds if round_name in (None, r.name)]
    matches = [m for r in rounds for m in r.matches]
    known = {m.id for m in matches} | {mid for m in matches for mid in m.members}
    if only in known:
        return
    example = matches[0] if matches else None
    otherwise = (
        f"match ids look like '{example.id}', member ids like '{example.members[0]}'"
        if example and example.members
        else "give a match id or member id of the round"
    )
    hint = suggest(only, sorted(known), otherwise)
    scope = f"round '{round_name}'" if round_name else "the rounds"
    msg = f"--only: {scope} {'has' if round_name else 'have'} no match or member '{only}'"
    raise UsageError(msg, hint)


@handle_errors
def calendar_command(
    folder: DirArg = Path(),
    round_name: RoundOpt = None,
    only: OnlyOpt = None,
    method: MethodOpt = None,
    now: NowOpt = None,
    dry_run: DryRunOpt = False,
    format: FormatOpt = TextJson.text,
) -> None:
    """Write meeting calendars (.ics) into out/calendars/ and update calendars.yaml.

    The calendars hold the whole timeline: every round's meetings in its period, so when a
    round starts the earlier round's later meetings arrive as cancelled. --round limits the
    files to one round's events (and the cancellations dated in its period).

    out/calendars/program.ics has every meeting of every match; matches/ID.ics one match;
    members/ID.ics one member's meetings. Re-running updates events in people's calendars
    (same UIDs, higher SEQUENCE) and cancels meetings that no longer exist; calendars.yaml
    in the program folder remembers what was sent, so commit it.

    Example: peerkit calendar sample-program --round 2027 --now 2026-12-01
    """
    from peerkit.calendar import render_calendars
    from peerkit.calendar.state import STATE_FILE
    from peerkit.write import write_files

    moment = parse_now(now)
    if not dry_run:
        hold_lock(folder)
    with collector_paused():  # 10,000 members' calendars: millions of objects, no cycles
        loaded = load_checked(folder, now=parse_now(now))
        if not loaded.rounds:
            msg = "there is no round file in rounds/, so there are no matches to put in calendars"
            raise PeerkitError(msg, "run `peerkit match` first to write rounds/NAME.yaml")
        if round_name is not None and loaded.round(round_name) is None:
            names = [r.name for r in loaded.rounds]
            hint = suggest(round_name, names, f"rounds: {', '.join(names)}")
            msg = f"--round: there is no round '{round_name}' in rounds/"
            raise UsageError(msg, hint)
        if only is not None:
            _check_only(loaded, round_name, only)
        size = sum(len(r.matches) for r in loaded.rounds if round_name in (None, r.name))
        show = format is TextJson.text and size >= PROGRESS_FROM and err.is_terminal
        with progress_bar(show, "calendar events") as report:
            result = render_calendars(
                loaded,
                round_name,
                now=moment,
                method=None if method is None else "request",
                only=only,
                progress=report,
            )
    from peerkit.model import has_errors

    if has_errors(result.problems):
        raise DataError(result.problems)
    print_problems(folder, result.problems)
    if not dry_run:
        if show:
            with err.status(f"writing {len(result.files):,} files"):
                write_files(folder, result.files)
        else:
            write_files(folder, result.files)
    if format is TextJson.json:
        payload = {
            "round": result.round,
            "dry_run": dry_run,
            "files": sorted(result.files),
            "counts": result.counts(),
            "events": [event.as_dict() for event in result.events],
            "invitations": [invite.as_dict() for invite in result.invitations],
        }
        print_json(payload)
        keep_until_exit(loaded, result)
        return
    for note in result.notes:
        err.print(note, markup=False)
    verb = "would write" if dry_run else "wrote"
    recipients = {invite.path: invite.members for invite in result.invitations}
    # one write, not a Rich print a file: a large program writes 15,000 files
    lines = []
    for name in sorted(result.files):
        to = f" (for {', '.join(recipients[name])})" if name in recipients else ""
        lines.append(f"{verb} {folder / name}{to}\n")
    write_out("".join(lines))
    counts = ", ".join(f"{n} {change}" for change, n in result.counts().items()) or "no events"
    err.print(
        f"[green]done:[/] {result.label}: {counts}; "
        f"{len(result.files)} file(s) {'to write' if dry_run else 'written'} "
        f"(state in {STATE_FILE})"
    )
    keep_until_exit(loaded, result)
