"""`peerkit match`: match the members into a round and write rounds/NAME.yaml."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from peerkit.cli.common import (
    DirArg,
    DryRunOpt,
    FormatOpt,
    TextJson,
    collector_paused,
    deprecated,
    err,
    handle_errors,
    hold_lock,
    keep_until_exit,
    out,
    print_json,
    print_problems,
    progress_bar,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from peerkit.match.results import RoundResult
    from peerkit.model import Folder

PROGRESS_FROM = 500  # members: below this a round takes about a second, no bar


def summary_line(result: RoundResult) -> str:
    summary = result.summary
    if summary.optimal:
        gap = "proven optimal"
    elif summary.total >= summary.bound:
        gap = (
            "at its upper bound, with the kept matches as they are"
            if result.changes
            else "the best possible: it reaches its upper bound"
        )
    elif summary.gap_percent == 0:  # (below 0.0005%, which would print as 0.0%)
        gap = "less than 0.001% below the best possible"
    else:
        gap = f"at most {summary.gap_percent}% below the best possible"
    since = f" (from {result.start})" if result.start else ""
    return (
        f"round {result.name}{since}: {summary.matched} of {summary.active} active members "
        f"matched ({summary.matched_percent}%) in {summary.matches} matches, "
        f"mean score {summary.mean_score} of {summary.max_score}, "
        f"total {summary.total} ({gap}); {len(summary.rules)} rules applied"
    )


def changes_line(result: RoundResult) -> str:
    """What a --fill round changed from the round before, in one line."""
    from peerkit.match.roundfile import changes_text

    changes = result.changes
    if changes is None:
        return ""
    return f"changes from round {changes.source_round}: {changes_text(changes, result.unmatched)}"


def parse_start(value: str | None) -> dt.date | None:
    """`--start 2027-04-01`: the day the round takes over."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        from peerkit.errors import UsageError

        msg = f"--start: '{value}' is not a date"
        raise UsageError(msg, "write it as YYYY-MM-DD, e.g. --start 2027-04-01") from None


def print_round(result: RoundResult, limit: int, names: Mapping[str, str] | None = None) -> None:
    """The match table: members by name and id (`Ana Lima (E1001)`), score, top reason."""
    names = names or {}
    from rich.table import Table

    table = Table(title=f"Round {result.name} ({result.format})", title_justify="left")
    table.add_column("match")
    table.add_column("members")
    table.add_column("score", justify="right")
    table.add_column("top reason")
    for match in result.matches[:limit]:
        flag = " (locked)" if match.locked else " (pinned)" if match.pinned else ""
        table.add_row(
            match.id + flag,
            escape("\n".join(names.get(m, m) for m in match.members)),  # one per line
            f"{match.score:.2f}",
            escape(match.reasons[0]) if match.reasons else "",
        )
    out.print(table)
    if len(result.matches) > limit:
        out.print(f"... and {len(result.matches) - limit} more matches (see {result.file})")
    if result.unmatched:
        left = Table(title="Unmatched", title_justify="left")
        left.add_column("member")
        left.add_column("reason")
        for item in result.unmatched[:limit]:
            left.add_row(escape(names.get(item.member, item.member)), escape(item.reason))
        out.print(left)
        if len(result.unmatched) > limit:
            out.print(f"... and {len(result.unmatched) - limit} more unmatched")


def load_for_match(folder: Path, name: str | None) -> tuple[Folder, str]:
    """The checked folder, where problems in round files never block a new round (and
    the round being made is not checked at all), and the round's name: `name`, else the
    program's start year."""
    from peerkit.check import check_folder, has_errors, problems_before_matching
    from peerkit.errors import DataError
    from peerkit.load.program import load_program
    from peerkit.load.reader import Reader
    from peerkit.match import default_round_name, round_path

    if name is None:  # (program.yaml read twice: what is wrong with it is said once)
        program = load_program(folder, Reader())
        name = default_round_name(program) if program else None
    replaced = round_path(name) if name else None
    found, problems = check_folder(folder, replacing=replaced)
    shown = problems_before_matching(problems, replaced)
    if found is None or has_errors(shown):
        raise DataError(shown)
    print_problems(folder, shown)
    return found, name or default_round_name(found.program)


@handle_errors
def match_command(
    folder: DirArg = Path(),
    round: Annotated[
        str | None,
        typer.Option("--round", "-r", help="Round name (default: the program's start year)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (default: matching.seed).")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="The day the round takes over (YYYY-MM-DD). Default: the program's start for "
            "the first round, the round's own start when re-made; needed for a later round.",
        ),
    ] = None,
    fill: Annotated[
        bool,
        typer.Option(
            "--fill",
            help="Keep the round before's matches still whole on --start (as locked) and "
            "match only the members left without one, longest-waiting first.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing round file (locked matches are kept)."),
    ] = False,
    dry_run: DryRunOpt = False,
    format: FormatOpt = TextJson.text,
    rows: Annotated[int, typer.Option("--rows", help="Rows shown in the table.", min=1)] = 50,
    old_limit: Annotated[int | None, typer.Option("--limit", hidden=True, min=1)] = None,
) -> None:
    """Match the members under the rules and write rounds/NAME.yaml.

    Mentoring and pairs are solved exactly (or with the gap to a bound shown for very
    large rosters); groups by local search, with the gap to a simple bound. A round
    file is never replaced without --force; matches marked `locked: true` in it and
    `matching.pins` from program.yaml are kept.

    A round runs from its start until the next round starts. A later round needs
    --start; with --fill it keeps the round before's whole matches and matches only
    the orphaned, the new and the returning members.

    Example: peerkit match sample-program --round 2027 --dry-run

    Example: peerkit match sample-program --round 2027-q2 --start 2027-04-01 --fill
    """
    from peerkit.match import match_round
    from peerkit.write import write_files

    if old_limit is not None:  # `--limit` is send's "at most this many messages"
        deprecated("--limit", "--rows")
        rows = old_limit
    begins = parse_start(start)
    if not dry_run:
        hold_lock(folder)
    with collector_paused():  # reading and matching 10,000 members: millions of objects
        loaded, name = load_for_match(folder, round)
        show = format is TextJson.text and len(loaded.members) >= PROGRESS_FROM and err.is_terminal
        with progress_bar(show, "matching") as report:
            result = match_round(
                loaded,
                name,
                start=begins,
                fill=fill,
                seed=seed,
                force=force or dry_run,
                progress=report,
            )
    if not dry_run:
        target = folder / result.file
        if target.exists() and not force:  # made meanwhile by someone else
            msg = f"{result.file} already exists"
            from peerkit.errors import PeerkitError

            raise PeerkitError(msg, "add --force to replace it")
        write_files(folder, {result.file: result.text.encode()})
    for note in result.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    if format is TextJson.json:
        data = result.as_dict()
        data["dry_run"] = dry_run
        print_json(data)
        keep_until_exit(loaded, result, data)
        return
    shown = {m for match in result.matches[:rows] for m in match.members}
    shown.update(item.member for item in result.unmatched[:rows])
    print_round(result, rows, {m.id: m.label for m in loaded.members if m.id in shown})
    out.print(escape(summary_line(result)))
    if result.changes:
        out.print(escape(changes_line(result)))
    verb = "would write" if dry_run else "wrote"
    err.print(f"{verb} {folder / result.file}", markup=False)
    keep_until_exit(loaded, result)
