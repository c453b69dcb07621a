"""program.yaml's `matching:`: the hard rules, the weights, the seed and the pins."""

from __future__ import annotations

from peerkit.load.reader import Reader
from peerkit.model import DEFAULT_WEIGHTS, LEVELS, Matching, Rules
from peerkit.source import Node

MAX_WEIGHT = 1000.0


def load_matching(reader: Reader, node: Node | None) -> Matching:
    keys = ("rules", "weights", "seed", "pins", "diversity", "mentors_per_mentee", "spread")
    entries = reader.mapping(node, "matching", keys)
    rule_keys = (
        "differ_in_one_of",
        "not_same",
        "share_one_of",
        "max_timezone_gap",
        "availability_overlap",
        "no_repeat",
    )
    rules_node = entries.get("rules")
    rule_entries = reader.mapping(rules_node, "matching.rules", rule_keys)
    differ = reader.strings(rule_entries.get("differ_in_one_of"), "matching.rules.differ_in_one_of")
    for level in differ:
        if level not in LEVELS:
            reader.report(
                rule_entries["differ_in_one_of"].loc,
                "value",
                f"matching.rules.differ_in_one_of: '{level}' is not a level",
                f"use any of: {', '.join(LEVELS)}",
            )
    rules = Rules(
        differ_in_one_of=tuple(level for level in differ if level in LEVELS),
        not_same=reader.strings(rule_entries.get("not_same"), "matching.rules.not_same"),
        share_one_of=reader.strings(
            rule_entries.get("share_one_of"), "matching.rules.share_one_of"
        ),
        max_timezone_gap=_timezone_gap(reader, rule_entries.get("max_timezone_gap")),
        availability_overlap=reader.boolean(
            rule_entries.get("availability_overlap"), "matching.rules.availability_overlap", False
        ),
        no_repeat=reader.boolean(rule_entries.get("no_repeat"), "matching.rules.no_repeat", True),
    )
    weights = dict(DEFAULT_WEIGHTS)
    for name, value in reader.mapping(
        entries.get("weights"), "matching.weights", tuple(DEFAULT_WEIGHTS)
    ).items():
        number = reader.number(value, f"matching.weights.{name}", None)
        if number is not None and name in weights:
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
    pins = []
    pinned: dict[str, int] = {}
    for item in reader.items(entries.get("pins"), "matching.pins"):
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
    return Matching(
        rules=rules,
        weights=weights,
        seed=reader.integer(entries.get("seed"), "matching.seed", 0, 0, 2**32 - 1),
        pins=tuple(pins),
        diversity=reader.strings(entries.get("diversity"), "matching.diversity"),
        mentors_per_mentee=reader.integer(
            entries.get("mentors_per_mentee"), "matching.mentors_per_mentee", 1, 1, 5
        ),
        spread=reader.boolean(entries.get("spread"), "matching.spread", True),
    )


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
