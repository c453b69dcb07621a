"""`peerkit explain`: why a member is matched as they are, term by term and rule by rule."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from peerkit.cli.common import (
    FormatOpt,
    RoundOpt,
    TextJson,
    handle_errors,
    load_checked,
    out,
    print_json,
)
from peerkit.errors import UsageError

if TYPE_CHECKING:
    from peerkit.match.results import Explanation, PairExplanation


def verdict(pair: PairExplanation, round_name: str | None) -> str:
    """Matched together, may be matched, or cannot be matched and why."""
    broken = [c.rule for c in pair.rules if not c.ok]
    if pair.matched_in:
        kept = f", although it breaks: {'; '.join(broken)}" if broken else ""
        return f"[green]matched together in round {round_name} ({pair.matched_in})[/]{escape(kept)}"
    if pair.feasible:
        return "[green]may be matched[/]"
    # "may not" (a rule forbids it) rather than "cannot": tests and scripts read this wording
    return f"[red]may not be matched: {escape('; '.join(broken))}[/]"


def print_pair(
    pair: PairExplanation, round_name: str | None, names: Explanation | None = None
) -> None:
    from rich.table import Table

    a, b = (names.label(pair.a), names.label(pair.b)) if names else (pair.a, pair.b)
    out.print(
        f"[bold]{escape(a)} with {escape(b)}[/]: score {pair.score:.2f} — {verdict(pair, round_name)}"
    )
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("term")
    table.add_column("points", justify="right")
    table.add_column("why")
    for term, value in pair.terms.items():
        table.add_row(term, f"{value:.2f}", escape(pair.words.get(term, "")))
    out.print(table)
    for check in pair.rules:
        mark = "[green]ok[/]  " if check.ok else "[red]no[/]  "
        detail = f": {escape(check.detail)}" if check.detail else ""
        out.print(f"  {mark}{escape(check.rule)}{detail}")


@handle_errors
def explain_command(
    arguments: Annotated[
        list[str],
        typer.Argument(
            help="[DIR] MEMBER [OTHER]: the program folder (default: the current folder), "
            "a member id, and optionally another member id.",
            show_default=False,
        ),
    ],
    round: RoundOpt = None,
    format: FormatOpt = TextJson.text,
) -> None:
    """Why MEMBER is matched with OTHER (score by term, rules passed), or, with one
    member, their match, why they are unmatched, and their best feasible alternatives.

    Example: peerkit explain sample-program ana-ruiz ben-okafor
    """
    folder, member, other = split_arguments(arguments)
    from peerkit.match.explain import explain

    result = explain(load_checked(folder), member, other, round)
    if format is TextJson.json:
        print_json(result.as_dict())
        return
    for note in result.notes:
        out.print(escape(note))
    if other is not None:
        print_pair(result.pairs[0], result.round, result)
        return
    print_standing(result)
    print_alternatives(result)


def split_arguments(arguments: list[str]) -> tuple[Path, str, str | None]:
    """`[DIR] MEMBER [OTHER]` as (folder, member, other)."""
    folder = Path()
    # An existing folder is the folder, even alone: `peerkit explain sample-program`.
    if arguments and Path(arguments[0]).is_dir():
        folder, arguments = Path(arguments[0]), arguments[1:]
    if not arguments:
        msg = f"give a member id after the folder: peerkit explain {folder} MEMBER [OTHER]"
        raise UsageError(msg, f"e.g. peerkit explain {folder} ana-ruiz ben-okafor")
    if len(arguments) > 2:
        msg = "give one or two member ids, after the folder: peerkit explain [DIR] MEMBER [OTHER]"
        raise UsageError(msg, "e.g. peerkit explain sample-program ana-ruiz ben-okafor")
    return folder, arguments[0], arguments[1] if len(arguments) > 1 else None


def print_standing(result: Explanation) -> None:
    """The member's matches and each partner, or why they are unmatched."""
    member = result.member  # as the roster writes it, whatever case was typed
    if result.match is not None:
        for match in result.matches or (result.match,):
            partners = ", ".join(result.label(m) for m in match.members if m != member)
            out.print(
                f"[bold]{escape(result.label(member))}[/] is in {match.id} with "
                f"{escape(partners)} (round {result.round})"
            )
        if result.capacity:
            out.print(escape(result.capacity))
        for pair in result.pairs:
            print_pair(pair, result.round, result)
    elif result.round is not None:
        out.print(
            f"[bold]{escape(result.label(member))}[/] is unmatched in round {result.round}: "
            f"{escape(result.unmatched_reason)}"
        )
    else:
        out.print(f"there is no round yet; showing who {member} could be matched with")


def print_alternatives(result: Explanation) -> None:
    """The best feasible alternatives, and who each rule excluded."""
    if result.alternatives:
        out.print("\n[bold]best feasible alternatives[/]")
        for pair in result.alternatives:
            top = max(pair.terms, key=lambda t: pair.terms[t])
            why = pair.words.get(top, "")
            out.print(f"  {escape(result.label(pair.b)):<32} {pair.score:5.2f}  {escape(why)}")
    if result.excluded:
        out.print("\n[bold]excluded by the rules[/]")
        for rule, ids in result.excluded.items():
            shown = ", ".join(result.label(k) for k in ids[:5]) + (
                f" and {len(ids) - 5} more" if len(ids) > 5 else ""
            )
            out.print(f"  {escape(rule)}: {len(ids)} ({shown})")
