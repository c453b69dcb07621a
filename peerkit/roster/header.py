"""The header row of a CSV or XLSX roster: each column renamed to the member field it holds,
by `roster.columns` or its own name; unknown and doubled columns said with the mapping to write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from peerkit.model import LEVELS, Location, Problem, RosterImport, folded_column
from peerkit.roster.columns import field_keys, field_name, plain_key, target_key
from peerkit.source.node import Node
from peerkit.validate import closest


def header_fields(
    header: list[Node],
    spec: RosterImport,
    problems: list[Problem],
    member_keys: Sequence[str],
    rel: str,
) -> list[Node]:
    """The roster's header row with each column renamed to the member field it holds
    (blank when it is ignored, unknown or a second column for one field).

    An unknown column is an error naming the nearest field, `fields.NAME` and the mapping;
    a column of `roster.columns` or `roster.ignore` missing from the file is a warning."""
    renamed: list[Node] = []
    first: dict[str, tuple[str, Location]] = {}
    unknown: list[Problem] = []
    unknown_names: list[str] = []
    for cell in header:
        text = str(cell.value or "").strip()
        key = _column_field(text, spec, member_keys)
        if key is None:
            unknown.append(_unknown_column(cell.loc, text, member_keys))
            unknown_names.append(text)
        elif key:
            target = target_key(key.casefold() if not key.startswith("fields.") else key)
            if target in first:
                problems.append(_second_column(cell.loc, text, key, *first[target]))
                key = ""
            else:
                first[target] = (text, cell.loc)
        renamed.append(Node(key or "", cell.loc))
    if len(unknown) > 1:
        unknown[0] = _with_block(unknown[0], unknown_names, spec, member_keys)
    problems.extend(unknown)
    problems.extend(_missing_columns(header, spec, rel))
    return renamed


def _column_field(text: str, spec: RosterImport, member_keys: Sequence[str]) -> str | None:
    """The member field a header cell holds: blank for an ignored (or empty) column, None
    for an unknown one."""
    name = folded_column(text)
    if not text or name in spec.ignore:
        return ""
    if name in spec.columns:
        return spec.columns[name]
    plain = plain_key(text)
    return plain if _is_member_column(plain, member_keys) else None


def _with_block(
    top: Problem, names: Sequence[str], spec: RosterImport, member_keys: Sequence[str]
) -> Problem:
    """The first unknown column's problem, its hint ending with a `roster:` entry for all."""
    block = _roster_block(names, spec, member_keys)
    return Problem(
        top.source,
        top.code,
        top.message,
        f"{top.hint}. For all {len(names)} unknown columns at once, start from this in "
        f"program.yaml (then check each field): {block}",
        top.severity,
    )


def _missing_columns(header: list[Node], spec: RosterImport, rel: str) -> list[Problem]:
    """A warning for each column of `roster.columns` or `roster.ignore` not in the file."""
    present = {folded_column(str(cell.value or "").strip()) for cell in header}
    found = []
    for name in sorted((set(spec.columns) | spec.ignore) - present):
        shown = spec.written.get(name, name)
        where = "roster.columns" if name in spec.columns else "roster.ignore"
        found.append(
            Problem(
                Location("program.yaml"),
                "roster-column",
                f"{where}: {rel} has no column '{shown}'",
                "check the spelling against the first row of the roster "
                f"(its columns: {', '.join(str(c.value) for c in header if c.value)[:300]})",
                "warning",
            )
        )
    return found


def _is_member_column(key: str, member_keys: Sequence[str]) -> bool:
    return (
        key in member_keys
        or key in LEVELS
        or key.startswith("levels.")
        or (key.startswith("fields.") and bool(key.removeprefix("fields.")))
    )


# What HR exports call the member fields: suggested for an unknown column (never applied
# unasked: the mapping stays written in program.yaml, where the next export is read by it).
COLUMN_ALIASES: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "employee id",
            "employee number",
            "employee no",
            "emp id",
            "staff id",
            "worker id",
            "person id",
            "user id",
            "badge",
            "member id",
        ),
        "id",
    ),
    **dict.fromkeys(
        ("full name", "employee name", "display name", "preferred name", "member name"), "name"
    ),
    **dict.fromkeys(
        ("work email", "email address", "e-mail", "mail", "business email", "work e-mail"),
        "email",
    ),
    **dict.fromkeys(("dept", "department name", "team", "division", "unit"), "department"),
    **dict.fromkeys(
        ("company", "org", "organisation", "employer", "business unit"), "organization"
    ),
    **dict.fromkeys(
        ("manager id", "manager", "reports to", "supervisor", "line manager", "manager email"),
        "manager",
    ),
    **dict.fromkeys(("time zone", "tz", "timezone name"), "timezone"),
    **dict.fromkeys(("language", "spoken languages", "language(s)"), "languages"),
    **dict.fromkeys(
        (
            "end date",
            "leaving date",
            "leave date",
            "exit date",
            "last day",
            "termination date",
            "left on",
        ),
        "left",
    ),
    **dict.fromkeys(("mentees", "max mentees", "mentee capacity"), "capacity"),
    **dict.fromkeys(("program role", "mentoring role", "participant type"), "role"),
}


def _nearest_field(text: str, member_keys: Sequence[str]) -> str | None:
    """The member field an export column probably holds (`Work Email` → email)."""
    alias = COLUMN_ALIASES.get(folded_column(text))
    if alias is not None:
        return alias
    return closest(plain_key(text), field_keys(member_keys), cutoff=0.75)


def _unknown_column(loc: Location, text: str, member_keys: Sequence[str]) -> Problem:
    shown = text if len(text) <= 60 else text[:57] + "..."
    close = _nearest_field(text, member_keys)
    name = field_name(text)
    hint = (
        (f"did you mean '{close}'? " if close else "")
        + f'map it to a member field in program.yaml: `roster: {{columns: {{"{shown}": '
        + f"{close or 'FIELD'}}}}}`; to keep it as your own field, map it to `fields.{name}` "
        + f"(or rename the column fields.{name}); to skip it: "
        + f'`roster: {{ignore: ["{shown}"]}}`'
    )
    return Problem(loc, "unknown-key", f"unknown column '{shown}'", hint)


def _roster_block(names: Sequence[str], spec: RosterImport, member_keys: Sequence[str]) -> str:
    """A `roster:` entry mapping each column to its probable field (the rest ignored), with
    what program.yaml maps already, to paste and check."""
    columns = {spec.written.get(name, name): key for name, key in spec.columns.items()}
    ignore = [spec.written.get(name, name) for name in sorted(spec.ignore)]
    taken = {target_key(key) for key in columns.values()}
    for text in names:
        guess = _nearest_field(text, member_keys)
        if guess is not None and target_key(guess) not in taken:
            columns[text] = guess
            taken.add(target_key(guess))
        else:
            ignore.append(text)
    parts = []
    if columns:
        inner = ", ".join(f'"{header}": {key}' for header, key in columns.items())
        parts.append(f"columns: {{{inner}}}")
    if ignore:
        parts.append("ignore: [" + ", ".join(f'"{header}"' for header in ignore) + "]")
    return "`roster: {" + ", ".join(parts) + "}`"


def _second_column(loc: Location, text: str, key: str, other: str, other_loc: Location) -> Problem:
    if folded_column(text) == folded_column(other):
        return Problem(
            loc,
            "duplicate-column",
            f"the column '{text[:60]}' is given twice (first in column {other_loc.col}); "
            "only one can count",
            "delete or rename one of the two columns",
        )
    return Problem(
        loc,
        "duplicate-column",
        f"the columns '{other[:60]}' (column {other_loc.col}) and '{text[:60]}' both give "
        f"{key}; only one can count",
        f'list one of them in program.yaml\'s `roster: {{ignore: ["{text[:60]}"]}}`, '
        "or map it to another field",
    )
