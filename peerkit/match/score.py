"""The soft score: six terms, each between 0 and 1 before its weight.

- common_ground: shared goals and obstacles (Jaccard), not just the same industry;
- goals_offers: the share of one member's goals the other offers (mentoring: the
  mentee's goals against the mentor's offers; peers: the mean of both directions);
- levels: complementary knowledge/experience/authority (mentoring: how far the mentor is
  above the mentee; peers: how far apart they are), on the 1-5 scale;
- timezone: 1 when the same UTC offset, 0 at 12 hours or more apart;
- availability: shared availability slots (Jaccard);
- diversity: the share of `matching.diversity` fields on which the two differ.

A pair's score is the weighted sum; with default weights it lies between 0 and 10.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from peerkit.match.pool import Pool
from peerkit.model import DEFAULT_WEIGHTS

if TYPE_CHECKING:
    import numpy as np

TERMS: tuple[str, ...] = tuple(DEFAULT_WEIGHTS)
Array = Any


def weights(pool: Pool) -> dict[str, float]:
    given = pool.program.matching.weights
    return {term: float(given.get(term, DEFAULT_WEIGHTS[term])) for term in TERMS}


def _shared(pool: Pool, a: str, b: str, rows: Array, cols: Array) -> Array:
    return (pool.sets[a][rows] @ pool.sets[b][cols].T).toarray()


def _ratio(top: Array, bottom: Array) -> Array:
    import numpy as np

    out = np.zeros(np.broadcast(top, bottom).shape)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out


def _jaccard(pool: Pool, name: str, rows: Array, cols: Array) -> Array:
    inter = _shared(pool, name, name, rows, cols)
    sizes = pool.sizes[name]
    union = sizes[rows][:, None] + sizes[cols][None, :] - inter
    return _ratio(inter, union)


def terms_block(
    pool: Pool, rows: Array, cols: Array, directed: bool = False
) -> dict[str, np.ndarray[Any, Any]]:
    """Each term, unweighted (0..1), for every (row, col) pair; `directed`: rows are
    mentees and cols mentors."""
    import numpy as np

    rows, cols = np.asarray(rows), np.asarray(cols)
    terms: dict[str, np.ndarray[Any, Any]] = {}
    terms["common_ground"] = _jaccard(pool, "ground", rows, cols)
    goals = pool.sizes["goals"]
    met = _ratio(_shared(pool, "goals", "offers", rows, cols), goals[rows][:, None])
    if directed:
        terms["goals_offers"] = met
    else:
        back = _ratio(_shared(pool, "offers", "goals", rows, cols), goals[cols][None, :])
        terms["goals_offers"] = (met + back) / 2
    a = pool.levels[rows][:, None, :]
    b = pool.levels[cols][None, :, :]
    diff = np.maximum(b - a, 0) if directed else np.abs(a - b)
    known = ~np.isnan(diff)
    count = known.sum(axis=2)
    total = np.where(known, diff, 0).sum(axis=2)
    terms["levels"] = _ratio(total, count * 4.0)
    gap = np.abs(pool.offsets[rows][:, None] - pool.offsets[cols][None, :])
    terms["timezone"] = 1 - np.minimum(gap, 12) / 12
    terms["availability"] = _jaccard(pool, "availability", rows, cols)
    fields = pool.program.matching.diversity
    differ = np.zeros((len(rows), len(cols)))
    for name in fields:
        if name in pool.sets:
            sizes = pool.sizes[name]
            known2 = (sizes[rows][:, None] > 0) & (sizes[cols][None, :] > 0)
            differ += known2 & (_shared(pool, name, name, rows, cols) == 0)
        elif name in pool.codes:
            x, y = pool.codes[name][rows], pool.codes[name][cols]
            differ += (x[:, None] >= 0) & (y[None, :] >= 0) & (x[:, None] != y[None, :])
    terms["diversity"] = differ / len(fields) if fields else differ
    return terms


def score_block(pool: Pool, rows: Array, cols: Array, directed: bool = False) -> Array:
    """The weighted score of every (row, col) pair."""
    import numpy as np

    weight = weights(pool)
    terms = terms_block(pool, rows, cols, directed)
    total = np.zeros((len(rows), len(cols)))
    for term, values in terms.items():
        if weight[term]:
            total += weight[term] * values
    return total


def pair_terms(pool: Pool, i: int, j: int, directed: bool = False) -> dict[str, float]:
    """The weighted terms of one pair (i the mentee when `directed`)."""
    import numpy as np

    weight = weights(pool)
    terms = terms_block(pool, np.array([i]), np.array([j]), directed)
    return {term: weight[term] * float(terms[term][0, 0]) for term in TERMS}


def pair_reasons(pool: Pool, i: int, j: int, directed: bool = False) -> dict[str, str]:
    """Each term of a pair in words (empty when the term adds nothing)."""
    a, b = pool.members[i], pool.members[j]
    said: dict[str, str] = {}
    shared = sorted(set(pool.items("ground", i)) & set(pool.items("ground", j)))
    if shared:
        said["common_ground"] = f"common ground: {', '.join(shared)}"
    met = sorted(set(pool.items("goals", i)) & set(pool.items("offers", j)))
    back = [] if directed else sorted(set(pool.items("goals", j)) & set(pool.items("offers", i)))
    parts = []
    if met:
        parts.append(f"{b.id} offers {', '.join(met)} to {a.id}")
    if back:
        parts.append(f"{a.id} offers {', '.join(back)} to {b.id}")
    if parts:
        said["goals_offers"] = "; ".join(parts)
    levels = []
    for name in ("knowledge", "experience", "authority"):
        x, y = a.levels.get(name), b.levels.get(name)
        if x is not None and y is not None and x != y:
            levels.append(f"{name} {x}/{y}")
    if levels:
        said["levels"] = f"complementary levels ({', '.join(levels)})"
    gap = abs(float(pool.offsets[i] - pool.offsets[j]))
    said["timezone"] = "same time zone offset" if gap == 0 else f"{gap:g}h apart"
    slots = sorted(set(pool.items("availability", i)) & set(pool.items("availability", j)))
    if slots:
        said["availability"] = f"both free: {', '.join(slots)}"
    differ = []
    for name in pool.program.matching.diversity:
        first, second = pool.text(name, i), pool.text(name, j)
        if first and second and first.casefold() != second.casefold():
            differ.append(f"{name} {first} / {second}")
    if differ:
        said["diversity"] = f"different {'; '.join(differ)}"
    return said


def edge_terms(
    pool: Pool, rows: Array, cols: Array, directed: bool = False, chunk: int = 256
) -> dict[str, np.ndarray[Any, Any]]:
    """The weighted terms of the pairs (rows[k], cols[k]), a chunk at a time."""
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
