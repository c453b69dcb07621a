"""The soft score: six terms, each between 0 and 1 before its weight.

- common_ground: shared goals and obstacles (Jaccard), not just the same industry;
- goals_offers: the share of one member's goals the other offers (mentoring: the
  mentee's goals against the mentor's offers; peers: the mean of both directions);
- levels: complementary knowledge/experience/authority (mentoring: how far the mentor is
  above the mentee; peers: how far apart they are), on the 1-5 scale;
- timezone: 1 when the same UTC offset, 0 at 12 hours or more apart;
- availability: 1 when the two share a meeting slot inside both their hours
  (`meetings.hours`, local) and availability on the meeting day (`peerkit.match.slots`);
- diversity: the share of `matching.diversity` fields on which the two differ.

A pair's score is the weighted sum; with default weights it lies between 0 and 10.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from peerkit.match.pool import Pool, distinct_rows, look_up
from peerkit.model import DEFAULT_WEIGHTS

if TYPE_CHECKING:
    import numpy as np

TERMS: tuple[str, ...] = tuple(DEFAULT_WEIGHTS)
# combined kinds (levels x offset x weekly slots) up to which those terms are one table
# (1,024: 8 MB of float64)
FOLDED_KINDS = 1024
Array = Any


def weights(pool: Pool) -> dict[str, float]:
    given = pool.program.matching.weights
    return {term: float(given.get(term, DEFAULT_WEIGHTS[term])) for term in TERMS}


def shared(pool: Pool, a: str, b: str, rows: Array, cols: Array) -> Array:
    """How many values list field `a` of each row shares with field `b` of each col (a
    numeric array: small integers, float or not)."""
    if a in pool.bits and b in pool.bits:
        import numpy as np

        # each 64 values of a set are one integer: the values two share are the 1 bits
        # of the words' `and`s
        left, right = pool.bits[a][:, rows], pool.bits[b][:, cols]
        common = left[0][:, None] & right[0][None, :]
        if len(left) == 1:
            return np.bitwise_count(common)
        count = np.bitwise_count(common).astype(np.uint16)  # (up to 256: past uint8)
        counted = np.empty(common.shape, dtype=np.uint8)
        for word in range(1, len(left)):
            np.bitwise_and(left[word][:, None], right[word][None, :], out=common)
            count += np.bitwise_count(common, out=counted)
        return count
    if a in pool.dense and b in pool.dense:
        product: Array = pool.dense[a][rows] @ pool.dense[b][cols].T
        return product
    return (pool.sets[a].csr()[rows] @ pool.sets[b].csr()[cols].T).toarray()


def _jaccard(pool: Pool, name: str, rows: Array, cols: Array) -> Array:
    import numpy as np

    sizes = pool.sizes[name]
    if not sizes.any():
        return np.zeros((len(rows), len(cols)), dtype=np.float32)
    inter = shared(pool, name, name, rows, cols)
    union = np.add.outer(sizes[rows], sizes[cols])
    union -= inter
    if not (sizes[rows].all() or sizes[cols].all()):
        # Where the union is empty so is the intersection: 0 / 1 is 0.
        np.maximum(union, 1, out=union)
    np.divide(inter, union, out=union)
    return union


def _inverse(values: Array) -> Array:
    import numpy as np

    return np.where(values > 0, 1 / np.maximum(values, 1), 0).astype(np.float32)


def terms_block(
    pool: Pool,
    rows: Array,
    cols: Array,
    directed: bool = False,
    only: Sequence[str] = TERMS,
) -> dict[str, np.ndarray[Any, Any]]:
    """Each term, unweighted (0..1), for every (row, col) pair; `directed`: rows are
    mentees and cols mentors. `only` skips the terms not asked for."""
    import numpy as np

    rows, cols = np.asarray(rows), np.asarray(cols)
    # in the order of _TERM_BLOCKS: score_block adds them up in this order
    return {
        term: block(pool, rows, cols, directed)
        for term, block in _TERM_BLOCKS.items()
        if term in only
    }


def _ground_block(pool: Pool, rows: Array, cols: Array, directed: bool) -> Array:
    return _jaccard(pool, "ground", rows, cols)


def _goals_block(pool: Pool, rows: Array, cols: Array, directed: bool) -> Array:
    """The share of one's goals the other offers (both ways, averaged, unless directed)."""
    import numpy as np

    inverse = _inverse(pool.sizes["goals"])
    met = np.multiply(shared(pool, "goals", "offers", rows, cols), inverse[rows][:, None])
    if not directed:
        back = np.multiply(shared(pool, "offers", "goals", rows, cols), inverse[cols][None, :])
        met += back
        met *= 0.5
    return met


def _levels_block(pool: Pool, rows: Array, cols: Array, directed: bool) -> Array:
    """How far apart the levels are (directed: only the mentor above counts), over the
    levels both gave, 0..1: each pair of kinds of levels once, then looked up."""
    import numpy as np

    levels, kind = pool.kinds("levels")
    everyone = not np.isnan(levels).any() or (
        not np.isnan(pool.levels[rows]).any() and not np.isnan(pool.levels[cols]).any()
    )
    key = ("levels", directed, everyone)
    table = pool.tables.get(key)
    if table is None:
        table = pool.tables[key] = _levels_table(levels, directed, everyone)
    return look_up(table, kind[rows], kind[cols])


def _levels_table(levels: Array, directed: bool, everyone: bool) -> Array:
    """The levels term of every pair of rows of `levels` (row i the mentee when
    `directed`); `everyone`: no level of the block is unknown (the usual case: no masks)."""
    import numpy as np

    shape = (len(levels), len(levels))
    known = ~np.isnan(levels)
    value = np.nan_to_num(levels).astype(np.float32)
    total = np.zeros(shape, dtype=np.float32)
    diff = np.empty(shape, dtype=np.float32)
    for k in range(value.shape[1]):
        np.subtract(value[None, :, k], value[:, k, None], out=diff)
        if directed:
            np.maximum(diff, 0, out=diff)
        else:
            np.abs(diff, out=diff)
        if not everyone:
            diff *= known[:, k, None] & known[None, :, k]
        total += diff
    if everyone:
        total *= np.float32(1 / (4 * value.shape[1]))
        return total
    count = known.astype(np.float32) @ known.T.astype(np.float32)
    return total / (4 * np.maximum(count, 1))


def _timezone_block(pool: Pool, rows: Array, cols: Array, directed: bool) -> Array:
    """1 in the same zone, 0 twelve hours or more apart."""
    zones, kind = pool.kinds("offsets")  # each pair of offsets once, then looked up
    gap = pool.tables.get(("timezone", False, False))
    if gap is None:
        gap = pool.tables["timezone", False, False] = _timezone_table(zones)
    return look_up(gap, kind[rows], kind[cols])


def _timezone_table(zones: Array) -> Array:
    import numpy as np

    offsets = zones.astype(np.float32)
    gap = np.subtract.outer(offsets, offsets)
    np.abs(gap, out=gap)
    np.minimum(gap, 12, out=gap)
    gap /= 12
    np.subtract(1, gap, out=gap)
    return gap


def _availability_block(pool: Pool, rows: Array, cols: Array, directed: bool) -> Array:
    import numpy as np

    return (pool.common_slots(rows, cols) > 0).astype(np.float32)


def _diversity_block(pool: Pool, rows: Array, cols: Array, directed: bool) -> Array:
    """The share of matching.diversity fields on which the two differ (both given)."""
    import numpy as np

    fields = pool.program.matching.diversity
    differ = np.zeros((len(rows), len(cols)), dtype=np.float32)
    for name in fields:
        if name in pool.sets:
            sizes = pool.sizes[name]
            both = (sizes[rows][:, None] > 0) & (sizes[cols][None, :] > 0)
            differ += both & (shared(pool, name, name, rows, cols) == 0)
        elif name in pool.codes:
            x, y = pool.codes[name][rows], pool.codes[name][cols]
            apart = x[:, None] != y[None, :]
            if (x < 0).any() or (y < 0).any():
                apart &= (x[:, None] >= 0) & (y[None, :] >= 0)
            differ += apart
    if len(fields) > 1:
        differ /= len(fields)
    return differ


_TERM_BLOCKS: dict[str, Callable[[Pool, Array, Array, bool], Array]] = {
    "common_ground": _ground_block,
    "goals_offers": _goals_block,
    "levels": _levels_block,
    "timezone": _timezone_block,
    "availability": _availability_block,
    "diversity": _diversity_block,
}


def score_block(pool: Pool, rows: Array, cols: Array, directed: bool = False) -> Array:
    """The weighted score of every (row, col) pair (float64: the terms' weighted sum, in
    the order of TERMS; those of `folded_terms` first, as one)."""
    import numpy as np

    weight = weights(pool)
    used = [term for term in TERMS if weight[term]]
    folded = folded_terms(pool, directed)
    if folded is not None:
        table, kind, held = folded
        used = [term for term in used if term not in held]
    terms = list(terms_block(pool, rows, cols, directed, used).items())
    for term, values in terms:
        if weight[term] != 1:  # x * 1.0 is x
            values *= weight[term]  # in place: what `weight * values` gives
    if folded is not None:
        summed = look_up(table, kind[rows], kind[cols])
        for _, values in terms:
            summed += values
        return summed
    if not terms:
        return np.zeros((len(rows), len(cols)))
    if len(terms) == 1:
        return terms[0][1].astype(np.float64)  # 0.0 + x is x
    # the first two added in float64 in one pass (what float64(a) + b gives), then the rest
    total: Array = np.add(terms[0][1], terms[1][1], dtype=np.float64)
    for _, values in terms[2:]:
        total += values
    return total


def folded_terms(pool: Pool, directed: bool) -> tuple[Array, Array, tuple[str, ...]] | None:
    """The weighted terms that are a small table of two members' kinds (levels, timezone,
    and availability when there are few kinds of weekly slots), summed in one table of
    their combined kinds: (the float64 table, each member's kind, the terms it holds).
    Scoring then looks up once where it looked up each; None when fewer than two of
    those terms count or their kinds combine into more than FOLDED_KINDS."""
    if directed in pool.folded:
        return pool.folded[directed]
    import numpy as np

    weight = weights(pool)
    parts: list[tuple[str, Array, Array]] = []  # (term, table, each member's kind)
    if weight["levels"]:
        levels, kind = pool.kinds("levels")
        parts.append(("levels", _levels_table(levels, directed, not np.isnan(levels).any()), kind))
    if weight["timezone"]:
        zones, kind = pool.kinds("offsets")
        parts.append(("timezone", _timezone_table(zones), kind))
    slots, slot_kind = pool.slot_kinds, pool.slot_kind
    if weight["availability"] and slots is not None and slot_kind is not None and len(slots) <= 64:
        parts.append(("availability", (slots @ slots.T > 0).astype(np.float32), slot_kind))
    found = None
    if len(parts) > 1:
        codes = np.stack([kind for _, _, kind in parts], axis=1)
        first, kind = distinct_rows(codes)
        distinct = codes[first]
        if len(distinct) <= FOLDED_KINDS:
            table = np.zeros((len(distinct), len(distinct)))
            for column, (term, part, _) in enumerate(parts):
                k = distinct[:, column]
                values = part[k[:, None], k[None, :]]
                if weight[term] != 1:
                    values *= weight[term]  # in float32, as score_block weighs a term
                table += values
            found = (table, kind.reshape(-1), tuple(term for term, _, _ in parts))
    pool.folded[directed] = found
    return found


def pair_terms(pool: Pool, i: int, j: int, directed: bool = False) -> dict[str, float]:
    """The weighted terms of one pair (i the mentee when `directed`)."""
    import numpy as np

    weight = weights(pool)
    terms = terms_block(pool, np.array([i]), np.array([j]), directed)
    return {term: weight[term] * float(terms[term][0, 0]) for term in TERMS}


def pair_reasons(pool: Pool, i: int, j: int, directed: bool = False) -> dict[str, str]:
    """Each term of a pair in words (left out when the term adds nothing)."""
    said = {term: pair_reason(pool, term, i, j, directed) for term in TERMS}
    return {term: text for term, text in said.items() if text}


def pair_reason(pool: Pool, term: str, i: int, j: int, directed: bool = False) -> str:
    """One term of a pair in words (empty when it adds nothing)."""
    return _REASONS[term](pool, i, j, directed)


def _ground_reason(pool: Pool, i: int, j: int, directed: bool) -> str:
    shared = sorted(set(pool.items("ground", i)).intersection(pool.items("ground", j)))
    return f"common ground: {', '.join(shared)}" if shared else ""


def _goals_reason(pool: Pool, i: int, j: int, directed: bool) -> str:
    a, b = pool.members[i].id, pool.members[j].id
    met = sorted(set(pool.items("goals", i)).intersection(pool.items("offers", j)))
    back = (
        []
        if directed
        else sorted(set(pool.items("goals", j)).intersection(pool.items("offers", i)))
    )
    parts = []
    if met:
        parts.append(f"{b} offers {', '.join(met)} to {a}")
    if back:
        parts.append(f"{a} offers {', '.join(back)} to {b}")
    return "; ".join(parts)


def _levels_reason(pool: Pool, i: int, j: int, directed: bool) -> str:
    a, b = pool.members[i], pool.members[j]
    levels = []
    for name in ("knowledge", "experience", "authority"):
        x, y = a.levels.get(name), b.levels.get(name)
        # mentoring counts a level where the mentor is above, peers one where they differ
        if x is not None and y is not None and (y > x if directed else x != y):
            # say whose level is whose: `mentor knowledge 5, mentee 2` (i is the mentee)
            levels.append(
                f"mentor {name} {y}, mentee {x}" if directed else f"{name} {a.id} {x}, {b.id} {y}"
            )
    return f"complementary levels ({'; '.join(levels)})" if levels else ""


def _timezone_reason(pool: Pool, i: int, j: int, directed: bool) -> str:
    gap = abs(pool.offsets.item(i) - pool.offsets.item(j))
    return "same time zone offset" if gap == 0 else f"{gap:g}h apart"


def _availability_reason(pool: Pool, i: int, j: int, directed: bool) -> str:
    common = common_start(pool, [i, j])
    return f"both can meet from {common} inside their hours" if common else ""


def _diversity_reason(pool: Pool, i: int, j: int, directed: bool) -> str:
    differ = []
    for name in pool.program.matching.diversity:
        first, second = pool.text(name, i), pool.text(name, j)
        if first and second and first.casefold() != second.casefold():
            differ.append(f"{name} {first} / {second}")
    return f"different {'; '.join(differ)}" if differ else ""


_REASONS: dict[str, Callable[[Pool, int, int, bool], str]] = {
    "common_ground": _ground_reason,
    "goals_offers": _goals_reason,
    "levels": _levels_reason,
    "timezone": _timezone_reason,
    "availability": _availability_reason,
    "diversity": _diversity_reason,
}


def common_start(pool: Pool, members: Sequence[int]) -> str:
    """The first start (nearest meetings.time) every one of `members` can meet at, as
    `10:00 America/New_York`; empty when they share none."""
    if pool.slots is None:
        return ""
    if pool.slot_kind is not None and pool.slot_kinds is not None:
        # members of one kind (timezone x availability) share their slots: one look each
        kinds = tuple(sorted({int(pool.slot_kind[i]) for i in members}))
        found = pool.starts.get(kinds)
        if found is None:
            found = pool.starts[kinds] = _first_start(pool, pool.slot_kinds[list(kinds)])
        return found
    return _first_start(pool, pool.slots[list(members)])


def _first_start(pool: Pool, slots: Array) -> str:
    import numpy as np

    from peerkit.match.slots import order_from

    common = np.logical_and.reduce(slots > 0, axis=0)
    if not common.any():
        return ""
    time = pool.program.meetings.time
    for minute in order_from(time.hour * 60 + time.minute):
        if common[minute // 15]:
            return f"{minute // 60:02d}:{minute % 60:02d} {pool.program.timezone}"
    return ""


def edge_terms(
    pool: Pool, rows: Array, cols: Array, directed: bool = False, chunk: int = 128
) -> dict[str, np.ndarray[Any, Any]]:
    """The weighted terms of the pairs (rows[k], cols[k]), a chunk at a time: each chunk's
    block of every row with every col, of which the diagonal is kept (128: the blocks'
    waste and their number balance; 6,666 pairs take 12 ms, 21 ms at 256)."""
    import numpy as np

    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    weight = weights(pool)
    out = {term: np.zeros(len(rows)) for term in TERMS}
    for start in range(0, len(rows), chunk):
        r, c = rows[start : start + chunk], cols[start : start + chunk]
        block = terms_block(pool, r, c, directed)
        for term in TERMS:
            out[term][start : start + len(r)] = weight[term] * np.diagonal(block[term])
    return out
