"""program.yaml's `matching:`: the hard rules, the weights, the seed and the pins."""

from __future__ import annotations

from peerkit.load.reader import Reader
from peerkit.model import DEFAULT_WEIGHTS, LEVELS, Matching, Rules
from peerkit.source import Node

MAX_WEIGHT = 1000.0


MATCHING_KEYS = ("rules", "weights", "seed", "pins", "diversity", "mentors_per_mentee", "spread")
RULE_KEYS = (
    "differ_in_one_of",
    "not_same",
    "share_one_of",
    "max_timezone_gap",
    "availability_overlap",
    "no_repeat",
)


def load_matching(reader: Reader, node: Node | None) -> Matching:
    """`matching:`, each part read by its own step."""
    entries = reader.mapping(node, "matching", MATCHING_KEYS)
    rules = _rules(reader, entries.get("rules"))
    weights = _weights(reader, entries.get("weights"))
    pins = _pins(reader, entries.get("pins"))
    return Matching(
        rules=rules,
        weights=weights,
        seed=reader.integer(entries.get("seed"), "matching.seed", 0, 0, 2**32 - 1),
        pins=pins,
        diversity=reader.strings(entries.get("diversity"), "matching.diversity"),
        mentors_per_mentee=reader.integer(
            entries.get("mentors_per_mentee"), "matching.mentors_per_mentee", 1, 1, 5
        ),
        spread=reader.boolean(entries.get("spread"), "matching.spread", True),
    )


def _rules(reader: Reader, node: Node | None) -> Rules:
    """`matching.rules:` the hard rules (a match that breaks one is never made)."""
    entries = reader.mapping(node, "matching.rules", RULE_KEYS)
    differ = reader.strings(entries.get("differ_in_one_of"), "matching.rules.differ_in_one_of")
    for level in differ:
        if level not in LEVELS:
            reader.report(
                entries["differ_in_one_of"].loc,
                "value",
                f"matching.rules.differ_in_one_of: '{level}' is not a level",
                f"use any of: {', '.join(LEVELS)}",
            )
    return Rules(
        differ_in_one_of=tuple(level for level in differ if level in LEVELS),
        not_same=reader.strings(entries.get("not_same"), "matching.rules.not_same"),
        share_one_of=reader.strings(entries.get("share_one_of"), "matching.rules.share_one_of"),
        max_timezone_gap=_timezone_gap(reader, entries.get("max_timezone_gap")),
        availability_overlap=reader.boolean(
            entries.get("availability_overlap"), "matching.rules.availability_overlap", False
        ),
        no_repeat=reader.boolean(entries.get("no_repeat"), "matching.rules.no_repeat", True),
    )


def _weights(reader: Reader, node: Node | None) -> dict[str, float]:
    """`matching.weights:` the soft-score terms' weights; the shipped ones for the others."""
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in reader.mapping(node, "matching.weights", tuple(DEFAULT_WEIGHTS)).items():
        number = reader.number(value, f"matching.weights.{name}", None)
        if number is None or name not in weights:
            continue
        if number < 0:
            reader.report(
                value.loc, "range", f"matching.weights.{name} is negative", "use 0 or more"
            )
        elif number > MAX_WEIGHT:
            reader.report(
                value.loc,
                "range",
                f"matching.weights.{name}: {number:g} is far too large a weight",
                f"use 0 to {MAX_WEIGHT:g}; weights only compare with each other, e.g. 1 to 5",
            )
        else:
            weights[name] = number
    return weights


def _pins(reader: Reader, node: Node | None) -> tuple[tuple[str, ...], ...]:
    """`matching.pins:` lists of members always matched together, each member in one."""
    pins = []
    pinned: dict[str, int] = {}  # member id → the line of its pin
    for item in reader.items(node, "matching.pins"):
        group = reader.strings(item, "matching.pins")
        twice = sorted({m for m in group if group.count(m) > 1 or m in pinned})
        if twice:
            other = pinned.get(twice[0])
            reader.report(
                item.loc,
                "duplicate-pin",
                f"matching.pins: '{twice[0]}' is pinned twice"
                + (f" (also on line {other})" if other and other != item.loc.line else ""),
                "a member can be in one pin only: merge the two pins into one list",
            )
        elif len(group) < 2:
            reader.report(
                item.loc,
                "value",
                "matching.pins: a pin needs at least two member ids",
                "write a list like [ana, ben]",
            )
        else:
            pins.append(group)
            pinned.update(dict.fromkeys(group, item.loc.line))
    return tuple(pins)


def _timezone_gap(reader: Reader, node: Node | None) -> float | None:
    gap = reader.number(node, "matching.rules.max_timezone_gap", None)
    if node is not None and gap is not None and not 0 <= gap <= 26:
        reader.report(
            node.loc,
            "range",
            f"matching.rules.max_timezone_gap: {gap:g} hours is not a gap between timezones",
            "use 0 to 26 (hours), e.g. 3",
        )
        return None
    return gap
