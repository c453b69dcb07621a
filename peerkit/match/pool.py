"""The members of a round as arrays, so rules and scores are computed a block at a time.

A `Pool` holds, for the members taking part, their timezone offsets, their levels, the
codes of single-valued fields and sparse 0/1 matrices of their list fields (goals,
offers, obstacles, availability, languages...). Both the solver (whole blocks) and
`explain`/`check` (one pair) read rules and scores from these same arrays, so what the
engine decides and what it explains can never disagree.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from peerkit.model import LEVELS, Folder, Member, Program, Round
from peerkit.timeline import earlier_rounds

if TYPE_CHECKING:
    import numpy as np
    from scipy import sparse

# List fields every pool knows (scores use them); rules may add more.
BASE_SETS = ("ground", "goals", "offers", "availability")
# distinct values up to which a set is also kept as bits (a uint64 per member for each 64
# values), and beyond that up to which as a dense matrix. At 200 values, counting what
# 6,666 mentees share with 3,334 mentors took 41 ms in four words' bits, 58 ms as a
# product of dense matrices (one core; BLAS on one thread, as the blocks' threads run it)
BITS_VOCABULARY = 256
DENSE_VOCABULARY = 1024


def look_up(table: Any, row_kinds: Any, col_kinds: Any) -> np.ndarray[Any, Any]:
    """`table[row_kinds[i], col_kinds[j]]` for every (i, j), in row order: a term of
    every pair of a block, read from a small table of the members' kinds."""
    # rows then columns is six times faster than one np.ix_ lookup of both; take() keeps
    # the block in row order (chained indexing leaves it in column order, and every
    # block added to it then walks memory across the rows)
    found: np.ndarray[Any, Any] = table[row_kinds].take(col_kinds, axis=1)
    return found


def normal(text: str) -> str:
    """Values compare without case or surrounding space: 'Food ' is 'food'."""
    return " ".join(text.casefold().split())


def utc_offset(timezone: str, day: dt.date) -> float:
    """Hours east of UTC of an IANA timezone at noon UTC on `day` (DST as on that day)."""
    from zoneinfo import ZoneInfo

    moment = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    offset = moment.astimezone(ZoneInfo(timezone or "UTC")).utcoffset()
    return offset.total_seconds() / 3600 if offset is not None else 0.0


def round_start(folder: Folder, name: str, start: dt.date | None = None) -> dt.date | None:
    """The start of round `name`: `start` when given, else its file's; None for a new round
    with no start yet (every existing round is then earlier)."""
    if start is not None:
        return start
    found = folder.round(name)
    return found.start or folder.program.start if found else None


def previous_partners(
    folder: Folder,
    current: str,
    start: dt.date | None = None,
    continuing: Iterable[Sequence[str]] = (),
) -> dict[str, set[str]]:
    """Who was matched with whom in the rounds that started before round `current`, by
    start date, never by name. Members of a `continuing` match (one a `--fill` round keeps
    from the round before) do not count as repeating each other."""
    begins = round_start(folder, current, start)
    if begins is None:
        earlier: Iterable[Round] = (r for r in folder.rounds if r.name != current)
    else:
        earlier = earlier_rounds(folder, Round(current, (), start=begins))
    group_of: dict[str, set[int]] = {}
    for k, group in enumerate(continuing):
        for member in group:
            group_of.setdefault(member, set()).add(k)
    partners: dict[str, set[str]] = {}
    for round_ in earlier:
        for match in round_.matches:
            for member in match.members:
                mine = group_of.get(member, set())
                partners.setdefault(member, set()).update(
                    o for o in match.members if o != member and not mine & group_of.get(o, set())
                )
    return partners


@dataclass
class SetRows:
    """A 0/1 matrix by rows (CSR without its data): member i holds the value codes
    `indices[indptr[i]:indptr[i + 1]]`, ascending. scipy is only imported for `csr()`,
    which products over a large vocabulary need."""

    indptr: np.ndarray[Any, Any]
    indices: np.ndarray[Any, Any]
    shape: tuple[int, int]
    _csr: sparse.csr_matrix | None = None

    def csr(self) -> sparse.csr_matrix:
        if self._csr is None:
            import numpy as np
            from scipy import sparse

            data = np.ones(len(self.indices), dtype=np.float32)
            self._csr = sparse.csr_matrix((data, self.indices, self.indptr), shape=self.shape)
        return self._csr

    def dense(self) -> np.ndarray[Any, Any]:
        import numpy as np

        matrix = np.zeros(self.shape, dtype=np.float32)
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))
        matrix[rows, self.indices] = 1
        return matrix


@dataclass
class Pool:
    """The members of one round, indexed 0..n-1, as arrays."""

    program: Program
    members: list[Member]
    index: dict[str, int]
    offsets: np.ndarray[Any, Any]
    levels: np.ndarray[Any, Any]  # (n, 3) floats, NaN where unknown
    sets: dict[str, SetRows] = field(default_factory=dict)
    sizes: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    vocab: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)  # -1: empty
    # Sets of at most BITS_VOCABULARY values as a (words, n) uint64 array: member i's
    # value k is bit k % 64 of word k // 64. The values two share are counted in the bits
    # of an `and`, word by word, in less time than a product takes.
    bits: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    # Dense float32 copies of sets of up to 1,024 values: products of those run on BLAS.
    dense: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    # i -> {j: rule}: pairs forbidden one by one (own manager, avoid, earlier rounds).
    forbidden: dict[int, dict[int, str]] = field(default_factory=dict)
    # (n, 96) float32 0/1: the quarter-hour starts (program timezone) at which each member
    # can meet on every meeting day of the round (`peerkit.match.slots`); `slot_day` is the
    # first of those days
    slots: np.ndarray[Any, Any] | None = None
    slot_day: dt.date | None = None
    # the distinct rows of `slots` and each member's row among them
    slot_kinds: np.ndarray[Any, Any] | None = None
    slot_kind: np.ndarray[Any, Any] | None = None
    # the first common start of a set of slot kinds (`peerkit.match.score.common_start`)
    starts: dict[tuple[int, ...], str] = field(default_factory=dict)
    # each member's values of a list field, as `items` gives them, made on its first call
    listed: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    # the members of a role (`with_role`), made on its first call
    by_role: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    # each member's value of a field as `text` gives it, made on its first call
    texts: dict[str, list[str]] = field(default_factory=dict)
    # the distinct rows of `levels` and of `offsets`, and each member's (see `kinds`)
    distinct: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = field(
        default_factory=dict
    )
    # a term of every pair of kinds (`peerkit.match.score`), made on a block's first ask
    tables: dict[tuple[str, bool, bool], np.ndarray[Any, Any]] = field(default_factory=dict)
    # by `directed`: the terms that are tables of kinds, folded into one table of the
    # combined kinds (`peerkit.match.score.folded_terms`); None where they are not
    folded: dict[
        bool, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], tuple[str, ...]] | None
    ] = field(default_factory=dict)

    def common_slots(self, rows: Any, cols: Any) -> np.ndarray[Any, Any]:
        """How many meeting starts each (row, col) pair shares (0: no common slot)."""
        assert self.slots is not None
        if (
            self.slot_kinds is not None
            and self.slot_kind is not None
            and len(self.slot_kinds) <= 64
        ):
            # few kinds of member (timezone x availability): look the pairs up
            table = self.slot_kinds @ self.slot_kinds.T
            return look_up(table, self.slot_kind[rows], self.slot_kind[cols])
        product: np.ndarray[Any, Any] = self.slots[rows] @ self.slots[cols].T
        return product

    def kinds(
        self, name: Literal["levels", "offsets"]
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """The distinct values of `levels` or `offsets` (rows of them) and each member's
        index among them: a term of two members' levels or zones is a small table of kinds
        looked up, where computing it for every pair of a block is many full passes."""
        found = self.distinct.get(name)
        if found is None:
            import numpy as np

            values = self.levels if name == "levels" else self.offsets
            # NaN (a level not given) is never equal to itself: key on a stand-in
            first, inverse = distinct_rows(np.nan_to_num(values, nan=-1.0))
            found = self.distinct[name] = (values[first], inverse)
        return found

    @property
    def size(self) -> int:
        return len(self.members)

    @cached_property
    def roles(self) -> list[str]:
        """Each member's role (a round's matches ask thousands of times)."""
        return [m.role for m in self.members]

    def with_role(self, role: str) -> np.ndarray[Any, Any]:
        """The members of `role`, in the pool's order (made once: every member left
        unmatched asks for the other role's)."""
        found = self.by_role.get(role)
        if found is None:
            import numpy as np

            found = self.by_role[role] = np.flatnonzero(np.array(self.roles) == role)
        return found

    def items(self, name: str, i: int) -> tuple[str, ...]:
        """The (normalised) values of list field `name` of member i (every member's made
        at once: a match's reasons ask for thousands, and numpy is slow one by one)."""
        found = self.listed.get(name)
        if found is None:
            matrix, words = self.sets[name], self.vocab[name]
            spelled = [words[k] for k in matrix.indices.tolist()]
            found = self.listed[name] = [
                tuple(spelled[a:b]) for a, b in itertools.pairwise(matrix.indptr.tolist())
            ]
        return found[i]

    def text(self, name: str, i: int) -> str:
        """Field `name` of member i as text (every member's made on the first call)."""
        found = self.texts.get(name)
        if found is None:
            values = [m.value(name) for m in self.members]
            found = self.texts[name] = [", ".join(v) if isinstance(v, tuple) else v for v in values]
        return found[i]


def _columns(members: Sequence[Member], names: Iterable[str]) -> dict[str, list[Any]]:
    """Each field of `names` for every member, as `Member.value` gives it (and the common
    ground: goals then obstacles), read a field at a time: a round asks for tens of
    thousands of values."""
    custom = set().union(*(m.fields for m in members))
    columns: dict[str, list[Any]] = {}
    for name in names:
        if name == "ground":
            columns[name] = [(*m.goals, *m.obstacles) for m in members]
        elif name in custom or name in LEVELS:
            columns[name] = [m.value(name) for m in members]
        else:
            values = (
                list(map(operator.attrgetter(name), members))
                if name in Member.__dataclass_fields__
                else [getattr(m, name, "") for m in members]
            )
            if not set(map(type, values)) <= {str, tuple}:  # (None: an optional field unset)
                values = [v if isinstance(v, str | tuple) else "" for v in values]
            columns[name] = values
    return columns


def _list_fields(columns: dict[str, list[Any]]) -> set[str]:
    """Fields holding lists (a set matrix each); the others hold one value (a code each)."""
    return {
        name
        for name, values in columns.items()
        if name in BASE_SETS or any(isinstance(v, tuple) for v in values)
    }


def build_pool(
    folder: Folder,
    members: Sequence[Member],
    round_name: str,
    start: dt.date | None = None,
    continuing: Iterable[Sequence[str]] = (),
) -> Pool:
    """The arrays of `members` for rules and scores, with the pairs forbidden one by one,
    as of the round's start (`start`, else its file's; see `previous_partners`)."""
    import numpy as np

    program = folder.program
    members = list(members)
    index = {m.id: i for i, m in enumerate(members)}
    day = round_start(folder, round_name, start) or program.start
    zone_offsets = {z: utc_offset(z, day) for z in {m.timezone for m in members}}
    offsets = np.array([zone_offsets[m.timezone] for m in members], dtype=float)
    pool = Pool(program, members, index, offsets, _levels(members))
    _add_slots(pool, day)
    rules = program.matching.rules
    fields = {*rules.not_same, *rules.share_one_of, *program.matching.diversity} - {"manager"}
    columns = _columns(members, [*BASE_SETS, *sorted(fields), "manager"])
    list_fields = _list_fields({k: v for k, v in columns.items() if k != "manager"})
    if rules.availability_overlap:
        list_fields.add("availability")
    normals: dict[str, str] = {}  # each distinct text normalised once
    _add_sets(pool, {name: columns[name] for name in sorted(list_fields)}, normals)
    _add_codes(
        pool, {name: columns[name] for name in sorted(columns.keys() - list_fields)}, normals
    )
    _forbid_pairs(pool, folder, round_name, start, continuing)
    return pool


def _levels(members: Sequence[Member]) -> Any:
    """Each member's levels (knowledge, experience…) as a row, NaN where not given."""
    import numpy as np

    get = operator.attrgetter(*LEVELS)
    # (None, a level not given, becomes NaN)
    return np.array([get(m.levels) for m in members], dtype=float).reshape(-1, len(LEVELS))


def _add_slots(pool: Pool, day: dt.date) -> None:
    """The weekly slots each member can meet in, on the round's first meeting day."""
    import numpy as np

    from peerkit.match.slots import mask, meeting_days

    days = meeting_days(pool.program, day)
    pool.slot_day = days[0]
    kinds, kind = mask(pool.program, pool.members, days)
    pool.slot_kinds, pool.slot_kind = kinds.astype(np.float32), kind
    pool.slots = pool.slot_kinds[kind]


def _normal(text: str, normals: dict[str, str]) -> str:
    found = normals.get(text)
    if found is None:
        found = normals[text] = normal(text)
    return found


def _add_sets(pool: Pool, columns: dict[str, list[Any]], normals: dict[str, str]) -> None:
    """Every list field (goals, offers, languages…) as rows of codes. Goals, offers and the
    common ground share one vocabulary so they can be compared. A value's code is its
    place of first use, reading the members in order and each one's values sorted."""
    made: dict[str, tuple[Any, Any, dict[str, int]]] = {}
    topics: dict[str, int] = {}
    for name, values in columns.items():
        words: dict[str, int] = topics if name in ("ground", "goals", "offers") else {}
        rows, cols = _coded(values, words, normals)
        made[name] = (rows, cols, words)
    for name, (rows, cols, words) in made.items():
        _add_set(pool, name, rows, cols, words)


def sorted_distinct(values: Any) -> np.ndarray[Any, Any]:
    """The distinct integers of a 1-d array, sorted: `np.unique` without the masked-array
    check whose first call imports numpy.ma (12 ms of a command)."""
    import numpy as np

    ordered = np.sort(np.asarray(values).ravel())
    keep = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    found: np.ndarray[Any, Any] = ordered[keep]
    return found


def distinct_rows(values: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Where each distinct row of a 2-d array first is, the distinct rows in sorted order,
    and each row's place among them: `np.unique(values, axis=0, return_index=True,
    return_inverse=True)` without its sort of whole rows (a tenth of the time); a 1-d
    array's items are its rows. Each column is coded by its sorted distinct values, and
    the codes make one integer per row."""
    import numpy as np

    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    count = len(values)
    key = np.zeros(count, dtype=np.int64)
    span = 1
    for column in values.T:
        distinct, code = np.unique(column, return_inverse=True)
        span *= max(len(distinct), 1)
        if span >= 2**62:  # (never for the few kinds of member this is for)
            _, first, inverse = np.unique(values, axis=0, return_index=True, return_inverse=True)
            return first, inverse.reshape(-1)
        key = key * len(distinct) + code.reshape(-1)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.ones(count, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    inverse = np.empty(count, dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return order[starts], inverse


def _coded(values: list[Any], words: dict[str, int], normals: dict[str, str]) -> tuple[Any, Any]:
    """(member, code) of each distinct normal value of each member, by member and then
    value; values new to `words` get the next codes in that order."""
    import numpy as np

    lists = (
        values
        if set(map(type, values)) <= {tuple}
        else [v if isinstance(v, tuple) else (v,) if v else () for v in values]
    )
    flat = list(itertools.chain.from_iterable(lists))
    spelled = {text: _normal(text, normals) for text in set(flat)}
    vocabulary = sorted(set(spelled.values()) - {""})
    width = max(len(vocabulary), 1)
    rank = {word: k for k, word in enumerate(vocabulary)}  # a value's place, sorted
    of_text = {text: rank.get(word, -1) for text, word in spelled.items()}
    ranks = np.fromiter(map(of_text.__getitem__, flat), dtype=np.int64, count=len(flat))
    owners = np.repeat(np.arange(len(lists)), list(map(len, lists)))
    kept = ranks >= 0
    pairs = sorted_distinct(owners[kept] * width + ranks[kept])  # by member, then value
    rows, ranked = pairs // width, pairs % width
    used, first = np.unique(ranked, return_index=True)
    for k in used[np.argsort(first, kind="stable")].tolist():
        words.setdefault(vocabulary[k], len(words))
    code = np.array([words.get(word, -1) for word in vocabulary], dtype=np.int64)
    return rows, code[ranked]


def _add_set(pool: Pool, name: str, rows: Any, cols: Any, words: dict[str, int]) -> None:
    import numpy as np

    n = len(pool.members)
    width = max(len(words), 1)
    counts = np.bincount(np.asarray(rows, dtype=np.int64), minlength=n)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    # rows come in member order; within a member, codes ascending (as csr sorts them)
    key = np.asarray(rows, dtype=np.int64) * width + np.asarray(cols, dtype=np.int64)
    indices = (np.sort(key) % width).astype(np.int32)
    matrix = SetRows(indptr, indices, (n, width))
    pool.sets[name] = matrix
    pool.sizes[name] = counts.astype(np.float32)
    if width <= BITS_VOCABULARY:
        codes = np.asarray(cols, dtype=np.uint64)
        bits = np.zeros(((width + 63) // 64, n), dtype=np.uint64)
        one = np.left_shift(np.uint64(1), codes % np.uint64(64))
        np.bitwise_or.at(
            bits, ((codes // np.uint64(64)).astype(np.int64), np.asarray(rows, dtype=np.int64)), one
        )
        pool.bits[name] = bits
    elif width <= DENSE_VOCABULARY:
        pool.dense[name] = matrix.dense()
    pool.vocab[name] = sorted(words, key=words.__getitem__)


def _add_codes(pool: Pool, columns: dict[str, list[Any]], normals: dict[str, str]) -> None:
    """Every single-valued field (department, manager…) as one code per member, -1 empty."""
    import numpy as np

    for name, values in columns.items():
        codes: dict[str, int] = {}
        # each distinct value spelled once (a column of 10,000 holds few)
        spelled = {
            v: _normal(", ".join(v) if isinstance(v, tuple) else v, normals) for v in set(values)
        }
        texts = list(map(spelled.__getitem__, values))
        pool.codes[name] = np.array(
            [codes.setdefault(v, len(codes)) if v else -1 for v in texts], dtype=np.int64
        )


def _forbid_pairs(
    pool: Pool,
    folder: Folder,
    round_name: str,
    start: dt.date | None,
    continuing: Iterable[Sequence[str]],
) -> None:
    def forbid(a: str, b: str, rule: str) -> None:
        i, j = pool.index.get(a), pool.index.get(b)
        if i is None or j is None or i == j:
            return
        pool.forbidden.setdefault(i, {}).setdefault(j, rule)
        pool.forbidden.setdefault(j, {}).setdefault(i, rule)

    for member in pool.members:
        if member.manager:
            forbid(member.id, member.manager, "own_manager")
        for other in member.avoid:
            forbid(member.id, other, "avoid")
    if pool.program.matching.rules.no_repeat:
        earlier = previous_partners(folder, round_name, start, continuing)
        for member_id, partners in sorted(earlier.items()):
            for other in sorted(partners):
                forbid(member_id, other, "no_repeat")
