"""The roster (members.yaml, .csv or .xlsx) → Members, in file order."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

from peerkit.load.reader import MAX_NAME, MAX_TEXT, Reader, cell_list, slugify
from peerkit.model import (
    LEVELS,
    ROLES,
    Levels,
    Location,
    Member,
    Program,
    Role,
    RosterImport,
    made_from,
)
from peerkit.repeats import collapse_repeats
from peerkit.roster.dates import prepared_record
from peerkit.roster.header import header_fields
from peerkit.roster.languages import language_codes
from peerkit.roster.people import MEMBER_ID_RE, same_people
from peerkit.source.grid import grid_records
from peerkit.source.node import NO_KEYS, Locations, Node, RowLocations
from peerkit.source.tables import read_table
from peerkit.source.yaml_tree import read_yaml
from peerkit.validate import is_email

MAX_MEMBERS = 50_000
ROSTER_FILES = ("members.yaml", "members.yml", "members.csv", "members.xlsx")

MEMBER_KEYS = (
    "id",
    "name",
    "email",
    "role",
    "organization",
    "department",
    "manager",
    "industry",
    "timezone",
    "languages",
    "levels",
    "goals",
    "offers",
    "obstacles",
    "capacity",
    "availability",
    "avoid",
    "active",
    "left",
    "pause",
    "fields",
    "notes",
    "private",
)


_LEVEL_KEYS = tuple((name, f"levels.{name}") for name in LEVELS)  # (field, as messages say it)


def _column_key(header: str) -> str:
    return header.strip().lower().replace(" ", "_")


@functools.lru_cache(maxsize=1024)
def _column_role(header: str) -> tuple[str, str]:
    """What a roster column holds: ("levels", level), ("fields", name), ("entry", key) or
    ("", "") for a column no member field reads. Asked once per column, not per cell."""
    name = _column_key(header)
    if name in LEVELS or name.startswith("levels."):
        return "levels", name.removeprefix("levels.")
    if name.startswith("fields."):
        return "fields", header.strip()[len("fields.") :]
    if name in MEMBER_KEYS:
        return "entry", name
    return "", ""


def _member_entries(record: Node, reader: Reader, tabular: bool) -> dict[str, Node]:
    """A roster record's entries; in a table, `knowledge` / `levels.knowledge` and
    `fields.x` columns are folded into `levels` and `fields` (unknown columns were
    reported once, from the header)."""
    if not tabular:
        return reader.mapping(record, "member", MEMBER_KEYS)
    entries: dict[str, Node] = {}
    levels: dict[str, Node] = {}
    custom: dict[str, Node] = {}
    assert isinstance(record.value, dict)
    for header, cell in record.value.items():
        kind, name = _column_role(header)
        if kind == "entry":
            entries[name] = cell
        elif kind == "levels":
            levels[name] = cell
        elif kind == "fields":
            custom[name] = cell
    if levels:
        entries["levels"] = Node(levels, record.loc, Locations(levels))
    if custom:
        entries["fields"] = Node(custom, record.loc, Locations(custom))
    return entries


def _member(reader: Reader, record: Node, program: Program | None, tabular: bool) -> Member | None:
    entries = _member_entries(record, reader, tabular)
    if not isinstance(record.value, dict):
        reader.wrong(record, "member", "a mapping with at least `name:`")
        return None
    name = _one_line_name(reader, entries.get("name"))
    given_id = reader.text(entries.get("id"), "id", limit=MAX_NAME)
    if not name and not given_id:
        reader.report(record.loc, "missing", "a member has neither a name nor an id", "add `name:`")
        return None
    member_id = _member_id(reader, record, entries, name, given_id)
    email = _email(reader, entries.get("email"))
    level_entries = reader.mapping(entries.get("levels"), "levels", LEVELS)
    levels = Levels(
        *[reader.integer(level_entries.get(k), key, 0, 1, 5) or None for k, key in _LEVEL_KEYS]
    )
    custom = {
        key: reader.text(value, f"fields.{key}")
        for key, value in reader.mapping(entries.get("fields"), "fields").items()
    }
    default_tz = program.timezone if program else "UTC"
    left = reader.date(entries.get("left"), "left")
    pauses = _pauses(reader, entries.get("pause"))
    return Member(
        id=member_id or "?",
        name=name or member_id,
        email=email,
        role=cast(Role, reader.choice(entries.get("role"), "role", ROLES, "peer")),
        organization=reader.text(entries.get("organization"), "organization"),
        department=reader.text(entries.get("department"), "department"),
        manager=reader.text(entries.get("manager"), "manager"),
        industry=reader.text(entries.get("industry"), "industry"),
        timezone=reader.timezone(entries.get("timezone"), "timezone", default_tz),
        languages=language_codes(
            reader.strings(entries.get("languages"), "languages"),
            entries.get("languages"),
            reader.problems,
        ),
        levels=levels,
        goals=reader.strings(entries.get("goals"), "goals"),
        offers=reader.strings(entries.get("offers"), "offers"),
        obstacles=reader.strings(entries.get("obstacles"), "obstacles"),
        capacity=reader.integer(
            entries.get("capacity"), "capacity", program.capacity if program else 1, 0, 1000
        ),
        availability=_availability(reader, entries.get("availability"), record.loc),
        avoid=reader.strings(entries.get("avoid"), "avoid"),
        active=reader.boolean(entries.get("active"), "active", True),
        left=left,
        pauses=pauses,
        fields=custom,
        source=record.loc,
        sources=Locations(entries),
    )


def _one_line_name(reader: Reader, node: Node | None) -> str:
    """`name:`; a line break in it (a quoted YAML value can hold one) is read as a space."""
    name = reader.text(node, "name", limit=MAX_NAME)
    if node is not None and len(name.splitlines()) > 1:
        reader.report(
            node.loc,
            "name-line-break",
            f"name: '{' '.join(name.split())}' holds a line break; it is read as a space",
            "write the name on one line",
            "warning",
        )
        return " ".join(name.split())
    return name


def _member_id(
    reader: Reader, record: Node, entries: dict[str, Node], name: str, given_id: str
) -> str:
    """The `id:` given, else one made from the name (`Zoë O'Brien` → `zoe-obrien`)."""
    member_id = given_id or slugify(name)
    if given_id and not MEMBER_ID_RE.match(given_id):
        reader.report(
            entries["id"].loc,
            "member-id",
            f"id '{given_id}' is not a valid member id",
            f"use letters, digits, '-', '_' or '.', e.g. '{slugify(given_id) or 'ana-r'}'",
        )
    elif not member_id:
        reader.report(
            record.loc, "member-id", f"no id can be made from the name '{name}'", "add `id:`"
        )
    return member_id


def _email(reader: Reader, node: Node | None) -> str:
    email = reader.text(node, "email")
    if node is not None and email and not is_email(email):
        reader.report(
            node.loc,
            "email",
            f"email '{email}' is not an email address",
            "write it like ana@example.org",
        )
    return email


def _availability(reader: Reader, node: Node | None, where: Location) -> tuple[str, ...]:
    """`availability: Tue 09:00-12:00; Thu 14:00-17:00`: weekly windows of local time,
    kept written the one way (`Tue 09:00-12:00`); an entry that is not one is an error."""
    from peerkit.hours import SYNTAX, parse_window

    kept: list[str] = []
    for entry in reader.strings(node, "availability"):
        windows, why = parse_window(entry)
        if why:
            reader.report(
                node.loc if node is not None else where,
                "availability",
                f"availability: {why}",
                f"write weekly windows of the member's local time, e.g. {SYNTAX}; "
                "separate windows with `;`",
            )
            continue
        kept.extend(str(w) for w in windows)
    return tuple(dict.fromkeys(kept))


def _pauses(reader: Reader, node: Node | None) -> tuple[tuple[dt.date, dt.date], ...]:
    """`pause: {from: DATE, until: DATE}` (or a list of them): spans a member is away."""
    if node is None or node.value in (None, ""):
        return ()
    items = node.value if isinstance(node.value, list) else [node]
    spans = []
    for item in items:
        if isinstance(item, Node) and isinstance(item.value, str) and ".." in item.value:
            # a roster cell: `2027-03-01..2027-05-31`
            begin_text, _, until_text = item.value.partition("..")
            begin = reader.date(Node(begin_text.strip(), item.loc), "pause.from")
            until = reader.date(Node(until_text.strip(), item.loc), "pause.until")
            where = item
        else:
            fields = reader.mapping(item, "pause", ("from", "until"))
            if not isinstance(item.value, dict):
                continue
            begin = reader.date(fields.get("from"), "pause.from")
            until = reader.date(fields.get("until"), "pause.until")
            where = item
            if "from" not in fields or "until" not in fields:
                reader.report(
                    where.loc,
                    "missing",
                    "pause: needs both `from:` and `until:` (the first and last day away)",
                    "write it like `pause: {from: 2027-03-01, until: 2027-05-31}`",
                )
                continue
        if begin is None or until is None:
            continue
        if until < begin:
            reader.report(
                where.loc,
                "date-order",
                f"pause: until ({until}) is before from ({begin})",
                "swap the two dates or fix the year",
            )
            continue
        spans.append((begin, until))
    return tuple(sorted(spans))


def _roster_file(root: Path, reader: Reader) -> Path | None:
    found = [root / name for name in ROSTER_FILES if (root / name).is_file()]
    if not found:
        reader.report(
            Location("members.yaml"),
            "missing-file",
            f"there is no roster in {root}",
            "add members.yaml (or members.csv / members.xlsx) with one entry per member",
        )
        return None
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        reader.report(
            Location(found[1].name),
            "roster",
            f"there are several rosters ({names}); peerkit reads only {found[0].name}",
            "keep one roster file",
            "warning",
        )
    return found[0]


def load_roster(root: Path, program: Program | None, reader: Reader) -> tuple[Member, ...]:
    """The roster (members.yaml, .csv or .xlsx) as Members, in file order."""
    path = _roster_file(root, reader)
    if path is None:
        return ()
    spec = program.roster if program else RosterImport()
    first_problem = len(reader.problems)
    if path.suffix != ".yaml" and path.suffix != ".yml":
        made = _table_members(path, spec, program, reader)
    else:
        records = _yaml_records(path, program, reader)
        made = None
        if records is not None:
            made = [
                _member(reader, prepared_record(r, spec, reader.problems), program, False)
                for r in records
            ]
    if made is None:
        return ()
    members = _members(reader, made)
    same_people(members, reader.problems)
    reader.problems[first_problem:] = collapse_repeats(reader.problems[first_problem:])
    return tuple(members)


def _table_members(
    path: Path, spec: RosterImport, program: Program | None, reader: Reader
) -> list[Member | None] | None:
    """A CSV or XLSX roster's rows as Members, each column renamed to the member field it
    holds (`roster.columns`); None when it cannot be read or names no member. A row whose
    every value reads without a problem is made straight from its text (`_TableRows`);
    any other row is read cell by cell, as a YAML entry is, and says what is wrong."""
    rel = path.name
    table = read_table(path, rel, reader.problems, MAX_MEMBERS, ("members", "roster"))
    if table is None:
        return None
    header: list[Node] = []
    if table.rows:
        cells = [
            Node(text, None, NO_KEYS, rel, table.lines[0], col)
            for col, text in enumerate(table.rows[0], start=1)
        ]
        header = header_fields(cells, spec, reader.problems, MEMBER_KEYS, rel)
    names = [str(c.value or "").strip() for c in header]
    if not {"name", "id"} & set(names):
        reader.report(
            header[0].loc if header else Location(rel, 1, 1),
            "header",
            "the roster has no `name` or `id` column",
            "the first row must name the columns: id, name, email, role, ...; or map the "
            'export\'s own in program.yaml: `roster: {columns: {"Full Name": name}}`',
        )
        return None
    # (a row of blank cells is no member: their text together is blank)
    kept = [k for k, row in enumerate(table.rows[1:], start=1) if "".join(row).strip()]
    rows, lines = [table.rows[k] for k in kept], [table.lines[k] for k in kept]
    made = _TableRows(names, rel, program).members(rows, lines)
    for k, (row, line) in enumerate(zip(rows, lines, strict=True)):
        if made[k] is None:
            cells = [
                Node(text, None, NO_KEYS, rel, line, col) for col, text in enumerate(row, start=1)
            ]
            record = grid_records([header, cells])[0]
            made[k] = _member(reader, prepared_record(record, spec, reader.problems), program, True)
    return made


Convert = Callable[[Reader, Node | None], Any]
# the Member fields that are a column's value as converted (see `_conversions`)
_AS_CONVERTED = (
    *("email", "role", "organization", "department", "manager", "industry", "timezone"),
    *("languages", "goals", "offers", "obstacles", "capacity", "availability", "avoid", "active"),
)
_WRONG = object()  # a text some problem is found with


class _TableRows:
    """Members made straight from a table's rows, for the rows with nothing wrong.

    Each column's texts are converted once each by the reader's own conversions (a
    column of 10,000 rows holds few distinct roles, timezones or levels), on a reader of
    their own: a text with any problem, a row without a name or id, or one giving when a
    member left or pauses is left to the general reading (`members` gives None), which
    reports it at its row and column."""

    def __init__(self, header: list[str], file: str, program: Program | None) -> None:
        self.file = file
        self.columns: list[tuple[int, str, Convert, dict[str, Any]]] = []
        entries: dict[str, int] = {}
        self.custom: list[str] = []
        levels = False
        self.usable = True
        converts = _conversions(program)
        for col, name in enumerate(header):
            kind, key = _column_role(name) if name else ("", "")
            if kind == "entry":
                self.usable &= key not in ("levels", "fields")
                entries[key] = col + 1
                if key in converts:
                    self.columns.append((col, key, converts[key], {}))
            elif kind == "levels":
                self.usable &= key in LEVELS
                levels = True
                self.columns.append((col, key, _level(f"levels.{key}"), {}))
            elif kind == "fields":
                self.custom.append(key)
                self.columns.append((col, f"fields.{key}", _custom(key), {}))
        # where each field was written; `levels` and `fields` where the row starts
        grouped = [*(["levels"] if levels else []), *(["fields"] if self.custom else [])]
        self.sources = {**entries, **dict.fromkeys(grouped, 1)}
        self.width = len(header)
        self.scratch = Reader()  # the conversions' own problems, only ever counted
        self.defaults = {key: convert(self.scratch, None) for key, convert in converts.items()}

    def _converted(self, convert: Convert, text: str) -> Any:
        """What `convert` makes of a cell's `text` (as an empty cell: None), or `_WRONG`
        when it finds a problem with it."""
        scratch = self.scratch
        value = convert(scratch, Node(text or None))
        if scratch.problems:
            scratch.problems.clear()
            return _WRONG
        return value

    def members(self, rows: list[list[str]], lines: list[int]) -> list[Member | None]:
        """Each row's Member, or None where the general reading must make it. Column by
        column: each distinct text converted once, then looked up for every row."""
        made: list[Member | None] = [None] * len(rows)
        if not self.usable:
            return made
        width = self.width
        full = [k for k, row in enumerate(rows) if len(row) >= width]
        count = len(full)
        column: dict[str, list[Any]] = {}
        wrong: set[int] = set()  # (positions in `full`)
        for col, key, convert, known in self.columns:
            texts = [rows[k][col] for k in full]
            bad = set()
            quick = _QUICK.get(key.partition(".")[0])
            for text in set(texts).difference(known):
                cell = text.strip()
                value = quick(cell) if quick and cell else self._converted(convert, cell)
                known[text] = value
                if value is _WRONG:
                    bad.add(text)
            if bad:
                wrong.update(p for p, text in enumerate(texts) if text in bad)
            column[key] = list(map(known.__getitem__, texts))

        def values(key: str) -> Iterable[Any]:
            return column.get(key) or itertools.repeat(self.defaults.get(key), count)

        ids, names = list(values("id")), list(values("name"))
        levels: dict[tuple[Any, ...], Levels] = {}
        level_of = zip(*map(values, LEVELS), strict=True)
        custom = (
            zip(*(values(f"fields.{key}") for key in self.custom), strict=True)
            if self.custom
            else itertools.repeat((), count)
        )
        converted = zip(*map(values, _AS_CONVERTED), strict=True)
        rows_of = zip(full, converted, level_of, custom, strict=False)
        file, sources = self.file, self.sources
        for p, (k, found, given, own) in enumerate(rows_of):
            if p in wrong:
                continue
            member_id = ids[p] or slugify(names[p])
            if not member_id:
                continue
            line = lines[k]
            fields = dict(zip(_AS_CONVERTED, found, strict=True))
            fields.update(
                id=member_id,
                name=names[p] or member_id,
                levels=levels.get(given) or levels.setdefault(given, Levels(*given)),
                fields=dict(zip(self.custom, own, strict=True)),
                source=Location(file, line, 1),
                sources=RowLocations(file, line, sources),
                left=None,  # (a row giving one is left to the general reading)
                pauses=(),
            )
            made[k] = made_from(Member, fields)
        return made


def _conversions(program: Program | None) -> dict[str, Convert]:
    """How `_member` reads each field of a roster row (left and pause: any date at all is
    left to it)."""
    timezone = program.timezone if program else "UTC"
    capacity = program.capacity if program else 1

    def text(key: str) -> Convert:
        return lambda reader, node: reader.text(node, key)

    def strings(key: str) -> Convert:
        return lambda reader, node: reader.strings(node, key)

    def member_id(reader: Reader, node: Node | None) -> Any:
        given = reader.text(node, "id", limit=MAX_NAME)
        return _WRONG if given and not MEMBER_ID_RE.match(given) else given

    def dated(reader: Reader, node: Node | None) -> Any:
        return None if node is None or node.value is None else _WRONG  # (an empty cell)

    return {
        "id": member_id,
        "name": _one_line_name,
        "email": _email,
        "role": lambda reader, node: reader.choice(node, "role", ROLES, "peer"),
        **{key: text(key) for key in ("organization", "department", "manager", "industry")},
        "timezone": lambda reader, node: reader.timezone(node, "timezone", timezone),
        "languages": lambda reader, node: language_codes(
            reader.strings(node, "languages"), node, reader.problems
        ),
        **{key: strings(key) for key in ("goals", "offers", "obstacles", "avoid")},
        "capacity": lambda reader, node: reader.integer(node, "capacity", capacity, 0, 1000),
        "availability": lambda reader, node: _availability(
            reader, node, node.loc if node else Location("")
        ),
        "active": lambda reader, node: reader.boolean(node, "active", True),
        "left": dated,
        "pause": dated,
    }


def _quick_text(cell: str) -> Any:
    return cell if len(cell) <= MAX_TEXT else _WRONG


def _quick_list(cell: str) -> Any:
    return cell_list(cell) if len(cell) <= MAX_TEXT else _WRONG


def _quick_id(cell: str) -> Any:
    return cell if len(cell) <= MAX_NAME and MEMBER_ID_RE.match(cell) else _WRONG


def _quick_name(cell: str) -> Any:
    return cell if len(cell) <= MAX_NAME and len(cell.splitlines()) == 1 else _WRONG


# What `_conversions` makes of a cell's text (stripped, not empty) where no more is asked
# than its length and form, without a Node and a Reader for each of the thousands of
# distinct ids, names and topic lists of a roster: the same value, or _WRONG where a
# conversion would find a problem (the general reading then says which).
_QUICK: dict[str, Callable[[str], Any]] = {
    "id": _quick_id,
    "name": _quick_name,
    **dict.fromkeys(("organization", "department", "manager", "industry", "fields"), _quick_text),
    **dict.fromkeys(("goals", "offers", "obstacles", "avoid"), _quick_list),
}


def _level(key: str) -> Convert:
    return lambda reader, node: reader.integer(node, key, 0, 1, 5) or None


def _custom(key: str) -> Convert:
    return lambda reader, node: reader.text(node, f"fields.{key}")


def _yaml_records(path: Path, program: Program | None, reader: Reader) -> list[Node] | None:
    """members.yaml's entries (under `members:`, or a bare list)."""
    rel = path.name
    spec = program.roster if program else RosterImport()
    if spec.columns or spec.ignore:
        reader.report(
            program.source_of("roster") if program else Location("program.yaml"),
            "roster-column",
            f"roster.columns and roster.ignore name the columns of an export (members.csv "
            f"or members.xlsx); {rel} is read by its keys, so they do nothing",
            "remove them, or use the export itself as the roster",
            "warning",
        )
    node = read_yaml(path, rel, reader.problems)
    if node is None:
        return None
    if isinstance(node.value, dict) and "members" in node.value:
        node = node.value["members"]
    return reader.items(node, "members")


def _members(reader: Reader, made: Iterable[Member | None]) -> list[Member]:
    """The Members made; an id used twice keeps its first member."""
    members: list[Member] = []
    seen: dict[str, Location] = {}
    for member in made:
        if member is None:
            continue
        if member.id in seen:
            reader.report(
                member.source,
                "duplicate-id",
                f"member id '{member.id}' is used twice (first at line {seen[member.id].line})",
                "give one of them its own `id:`",
            )
            continue
        seen[member.id] = member.source
        members.append(member)
    return members
