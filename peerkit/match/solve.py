"""Exact assignment for mentoring and pairs, on all feasible pairs or the best few per member.

Both solvers first match as many members as the rules allow, then, among those
matchings, the one with the highest total score. Up to a few thousand members every
feasible pair is given to the solver, so the result is optimal; above that, each member
brings their best `CANDIDATES` partners, and the round reports the gap to an upper bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peerkit.match.pool import Pool
from peerkit.match.rules import feasible_block
from peerkit.match.score import score_block

if TYPE_CHECKING:
    import numpy as np

Progress = Callable[[str, float], None]
Array = Any

PAIRS_EXACT_LIMIT = 300  # members: every feasible pair goes to the blossom algorithm
PAIRS_CANDIDATES = 40  # best partners per member above that (fewer for large rosters,
# where the blossom algorithm's time grows with the edges: 10 edges lose ~0.05% at 10,000)
PAIRS_BOUND_LIMIT = 4000  # members: the bound is a dense assignment up to here
MENTORING_DENSE_LIMIT = 50_000_000  # mentee x mentor-slot cells solved densely (exact)
MENTORING_CANDIDATES = 60  # best mentors per mentee above that
BLOCK_CELLS = 2_000_000  # pairs scored per numpy block
SCALE = 10_000  # integer weights for rustworkx: 4 decimals of score


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
            part = np.argpartition(-masked, keep - 1, axis=1)[:, :keep]
            r = np.repeat(np.arange(len(block)), keep)
            c = part.ravel()
            good = ok[r, c]
            r, c = r[good], c[good]
        found_r.append(block[r])
        found_c.append(cols[c])
        found_s.append(score[r, c])
        progress(phase, min(1.0, (start + len(block)) / max(len(rows), 1)))
    if not found_r:
        empty = np.zeros(0, dtype=np.int64)
        return Scored(empty, empty, np.zeros(0), best, counts)
    return Scored(
        np.concatenate(found_r), np.concatenate(found_c), np.concatenate(found_s), best, counts
    )


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

    Small rosters give the blossom algorithm every feasible pair (exact). Larger ones give
    each member's best `PAIRS_CANDIDATES`, and the result is measured against a bound:
    the best cycle cover (an assignment on the symmetric score matrix) up to
    `PAIRS_BOUND_LIMIT` members, half the sum of each member's best score above that.
    """
    import numpy as np
    import rustworkx as rx

    free = np.asarray(free, dtype=np.int64)
    n = len(free)
    exact = n <= PAIRS_EXACT_LIMIT
    bound: float | None = None
    if n <= PAIRS_BOUND_LIMIT:
        score, ok = dense_pairs(pool, free, progress)
        if exact:
            a, b = np.nonzero(np.triu(ok, 1))
        else:
            masked = np.where(ok, score, -np.inf)
            keep = min(candidates_for(n), n - 1)
            part = (
                np.argpartition(-masked, keep - 1, axis=1)[:, :keep]
                if keep
                else np.zeros((n, 0), dtype=np.int64)
            )
            a = np.repeat(np.arange(n), keep)
            b = part.ravel()
            good = ok[a, b]
            a, b = a[good], b[good]
        bound = cycle_cover_bound(score, ok) if n > 1 else 0.0
        s = score[a, b]
        a, b = free[a], free[b]
    else:
        scored = scored_pairs(
            pool,
            free,
            free,
            directed=False,
            keep=candidates_for(n),
            progress=progress,
            phase="scoring pairs",
        )
        a, b, s = scored.rows, scored.cols, scored.scores
        bound = float(scored.best.sum()) / 2
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    _, first = np.unique(lo * pool.size + hi, return_index=True)
    a, b, s = lo[first], hi[first], s[first]
    progress("matching pairs", 0.0)
    graph = rx.PyGraph()
    graph.add_nodes_from(range(pool.size))
    weights = np.rint(s * SCALE).astype(np.int64)
    graph.add_edges_from(list(zip(a.tolist(), b.tolist(), weights.tolist(), strict=True)))
    matched = rx.max_weight_matching(
        graph, max_cardinality=True, weight_fn=lambda weight: weight, verify_optimum=False
    )
    progress("matching pairs", 1.0)
    lookup = dict(zip(zip(a.tolist(), b.tolist(), strict=True), s.tolist(), strict=True))
    pairs = sorted((min(int(x), int(y)), max(int(x), int(y))) for x, y in matched)
    scores = [lookup[pair] for pair in pairs]
    total = sum(scores)
    if exact or total >= bound - 1e-6:
        exact, bound = True, max(total, bound) if not exact else total
    return Solved(pairs, scores, exact, max(bound, total))


def candidates_for(count: int) -> int:
    """Best partners per member given to the blossom algorithm for `count` members."""
    if count <= 2000:
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
) -> Solved:
    """Each mentee gets up to `per_mentee` distinct mentors; each mentor takes up to
    `capacity` mentees; most places filled first, then the best total score."""
    import numpy as np

    mentees = np.asarray(mentees, dtype=np.int64)
    mentors = np.asarray(mentors, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    per_mentee = np.asarray(per_mentee, dtype=np.int64)
    slots = int(capacity.sum())
    if len(mentees) == 0 or len(mentors) == 0 or slots == 0:
        return Solved([], [], True, 0.0)
    dense = len(mentees) * slots <= MENTORING_DENSE_LIMIT
    if dense and int(per_mentee.max()) == 1:
        return _mentoring_dense(pool, mentees, mentors, capacity, progress)
    keep = None if dense else MENTORING_CANDIDATES
    scored = scored_pairs(
        pool,
        mentees,
        mentors,
        directed=True,
        keep=keep,
        best_of=int(per_mentee.max()),
        progress=progress,
        phase="scoring mentors",
    )
    if int(per_mentee.max()) == 1:
        solved = _mentoring_sparse(scored, mentees, mentors, capacity)
    else:
        solved = _mentoring_lp(scored, mentees, mentors, capacity, per_mentee)
    solved.exact = dense
    solved.bound = (
        sum(solved.scores) if dense else max(float(scored.best.sum()), sum(solved.scores))
    )
    return solved


def _cardinality_bonus(scores: Array, count: int) -> float:
    """A bonus per match larger than any total score, so more matches always win."""
    import numpy as np

    top = float(np.max(scores)) if len(scores) else 0.0
    return (max(top, 0.0) + 1.0) * (count + 1)


def _mentoring_dense(
    pool: Pool, mentees: Array, mentors: Array, capacity: Array, progress: Progress
) -> Solved:
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    progress("scoring mentors", 0.0)
    score = score_block(pool, mentees, mentors, directed=True)
    ok = feasible_block(pool, mentees, mentors)
    progress("scoring mentors", 1.0)
    bonus = _cardinality_bonus(score[ok], len(mentees))
    slot_of = np.repeat(np.arange(len(mentors)), capacity)
    cost = np.where(ok, -(score + bonus), 0.0)[:, slot_of]
    progress("assigning mentors", 0.0)
    rows, cols = linear_sum_assignment(cost)
    progress("assigning mentors", 1.0)
    matches, scores = [], []
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        m = int(slot_of[c])
        if ok[r, m]:
            matches.append((int(mentors[m]), int(mentees[r])))
            scores.append(float(score[r, m]))
    return Solved(matches, scores, True, sum(scores))


def _mentoring_sparse(scored: Scored, mentees: Array, mentors: Array, capacity: Array) -> Solved:
    """Sparse assignment; a private dummy column per mentee lets a mentee stay unmatched."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    row_of = {int(v): k for k, v in enumerate(mentees)}
    col_of = {int(v): k for k, v in enumerate(mentors)}
    first_slot = np.concatenate([[0], np.cumsum(capacity)[:-1]])
    slots = int(capacity.sum())
    bonus = _cardinality_bonus(scored.scores, len(mentees))
    top = float(scored.scores.max()) if len(scored.scores) else 0.0
    r_list, c_list, w_list = [], [], []
    rows = np.array([row_of[int(v)] for v in scored.rows], dtype=np.int64)
    cols = np.array([col_of[int(v)] for v in scored.cols], dtype=np.int64)
    for copy in range(int(capacity.max())):
        has = capacity[cols] > copy
        r_list.append(rows[has])
        c_list.append(first_slot[cols[has]] + copy)
        # Costs must be positive for the sparse solver: shift every score below `top + 1`.
        w_list.append(top + 1.0 - scored.scores[has])
    r_list.append(np.arange(len(mentees)))
    c_list.append(slots + np.arange(len(mentees)))
    w_list.append(np.full(len(mentees), top + 1.0 + bonus))
    graph = csr_matrix(
        (np.concatenate(w_list), (np.concatenate(r_list), np.concatenate(c_list))),
        shape=(len(mentees), slots + len(mentees)),
    )
    try:
        rows_m, cols_m = min_weight_full_bipartite_matching(graph)
    except ValueError:  # pragma: no cover - the dummy columns make a full matching exist
        rows_m, cols_m = linear_sum_assignment(graph.toarray())
    slot_owner = np.repeat(np.arange(len(mentors)), capacity)
    lookup = dict(
        zip(
            zip(scored.rows.tolist(), scored.cols.tolist(), strict=True),
            scored.scores.tolist(),
            strict=True,
        )
    )
    matches, scores = [], []
    for r, c in zip(rows_m.tolist(), cols_m.tolist(), strict=True):
        if c < slots:
            mentor, mentee = int(mentors[slot_owner[c]]), int(mentees[r])
            matches.append((mentor, mentee))
            scores.append(lookup[(mentee, mentor)])
    return Solved(matches, scores, False, sum(scores))


def _mentoring_lp(
    scored: Scored, mentees: Array, mentors: Array, capacity: Array, per_mentee: Array
) -> Solved:
    """Several mentors per mentee: a bipartite b-matching, whose LP has integral vertices."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, vstack

    row_of = {int(v): k for k, v in enumerate(mentees)}
    col_of = {int(v): k for k, v in enumerate(mentors)}
    rows = np.array([row_of[int(v)] for v in scored.rows], dtype=np.int64)
    cols = np.array([col_of[int(v)] for v in scored.cols], dtype=np.int64)
    edges = np.arange(len(rows))
    if len(edges) == 0:
        return Solved([], [], True, 0.0)
    bonus = _cardinality_bonus(scored.scores, int(per_mentee.sum()))
    ones = np.ones(len(edges))
    a_mentee = csr_matrix((ones, (rows, edges)), shape=(len(mentees), len(edges)))
    a_mentor = csr_matrix((ones, (cols, edges)), shape=(len(mentors), len(edges)))
    result = linprog(
        -(scored.scores + bonus),
        A_ub=vstack([a_mentee, a_mentor]).tocsr(),
        b_ub=np.concatenate([per_mentee, capacity]).astype(float),
        bounds=(0, 1),
        method="highs-ds",
    )
    chosen = np.flatnonzero(result.x > 0.5) if result.x is not None else np.zeros(0, dtype=int)
    matches = [(int(scored.cols[e]), int(scored.rows[e])) for e in chosen]
    scores = [float(scored.scores[e]) for e in chosen]
    return Solved(matches, scores, True, sum(scores))
