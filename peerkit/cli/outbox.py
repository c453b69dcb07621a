"""`peerkit outbox`: the messages due as of --now, as .eml files in out/outbox/."""

from __future__ import annotations

from pathlib import Path

from peerkit.cli.common import (
    DirArg,
    DryRunOpt,
    FormatOpt,
    NowOpt,
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


@handle_errors
def outbox_command(
    folder: DirArg = Path(),
    now: NowOpt = None,
    dry_run: DryRunOpt = False,
    format: FormatOpt = TextJson.text,
) -> None:
    """Write the messages due as of --now into out/outbox/: introductions to each match
    (with its calendar), reminders before meetings (with the handout), survey requests
    after sessions (with each member's link), and merge.csv for Outlook or Word.

    Nothing is sent: review the .eml files, then run `peerkit send`.

    Example: peerkit outbox sample-program --now 2027-01-05
    """
    from peerkit.model import has_errors
    from peerkit.outbox import render_outbox
    from peerkit.write import write_files

    moment = parse_now(now)
    if not dry_run:
        hold_lock(folder)
    loaded = load_checked(folder, now=moment)
    result = render_outbox(loaded, now=moment)
    if has_errors(result.problems):
        raise DataError(result.problems)
    print_problems(folder, result.problems)
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    if not dry_run:
        write_files(folder, result.files)
    if format is TextJson.json:
        print_json(
            {
                "messages": [m.as_dict() for m in result.messages],
                "counts": result.counts(),
                "files": sorted(result.files),
                "dry_run": dry_run,
            }
        )
        return
    verb = "would write" if dry_run else "wrote"
    for message in result.messages:
        out.print(f"{verb} {folder / message.file}", markup=False)
    counts = ", ".join(f"{n} {purpose}" for purpose, n in result.counts().items())
    err.print(
        f"[green]done:[/] {len(result.messages)} message(s) ({counts}) "
        f"{'would be written' if dry_run else 'written'} to {folder / 'out' / 'outbox'}"
    )
