"""Reading files safely into located values: YAML as a tree, CSV and XLSX as a grid.

Nothing read here is ever evaluated. YAML scalars stay the text that was written (`no`
stays "no", `2027-13-40` stays a string) until `load` coerces them against the schema, so
a wrong value becomes a Problem with its line instead of a crash.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from peerkit.model import Location, Problem

MAX_YAML_BYTES = 10 * 1024 * 1024
MAX_TABLE_BYTES = 200 * 1024 * 1024
# An anchor/alias graph may expand to at most this many times its own size.
MAX_ALIAS_EXPANSION = 10
NULLS = frozenset({"", "~", "null", "Null", "NULL"})

YamlValue = str | None | list["Node"] | dict[str, "Node"]


NO_KEYS: Mapping[str, Location] = MappingProxyType({})


class Node:
    """A value read from a file, with where it was written.

    `value` is a str, None, a list of Nodes or a dict of Nodes; `keys` gives, for a
    mapping, where each key was written (for unknown-key messages). A plain class with
    slots: a large export makes millions of these. Where it was written is kept as
    numbers and made a Location only when asked for (`loc`, `keys`): most values are
    never pointed at, and a Location per value was a third of reading a large roster.
    """

    __slots__ = ("_col", "_file", "_key_at", "_keys", "_line", "_loc", "value")

    def __init__(
        self,
        value: YamlValue,
        loc: Location | None = None,
        keys: Mapping[str, Location] = NO_KEYS,
        file: str = "",
        line: int = 0,
        col: int = 0,
        key_at: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        self.value = value
        self._loc = loc
        self._keys = keys
        self._file = file
        self._line = line
        self._col = col
        self._key_at = key_at  # key → (line, col), made into `keys` when asked for

    @property
    def loc(self) -> Location:
        loc = self._loc
        if loc is None:
            loc = self._loc = Location(self._file, self._line, self._col)
        return loc

    @property
    def keys(self) -> Mapping[str, Location]:
        if self._key_at is not None:
            file = self._file
            self._keys = {k: Location(file, *at) for k, at in self._key_at.items()}
            self._key_at = None
        return self._keys

    def key_names(self) -> Iterable[str]:
        """The keys of `keys`, without making their Locations."""
        return self._key_at if self._key_at is not None else self._keys

    def placed_like(self, value: YamlValue, keys: Mapping[str, Location] = NO_KEYS) -> Node:
        """A node for `value` written where this one was."""
        return Node(value, self._loc, keys, self._file, self._line, self._col)

    def __repr__(self) -> str:
        return f"Node({self.value!r}, {self.loc})"

    @property
    def is_scalar(self) -> bool:
        return self.value is None or isinstance(self.value, str)


class Locations(Mapping[str, Location]):
    """Where each of `nodes` was written, each Location made when asked for: a member's
    `sources` has one per field and few are ever pointed at."""

    __slots__ = ("_nodes",)

    def __init__(self, nodes: Mapping[str, Node]) -> None:
        self._nodes = nodes

    def __getitem__(self, key: str) -> Location:
        return self._nodes[key].loc

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __repr__(self) -> str:
        return repr(dict(self))

    def __reduce__(self) -> tuple[type[dict[str, Location]], tuple[dict[str, Location]]]:
        return dict, (dict(self),)  # copied or pickled: a plain dict of Locations


def _problem(file: str, line: int, col: int, code: str, message: str, hint: str = "") -> Problem:
    return Problem(Location(file, line, col), code, message, hint)


def decode_text(data: bytes, rel: str, problems: list[Problem], *, legacy_ok: bool) -> str | None:
    """Bytes to text: UTF-8 (BOM or not), UTF-16 with a BOM, or Windows-1252 when allowed."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            problems.append(_problem(rel, 1, 1, "encoding", "the file is not valid UTF-16 text"))
            return None
    nul = data.find(b"\x00", 0, 65536)
    if nul >= 0:
        problems.append(
            _problem(
                rel,
                data[:nul].count(b"\n") + 1,
                nul - (data.rfind(b"\n", 0, nul) + 1) + 1,
                "binary",
                "this is not a text file (it contains NUL bytes)",
                "export it again as CSV (UTF-8) or save it as plain text",
            )
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if legacy_ok:
            return _decode_lines(data, rel, problems)
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            _problem(
                rel,
                line,
                1,
                "encoding",
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x})",
                "save it as UTF-8 (in Excel: 'CSV UTF-8'; in an editor: 'Save with encoding')",
            )
        )
        return None


def _decode_legacy(line: bytes) -> str:
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return line.decode("latin-1")


def _decode_lines(data: bytes, rel: str, problems: list[Problem]) -> str:
    """Text that is not UTF-8 throughout: each line UTF-8 where it can be, else Windows-1252.

    A file that mixes the two (rows pasted from two tools) gets a warning naming the first
    line that is not UTF-8; a file that is Windows-1252 throughout is read without one."""
    lines = data.split(b"\n")
    texts: list[str] = []
    first_bad = 0
    utf8_non_ascii = False
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            utf8_non_ascii = utf8_non_ascii or not line.isascii()
        except UnicodeDecodeError:
            text = _decode_legacy(line)
            first_bad = first_bad or number
        texts.append(text)
    if utf8_non_ascii and first_bad:
        problems.append(
            Problem(
                Location(rel, first_bad, 1),
                "encoding",
                f"the file mixes encodings: line {first_bad} is not UTF-8 while others are; "
                "it is read as Windows-1252, so some letters may be wrong",
                "export the file again as CSV (UTF-8), or re-save it with one encoding",
                "warning",
            )
        )
    return "\n".join(texts)


def _check_tabs(text: str, rel: str, problems: list[Problem]) -> bool:
    found = False
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(
                _problem(
                    rel,
                    number,
                    indent.index("\t") + 1,
                    "tab",
                    "a tab is used for indentation; YAML allows only spaces",
                    "replace the tab with spaces",
                )
            )
            found = True
    return found


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded (memoised, no recursion)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if children_done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _unique_size(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
    return len(seen)


MAX_YAML_DEPTH = 64


def _too_deep(root: yaml.Node, start: int = 1) -> yaml.Node | None:
    """The first node nested deeper than MAX_YAML_DEPTH (iterative: no recursion limit);
    `root` is at depth `start`."""
    stack: list[tuple[yaml.Node, int]] = [(root, start)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > MAX_YAML_DEPTH:
            return node
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            stack.extend((n, depth + 1) for pair in reversed(node.value) for n in reversed(pair))
    return None


class _TooDeep(Exception):
    """The first node nested deeper than MAX_YAML_DEPTH, found while converting."""

    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def _convert(
    node: yaml.Node,
    rel: str,
    memo: dict[int, Node] | None,
    problems: list[Problem] | None = None,
    depth: int = 1,
) -> Node:
    """A composed YAML node as a Node tree, depth-first in file order, as `_too_deep`
    walks it: a node nested too deep raises _TooDeep with the node `_too_deep` finds.
    `memo` (for a file with aliases) converts a shared node once."""
    if depth > MAX_YAML_DEPTH:
        raise _TooDeep(node)
    if memo is not None and id(node) in memo:
        return memo[id(node)]
    if isinstance(node, _SCALAR):
        result = _scalar(node, rel)
    elif isinstance(node, _SEQUENCE):
        items = [
            _scalar(item, rel)
            if type(item) is _SCALAR and memo is None and depth < MAX_YAML_DEPTH
            else _convert(item, rel, memo, problems, depth + 1)
            for item in node.value
        ]
        mark = node.start_mark
        result = Node(items, None, NO_KEYS, rel, mark.line + 1, mark.column + 1)
    else:
        result = _convert_mapping(node, rel, memo, problems, depth)
    if memo is not None:
        memo[id(node)] = result
    return result


_SCALAR, _SEQUENCE = yaml.ScalarNode, yaml.SequenceNode


def _scalar(node: yaml.ScalarNode, rel: str) -> Node:
    text = str(node.value)
    mark = node.start_mark
    value = None if node.style is None and text in NULLS else text
    return Node(value, None, NO_KEYS, rel, mark.line + 1, mark.column + 1)


def _convert_mapping(
    node: yaml.Node,
    rel: str,
    memo: dict[int, Node] | None,
    problems: list[Problem] | None,
    depth: int,
) -> Node:
    mapping: dict[str, Node] = {}
    key_at: dict[str, tuple[int, int]] = {}
    merged: list[Node] = []
    shared = memo is not None
    for key_node, value_node in node.value:
        if depth >= MAX_YAML_DEPTH:
            raise _TooDeep(key_node)
        scalar_key = isinstance(key_node, _SCALAR)
        if not scalar_key:
            deep = _too_deep(key_node, depth + 1)
            if deep is not None:
                raise _TooDeep(deep)
        key = str(key_node.value) if scalar_key else ""
        if type(value_node) is _SCALAR and not shared:
            converted = _scalar(value_node, rel)
        else:
            converted = _convert(value_node, rel, memo, problems, depth + 1)
        if key == "<<" and scalar_key and key_node.style is None:
            merged.extend(converted.value if isinstance(converted.value, list) else [converted])
            continue
        mark = key_node.start_mark
        if key in key_at and problems is not None:
            shown = key if len(key) <= 60 else key[:57] + "..."
            problems.append(
                _problem(
                    rel,
                    mark.line + 1,
                    mark.column + 1,
                    "duplicate-key",
                    f"the key '{shown}' is given twice here (first on line {key_at[key][0]}); "
                    "only one value can count",
                    "delete one of the two, or merge their values",
                )
            )
            continue
        mapping[key] = converted
        key_at[key] = (mark.line + 1, mark.column + 1)
    for base in merged:
        if isinstance(base.value, dict):
            for key, value_node in base.value.items():
                mapping.setdefault(key, value_node)
                if key not in key_at:
                    loc = base.keys.get(key, base.loc)
                    key_at[key] = (loc.line, loc.col)
    mark = node.start_mark
    return Node(mapping, None, NO_KEYS, rel, mark.line + 1, mark.column + 1, key_at)


_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """A safe loader that leaves every scalar untyped: `load` coerces against the schema."""

    def resolve(self, kind: type[yaml.Node], value: object, implicit: object) -> str:
        if kind is yaml.ScalarNode:
            return "tag:yaml.org,2002:str"
        if kind is yaml.SequenceNode:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"


def _too_deep_problem(rel: str, node: yaml.Node) -> Problem:
    return _problem(
        rel,
        node.start_mark.line + 1,
        node.start_mark.column + 1,
        "yaml-depth",
        f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep here",
        "write the values flatter; no peerkit file needs such nesting",
    )


def parse_yaml(text: str, rel: str, problems: list[Problem]) -> Node | None:
    """YAML text to a Node tree; syntax errors, tabs and alias bombs become Problems."""
    if _check_tabs(text, rel, problems):
        return None
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = str(exc.problem or exc.context or "invalid YAML").strip()
        problems.append(
            _problem(
                rel,
                line,
                col,
                "yaml-syntax",
                f"YAML syntax error: {message}",
                "check the indentation and quoting on this line and the one above",
            )
        )
        return None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        problems.append(
            _problem(
                rel,
                line,
                col,
                "yaml-syntax",
                f"the file holds the control character U+{char:04X}, which YAML does not allow",
                "delete it (it is invisible in most editors), or retype the value",
            )
        )
        return None
    except RecursionError:
        problems.append(_problem(rel, 1, 1, "yaml-depth", "the YAML is nested too deeply"))
        return None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        problems.append(_problem(rel, 1, 1, "yaml-syntax", f"YAML could not be read: {first}"))
        return None
    if root is None:
        return Node(None, Location(rel, 1, 1))
    if "*" not in text:
        # No alias: no node is shared, so the depth is checked while converting.
        reported = len(problems)
        try:
            return _convert(root, rel, None, problems)
        except _TooDeep as exc:
            del problems[reported:]
            problems.append(_too_deep_problem(rel, exc.node))
            return None
        except RecursionError:
            problems.append(_problem(rel, 1, 1, "yaml-depth", "the YAML is nested too deeply"))
            return None
    deep = _too_deep(root)
    if deep is not None:
        problems.append(_too_deep_problem(rel, deep))
        return None
    try:
        if _expanded_size(root) > MAX_ALIAS_EXPANSION * _unique_size(root) + 10_000:
            problems.append(
                _problem(
                    rel,
                    1,
                    1,
                    "yaml-aliases",
                    "anchors and aliases expand this file to far more values than it contains",
                    "write the values out instead of nesting aliases inside aliases",
                )
            )
            return None
        return _convert(root, rel, {}, problems)
    except RecursionError:
        problems.append(_problem(rel, 1, 1, "yaml-depth", "the YAML is nested too deeply"))
        return None


def read_bytes(path: Path, rel: str, problems: list[Problem], limit: int) -> bytes | None:
    try:
        size = path.stat().st_size
        if size > limit:
            problems.append(
                _problem(
                    rel,
                    0,
                    0,
                    "too-large",
                    f"the file is {size / 1e6:.0f} MB; peerkit reads at most {limit / 1e6:.0f} MB",
                    "for a large roster use members.csv, which has no such limit",
                )
            )
            return None
        return path.read_bytes()
    except OSError as exc:
        problems.append(_problem(rel, 0, 0, "unreadable", f"cannot read the file: {exc.strerror}"))
        return None


def read_yaml(path: Path, rel: str, problems: list[Problem]) -> Node | None:
    """Read a YAML file into a Node tree, or None with the reason in `problems`."""
    data = read_bytes(path, rel, problems, MAX_YAML_BYTES)
    if data is None:
        return None
    text = decode_text(data, rel, problems, legacy_ok=False)
    if text is None:
        return None
    return parse_yaml(text, rel, problems)


# --- tables: CSV and XLSX -------------------------------------------------------------


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header line, counting only what is outside quotes."""
    first = _QUOTED.sub("", text[:65536]).split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


_SEPARATOR_LINE = re.compile(r'"?sep=(.)"?[ \t]*(?:\r\n|\r|\n|$)', re.IGNORECASE)


def _separator_line(text: str) -> tuple[str, int]:
    """Excel's `sep=;` first line: the delimiter it declares, and its length to skip."""
    found = _SEPARATOR_LINE.match(text)
    if found is None or found.group(1) in '\r\n"':
        return "", 0
    return found.group(1), found.end()


def _too_many_rows(rel: str, line: int, max_rows: int) -> Problem:
    return _problem(
        rel,
        line,
        1,
        "too-many-rows",
        f"the file has more than {max_rows:,} rows; peerkit reads at most {max_rows:,}",
        "split it, e.g. one program folder per cohort",
    )


class Table:
    """A CSV or XLSX sheet as text: each row's cells, and the file line each row starts on.

    Plain strings, no Node per cell: a large export has millions of cells, and most are
    never pointed at. `nodes()` makes the located grid for the readers that want one.
    """

    __slots__ = ("file", "lines", "rows")

    def __init__(self, file: str, rows: list[list[str]], lines: list[int]) -> None:
        self.file = file
        self.rows = rows
        self.lines = lines

    def nodes(self) -> list[list[Node]]:
        """Each cell as a Node with its file, line and column."""
        file = self.file
        return [
            [Node(cell, None, NO_KEYS, file, line, col) for col, cell in enumerate(row, start=1)]
            for row, line in zip(self.rows, self.lines, strict=True)
        ]


def _parse_csv(text: str, rel: str, problems: list[Problem], max_rows: int) -> Table | None:
    old_limit = csv.field_size_limit()
    csv.field_size_limit(64 * 1024 * 1024)
    declared, skipped = _separator_line(text)
    text = text[skipped:]
    try:
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=declared or _sniff_delimiter(text)
        )
        rows: list[list[str]] = []
        lines: list[int] = []
        first = 2 if skipped else 1  # the line numbers of the file, `sep=` line included
        line = first
        for row in reader:
            if len(rows) > max_rows:
                problems.append(_too_many_rows(rel, line, max_rows))
                return None
            rows.append(row)
            lines.append(line)
            line = reader.line_num + first
        return Table(rel, rows, lines)
    except csv.Error as exc:
        problems.append(_problem(rel, line, 1, "csv", f"the CSV cannot be read: {exc}"))
        return None
    finally:
        csv.field_size_limit(old_limit)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time(0) else value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _parse_xlsx(
    path: Path, rel: str, problems: list[Problem], max_rows: int, sheet_names: tuple[str, ...]
) -> Table | None:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        problems.append(
            _problem(
                rel,
                0,
                0,
                "xlsx",
                f"this is not a readable XLSX workbook ({exc.__class__.__name__})",
                "open it in a spreadsheet program and save it again as .xlsx, or export CSV",
            )
        )
        return None
    except Exception as exc:  # openpyxl on a damaged file can raise anything
        problems.append(_damaged(rel, exc))
        return None
    try:
        return _read_sheet(book, rel, problems, max_rows, sheet_names)
    except Exception as exc:  # a truncated sheet fails only while it is read
        problems.append(_damaged(rel, exc))
        return None
    finally:
        book.close()


def _damaged(rel: str, exc: BaseException) -> Problem:
    detail = (str(exc).splitlines() or [""])[0][:100]
    return _problem(
        rel,
        0,
        0,
        "xlsx",
        f"the workbook is damaged and cannot be read ({exc.__class__.__name__}"
        + (f": {detail})" if detail else ")"),
        "download or export it again (a partial download is cut short), "
        "or open it in a spreadsheet program and save it again as .xlsx",
    )


def _read_sheet(
    book: Any, rel: str, problems: list[Problem], max_rows: int, sheet_names: tuple[str, ...]
) -> Table | None:
    if not book.worksheets:
        problems.append(_problem(rel, 0, 0, "xlsx", "the workbook has no sheet", "export it again"))
        return None
    named = [ws for ws in book.worksheets if ws.title.strip().lower() in sheet_names]
    sheet = (named or book.worksheets)[0]
    if len(book.worksheets) > 1 and not named:
        problems.append(
            Problem(
                Location(rel),
                "xlsx-sheet",
                f"the workbook has {len(book.worksheets)} sheets; peerkit reads the "
                f"first, '{sheet.title}'",
                f"name the sheet to read '{sheet_names[0]}'" if sheet_names else "",
                "warning",
            )
        )
    rows: list[list[str]] = []
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > max_rows + 1:
            problems.append(_too_many_rows(rel, number, max_rows))
            return None
        rows.append([_cell_text(value) for value in row])
    return Table(rel, rows, list(range(1, len(rows) + 1)))


def read_table(
    path: Path,
    rel: str,
    problems: list[Problem],
    max_rows: int = 1_000_000,
    sheet_names: tuple[str, ...] = (),
) -> Table | None:
    """A CSV or XLSX file as rows of text, with the line each row starts on.

    In a workbook, the first sheet whose name is in `sheet_names` (lower case) is read,
    else the first sheet (with a warning when there are others)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _parse_xlsx(path, rel, problems, max_rows, sheet_names)
    data = read_bytes(path, rel, problems, MAX_TABLE_BYTES)
    if data is None:
        return None
    if data.startswith(b"PK\x03\x04"):
        problems.append(
            _problem(
                rel,
                0,
                0,
                "csv",
                "this file is a spreadsheet workbook, not CSV text",
                "rename it to .xlsx, or export it from the spreadsheet as CSV",
            )
        )
        return None
    text = decode_text(data, rel, problems, legacy_ok=True)
    if text is None:
        return None
    return _parse_csv(text, rel, problems, max_rows)


def read_grid(
    path: Path,
    rel: str,
    problems: list[Problem],
    max_rows: int = 1_000_000,
    sheet_names: tuple[str, ...] = (),
) -> list[list[Node]] | None:
    """A CSV or XLSX file as rows of cells (each a Node holding text and its row/column),
    as `read_table` reads it."""
    table = read_table(path, rel, problems, max_rows, sheet_names)
    return None if table is None else table.nodes()


def duplicate_columns(
    header: list[Node], problems: list[Problem], key: Callable[[str], str] | None = None
) -> set[int]:
    """Report each header cell that repeats an earlier one (compared by `key` of the
    stripped text, case-insensitively by default); their indexes come back, to skip."""
    fold = key or (lambda text: text.casefold())
    first: dict[str, Location] = {}
    repeated: set[int] = set()
    for index, cell in enumerate(header):
        text = str(cell.value or "").strip()
        if not text:
            continue
        name = fold(text)
        if name in first:
            shown = text if len(text) <= 60 else text[:57] + "..."
            problems.append(
                Problem(
                    cell.loc,
                    "duplicate-column",
                    f"the column '{shown}' is given twice (first in column {first[name].col}); "
                    "only one can count",
                    "delete or rename one of the two columns",
                )
            )
            repeated.add(index)
        else:
            first[name] = cell.loc
    return repeated


def grid_records(
    grid: list[list[Node]],
    header_row: int = 0,
    problems: list[Problem] | None = None,
    column_key: Callable[[str], str] | None = None,
) -> list[Node]:
    """Rows under a header row as mapping Nodes keyed by the (stripped) header text.

    Blank rows are skipped; `keys` holds where each header cell is. With `problems`, a
    column given twice is reported there (and only its first copy is read).
    """
    if len(grid) <= header_row:
        return []
    header = [str(cell.value or "").strip() for cell in grid[header_row]]
    if problems is not None:
        for index in duplicate_columns(grid[header_row], problems, column_key):
            header[index] = ""
    header_locs = {name: cell.loc for name, cell in zip(header, grid[header_row], strict=True)}
    records: list[Node] = []
    for row in grid[header_row + 1 :]:
        if all(not (cell.value or "").strip() for cell in row if isinstance(cell.value, str)):
            continue
        values: dict[str, Node] = {}
        for name, cell in zip(header, row, strict=False):
            if name:
                value = cell.value
                text = str(value or "").strip()
                # a cell already as read back (most are) is its own node
                values[name] = cell if text and text == value else cell.placed_like(text or None)
        where = row[0] if row else Node(None, Location(""))
        records.append(where.placed_like(values, dict(header_locs)))
    return records
