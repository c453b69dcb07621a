"""The round file `rounds/NAME.yaml` as text: commented, deterministic, easy to edit by hand.

It is written by hand here (not by a YAML dumper) so that it keeps its comments, its key
order and one short line per value, and diffs cleanly in git. `peerkit.load.rounds.load_round`
reads it back.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peerkit.match.fill import FillPlan
    from peerkit.match.results import RoundResult
    from peerkit.model import RoundChanges, RoundSummary, Unmatched

PLAIN_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")
ESCAPED_RE = re.compile(r'["\\\x00-\x1f]')  # what JSON (so YAML's double quotes) escapes
YAML_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", ".nan", ".inf"}
)


def scalar(value: object) -> str:
    """A YAML scalar that every YAML reader reads back as the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    return _text(str(value))


def _text(text: str) -> str:
    if PLAIN_RE.match(text) and text.lower() not in YAML_WORDS:
        return text
    if ESCAPED_RE.search(text) is None:  # json.dumps would only add the quotes
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


# A round file says the same term score thousands of times, and each match's rules alike:
# each is written out once.
@functools.lru_cache(maxsize=4096, typed=True)
def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def flow(values: Sequence[object], write: Callable[[Any], str] = scalar) -> str:
    """`[a, b]`; `write`: how each value is written (`_text` for texts, asking nothing)."""
    return "[" + ", ".join([write(v) for v in values]) + "]"


def flow_map(values: Mapping[str, object], write: Callable[[Any], str] = scalar) -> str:
    return "{" + ", ".join([f"{k}: {write(v)}" for k, v in values.items()]) + "}"


@functools.lru_cache(maxsize=64)
def _item_lines(key: str, items: tuple[str, ...]) -> str:
    """`    rules:` and one `      - item` line each (one string: a match's rules are most
    often every match's)."""
    return "\n".join([f"    {key}:", *(f"      - {_text(item)}" for item in items)])


def _summary_lines(summary: RoundSummary) -> list[str]:
    lines = ["summary:"]
    for key, value in summary.as_dict().items():
        if isinstance(value, Mapping) and any(isinstance(v, list | tuple) for v in value.values()):
            lines.append(f"  {key}:")
            lines.extend(
                f"    {k}: {flow(v) if isinstance(v, list | tuple) else scalar(v)}"
                for k, v in value.items()
            )
        elif isinstance(value, Mapping):
            lines.append(f"  {key}: {flow_map(value)}")
        elif isinstance(value, list | tuple):
            lines.append(f"  {key}:")
            lines.extend(f"    - {scalar(item)}" for item in value)
        else:
            lines.append(f"  {key}: {scalar(value)}")
    return lines


def _time_comments(summary: RoundSummary) -> list[str]:
    """Say why matches meet at the times they do (each has its `time:`, in the program's
    timezone; the comment under each match id gives every member's own time)."""
    lines = []
    if summary.staggered:
        lines += [
            "# Members in several matches (a mentor with several mentees) meet them one after",
            "# the other: those matches have their own `time:`. Change it to suit them.",
        ]
    if summary.moved_into_hours:
        lines += [
            f"# {summary.moved_into_hours} match(es) meet at another time than meetings.time,"
            " so that the",
            "# meeting falls inside every member's own hours and availability (see `time:`).",
        ]
    if summary.no_common_slot:
        lines += [
            f"# {summary.no_common_slot} match(es) have no time inside every member's hours:"
            " agree one",
            "# with them and set `time:` (`peerkit check` says whose hours it is outside).",
        ]
    if summary.same_time:
        lines += [
            f"# {summary.same_time} match(es) meet at the same time as another match of one",
            "# of their members: give them their own `time:` (and `day:` if need be).",
        ]
    return lines


def _period_comments(result: RoundResult) -> list[str]:
    if result.start is None:
        return []
    if result.end is not None:
        return [
            f"# It runs from {result.start} until {result.end} (`end:`), or until the next round",
            "# starts if that is sooner; its matches meet only in that period.",
        ]
    return [
        f"# It runs from {result.start} (`start:`) until the next round starts; its matches",
        "# meet only in that period.",
    ]


def _names(ids: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def changes_text(changes: RoundChanges, unmatched: Sequence[Unmatched] = ()) -> str:
    """`kept 5 matches, 2 new; left: b; joined: d; ...`: what a --fill round changed."""
    parts = [
        f"kept {changes.kept} match(es)"
        + (f" ({_names(changes.grown)} with a new member)" if changes.grown else ""),
        f"{changes.new} new match(es)",
    ]
    for key, label in (
        ("ended", "ended"),
        ("left", "left"),
        ("paused", "paused"),
        ("joined", "joined"),
        ("returned", "returned"),
        ("orphaned", "orphaned"),
    ):
        if getattr(changes, key):
            parts.append(f"{label}: {_names(getattr(changes, key))}")
    why = {u.member: u.reason for u in unmatched}
    still = list(changes.unmatched)
    if still:
        parts.append(
            "still unmatched: "
            + "; ".join(f"{m} ({why[m]})" if m in why else m for m in still[:5])
            + (f"; and {len(still) - 5} more" if len(still) > 5 else "")
        )
    else:
        parts.append("nobody is left unmatched")
    return "; ".join(parts)


def _fill_comments(result: RoundResult, plan: FillPlan | None) -> list[str]:
    if plan is None or result.changes is None:
        return []
    import textwrap

    waiting = sorted(plan.since, key=lambda m: (plan.since[m], m))
    order = ", ".join(
        f"{m} ({plan.kind[m]}, {plan.waited(m)} days)"
        if plan.waited(m)
        else f"{m} ({plan.kind[m]})"
        for m in waiting[:12]
    )
    text = (
        f"Made with --fill: it takes over from round {plan.previous.name} on {plan.start}. "
        f"The matches of {plan.previous.name} still whole on that day are kept as they were "
        "(`locked: true`: same id, day and time); only the members left without a match "
        "were matched, longest-waiting first"
        + (f": {order}{', ...' if len(waiting) > 12 else ''}" if order else "")
        + f". Changes from {plan.previous.name}: {changes_text(result.changes, result.unmatched)}."
    )
    return [f"# {line}" for line in textwrap.wrap(text, 88)]


def dump_round(result: RoundResult, program_name: str, plan: FillPlan | None = None) -> str:
    """The round file text of `result` (with what a `--fill` round changed, from `plan`)."""
    summary = result.summary
    lines = [
        f"# Round {result.name} of {program_name}, made by `peerkit match` "
        f"(format {summary.format}, seed {summary.seed}).",
        *_period_comments(result),
        *_fill_comments(result, plan),
        "# This file is yours to edit: move members between matches, or add `locked: true`",
        "# to a match to keep it when you run `peerkit match --force` again.",
        "# `peerkit check` tells you if an edit breaks a matching rule.",
        f"# Scores are out of {summary.max_score}; `terms` shows each part of the score.",
        "# `bound` is an upper limit on the best total possible; this round is at most",
        "# `gap_percent` below it (`optimal: true`: proven the best there is).",
        *_time_comments(summary),
        f"round: {scalar(result.name)}",
        *([f"start: {result.start.isoformat()}"] if result.start else []),
        *([f"end: {result.end.isoformat()}"] if result.end else []),
        *_summary_lines(summary),
        "matches:" if result.matches else "matches: []",
    ]
    for match in result.matches:
        lines.append(f"  - id: {_text(match.id)}")
        # who they are and when they meet where each of them is (the file is edited by people)
        lines.extend([f"    # {line}" for line in match.people])
        # (ids are texts and terms numbers: written without asking each one's type)
        lines.append(f"    members: {flow(match.members, _text)}")
        if match.locked:
            lines.append("    locked: true")
        lines.append(f"    score: {_number(match.score)}")
        lines.append(f"    terms: {flow_map(match.terms, _number)}")
        for key in ("location", "day", "time"):
            value = getattr(match, key)
            if value:
                lines.append(f"    {key}: {_text(str(value))}")
        if match.reasons:
            lines.append("    reasons:")
            lines.extend([f"      - {_text(reason)}" for reason in match.reasons])
        if match.rules:
            lines.append(_item_lines("rules", match.rules))
    lines.append("unmatched:" if result.unmatched else "unmatched: []")
    for item in result.unmatched:
        lines.append(f"  - member: {scalar(item.member)}")
        lines.append(f"    reason: {scalar(item.reason)}")
    return "\n".join(lines) + "\n"
