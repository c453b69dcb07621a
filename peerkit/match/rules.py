"""Hard rules: which two members may be matched, for a block of pairs at once.

A rule constrains only what the roster says: a member with no languages, no levels or
no availability listed is not excluded by a rule over that field (`check` is where a
coordinator learns that data is missing, not the matcher).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from peerkit.match.pool import Pool
from peerkit.model import LEVELS, Program

if TYPE_CHECKING:
    import numpy as np

Array = Any  # numpy arrays; kept loose so this module imports without numpy


def applied_rules(program: Program) -> list[str]:
    """The hard rules in force, as rule keys (`not_same:organization`, `avoid`...)."""
    rules = program.matching.rules
    keys = []
    if rules.differ_in_one_of:
        keys.append("differ_in_one_of")
    keys.extend(f"not_same:{name}" for name in rules.not_same)
    keys.append("own_manager")
    keys.extend(f"share_one_of:{name}" for name in rules.share_one_of)
    if rules.max_timezone_gap is not None:
        keys.append("max_timezone_gap")
    if rules.availability_overlap:
        keys.append("availability_overlap")
    keys.append("avoid")
    if rules.no_repeat:
        keys.append("no_repeat")
    return keys


def rule_label(program: Program, key: str) -> str:
    """A rule key in words, as the round file and explain show it."""
    rules = program.matching.rules
    kind, _, name = key.partition(":")
    if kind == "differ_in_one_of":
        return f"differ in one of {', '.join(rules.differ_in_one_of)}"
    if kind == "not_same":
        return f"not the same {name}"
    if kind == "share_one_of":
        return f"share one of {name}"
    if kind == "max_timezone_gap":
        return f"at most {rules.max_timezone_gap:g}h apart"
    return {
        "own_manager": "not their own manager",
        "availability_overlap": "availability overlaps",
        "avoid": "not on an avoid list",
        "no_repeat": "not matched in an earlier round",
    }.get(kind, key)


def _contains(pool: Pool, name: str, rows: Array, cols: Array) -> Array:
    """Number of shared values of list field `name` for each (row, col) pair."""
    from peerkit.match.score import shared

    return shared(pool, name, name, rows, cols)


def broken_block(pool: Pool, rows: Array, cols: Array) -> dict[str, np.ndarray[Any, Any]]:
    """For each rule in force, a (len(rows), len(cols)) mask of the pairs that break it
    (in the order of `applied_rules`); a rule kept pair by pair (own manager, avoid,
    no_repeat) has a mask only where a pair of the block breaks it."""
    import numpy as np

    program = pool.program
    rules = program.matching.rules
    broken: dict[str, np.ndarray[Any, Any]] = {}
    if rules.differ_in_one_of:
        picked = [LEVELS.index(name) for name in rules.differ_in_one_of]
        a = pool.levels[rows][:, picked]
        b = pool.levels[cols][:, picked]
        # NaN == NaN is False: an unknown level never proves two members alike.
        broken["differ_in_one_of"] = (a[:, None, :] == b[None, :, :]).all(axis=2)
    for name in rules.not_same:
        if name in pool.sets:
            broken[f"not_same:{name}"] = _contains(pool, name, rows, cols) > 0
        else:
            a, b = pool.codes[name][rows], pool.codes[name][cols]
            broken[f"not_same:{name}"] = (a[:, None] == b[None, :]) & (a[:, None] >= 0)
    for name in rules.share_one_of:
        if name in pool.sets:
            sizes = pool.sizes[name]
            known = (sizes[rows][:, None] > 0) & (sizes[cols][None, :] > 0)
            broken[f"share_one_of:{name}"] = known & (_contains(pool, name, rows, cols) == 0)
        else:
            a, b = pool.codes[name][rows], pool.codes[name][cols]
            known = (a[:, None] >= 0) & (b[None, :] >= 0)
            broken[f"share_one_of:{name}"] = known & (a[:, None] != b[None, :])
    if rules.max_timezone_gap is not None:
        gap = np.abs(pool.offsets[rows][:, None] - pool.offsets[cols][None, :])
        broken["max_timezone_gap"] = gap > rules.max_timezone_gap + 1e-9
    if rules.availability_overlap:
        # a meeting must fit both their availability (and hours); only members who list
        # availability are held to it
        listed = np.array([bool(m.availability) for m in pool.members])
        known = listed[rows][:, None] & listed[cols][None, :]
        broken["availability_overlap"] = known & (pool.common_slots(rows, cols) == 0)
    if pool.forbidden:
        _mark_forbidden(pool, rows, cols, broken)
    return {rule: broken[rule] for rule in applied_rules(program) if rule in broken}


def _mark_forbidden(
    pool: Pool, rows: Array, cols: Array, broken: dict[str, np.ndarray[Any, Any]]
) -> None:
    """The pairs forbidden one by one (avoid, no_repeat, a member's own manager) marked
    under their rule."""
    import numpy as np

    positions = {int(j): k for k, j in enumerate(cols)}
    for r, i in enumerate(rows):
        for j, rule in pool.forbidden.get(int(i), {}).items():
            k = positions.get(j)
            if k is not None:
                if rule not in broken:
                    broken[rule] = np.zeros((len(rows), len(cols)), dtype=bool)
                broken[rule][r, k] = True


def feasible_block(pool: Pool, rows: Array, cols: Array) -> np.ndarray[Any, Any]:
    """A mask of the pairs that break no rule (a member is never their own partner)."""
    import numpy as np

    rows, cols = np.asarray(rows), np.asarray(cols)
    ok: np.ndarray[Any, Any] = rows[:, None] != cols[None, :]
    for mask in broken_block(pool, rows, cols).values():
        np.greater(ok, mask, out=ok)  # ok and not broken, in one pass
    return ok


def rule_detail(pool: Pool, rule: str, i: int, j: int) -> str:
    """Why members i and j break `rule`, in words."""
    a, b = pool.members[i], pool.members[j]
    kind, _, name = rule.partition(":")
    if kind == "differ_in_one_of":
        same = ", ".join(
            f"{n} {a.levels.get(n)}" for n in pool.program.matching.rules.differ_in_one_of
        )
        return f"{a.id} and {b.id} are at the same levels ({same})"
    if kind == "not_same":
        shared = _shared(pool, name, i, j) or pool.text(name, i)
        return f"{a.id} and {b.id} have the same {name} ({shared})"
    if kind == "share_one_of":
        return f"{a.id} ({pool.text(name, i)}) and {b.id} ({pool.text(name, j)}) share no {name}"
    if kind == "max_timezone_gap":
        gap = abs(pool.offsets[i] - pool.offsets[j])
        limit = pool.program.matching.rules.max_timezone_gap
        return (
            f"{a.id} ({a.timezone}) and {b.id} ({b.timezone}) are {gap:g}h apart (limit {limit:g}h)"
        )
    if kind == "availability_overlap":
        return (
            f"{a.id} and {b.id} have no meeting slot in common on {pool.slot_day:%a %Y-%m-%d} "
            f"(within meetings.hours and their availability)"
        )
    if kind == "own_manager":
        boss, report = (a, b) if b.manager == a.id else (b, a)
        return f"{boss.id} is {report.id}'s manager"
    if kind == "avoid":
        who = a if b.id in a.avoid else b
        other = b if who is a else a
        return f"{who.id} asked to avoid {other.id}"
    if kind == "no_repeat":
        return f"{a.id} and {b.id} were matched in an earlier round"
    return rule


def _shared(pool: Pool, name: str, i: int, j: int) -> str:
    if name not in pool.sets:
        return ""
    return ", ".join(sorted(set(pool.items(name, i)) & set(pool.items(name, j))))
