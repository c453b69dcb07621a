"""Exact assignment for mentoring and pairs, on all feasible pairs or the best few per member.

Both solvers first match as many members as the rules allow, then, among those
matchings, the one with the highest total score. Mentoring is a min-cost flow on each
mentee's best mentors, proven optimal on every feasible pair (`peerkit.match.flow`). Pairs are solved on each member's best partners,
then proven optimal on every feasible pair by linear-programming prices (up to
`PAIRS_BOUND_LIMIT` members, see `solve_pairs`); above that, or when no proof is
found, the round reports the gap to an upper bound."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peerkit.match.blocks import map_blocks
from peerkit.match.pool import Pool, sorted_distinct
from peerkit.match.rules import feasible_block
from peerkit.match.score import score_block

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[str, float], None]
Array = Any

PAIRS_EXACT_LIMIT = 300  # members: every feasible pair goes to the blossom algorithm
PAIRS_CANDIDATES = 40  # best partners per member above that, before the proof (fewer
# above PAIRS_BOUND_LIMIT, where the blossom algorithm's time grows with the edges and
# nothing is proven: 10 edges lose ~0.05% at 10,000)
PAIRS_BOUND_LIMIT = 4000  # members: proven optimal (or a dense bound) up to here
PAIRS_FULL_LIMIT = 1000  # members: every feasible pair is tried when the proof fails
# (~10 s at 1,000; ~100 s at 2,000, too slow: there the round reports its gap instead)
BLOCK_CELLS = 2_000_000  # pairs scored per numpy block
SCALE = 1000  # integer weights for rustworkx: the 3 decimals a round file shows
PAIRS_PRICE_ROUNDS = 6  # times the dual prices are recomputed with the pairs they miss
PAIRS_NEAR_PER_MEMBER = 25  # pairs per member the prices may leave open (blossom time)
PAIRS_COVER_CANDIDATES = 40  # best partners per member the cycle-cover bound starts from
# above PAIRS_BOUND_LIMIT (the fewer, the more members it must score in full)
PAIRS_COVER_ROUNDS = 3  # times the bound's assignment is solved again with the pairs it missed
PAIRS_COVER_ADDED = 10  # pairs per member added each time
PAIRS_COVER_SLACK = 1e-5  # ... unless the raised prices add less than this share to the bound
PAIRS_REPAIR_EDGES = 4  # least-slack pairs per member the blossom repair may use


def _quiet(_phase: str, _done: float) -> None:
    return None


@dataclass
class Scored:
    """Feasible (row, col) pairs with their scores, and each row's best feasible score."""

    rows: np.ndarray[Any, Any]
    cols: np.ndarray[Any, Any]
    scores: np.ndarray[Any, Any]
    best: np.ndarray[Any, Any]  # per row, the k best scores summed (0 when none)
    feasible_count: np.ndarray[Any, Any]  # per row
    left_best: np.ndarray[Any, Any]  # per row, the best feasible score left out (-inf: none)


def scored_pairs(
    pool: Pool,
    rows: Array,
    cols: Array,
    *,
    directed: bool,
    keep: int | None,
    best_of: int = 1,
    progress: Progress = _quiet,
    phase: str = "scoring",
) -> Scored:
    """Feasible pairs of `rows` x `cols` (all of them, or each row's `keep` best)."""
    import numpy as np

    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    step = max(1, BLOCK_CELLS // max(len(cols), 1))
    found_r, found_c, found_s = [], [], []
    best = np.zeros(len(rows))
    left_best = np.full(len(rows), -np.inf)
    counts = np.zeros(len(rows), dtype=np.int64)
    for start in range(0, len(rows), step):
        block = rows[start : start + step]
        score = score_block(pool, block, cols, directed)
        ok = feasible_block(pool, block, cols)
        counts[start : start + len(block)] = ok.sum(axis=1)
        masked = np.where(ok, score, -np.inf)
        best[start : start + len(block)] = _top_sum(masked, best_of)
        if keep is None or keep >= len(cols):
            r, c = np.nonzero(ok)
        else:
            part = np.argpartition(-masked, keep, axis=1)
            lines = np.arange(len(block))
            left_best[start : start + len(block)] = masked[lines, part[:, keep]]
            r = np.repeat(lines, keep)
            c = part[:, :keep].ravel()
            good = ok[r, c]
            r, c = r[good], c[good]
        found_r.append(block[r])
        found_c.append(cols[c])
        found_s.append(score[r, c])
        progress(phase, min(1.0, (start + len(block)) / max(len(rows), 1)))
    if not found_r:
        empty = np.zeros(0, dtype=np.int64)
        return Scored(empty, empty, np.zeros(0), best, counts, left_best)
    return Scored(
        np.concatenate(found_r),
        np.concatenate(found_c),
        np.concatenate(found_s),
        best,
        counts,
        left_best,
    )


def scored_peers(
    pool: Pool, free: Array, keep: int, progress: Progress = _quiet, phase: str = "scoring pairs"
) -> Scored:
    """`scored_pairs(pool, free, free, directed=False, keep=keep)`, scoring each pair once:
    peer scores and rules are symmetric, so square tiles on and above the diagonal are
    scored and each serves its rows and (transposed) its columns."""
    import numpy as np

    free = np.asarray(free, dtype=np.int64)
    n = len(free)
    if keep >= n - 1:
        return scored_pairs(pool, free, free, directed=False, keep=None, progress=progress)
    side = max(keep + 2, int(BLOCK_CELLS**0.5))
    starts = list(range(0, n, side))
    width = keep + 1
    # Per member, each tile's `width` best (score, column); merged at the end.
    value = np.full((n, len(starts), width), -np.inf)
    column = np.zeros((n, len(starts), width), dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    tiles = [(ti, tj) for ti in range(len(starts)) for tj in range(ti, len(starts))]

    def best_of(k: int) -> list[tuple[Array, int, Array, Array, Array]]:
        """Tile k's best `width` of each row and (transposed) each column: for each, the
        members, the tile's slot, the values, their columns and the feasible counts."""
        ti, tj = tiles[k]
        rows = np.arange(starts[ti], min(n, starts[ti] + side))
        cols = np.arange(starts[tj], min(n, starts[tj] + side))
        score = score_block(pool, free[rows], free[cols])
        ok = feasible_block(pool, free[rows], free[cols])
        masked = np.where(ok, score, -np.inf)
        found = []
        for lines, others, block, slot in (
            (rows, cols, masked, tj),
            *([(cols, rows, masked.T, ti)] if tj != ti else []),
        ):
            if block.shape[1] > width:
                part = np.argpartition(-block, width - 1, axis=1)[:, :width]
            else:
                part = np.broadcast_to(np.arange(block.shape[1]), (len(lines), block.shape[1]))
            picked = np.take_along_axis(block, part, axis=1)
            found.append((lines, slot, picked, others[part], np.isfinite(block).sum(axis=1)))
        return found

    for done, found in enumerate(map_blocks(best_of, range(len(tiles))), start=1):
        for lines, slot, picked, picked_columns, feasible in found:
            counts[lines] += feasible
            value[lines, slot, : picked.shape[1]] = picked
            column[lines, slot, : picked.shape[1]] = picked_columns
        progress(phase, done / len(tiles))
    merged = value.reshape(n, -1)
    order = np.argsort(-merged, axis=1, kind="stable")[:, :width]
    best_values = np.take_along_axis(merged, order, axis=1)
    best_columns = np.take_along_axis(column.reshape(n, -1), order, axis=1)
    left_best = best_values[:, keep]
    r = np.repeat(np.arange(n), keep)
    c = best_columns[:, :keep].ravel()
    v = best_values[:, :keep].ravel()
    good = np.isfinite(v)
    best = np.where(np.isfinite(best_values[:, 0]), best_values[:, 0], 0.0)
    return Scored(free[r[good]], free[c[good]], v[good], best, counts, left_best)


def _top_sum(masked: Array, count: int) -> Array:
    import numpy as np

    width = min(count, masked.shape[1])
    if width == 0:
        return np.zeros(masked.shape[0])
    top = -np.partition(-masked, width - 1, axis=1)[:, :width]
    return np.where(np.isfinite(top), top, 0).sum(axis=1)


@dataclass
class Solved:
    """A solver's matches (as pool indices) and how good they are."""

    matches: list[tuple[int, int]]  # (mentor, mentee) in mentoring
    scores: list[float]
    exact: bool
    bound: float  # an upper bound on the sum of `scores`


def solve_pairs(pool: Pool, free: Array, progress: Progress = _quiet) -> Solved:
    """Maximum-weight matching (most pairs first, then the best total) of `free` members.

    Small rosters give the blossom algorithm every feasible pair. Up to
    `PAIRS_BOUND_LIMIT` members it first runs on each member's best `PAIRS_CANDIDATES`,
    then proves that matching optimal on every feasible pair with a linear-programming
    dual, or finds the optimum among the few pairs the dual cannot rule out (see
    `_certified`). Above that, the best cycle cover of each member's best partners'
    scores (`cycle_cover`) gives both the bound and the pairing: its 2-cycles, with the
    blossom algorithm re-pairing the neighbourhood of the rest (`pairs_from_cover`); if
    that leaves someone unpaired who could be, the blossom algorithm runs on each
    member's `candidates_for(n)` best partners.
    """
    import numpy as np

    free = np.asarray(free, dtype=np.int64)
    n = len(free)
    if n <= PAIRS_BOUND_LIMIT:
        score, ok = dense_pairs(pool, free, progress)
        np.fill_diagonal(ok, False)
        # Members nobody may meet take no part: the rest can often all be paired, which
        # is what the proof of optimality needs.
        some = np.flatnonzero(ok.any(axis=1))
        score, ok, free = score[np.ix_(some, some)], ok[np.ix_(some, some)], free[some]
        n = len(free)
        upper = np.triu(ok, 1)
        if n <= PAIRS_EXACT_LIMIT:
            a, b = np.nonzero(upper)
        else:
            a, b = _best_partners(score, ok, min(candidates_for(n), n - 1))
        weight = np.rint(score * SCALE)
        progress("matching pairs", 0.0)
        matched = _blossom(n, a, b, weight[a, b])
        exact = n <= PAIRS_EXACT_LIMIT
        priced: float | None = None
        if not exact:
            matched, exact, priced = _certified(matched, weight, upper, a, b, progress)
        if not exact and n <= PAIRS_FULL_LIMIT:
            # No proof: every feasible pair to the blossom algorithm (slower, exact).
            a, b = np.nonzero(upper)
            matched, exact = _blossom(n, a, b, weight[a, b]), True
        progress("matching pairs", 1.0)
        pairs = sorted((int(free[x]), int(free[y])) for x, y in matched)
        scores = [float(score[x, y]) for x, y in matched]
        total = sum(scores)
        if exact:
            bound = total
        elif priced is not None:  # integer weights are within half a unit of the scores
            bound = max(priced / SCALE + 0.5 / SCALE * len(matched), total)
        else:
            bound = max(cycle_cover_bound(score, ok) if n > 1 else 0.0, total)
        return Solved(pairs, scores, exact, bound)
    scored = scored_peers(
        pool, free, max(candidates_for(n), PAIRS_COVER_CANDIDATES), progress=progress
    )
    progress("bounding pairs", 0.0)
    cover = cycle_cover(pool, free, scored, progress)
    progress("matching pairs", 0.0)
    found = pairs_from_cover(cover, n)
    lookup = dict(
        zip(
            zip(cover.lo.tolist(), cover.hi.tolist(), strict=True),
            cover.weight.tolist(),
            strict=True,
        )
    )
    if len(found) < int((scored.feasible_count > 0).sum()) // 2:
        # Not everyone who may meet someone is paired: the blossom algorithm on each
        # member's best partners finds the most pairs there are.
        a, b, s = scored.rows, scored.cols, scored.scores
        order = np.lexsort((-s, a))
        rank = np.arange(len(a)) - np.searchsorted(a[order], a[order], side="left")
        best = order[rank < candidates_for(n)]
        position = np.full(pool.size, -1, dtype=np.int64)
        position[free] = np.arange(n)
        a, b = position[a[best]], position[b[best]]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        _, first = np.unique(lo * n + hi, return_index=True)
        lo, hi, weights_ = lo[first], hi[first], s[best][first]
        lookup.update(
            zip(zip(lo.tolist(), hi.tolist(), strict=True), weights_.tolist(), strict=True)
        )
        found = _blossom(n, lo, hi, np.rint(weights_ * SCALE))
    progress("matching pairs", 1.0)
    found = sorted(found)
    pairs = [(int(free[x]), int(free[y])) for x, y in found]
    scores = [lookup[pair] for pair in found]
    total = sum(scores)
    exact = total >= cover.bound - 1e-6
    return Solved(pairs, scores, exact, max(cover.bound, total))


@dataclass
class Cover:
    """The best cycle cover of the symmetric candidate scores: its bound, each member's
    successor (positions in `free`, -1: none), the prices y (y_i + y_j >= score on every
    pair given to it) and those pairs (low, high, score)."""

    bound: float
    successor: Array
    prices: Array
    lo: Array
    hi: Array
    weight: Array


def sparse_cycle_cover_bound(
    pool: Pool, free: Array, scored: Scored, progress: Progress = _quiet
) -> float:
    """The cycle-cover bound of `cycle_cover`."""
    return cycle_cover(pool, free, scored, progress).bound


def cycle_cover(pool: Pool, free: Array, scored: Scored, progress: Progress = _quiet) -> Cover:
    """The cycle-cover bound (the best assignment on the symmetric score matrix, halved:
    a pairing is a cover by 2-cycles) over every feasible pair of `free`, from the scored
    candidates alone plus the few members whose left-out pairs it cannot rule out.

    The assignment on the candidate pairs comes with dual prices u, v (u_i + v_j >= score
    on each candidate). A pair left out scores at most the best left-out score of either
    member (`scored.left_best`), so a member whose prices cover that against every other
    member needs no look; the others are scored in full, their pairs the prices miss join
    the assignment and it is solved again (`PAIRS_COVER_ROUNDS` times at most, and not
    when raising the prices costs less than `PAIRS_COVER_SLACK`). Finally each such
    member's u is raised by its worst shortfall: sum(u) + sum(v) then bounds
    every assignment on the feasible pairs.
    """
    import numpy as np

    from peerkit.match.flow import assignment_prices

    n = len(free)
    position = np.full(pool.size, -1, dtype=np.int64)
    position[free] = np.arange(n)
    a, b = position[scored.rows], position[scored.cols]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    _, first = np.unique(lo * n + hi, return_index=True)
    lo, hi, weight = lo[first], hi[first], scored.scores[first]
    left = np.asarray(scored.left_best)
    step = max(1, BLOCK_CELLS // max(n, 1))
    for round_ in range(PAIRS_COVER_ROUNDS + 1):
        _, u, v, successor = assignment_prices(
            np.concatenate([lo, hi]), np.concatenate([hi, lo]), np.concatenate([weight, weight]), n
        )
        progress("bounding pairs", (round_ + 0.5) / (PAIRS_COVER_ROUNDS + 1))
        doubtful = _doubtful_rows(left, u, v, step)
        raise_by = np.zeros(n)
        extra_a, extra_b, extra_w = [], [], []
        for start in range(0, len(doubtful), step):
            rows = doubtful[start : start + step]
            score = score_block(pool, free[rows], free)
            ok = feasible_block(pool, free[rows], free)
            short = np.where(ok, score - u[rows][:, None] - v[None, :], -np.inf)
            raise_by[rows] = np.maximum(short.max(axis=1), 0.0)
            # The worst few shortfalls of each row join the assignment's pairs.
            width = min(PAIRS_COVER_ADDED, n)
            part = np.argpartition(-short, width - 1, axis=1)[:, :width]
            r = np.repeat(np.arange(len(rows)), width)
            c = part.ravel()
            bad = short[r, c] > 1e-9
            extra_a.append(rows[r[bad]])
            extra_b.append(c[bad])
            extra_w.append(score[r[bad], c[bad]])
        # Stop when the raised prices cost next to nothing: solving again would gain less.
        close = raise_by.sum() <= PAIRS_COVER_SLACK * float(u.sum() + v.sum())
        if close or not sum(len(x) for x in extra_a) or round_ == PAIRS_COVER_ROUNDS:
            break
        new_a, new_b = np.concatenate(extra_a), np.concatenate(extra_b)
        keys = np.concatenate(
            [lo * n + hi, np.minimum(new_a, new_b) * n + np.maximum(new_a, new_b)]
        )
        keys, first = np.unique(keys, return_index=True)
        weight = np.concatenate([weight, np.concatenate(extra_w)])[first]
        lo, hi = keys // n, keys % n
    progress("bounding pairs", 1.0)
    bound = float(u.sum() + raise_by.sum() + v.sum()) / 2
    return Cover(bound, successor, (u + v) / 2, lo, hi, weight)


def pairs_from_cover(cover: Cover, n: int) -> list[tuple[int, int]]:
    """A pairing (positions) from the cycle cover: its 2-cycles are kept, except around
    the members it leaves in longer cycles or alone, where the blossom algorithm re-pairs
    a neighbourhood on the pairs of least slack (y_i + y_j - score) -- a few per member."""
    import numpy as np

    successor = cover.successor
    me = np.arange(n)
    two = (successor >= 0) & (successor[np.maximum(successor, 0)] == me)
    slack = cover.prices[cover.lo] + cover.prices[cover.hi] - cover.weight
    share = min(1.0, PAIRS_REPAIR_EDGES * n / max(len(slack), 1))
    tight = slack <= np.quantile(slack, share) if len(slack) else slack > 0
    lo, hi, weight = cover.lo[tight], cover.hi[tight], cover.weight[tight]
    region = ~two
    grown = region.copy()
    grown[hi[region[lo]]] = True
    grown[lo[region[hi]]] = True
    grown[successor[grown & two]] = True  # a 2-cycle is re-paired whole or not at all
    region = grown
    inside = region[lo] & region[hi]
    found = _blossom(n, lo[inside], hi[inside], np.rint(weight[inside] * SCALE))
    kept = [(int(i), int(successor[i])) for i in me[two & ~region] if i < successor[i]]
    return sorted(kept + found)


def _doubtful_rows(left: Array, u: Array, v: Array, step: int) -> Array:
    """Members i with a left-out pair (i, j) whose score could reach u_i + v_j: a left-out
    pair scores at most min(left_i, left_j)."""
    import numpy as np

    n = len(u)
    found = []
    for start in range(0, n, step):
        rows = np.arange(start, min(n, start + step))
        short = np.minimum(left[rows][:, None], left[None, :]) - u[rows][:, None] - v[None, :]
        short[np.arange(len(rows)), rows] = -np.inf
        found.append(rows[short.max(axis=1) > 0])
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _best_partners(score: Array, ok: Array, keep: int) -> tuple[Array, Array]:
    """Each member's `keep` best feasible partners, as (low, high) index pairs, once each."""
    import numpy as np

    n = len(score)
    if keep <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    masked = np.where(ok, score, -np.inf)
    np.fill_diagonal(masked, -np.inf)
    part = np.argpartition(-masked, keep - 1, axis=1)[:, :keep]
    a = np.repeat(np.arange(n), keep)
    b = part.ravel()
    good = np.isfinite(masked[a, b])
    lo, hi = np.minimum(a[good], b[good]), np.maximum(a[good], b[good])
    keys = sorted_distinct(lo * n + hi)
    return keys // n, keys % n


def _blossom(size: int, a: Array, b: Array, weight: Array) -> list[tuple[int, int]]:
    """rustworkx's maximum-cardinality, maximum-weight matching on integer weights."""
    import rustworkx as rx

    graph = rx.PyGraph()
    graph.add_nodes_from(range(size))
    graph.extend_from_weighted_edge_list(
        list(zip(a.tolist(), b.tolist(), weight.astype("int64").tolist(), strict=True))
    )
    matched = rx.max_weight_matching(
        graph, max_cardinality=True, weight_fn=int, verify_optimum=False
    )
    return sorted((min(x, y), max(x, y)) for x, y in matched)


def _certified(
    matched: list[tuple[int, int]],
    weight: Array,
    upper: Array,
    a: Array,
    b: Array,
    progress: Progress,
) -> tuple[list[tuple[int, int]], bool, float | None]:
    """The best matching on every feasible pair (`upper`), starting from the best on the
    candidate pairs (a, b): (matching, True, None), or the input, False and an upper
    bound on the best total (in integer weights; None when there is none) if it cannot
    tell.

    A matching that pairs everyone (everyone but one when the count is odd) is the most
    pairs possible. Among such matchings, any vertex prices u with u_i + u_j >= w_ij on
    every feasible pair make each matching's total U - (its pairs' slack u_i + u_j -
    w_ij), U = sum(u). So no matching beats the found total Z unless all its pairs have
    slack below U - Z: the linear-programming dual (the best fractional perfect
    matching, on integer weights) leaves few such pairs, and the blossom algorithm on
    them plus the candidates is optimal on the whole graph.
    """
    import numpy as np

    n = len(weight)
    if len(matched) < n // 2:
        return matched, False, None  # not everyone could be paired among the candidates
    lo, hi = a, b
    for _ in range(PAIRS_PRICE_ROUNDS):
        u = _fractional_prices(n, lo, hi, weight[lo, hi])
        if u is None:
            return matched, False, None
        slack = u[:n, None] + u[None, :n] - weight
        short = upper & (slack < -1e-3)
        if not short.any():
            break
        # Prices break a pair the candidates left out: add those pairs and price again.
        extra_a, extra_b = np.nonzero(short)
        keys = sorted_distinct(np.concatenate([lo * n + hi, extra_a * n + extra_b]))
        lo, hi = keys // n, keys % n
    else:
        return matched, False, None
    # Lift every price by half the largest rounding shortfall, so they are truly feasible.
    lift = max(0.0, -float(slack[upper].min(initial=0.0)))
    if n % 2:
        lift = max(lift, -float((u[:n] + u[n]).min()))
    slack += lift
    total = float(sum(weight[x, y] for x, y in matched))
    margin = float(u.sum()) + lift * len(u) / 2 - total - 1.0  # a better matching gains >= 1
    if margin < 0:
        return matched, True, None
    near = upper & (slack <= margin + 1e-6)
    near[tuple(np.array(matched).T)] = True  # keeps a full pairing in the graph
    near_a, near_b = np.nonzero(near)
    keys = near_a * n + near_b
    limit = PAIRS_NEAR_PER_MEMBER * n
    proven = len(keys) <= limit
    if not proven:
        # Many near-equal scores (or a real gap): the proof would cost a full solve. The
        # priced pairs and the least slack ones still make a better matching likely.
        first = np.argpartition(slack[near_a, near_b], limit - 1)[:limit]
        keys = sorted_distinct(
            np.concatenate([keys[first], lo * n + hi, [x * n + y for x, y in matched]])
        )
    progress("matching pairs", 0.5)
    found = _blossom(n, keys // n, keys % n, weight[keys // n, keys % n])
    return found, proven, None if proven else margin + total + 1.0


def _fractional_prices(n: int, a: Array, b: Array, weight: Array) -> Array | None:
    """Optimal dual prices of the best fractional perfect matching on pairs (a, b), with
    one extra zero-weight member paired to all when n is odd; None if the LP fails."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    if n % 2:
        a = np.concatenate([a, np.arange(n)])
        b = np.concatenate([b, np.full(n, n)])
        weight = np.concatenate([weight, np.zeros(n)])
    size = n + n % 2
    edges = np.arange(len(a))
    ones = np.ones(2 * len(a))
    incidence = csr_matrix(
        (ones, (np.concatenate([a, b]), np.concatenate([edges, edges]))), shape=(size, len(a))
    )
    result = linprog(
        -weight, A_eq=incidence, b_eq=np.ones(size), bounds=(0, None), method="highs-ipm"
    )
    if result.status != 0 or result.eqlin is None:
        return None
    prices: Array = -np.asarray(result.eqlin.marginals, dtype=float)
    return prices


def candidates_for(count: int) -> int:
    """Best partners per member given to the blossom algorithm for `count` members."""
    if count <= PAIRS_BOUND_LIMIT:
        return PAIRS_CANDIDATES
    return 20 if count <= 5000 else 10


def dense_pairs(pool: Pool, free: Array, progress: Progress = _quiet) -> tuple[Array, Array]:
    """The full score matrix of `free` members, and which pairs the rules allow."""
    import numpy as np

    n = len(free)
    score = np.zeros((n, n))
    ok = np.zeros((n, n), dtype=bool)
    step = max(1, BLOCK_CELLS // max(n, 1))
    for start in range(0, n, step):
        block = free[start : start + step]
        score[start : start + len(block)] = score_block(pool, block, free)
        ok[start : start + len(block)] = feasible_block(pool, block, free)
        progress("scoring pairs", min(1.0, (start + len(block)) / n))
    return score, ok


def cycle_cover_bound(score: Array, ok: Array) -> float:
    """An upper bound on any matching's total: the best assignment on the symmetric
    matrix (each pair counted from both ends, so halved)."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    weight = np.where(ok, score, 0.0)
    np.fill_diagonal(weight, 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return float(weight[rows, cols].sum()) / 2


def solve_mentoring(
    pool: Pool,
    mentees: Array,
    mentors: Array,
    capacity: Array,
    per_mentee: Array,
    progress: Progress = _quiet,
    *,
    taken: Array | None = None,
    spread: bool = False,
) -> Solved:
    """Each mentee gets up to `per_mentee` distinct mentors; each mentor takes up to
    `capacity` more mentees (`taken`: the mentees it has already, from pins and locks);
    most places filled first, then (with `spread`) most mentors with a mentee, then the
    best total score. A min-cost flow on each mentee's best mentors, proven optimal on
    every feasible pair by its dual prices (see `peerkit.match.flow`)."""
    import numpy as np

    from peerkit.match.flow import solve_flow

    mentees = np.asarray(mentees, dtype=np.int64)
    mentors = np.asarray(mentors, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    per_mentee = np.asarray(per_mentee, dtype=np.int64)
    taken = np.zeros(len(mentors), dtype=np.int64) if taken is None else np.asarray(taken)
    if len(mentees) == 0 or len(mentors) == 0 or int(capacity.sum()) == 0:
        return Solved([], [], True, 0.0)
    found = solve_flow(
        pool, mentees, mentors, capacity, per_mentee, taken, spread=spread, progress=progress
    )
    matches = [(int(mentors[c]), int(mentees[r])) for r, c in found.pairs]
    total = sum(found.scores)
    bound = total if found.proven else max(found.best_total, total)
    return Solved(matches, found.scores, found.proven, bound)
