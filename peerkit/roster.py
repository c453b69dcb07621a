"""The roster as HR systems export it: mapped columns, their dates and languages, and people.

`roster:` in program.yaml says how an export's columns map onto member fields (`columns:`),
which to skip (`ignore:`) and how its dates are written (`date_format:`). This module turns
the export's header into member fields, rewrites its dates and languages into the forms the
loader reads (ISO dates, ISO 639-1 codes), and finds what only the whole roster shows: one
person entered twice, ids that differ only in case, managers outside the program, and the
same problem repeated down a column.

Functions here take a list of Problems to add to (the loader's Reader is above them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path

from peerkit.model import LEVELS, Location, Member, Problem, RosterImport, folded_column
from peerkit.source import Node, parse_yaml
from peerkit.validate import closest, suggest

# A member id: any stable code of letters, digits, `-`, `_` and `.` (`E1001`, `ana-r`).
MEMBER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
ROSTER_KEYS = ("columns", "ignore", "date_format")
_ISO_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_SLASHED = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")
_LIST_SEPARATORS = re.compile(r"[,;/|]")


def _problem(
    loc: Location | None, code: str, message: str, hint: str = "", severity: str = "error"
) -> Problem:
    return Problem(loc, code, message, hint, "warning" if severity == "warning" else "error")


# --- roster: in program.yaml ----------------------------------------------------------


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
            _problem(
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
            problems.append(_problem(loc, "unknown-key", f"unknown key 'roster.{name}'", hint))
    entries = node.value
    columns, written = _columns(entries.get("columns"), problems, member_keys)
    ignore: set[str] = set()
    for item in _texts(entries.get("ignore"), "roster.ignore", problems):
        name = folded_column(str(item.value))
        if name in columns:
            problems.append(
                _problem(
                    item.loc,
                    "roster-column",
                    f"roster.ignore: '{item.value}' is also mapped in roster.columns",
                    "keep it in only one of the two",
                )
            )
            continue
        ignore.add(name)
        written.setdefault(name, str(item.value))
    return RosterImport(
        columns=columns,
        ignore=frozenset(ignore),
        date_format=_date_format(entries.get("date_format"), problems),
        written=written,
    )


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
                problems.append(_problem(item.loc, "type", f"{key}: expected a column name"))
        return found
    problems.append(_problem(node.loc, "type", f"{key}: expected a list of column names"))
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
            _problem(
                node.loc,
                "type",
                'roster.columns: expected a mapping of `"Export column": field` lines',
                'write e.g. columns: {"Employee ID": id, "Office": fields.site}',
            )
        )
        return columns, written
    targets: dict[str, str] = {}  # field key → the column mapped to it first
    for header, target in node.value.items():
        loc = target.loc
        key = target.value.strip() if isinstance(target.value, str) else ""
        if not key:
            problems.append(
                _problem(
                    loc,
                    "roster-column",
                    f"roster.columns: '{header}' is mapped to nothing",
                    "give the member field it holds, e.g. email, or fields.NAME for your own",
                )
            )
            continue
        if not key.startswith("fields."):  # `fields.Site` keeps its case, as in a header
            key = key.casefold()
        if not _is_field(key, member_keys):
            known = field_keys(member_keys)
            close = closest(key, known)
            problems.append(
                _problem(
                    loc,
                    "roster-column",
                    f"roster.columns: '{header}' is mapped to '{key}', which is no member field",
                    (f"did you mean '{close}'? " if close else "")
                    + f"use one of: {', '.join(known)}; "
                    + f"or `fields.{_field_name(header)}` to keep it as your own field",
                )
            )
            continue
        same = targets.get(_target_key(key))
        if same is not None:
            problems.append(
                _problem(
                    loc,
                    "roster-column",
                    f"roster.columns: '{header}' and '{same}' are both mapped to {key}; "
                    "a member has one value there",
                    "map only one of them; list the other in `roster.ignore`",
                )
            )
            continue
        targets[_target_key(key)] = header
        columns[folded_column(header)] = key
        written[folded_column(header)] = header
    return columns, written


def _target_key(key: str) -> str:
    """Field keys that name one member field alike: `knowledge` is `levels.knowledge`."""
    if key.startswith("fields."):
        return "fields." + key.removeprefix("fields.").strip().casefold()
    return key.removeprefix("levels.")


def _field_name(header: str) -> str:
    name = re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_")
    return name or "name"


def _date_format(node: Node | None, problems: list[Problem]) -> str:
    if node is None or not isinstance(node.value, str) or not node.value.strip():
        return ""
    text = node.value.strip()
    sample = dt.date(2027, 5, 14)
    try:
        # The format must write a date and read it back whole: day, month and year.
        ok = dt.datetime.strptime(sample.strftime(text), text).date() == sample  # noqa: DTZ007
    except ValueError:
        ok = False
    if not ok:
        problems.append(
            _problem(
                node.loc,
                "date-format",
                f"roster.date_format: '{text}' is not a date format with a day, month and year",
                "write it with %d (day), %m (month) and %Y (year), e.g. '%m/%d/%Y' for "
                "5/14/2027 or '%d.%m.%Y' for 14.05.2027",
            )
        )
        return ""
    return text


# --- the header of a CSV or XLSX roster -----------------------------------------------


def _plain_key(header: str) -> str:
    """A header as the loader names it (`Knowledge` → `knowledge`, `fields.Site` kept)."""
    text = header.strip()
    if text.casefold().startswith("fields."):
        return "fields." + text[len("fields.") :].strip()
    return text.lower().replace(" ", "_")


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
    present: set[str] = set()
    unknown: list[Problem] = []
    unknown_names: list[str] = []
    for cell in header:
        text = str(cell.value or "").strip()
        name = folded_column(text)
        present.add(name)
        key = ""
        if not text or name in spec.ignore:
            key = ""
        elif name in spec.columns:
            key = spec.columns[name]
        elif _is_member_column(_plain_key(text), member_keys):
            key = _plain_key(text)
        else:
            unknown.append(_unknown_column(cell.loc, text, member_keys))
            unknown_names.append(text)
        if key:
            target = _target_key(key.casefold() if not key.startswith("fields.") else key)
            if target in first:
                problems.append(_second_column(cell.loc, text, key, *first[target]))
                key = ""
            else:
                first[target] = (text, cell.loc)
        renamed.append(Node(key, cell.loc))
    if len(unknown) > 1:
        block = _roster_block(unknown_names, spec, member_keys)
        top = unknown[0]
        unknown[0] = Problem(
            top.source,
            top.code,
            top.message,
            f"{top.hint}. For all {len(unknown)} unknown columns at once, start from this in "
            f"program.yaml (then check each field): {block}",
            top.severity,
        )
    problems.extend(unknown)
    for name in sorted((set(spec.columns) | spec.ignore) - present):
        shown = spec.written.get(name, name)
        where = "roster.columns" if name in spec.columns else "roster.ignore"
        problems.append(
            _problem(
                Location("program.yaml"),
                "roster-column",
                f"{where}: {rel} has no column '{shown}'",
                "check the spelling against the first row of the roster "
                f"(its columns: {', '.join(str(c.value) for c in header if c.value)[:300]})",
                "warning",
            )
        )
    return renamed


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
    return closest(_plain_key(text), field_keys(member_keys), cutoff=0.75)


def _unknown_column(loc: Location, text: str, member_keys: Sequence[str]) -> Problem:
    shown = text if len(text) <= 60 else text[:57] + "..."
    close = _nearest_field(text, member_keys)
    name = _field_name(text)
    hint = (
        (f"did you mean '{close}'? " if close else "")
        + f'map it to a member field in program.yaml: `roster: {{columns: {{"{shown}": '
        + f"{close or 'FIELD'}}}}}`; to keep it as your own field, map it to `fields.{name}` "
        + f"(or rename the column fields.{name}); to skip it: "
        + f'`roster: {{ignore: ["{shown}"]}}`'
    )
    return _problem(loc, "unknown-key", f"unknown column '{shown}'", hint)


def _roster_block(names: Sequence[str], spec: RosterImport, member_keys: Sequence[str]) -> str:
    """A `roster:` entry mapping each column to its probable field (the rest ignored), with
    what program.yaml maps already, to paste and check."""
    columns = {spec.written.get(name, name): key for name, key in spec.columns.items()}
    ignore = [spec.written.get(name, name) for name in sorted(spec.ignore)]
    taken = {_target_key(key) for key in columns.values()}
    for text in names:
        guess = _nearest_field(text, member_keys)
        if guess is not None and _target_key(guess) not in taken:
            columns[text] = guess
            taken.add(_target_key(guess))
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
        return _problem(
            loc,
            "duplicate-column",
            f"the column '{text[:60]}' is given twice (first in column {other_loc.col}); "
            "only one can count",
            "delete or rename one of the two columns",
        )
    return _problem(
        loc,
        "duplicate-column",
        f"the columns '{other[:60]}' (column {other_loc.col}) and '{text[:60]}' both give "
        f"{key}; only one can count",
        f'list one of them in program.yaml\'s `roster: {{ignore: ["{text[:60]}"]}}`, '
        "or map it to another field",
    )


# --- values of one record -------------------------------------------------------------


def prepared_record(record: Node, spec: RosterImport, problems: list[Problem]) -> Node:
    """A roster record with its dates written as ISO dates (`left`, `pause`), so the loader
    reads an export's `5/14/2027` as `roster.date_format` says; a date in neither form is
    an error naming both."""
    # (a table's columns are named by their fields already; a YAML key is `left` or unknown)
    if not isinstance(record.value, dict) or not (
        "left" in record.value or "pause" in record.value
    ):
        return record
    values = dict(record.value)
    if "left" in values:
        values["left"] = _iso_date(values["left"], "left", spec.date_format, problems)
    if "pause" in values:
        values["pause"] = _iso_pause(values["pause"], spec.date_format, problems)
    return Node(values, record.loc, record.keys)


def _iso_date(node: Node, key: str, date_format: str, problems: list[Problem]) -> Node:
    if not isinstance(node.value, str):
        return node
    text = node.value.strip()
    if not text or _ISO_LIKE.match(text):
        return node  # the loader judges ISO dates (and says why 2027-13-40 is none)
    if date_format:
        try:
            day = dt.datetime.strptime(text, date_format).date()  # noqa: DTZ007
        except ValueError:
            pass
        else:
            return Node(day.isoformat(), node.loc)
    example = dt.date(2027, 5, 14)
    if date_format:
        message = (
            f"{key}: '{text[:40]}' is not a date in YYYY-MM-DD or in roster.date_format "
            f"'{date_format}' (e.g. {example.strftime(date_format)})"
        )
        hint = "write it like the other dates of the roster, or as 2027-05-14"
    else:
        message = f"{key}: '{text[:40]}' is not a date in YYYY-MM-DD"
        guess = _guess_format(text)
        hint = (
            f"write it as YYYY-MM-DD, or say how the export writes dates in program.yaml: "
            f"`roster: {{date_format: '{guess or '%m/%d/%Y'}'}}`"
        )
    problems.append(_problem(node.loc, "date", message, hint))
    return Node(None, node.loc)


def _guess_format(text: str) -> str:
    """The strptime format a slashed date is probably in (`14/5/2027` is day first)."""
    match = _SLASHED.match(text)
    if match is None:
        return ""
    first, sep, second = int(match.group(1)), match.group(2), int(match.group(3))
    if first > 12 >= second:
        return f"%d{sep}%m{sep}%Y"
    return f"%m{sep}%d{sep}%Y" if sep == "/" else f"%d{sep}%m{sep}%Y"


def _iso_pause(node: Node, date_format: str, problems: list[Problem]) -> Node:
    if isinstance(node.value, str) and ".." in node.value:
        begin, _, until = node.value.partition("..")
        parts = [
            _iso_date(Node(part.strip(), node.loc), key, date_format, problems)
            for part, key in ((begin, "pause.from"), (until, "pause.until"))
        ]
        if any(part.value is None for part in parts):
            return Node(None, node.loc)
        return Node(f"{parts[0].value}..{parts[1].value}", node.loc)
    if isinstance(node.value, dict):
        values = dict(node.value)
        for key, child in node.value.items():
            if key in ("from", "until"):
                values[key] = _iso_date(child, f"pause.{key}", date_format, problems)
        return Node(values, node.loc, node.keys)
    if isinstance(node.value, list):
        return Node([_iso_pause(item, date_format, problems) for item in node.value], node.loc)
    return node


# --- languages ------------------------------------------------------------------------


@cache
def language_names() -> Mapping[str, str]:
    """Every word peerkit knows for a language (lower case) → its ISO 639-1 code."""
    problems: list[Problem] = []
    path = Path(__file__).parent / "languages.yaml"
    node = parse_yaml(path.read_text(encoding="utf-8"), "peerkit/languages.yaml", problems)
    if node is None or problems or not isinstance(node.value, dict):  # pragma: no cover
        msg = f"shipped languages.yaml is broken: {problems}"
        raise RuntimeError(msg)
    names: dict[str, str] = {}
    for code, words in node.value.items():
        names[code] = code
        for word in words.value if isinstance(words.value, list) else []:
            names.setdefault(str(word.value).casefold(), code)
    return names


@lru_cache(maxsize=4096)  # a roster writes a few languages many times
def language_code(text: str) -> str | None:
    """`English`, `EN`, `en-US`, `eng`, `Deutsch`, `中文` → the ISO 639-1 code (None if unknown)."""
    names = language_names()
    word = " ".join(re.sub(r"\(.*?\)", " ", text).split()).casefold()
    if word in names:
        return names[word]
    primary = re.split(r"[-_\s]", word, maxsplit=1)[0]
    if primary in names and re.fullmatch(r"[a-z]{2,3}([-_][a-z0-9]{2,8})+", word):
        return names[primary]  # a tag with a region or script: en-US, pt_BR, zh-Hans
    return None


def language_codes(
    written: Iterable[str], node: Node | None, problems: list[Problem]
) -> tuple[str, ...]:
    """A member's languages as ISO 639-1 codes, in order, once each; `,` and `;` both
    separate. An unknown one is a warning with a suggestion, and is kept as written."""
    codes: list[str] = []
    for item in written:
        for part in _LIST_SEPARATORS.split(item):
            text = part.strip()
            if not text:
                continue
            code = language_code(text)
            if code is None:
                code = text.casefold()
                hint = suggest(
                    code,
                    language_names(),
                    "write an ISO 639-1 code such as en, de or pt, or the language's name",
                )
                close = closest(code, language_names())
                if close is not None:
                    hint = f"did you mean '{close}' ({language_names()[close]})?"
                problems.append(
                    _problem(
                        node.loc if node is not None else None,
                        "language",
                        f"languages: '{text[:40]}' is not a language peerkit knows; it only "
                        "matches members who wrote the same",
                        hint,
                        "warning",
                    )
                )
            if code not in codes:
                codes.append(code)
    return tuple(codes)


# --- the whole roster -----------------------------------------------------------------


def _row(member: Member) -> str:
    loc = member.source
    return f"{loc.file}:{loc.line}" if loc.line else loc.file


def same_people(members: Sequence[Member], problems: list[Problem]) -> None:
    """One person entered twice: ids that differ only in case, the same email (in any case),
    or the same name in the same organization. Each is an error naming both rows."""
    by_id: dict[str, Member] = {}
    by_email: dict[str, Member] = {}
    by_name: dict[tuple[str, str], Member] = {}
    for member in members:
        folded = member.id.casefold()
        other = by_id.setdefault(folded, member)
        if other is not member and other.id != member.id:
            problems.append(
                _problem(
                    member.source_of("id"),
                    "duplicate-id",
                    f"member ids '{member.id}' ({_row(member)}) and '{other.id}' "
                    f"({_row(other)}) differ only in case",
                    "ids keep their case but must differ in more than case (file names and "
                    "lookups ignore it): if it is one person, delete one row; if two, give "
                    "one of them another id",
                )
            )
            continue
        email = member.email.casefold()
        if email:
            other = by_email.setdefault(email, member)
            if other is not member:
                problems.append(
                    _problem(
                        member.source_of("email"),
                        "duplicate-person",
                        f"{member.id} ({_row(member)}) has the same email as {other.id} "
                        f"({_row(other)}): {member.email}",
                        "one person is entered twice: delete one of the rows (keep the id "
                        "rounds already use); if they are two people, fix the email",
                    )
                )
                continue
        name = " ".join(member.name.split()).casefold()
        if not name:
            continue
        key = (name, " ".join(member.organization.split()).casefold())
        other = by_name.setdefault(key, member)
        if other is member:
            continue
        org = f" in {member.organization}" if member.organization else ""
        both_emails = member.email and other.email
        problems.append(
            _problem(
                member.source_of("name"),
                "duplicate-person",
                f"{member.id} ({_row(member)}) and {other.id} ({_row(other)}) are both "
                f"'{member.name}'{org}" + (", with different emails" if both_emails else ""),
                "if they are one person, delete one of the rows; if they are two, nothing "
                "is wrong (add the department, or a middle initial, to tell them apart)"
                if both_emails
                else "one person is entered twice: delete one of the rows (keep the id rounds "
                "already use); if they are two people, give each an email",
                "warning" if both_emails else "error",
            )
        )


def member_reference_hint(ref: str, ids: Mapping[str, str]) -> str:
    """The hint for an id that is no member's: the id in its stored case, when only the case
    differs (`ids` maps folded ids to stored ones); empty otherwise."""
    stored = ids.get(ref.casefold())
    if stored is None or stored == ref:
        return ""
    return f"ids keep their case: write '{stored}'"


def outside_managers(
    members: Sequence[Member], problems: list[Problem], kept_apart: bool = False
) -> None:
    """Managers named in the roster who are not members: fine (a participants-only roster),
    said once. One who is a member written in another case is an error, since "not their own
    manager" would then not apply."""
    ids = {m.id for m in members}
    folded = {m.id.casefold(): m.id for m in members}
    outside: dict[str, list[Member]] = {}
    for member in members:
        manager = member.manager
        if not manager or manager in ids:
            continue
        hint = member_reference_hint(manager, folded)
        if hint:
            problems.append(
                _problem(
                    member.source_of("manager"),
                    "unknown-member",
                    f"{member.id}: manager '{manager}' is no member's id, but "
                    f"'{folded[manager.casefold()]}' is",
                    hint,
                )
            )
            continue
        outside.setdefault(manager, []).append(member)
    if not outside:
        return
    names = sorted(outside, key=lambda name: (-len(outside[name]), name))
    shown = ", ".join(f"{name} ({len(outside[name])})" for name in names[:10])
    if len(names) > 10:
        shown += f" and {len(names) - 10} more"
    first = min((m for group in outside.values() for m in group), key=lambda m: m.source)
    problems.append(
        _problem(
            first.source_of("manager"),
            "outside-manager",
            f"{len(names)} manager(s) named in the roster are not members: {shown}; "
            + (
                "`not_same: [manager]` still keeps apart members who share one"
                if kept_apart
                else "members who share one may be matched (unless matching.rules.not_same "
                "lists manager)"
            ),
            "nothing to do for a roster of participants only; if one of them should be a "
            "member, check the id in the manager column",
            "warning",
        )
    )
