"""Round files (rounds/*.yaml, written by `peerkit match`, perhaps edited by hand) → Rounds,
and the order they run in.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from peerkit.load.reader import Reader, key_sources
from peerkit.model import DayRule, Location, Match, Program, Round, RoundSummary, Unmatched
from peerkit.source.node import Node
from peerkit.source.yaml_tree import read_yaml

ROUND_MATCH_KEYS = (
    "id",
    "members",
    "score",
    "locked",
    "reasons",
    "rules",
    "terms",
    "location",
    "day",
    "time",
)


def _plain(node: Node | None) -> Any:
    if node is None or node.value is None or isinstance(node.value, str):
        return None if node is None else node.value
    if isinstance(node.value, list):
        return [_plain(item) for item in node.value]
    return {key: _plain(value) for key, value in node.value.items()}


def load_round(path: Path, rel: str, reader: Reader) -> Round | None:
    """A round file written by `peerkit match` (and perhaps edited by hand)."""
    node = read_yaml(path, rel, reader.problems, written=True)
    if node is None:
        return None
    if node.value is None or (isinstance(node.value, dict) and "matches" not in node.value):
        # an empty round would cancel every meeting already sent: never take it as meant
        reader.report(
            Location(rel, 1, 1) if node.value is None else node.loc,
            "round-empty",
            f"{rel} is empty" if node.value is None else f"{rel} has no `matches:`",
            "restore it from git, or delete it and run `peerkit match` again",
        )
        return None
    entries = reader.mapping(node, "", ("round", "start", "end", "summary", "matches", "unmatched"))
    if "summary" in entries and "unmatched" not in entries and isinstance(node.value, dict):
        last = max((loc.line for loc in key_sources(node).values()), default=node.loc.line)
        reader.report(
            Location(rel, last, 1),
            "round-truncated",
            f"{rel} looks cut short: it ends before `unmatched:`, which `peerkit match` "
            "always writes last",
            "restore it from git (a partial copy or download), or add `unmatched: []` "
            "at the end if you removed it on purpose",
        )
        return None
    matches = _matches(reader, entries.get("matches"))
    unmatched = _unmatched(reader, entries.get("unmatched"))
    summary = _plain(entries.get("summary"))
    start = reader.date(entries.get("start"), "start")
    end = reader.date(entries.get("end"), "end")
    if start and end and end < start:
        reader.report(
            entries["end"].loc,
            "date-order",
            f"the round ends ({end}) before it starts ({start})",
            "fix `end:`, or delete it (a round runs until the next round starts)",
        )
        end = None
    return Round(
        name=reader.text(entries.get("round"), "round") or path.stem,
        matches=matches,
        unmatched=unmatched,
        summary=RoundSummary.from_mapping(summary if isinstance(summary, dict) else {}),
        file=rel,
        start=start,
        end=end,
        source=entries["start"].loc if "start" in entries else node.loc,
    )


def _matches(reader: Reader, node: Node | None) -> tuple[Match, ...]:
    """`matches:`, each with an id (`match-01`, … when it has none); an id used twice is an error."""
    matches = []
    seen: set[str] = set()
    for index, item in enumerate(reader.items(node, "matches"), start=1):
        fields = reader.mapping(item, "matches", ROUND_MATCH_KEYS)
        match_id = reader.text(fields.get("id"), "matches.id") or f"match-{index:02d}"
        if match_id in seen:
            reader.report(
                item.loc, "duplicate-match", f"match id '{match_id}' is used twice", "rename one"
            )
        seen.add(match_id)
        matches.append(
            Match(
                id=match_id,
                members=reader.strings(fields.get("members"), "matches.members"),
                score=reader.number(fields.get("score"), "matches.score", 0.0) or 0.0,
                locked=reader.boolean(fields.get("locked"), "matches.locked", False),
                reasons=reader.strings(fields.get("reasons"), "matches.reasons"),
                rules=reader.strings(fields.get("rules"), "matches.rules"),
                location=reader.place(fields.get("location"), "matches.location"),
                day=_day(reader.text(fields.get("day"), "matches.day")),
                time=reader.time(fields.get("time"), "matches.time", None),
                source=item.loc,
            )
        )
    return tuple(matches)


def _unmatched(reader: Reader, node: Node | None) -> tuple[Unmatched, ...]:
    unmatched = []
    for item in reader.items(node, "unmatched"):
        fields = reader.mapping(item, "unmatched", ("member", "reason"))
        unmatched.append(
            Unmatched(
                reader.text(fields.get("member"), "unmatched.member"),
                reader.text(fields.get("reason"), "unmatched.reason"),
            )
        )
    return tuple(unmatched)


def _day(text: str) -> DayRule | None:
    """A match's own `day:`, kept even when it names no day (the calendar warns of it)."""
    return DayRule.parse(text) if text else None


def load_rounds(root: Path, reader: Reader) -> tuple[Round, ...]:
    """Every round file, as written (use `date_rounds` to give each its start and order)."""
    folder = root / "rounds"
    if not folder.is_dir():
        return ()
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    except OSError as exc:
        reader.report(
            Location("rounds"),
            "unreadable",
            f"the rounds/ folder cannot be read: {exc.strerror}",
            "check its permissions (e.g. `chmod u+rx rounds`)",
        )
        return ()
    rounds: list[Round] = []
    first: dict[str, str] = {}
    for path in paths:
        rel = f"rounds/{path.name}"
        if path.stem in first:
            reader.report(
                Location(rel),
                "duplicate-round",
                f"{rel} and {first[path.stem]} are two files for round '{path.stem}'",
                "keep one of them (peerkit writes .yaml)",
            )
            continue
        first[path.stem] = rel
        loaded = load_round(path, rel, reader)
        if loaded is None:
            continue
        same = next((r for r in rounds if r.name == loaded.name), None)
        if same is not None:
            reader.report(
                Location(rel, 1, 1),
                "duplicate-round",
                f"{rel} and {same.file} both say `round: {loaded.name}`",
                "give each round its own name, the same as its file name",
            )
            continue
        rounds.append(loaded)
    return tuple(rounds)


def date_rounds(rounds: Sequence[Round], program: Program, reader: Reader) -> tuple[Round, ...]:
    """The rounds in the order they run, by start date: a round file without `start:` starts
    with the program when it is the only one (or the earliest); any other is an error."""
    undated = [r for r in rounds if r.start is None]
    dated = [r for r in rounds if r.start is not None]
    earliest = min((r.start for r in dated if r.start is not None), default=None)
    result = list(dated)
    guessed: set[str] = set()
    for index, round_ in enumerate(sorted(undated, key=lambda r: r.name)):
        first = index == 0 and (earliest is None or earliest > program.start)
        if not first:
            reader.report(
                round_.source or Location(round_.file),
                "round-start",
                f"round '{round_.name}' has no start date, and it is not the first round",
                "add `start: YYYY-MM-DD` to the round file: the day its matches take over "
                "(rounds run in the order of their start dates, never of their names)",
            )
            guessed.add(round_.name)
        result.append(replace(round_, start=program.start))
    result.sort(key=lambda r: (r.start or program.start, r.name))
    for earlier, later in itertools.pairwise(result):
        if earlier.start == later.start and not {earlier.name, later.name} & guessed:
            reader.report(
                later.source or Location(later.file),
                "round-start",
                f"rounds '{earlier.name}' and '{later.name}' both start on {later.start}",
                "give the later round a later `start:` (peerkit match --round NAME --start DATE)",
            )
    for round_ in result:
        if round_.start is not None and not program.start <= round_.start <= program.end:
            reader.report(
                round_.source or Location(round_.file),
                "round-start",
                f"round '{round_.name}' starts on {round_.start}, outside the program "
                f"({program.start} to {program.end})",
                "give a start date between the program's start and end",
            )
    return tuple(result)
