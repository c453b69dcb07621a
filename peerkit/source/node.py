"""The located value tree every reader makes: a Node holds a value read from a file (text,
None, a list or a mapping of Nodes) and where it was written."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from peerkit.model import Location, Problem

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


class _Places(Mapping[str, Location]):
    """Where each of a mapping's keys was written, each Location made when asked for (a
    member's `sources` has one per field and few are ever pointed at)."""

    __slots__ = ("_by_key",)

    _by_key: Mapping[str, object]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def __repr__(self) -> str:
        return repr(dict(self))

    def __reduce__(self) -> tuple[type[dict[str, Location]], tuple[dict[str, Location]]]:
        return dict, (dict(self),)  # copied or pickled: a plain dict of Locations


class Locations(_Places):
    """Where each of `nodes` was written."""

    __slots__ = ("_nodes",)

    def __init__(self, nodes: Mapping[str, Node]) -> None:
        self._by_key = self._nodes = nodes

    def __getitem__(self, key: str) -> Location:
        return self._nodes[key].loc


class RowLocations(_Places):
    """Where each field of a table's row was written: the row's line and each field's
    column (`cols`, shared by the rows of one table)."""

    __slots__ = ("_cols", "_file", "_line")

    def __init__(self, file: str, line: int, cols: Mapping[str, int]) -> None:
        self._file, self._line = file, line
        self._by_key = self._cols = cols

    def __getitem__(self, key: str) -> Location:
        return Location(self._file, self._line, self._cols[key])


def problem_at(file: str, line: int, col: int, code: str, message: str, hint: str = "") -> Problem:
    """An error at a line and column of `file` (0, 0: the whole file)."""
    return Problem(Location(file, line, col), code, message, hint)
