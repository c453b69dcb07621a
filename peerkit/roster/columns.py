"""`roster:` in program.yaml: how an HR export's columns map onto member fields
(`columns:`), which to skip (`ignore:`) and how its dates are written (`date_format:`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from peerkit.model import LEVELS, Problem, RosterImport, folded_column
from peerkit.roster.dates import read_date_format
from peerkit.source.node import Node
from peerkit.validate import closest, suggest

ROSTER_KEYS = ("columns", "ignore", "date_format")


def field_keys(member_keys: Sequence[str]) -> list[str]:
    """What a column may be mapped to: a member key, a level, or `fields.NAME`."""
    plain = [key for key in member_keys if key not in ("levels", "fields")]
    return [*plain, *LEVELS, *(f"levels.{name}" for name in LEVELS)]


def _is_field(key: str, member_keys: Sequence[str]) -> bool:
    if key.startswith("fields.") and key.removeprefix("fields.").strip():
        return True
    return key in field_keys(member_keys)


def read_roster_import(
    node: Node | None, problems: list[Problem], member_keys: Sequence[str]
) -> RosterImport:
    """`roster: {columns: {...}, ignore: [...], date_format: ...}` from program.yaml."""
    if node is None or node.value is None:
        return RosterImport()
    if not isinstance(node.value, dict):
        problems.append(
            Problem(
                node.loc,
                "type",
                "roster: expected a mapping of `columns:`, `ignore:` and `date_format:`",
                'write e.g. roster: {columns: {"Employee ID": id}, ignore: [Location]}',
            )
        )
        return RosterImport()
    for name, loc in node.keys.items():
        if name not in ROSTER_KEYS:
            hint = suggest(name, ROSTER_KEYS, f"known keys: {', '.join(ROSTER_KEYS)}")
            problems.append(Problem(loc, "unknown-key", f"unknown key 'roster.{name}'", hint))
    entries = node.value
    columns, written = _columns(entries.get("columns"), problems, member_keys)
    ignore = _ignored(entries.get("ignore"), columns, written, problems)
    return RosterImport(
        columns=columns,
        ignore=ignore,
        date_format=read_date_format(entries.get("date_format"), problems),
        written=written,
    )


def _ignored(
    node: Node | None, columns: dict[str, str], written: dict[str, str], problems: list[Problem]
) -> frozenset[str]:
    """`roster.ignore`: the columns to skip (folded), each not also mapped in `columns`;
    how each was written goes into `written`."""
    ignore: set[str] = set()
    for item in _texts(node, "roster.ignore", problems):
        name = folded_column(str(item.value))
        if name in columns:
            problems.append(
                Problem(
                    item.loc,
                    "roster-column",
                    f"roster.ignore: '{item.value}' is also mapped in roster.columns",
                    "keep it in only one of the two",
                )
            )
            continue
        ignore.add(name)
        written.setdefault(name, str(item.value))
    return frozenset(ignore)


def _texts(node: Node | None, key: str, problems: list[Problem]) -> list[Node]:
    """A list of texts (or one text, split on `,` and `;`), each with where it was written."""
    if node is None or node.value is None:
        return []
    if isinstance(node.value, str):
        parts = [part.strip() for part in re.split(r"[,;]", node.value)]
        return [Node(part, node.loc) for part in parts if part]
    if isinstance(node.value, list):
        found = []
        for item in node.value:
            if isinstance(item.value, str) and item.value.strip():
                found.append(Node(item.value.strip(), item.loc))
            elif item.value is not None:
                problems.append(Problem(item.loc, "type", f"{key}: expected a column name"))
        return found
    problems.append(Problem(node.loc, "type", f"{key}: expected a list of column names"))
    return []


def _columns(
    node: Node | None, problems: list[Problem], member_keys: Sequence[str]
) -> tuple[dict[str, str], dict[str, str]]:
    columns: dict[str, str] = {}
    written: dict[str, str] = {}
    if node is None or node.value is None:
        return columns, written
    if not isinstance(node.value, dict):
        problems.append(
            Problem(
                node.loc,
                "type",
                'roster.columns: expected a mapping of `"Export column": field` lines',
                'write e.g. columns: {"Employee ID": id, "Office": fields.site}',
            )
        )
        return columns, written
    targets: dict[str, str] = {}  # field key → the column mapped to it first
    for header, target in node.value.items():
        key, problem = _mapped_field(header, target, member_keys, targets)
        if problem is not None:
            problems.append(problem)
            continue
        targets[target_key(key)] = header
        columns[folded_column(header)] = key
        written[folded_column(header)] = header
    return columns, written


def _mapped_field(
    header: str, target: Node, member_keys: Sequence[str], targets: dict[str, str]
) -> tuple[str, Problem | None]:
    """The field key `header` is mapped to, or why it cannot be (mapped to nothing, to no
    member field, or to a field an earlier column holds)."""
    loc = target.loc
    key = target.value.strip() if isinstance(target.value, str) else ""
    if not key:
        return key, Problem(
            loc,
            "roster-column",
            f"roster.columns: '{header}' is mapped to nothing",
            "give the member field it holds, e.g. email, or fields.NAME for your own",
        )
    if not key.startswith("fields."):  # `fields.Site` keeps its case, as in a header
        key = key.casefold()
    if not _is_field(key, member_keys):
        known = field_keys(member_keys)
        close = closest(key, known)
        return key, Problem(
            loc,
            "roster-column",
            f"roster.columns: '{header}' is mapped to '{key}', which is no member field",
            (f"did you mean '{close}'? " if close else "")
            + f"use one of: {', '.join(known)}; "
            + f"or `fields.{field_name(header)}` to keep it as your own field",
        )
    same = targets.get(target_key(key))
    if same is not None:
        return key, Problem(
            loc,
            "roster-column",
            f"roster.columns: '{header}' and '{same}' are both mapped to {key}; "
            "a member has one value there",
            "map only one of them; list the other in `roster.ignore`",
        )
    return key, None


def target_key(key: str) -> str:
    """Field keys that name one member field alike: `knowledge` is `levels.knowledge`."""
    if key.startswith("fields."):
        return "fields." + key.removeprefix("fields.").strip().casefold()
    return key.removeprefix("levels.")


def field_name(header: str) -> str:
    name = re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_")
    return name or "name"


def plain_key(header: str) -> str:
    """A header as the loader names it (`Knowledge` → `knowledge`, `fields.Site` kept)."""
    text = header.strip()
    if text.casefold().startswith("fields."):
        return "fields." + text[len("fields.") :].strip()
    return text.lower().replace(" ", "_")
