"""Problems repeated down many rows, folded: one bad column on every row of a roster or an
export must not bury the rest.

One mechanism, `fold`: problems of one cause are grouped, and each group is told in place
of its first (or left as it is). A roster tells a group as one problem with a count and the
first lines (`collapse_repeats`); survey exports keep the first few of each kind in a file
and one that says how many more (`fold_repeats`), which folds again to the same list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence

from peerkit.model import Problem, Severity

REPEATS_SHOWN = 3  # a roster's problems of one cause on more lines than this are one
LINES_SHOWN = 5  # the lines a collapsed roster problem lists
FOLD_AFTER = 3  # problems of one kind in one export shown before "and N more like this"
FOLDED = re.compile(r"and (\d+) more like this(?: \(lines (\d+)–(\d+)\))?$")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\d+")


def fold(
    problems: Sequence[Problem],
    cause: Callable[[Problem], Hashable],
    told: Callable[[list[Problem]], list[Problem] | None],
) -> list[Problem]:
    """`problems` with each group of one `cause` replaced by what `told` makes of it, at the
    place of the group's first; a group `told` leaves (None) keeps its places."""
    keys = [cause(p) for p in problems]
    groups: dict[Hashable, list[Problem]] = {}
    for key, problem in zip(keys, problems, strict=True):
        groups.setdefault(key, []).append(problem)
    instead = {key: told(group) for key, group in groups.items()}
    result: list[Problem] = []
    placed: set[Hashable] = set()
    for key, problem in zip(keys, problems, strict=True):
        folded = instead[key]
        if folded is None:
            result.append(problem)
        elif key not in placed:
            placed.add(key)
            result.extend(folded)
    return result


# --- a roster: one problem per cause, with a count and the first lines -----------------------


def _cause(problem: Problem) -> tuple[object, ...]:
    """What problems of one cause share: file, code, severity, and the words but for the
    values quoted."""
    loc = problem.source
    return (
        loc.file if loc else "",
        problem.code,
        problem.severity,
        _QUOTED.sub("_", problem.message),
        _QUOTED.sub("_", problem.hint),
    )


def _collapsed(group: list[Problem]) -> list[Problem] | None:
    if len({p.source.line if p.source else 0 for p in group}) <= REPEATS_SHOWN:
        return None
    lines = sorted({p.source.line for p in group[1:] if p.source and p.source.line})
    shown = ", ".join(str(line) for line in lines[:LINES_SHOWN])
    if len(lines) > LINES_SHOWN:
        shown += f" and {len(lines) - LINES_SHOWN} more"
    message = f"{group[0].message} — and {len(group) - 1} more like it"
    if shown:
        message += f" (lines {shown})"
    first = group[0]
    return [Problem(first.source, first.code, message, first.hint, first.severity)]


def collapse_repeats(problems: list[Problem]) -> list[Problem]:
    """Problems of one cause down many rows (the same code, message and hint but for the
    values quoted) as one, at the first row, with a count and the first lines."""
    return fold(problems, _cause, _collapsed)


# --- survey exports: the first few of each kind in a file, and how many more ---------------


def _kind(problem: Problem) -> tuple[str, str]:
    return (problem.source.file if problem.source else "", problem.code)


def _kept(group: list[Problem], keep: int) -> list[Problem]:
    plain = [p for p in group if not FOLDED.match(p.message)]
    folded = [p for p in group if FOLDED.match(p.message)]
    rest = plain[keep:]
    count = len(rest)
    lines = [p.source.line for p in rest if p.source and p.source.line]
    for summary in folded:
        found = FOLDED.match(summary.message)
        assert found is not None
        count += int(found.group(1))
        if found.group(2):
            lines += [int(found.group(2)), int(found.group(3))]
    if not count:
        return plain[:keep]
    span = f" (lines {min(lines)}–{max(lines)})" if lines else ""
    first = min([*rest, *folded], key=lambda p: p.sort_key())
    severity: Severity = (
        "error" if any(p.severity == "error" for p in [*rest, *folded]) else "warning"
    )
    more = f"and {count} more like this{span}"
    return [*plain[:keep], Problem(first.source, first.code, more, group[0].hint, severity)]


def fold_repeats(problems: Sequence[Problem], keep: int = FOLD_AFTER) -> list[Problem]:
    """The first `keep` problems of each (file, code), and one that says how many more;
    sorted. Folding problems that were folded already gives the same list."""
    ordered = sorted(problems, key=lambda p: p.sort_key())
    folded = fold(ordered, _kind, lambda group: _kept(group, keep))
    return sorted(folded, key=lambda p: p.sort_key())
