"""The round file `rounds/NAME.yaml` as text: commented, deterministic, easy to edit by hand.

It is written by hand here (not by a YAML dumper) so that it keeps its comments, its key
order and one short line per value, and diffs cleanly in git. `peerkit.load.load_round`
reads it back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peerkit.match import RoundResult

PLAIN_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")
YAML_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", ".nan", ".inf"}
)


def scalar(value: object) -> str:
    """A YAML scalar that every YAML reader reads back as the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    text = str(value)
    if PLAIN_RE.match(text) and text.lower() not in YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def flow(values: Sequence[object]) -> str:
    return "[" + ", ".join(scalar(v) for v in values) + "]"


def flow_map(values: Mapping[str, object]) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in values.items()) + "}"


def _summary_lines(summary: Mapping[str, Any]) -> list[str]:
    lines = ["summary:"]
    for key, value in summary.items():
        if isinstance(value, Mapping):
            lines.append(f"  {key}: {flow_map(value)}")
        elif isinstance(value, list | tuple):
            lines.append(f"  {key}:")
            lines.extend(f"    - {scalar(item)}" for item in value)
        else:
            lines.append(f"  {key}: {scalar(value)}")
    return lines


def _time_comments(summary: Mapping[str, Any]) -> list[str]:
    """Say why some matches have a `time:` (or should have one)."""
    lines = []
    if summary.get("staggered"):
        lines += [
            "# Members in several matches (a mentor with several mentees) meet them one after",
            "# the other: those matches have their own `time:`. Change it to suit them.",
        ]
    if summary.get("same_time"):
        lines += [
            f"# {summary['same_time']} match(es) meet at the same time as another match of one",
            "# of their members: give them their own `time:` (and `day:` if need be).",
        ]
    return lines


def dump_round(result: RoundResult, program_name: str) -> str:
    """The round file text of `result`."""
    summary = result.summary
    lines = [
        f"# Round {result.name} of {program_name}, made by `peerkit match` "
        f"(format {summary.get('format')}, seed {summary.get('seed')}).",
        "# This file is yours to edit: move members between matches, or add `locked: true`",
        "# to a match to keep it when you run `peerkit match --force` again.",
        "# `peerkit check` tells you if an edit breaks a matching rule.",
        f"# Scores are out of {summary.get('max_score')}; `terms` shows each part of the score.",
        "# `bound` is an upper limit on the best total possible; this round is at most",
        "# `gap_percent` below it (`optimal: true`: proven the best there is).",
        *_time_comments(summary),
        f"round: {scalar(result.name)}",
        *_summary_lines(summary),
        "matches:" if result.matches else "matches: []",
    ]
    for match in result.matches:
        lines.append(f"  - id: {scalar(match.id)}")
        lines.append(f"    members: {flow(match.members)}")
        if match.locked:
            lines.append("    locked: true")
        lines.append(f"    score: {_number(match.score)}")
        lines.append(f"    terms: {flow_map(match.terms)}")
        for key in ("location", "day", "time"):
            value = getattr(match, key)
            if value:
                lines.append(f"    {key}: {scalar(value)}")
        if match.reasons:
            lines.append("    reasons:")
            lines.extend(f"      - {scalar(reason)}" for reason in match.reasons)
        if match.rules:
            lines.append("    rules:")
            lines.extend(f"      - {scalar(rule)}" for rule in match.rules)
    lines.append("unmatched:" if result.unmatched else "unmatched: []")
    for item in result.unmatched:
        lines.append(f"  - member: {scalar(item.member)}")
        lines.append(f"    reason: {scalar(item.reason)}")
    return "\n".join(lines) + "\n"
