"""`peerkit build`: check, then every stage into out/."""

from __future__ import annotations

from collections import Counter
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
def build_command(
    folder: DirArg = Path(),
    now: NowOpt = None,
    dry_run: DryRunOpt = False,
    format: FormatOpt = TextJson.text,
) -> None:
    """Check the folder, then write everything it has data for into out/.

    Example: peerkit build sample-program
    """
    from peerkit.build import BuildOptions, build_outputs
    from peerkit.check import has_errors
    from peerkit.write import write_files

    if not dry_run:
        hold_lock(folder)
    loaded = load_checked(folder, now=parse_now(now))
    result = build_outputs(loaded, BuildOptions(now=parse_now(now)))
    if has_errors(result.problems):
        raise DataError(result.problems)
    print_problems(folder, result.problems)
    written = set(result.files)
    if not dry_run:
        written = {
            path.relative_to(folder).as_posix() for path in write_files(folder, result.files)
        }
    if format is TextJson.json:
        print_json({"files": sorted(result.files), "dry_run": dry_run})
        return
    for step, note in result.notes:
        err.print(f"{step}: {note}")
    verb = "would write" if dry_run else "wrote"
    made = Counter(_folder_of(name) for name in result.files)
    changed = Counter(_folder_of(name) for name in written)
    for directory, count in sorted(made.items()):
        kept = _up_to_date(count - changed[directory])
        out.print(
            f"{verb} {changed[directory]:>4} file(s) in {folder / directory}{kept}", markup=False
        )
    if dry_run:
        err.print(f"[green]done:[/] {len(result.files)} file(s) to write")
    else:
        kept = _up_to_date(len(result.files) - len(written))
        err.print(f"[green]done:[/] {len(written)} file(s) written{kept}")


def _up_to_date(count: int) -> str:
    """`, 37 already up to date` after a count of files written; nothing when none were."""
    return f", {count} already up to date" if count else ""


def _folder_of(name: str) -> str:
    """`out/calendars/members/ana.ics` → `out/calendars`: the summary is per output folder."""
    parts = Path(name).parts
    return str(Path(*parts[:2])) if len(parts) > 2 else str(Path(*parts[:-1]) or ".")
