"""Mentoring as a min-cost flow on each mentee's best mentors, proven optimal on every pair.

The network: each mentee supplies one unit per mentor it wants. A unit goes to one of the
mentee's candidate mentors (arc capacity 1, cost: how far the pair's score is below the
best score, in integers) or straight to the sink (the mentee stays unmatched, cost
`unmatched`). Each mentor sends its units to the sink; capacity counts mentees. With
`spread`, a mentor's first mentee costs nothing and every further one `spread`. The
constants are chosen so that `unmatched` outweighs any sum of spread and score costs and
`spread` any sum of score costs: the optimum is lexicographic -- most mentees matched,
then most mentors with a mentee, then the best total score. OR-Tools is asked for its
maximum flow of least cost, which matches the most units without the `unmatched` arcs.
A large `spread` makes it slower, so each flow is first solved with a smaller one
(`Costs.eased`) and kept when a reachability check shows the most mentors have a mentee
(`_spread_best`).

The candidate graph is each mentee's best mentors, and each mentor's own best mentees
when few mentees have it among theirs (`with_listed_mentors`).

The proof: shortest-path distances in the residual network of an optimal flow are node
prices under which no residual arc has a negative reduced cost. A pair left out of the
candidate graph whose reduced cost is not negative either cannot improve the flow; when
every feasible pair left out passes, the flow is optimal on the complete graph. Pairs
that fail are added; the flow may still be optimal with them (many prices can prove one
flow, and shortest paths give only one set), so prices are first sought again from the
ones found, in a few passes, and the flow is solved again only when they do not settle.
That solve is given the flow's pairs and those whose reduced cost under the last prices
that held is small, not the whole graph (a fifth of it, or less: a quarter of the time);
a pair left out of it is checked against the new prices like any other, and given to
the solver when they do not hold it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from peerkit.match.blocks import map_blocks
from peerkit.match.pool import Pool, sorted_distinct
from peerkit.match.rules import feasible_block
from peerkit.match.score import folded_terms, score_block

Array = Any
Progress = Callable[[str, float], None]

CANDIDATES = 50  # best mentors per mentee in the first graph
FEW_MENTEES = 10  # ...and a mentor's own best mentees, when fewer list it among theirs
PROOF_ROUNDS = 12  # times violators are added and the flow solved again
ADDED_PER_MENTEE = 20  # most negative left-out pairs added per mentee and round
REPAIR_PASSES = 40  # Bellman-Ford passes that may settle prices after pairs are added
# ...looking at no more arcs in all than the network has: on 10,000-member rosters, every
# repair that settled looked at 3% of them or fewer, every one that did not at 30% to 19
# times as many (up to 0.2 s), its prices spreading through the network
REPAIR_WORK = 1.0
# pairs scored per numpy block: a block's arrays stay in the core's cache (1 MB of
# float32 apiece at 250,000 pairs). Scoring 6,666 mentees x 3,334 mentors took 160-190 ms
# in blocks of 250,000 pairs, 205-245 ms in blocks of 500,000 (2-core machine, 2 MB of L2
# per core); blocks of 2,000,000 took half as long again
BLOCK_CELLS = 250_000
MAX_SCALE = 10**6  # integer cost units per score point, at most
EASED_PAIRS = 2  # pairs' worth of cost that spread is first solved with
COST_LIMIT = 2**50  # largest arc cost: exact in floats, no overflow in OR-Tools' scaling


@dataclass
class FlowSolution:
    """Chosen (mentee, mentor) pairs as positions in the input arrays, and the proof."""

    pairs: list[tuple[int, int]]
    scores: list[float]
    proven: bool
    rounds: int  # flow solves
    added: int  # pairs the proof added to the candidate graph
    scale: int  # integer cost units per score point
    best_total: float  # each mentee's best `wanted` scores summed: an upper bound


@dataclass
class Graph:
    """The candidate pairs (positions) and their scores."""

    rows: Array
    cols: Array
    scores: Array


def candidate_graph(
    pool: Pool, mentees: Array, mentors: Array, keep: int, progress: Progress
) -> tuple[Graph, Array, float, float]:
    """Each mentee's `keep` best feasible mentors; per mentee the best score left out
    (-inf when none is); a score no feasible pair is below (the lowest of all pairs) and
    the highest feasible score."""
    import numpy as np

    width = len(mentors)
    step = max(1, BLOCK_CELLS // max(width, 1))

    def best_of(start: int) -> tuple[Array, Array, Array, Array, float, float]:
        """The block's candidates (rows from 0), best left out, low and high."""
        block = mentees[start : start + step]
        score = score_block(pool, block, mentors, directed=True)
        ok = feasible_block(pool, block, mentors)
        masked = np.where(ok, score, -np.inf)
        # (the lowest feasible score would take a masked pass of its own: any pair's does)
        low = float(score.min()) if ok.any() else np.inf
        if keep >= width:
            r, c = np.nonzero(ok)
            left = np.full(len(block), -np.inf)
        else:
            np.negative(masked, out=masked)  # the best first
            part = np.argpartition(masked, keep, axis=1)
            lines = np.arange(len(block))
            left = -masked[lines, part[:, keep]]
            r = np.repeat(lines, keep)
            c = part[:, :keep].ravel()
            good = ok[r, c]
            r, c = r[good], c[good]
        kept = score[r, c]
        # every mentee's best feasible mentor is among its candidates
        return r, c, kept, left, low, float(kept.max()) if len(kept) else -np.inf

    folded_terms(pool, directed=True)  # the tables every block looks up, made before the threads
    found_r, found_c, found_s = [], [], []
    left_best = np.full(len(mentees), -np.inf)
    low, high = np.inf, -np.inf
    starts = range(0, len(mentees), step)
    for start, (r, c, s, left, block_low, block_high) in zip(
        starts, map_blocks(best_of, starts), strict=True
    ):
        found_r.append(r + start)
        found_c.append(c)
        found_s.append(s)
        left_best[start : start + len(left)] = left
        low, high = min(low, block_low), max(high, block_high)
        progress("scoring mentors", min(1.0, (start + len(left)) / max(len(mentees), 1)))
    if not found_r:
        empty = np.zeros(0, dtype=np.int64)
        return Graph(empty, empty, np.zeros(0)), left_best, 0.0, 0.0
    graph = Graph(
        np.concatenate(found_r).astype(np.int64),
        np.concatenate(found_c).astype(np.int64),
        np.concatenate(found_s),
    )
    if not np.isfinite(high):
        low = high = 0.0
    return graph, left_best, low, high


def with_listed_mentors(
    pool: Pool,
    mentees: Array,
    mentors: Array,
    graph: Graph,
    capacity: Array,
    units: int,
    spread: bool,
) -> Graph:
    """The candidate graph with, for each mentor fewer than `FEW_MENTEES` mentees have
    among their best, that mentor's own best `FEW_MENTEES` feasible mentees, when the
    graph leaves mentors out that may be wanted: with `spread` (every mentor is to have a
    mentee) a mentor on no list; without, less room within reach of its pairs than the
    `units` mentees want (else a mentor few list may well stay without a mentee).

    Where every mentee likes the same mentors best (few topics, one level scale for all),
    the others are on nobody's list: the flow cannot give them a mentee, its prices then
    hold no left-out pair with them, and the proof added its most pairs for every mentee
    (134,000 at 10,000 members, 8 topics) and solved the larger graph again. A pair added
    here scores no more than what its mentee left out, so `left_best` still bounds it."""
    import numpy as np

    listed = np.bincount(graph.cols, minlength=len(mentors))
    few = np.flatnonzero(listed < FEW_MENTEES)
    needed = (listed == 0).any() if spread else np.minimum(capacity, listed).sum() < units
    if len(few) == 0 or len(mentees) == 0 or not needed:
        return graph
    keep = min(FEW_MENTEES, len(mentees))
    step = max(1, BLOCK_CELLS // len(mentees))

    def best_of(start: int) -> tuple[Array, Array, Array]:
        """A block of those mentors' best mentees: mentee positions, mentors, scores."""
        block = few[start : start + step]
        score = score_block(pool, mentees, mentors[block], directed=True)
        ok = feasible_block(pool, mentees, mentors[block])
        masked = np.where(ok, score, -np.inf)
        if keep < len(mentees):
            np.negative(masked, out=masked)
            rows = np.argpartition(masked, keep - 1, axis=0)[:keep].ravel()
        else:
            rows = np.repeat(np.arange(len(mentees)), len(block))
        cols = np.tile(np.arange(len(block)), keep)
        good = ok[rows, cols]
        return rows[good], block[cols[good]], score[rows[good], cols[good]]

    made = list(map_blocks(best_of, range(0, len(few), step)))
    rows, cols, scores = (np.concatenate(part) for part in zip(*made, strict=True))
    width = len(mentors)
    fresh = _unknown(np.sort(graph.rows * width + graph.cols), rows * width + cols)
    return Graph(
        np.concatenate([graph.rows, rows[fresh]]).astype(np.int64),
        np.concatenate([graph.cols, cols[fresh]]).astype(np.int64),
        np.concatenate([graph.scores, scores[fresh]]),
    )


def _unknown(known: Array, keys: Array) -> Array:
    """Which of the pair keys (mentee position x mentors + mentor) are not among `known`
    (sorted)."""
    import numpy as np

    if len(known) == 0:
        return np.ones(len(keys), dtype=bool)
    at = np.searchsorted(known, keys).clip(0, len(known) - 1)
    found: Array = known[at] != keys
    return found


@dataclass(frozen=True)
class Costs:
    """The integer costs of one instance (see the module docstring)."""

    scale: int
    high: float  # the best feasible score: its cost is 0
    widest: int  # more than any pair's cost
    spread: int  # each mentee of a mentor after its first (0: spread off)
    unmatched: int  # each unit a mentee is left without a mentor

    def of(self, scores: Array) -> Array:
        import numpy as np

        return np.rint((self.high - scores) * self.scale).astype(np.int64)

    def eased(self) -> Costs:
        """The same pair costs, with spread worth `EASED_PAIRS` pairs rather than more than
        every pair's: OR-Tools' cost scaling takes a phase per factor of five of the
        largest cost, and these solve in about half the time. Their optimum is the
        lexicographic one unless more mentors with a mentee needs a longer chain of
        changes, which `_spread_best` tells."""
        spread = EASED_PAIRS * self.widest + 1
        if spread >= self.spread:
            return self
        return Costs(self.scale, self.high, self.widest, spread, self.unmatched)


def costs_for(units: int, nodes: int, low: float, high: float, spread: bool) -> Costs:
    """The largest scale (a power of ten, at most `MAX_SCALE`) whose costs stay exact."""
    scale = MAX_SCALE
    while True:
        widest = round((high - low) * scale) + 1
        extra = units * widest + 1 if spread else 0
        unmatched = units * (extra + widest) + 1
        if scale == 1 or (unmatched < COST_LIMIT and unmatched * (nodes + 1) < 2**62):
            return Costs(scale, high, widest, extra, unmatched)
        scale //= 10


def solve_flow(
    pool: Pool,
    mentees: Array,
    mentors: Array,
    capacity: Array,
    wanted: Array,
    taken: Array,
    *,
    spread: bool,
    progress: Progress,
    keep: int | None = None,
) -> FlowSolution:
    """The lexicographic optimum (most mentees, then spread, then score) over every
    feasible pair of `mentees` x `mentors`; `capacity` is each mentor's room (mentees),
    `wanted` each mentee's number of mentors, `taken` each mentor's mentees already
    (pins, locks: with spread, a mentor who has one pays the spread cost for the next);
    `keep` best mentors per mentee in the first graph (`CANDIDATES`)."""
    import numpy as np

    keep = CANDIDATES if keep is None else keep
    graph, left_best, low, high = candidate_graph(pool, mentees, mentors, keep, progress)
    best_total = _best_total(graph, wanted)
    units = int(wanted.sum())
    graph = with_listed_mentors(pool, mentees, mentors, graph, capacity, units, spread)
    count_e, count_r = len(mentees), len(mentors)
    costs = costs_for(units, count_e + count_r + 1, low, high, spread)
    sink = count_e + count_r
    free_first = np.minimum(capacity, np.where(taken > 0, 0, 1)) if spread else capacity
    rows, cols, scores = graph.rows, graph.cols, graph.scores
    fixed = _fixed_arcs(wanted, capacity, free_first, costs, sink)
    eased = costs.eased()
    eased_fixed = (
        fixed if eased is costs else _fixed_arcs(wanted, capacity, free_first, eased, sink)
    )
    added = 0
    pair_costs = costs.of(scores)
    solved = np.ones(len(rows), dtype=bool)  # the pairs the solver is given

    def reduced_costs(at: Array) -> Array:
        """Each known pair's reduced cost under the prices `at`."""
        return pair_costs + at[rows] - at[count_e + cols]

    for solves in range(1, PROOF_ROUNDS + 1):
        progress("assigning mentors", (solves - 1) / PROOF_ROUNDS)
        sub = np.flatnonzero(solved)
        sub_r, sub_c, sub_costs = rows[sub], cols[sub], pair_costs[sub]
        sub_flows, fixed_flows = _min_cost_flow(sub_r, sub_c, sub_costs, eased_fixed, wanted, sink)
        if eased is not costs and not _spread_best(
            sub_r, sub_c, sub_flows, fixed, fixed_flows, count_e, count_r
        ):
            sub_flows, fixed_flows = _min_cost_flow(sub_r, sub_c, sub_costs, fixed, wanted, sink)
        flows = np.zeros(len(rows), dtype=np.int64)
        flows[sub] = sub_flows
        prices = _prices(sub_r, sub_c, sub_costs, sub_flows, fixed, fixed_flows, count_e, sink)
        if prices is None:
            break
        proven = prices
        for _ in range(PROOF_ROUNDS):
            # the pairs known but not given to the solver (left out of a later solve)
            unsolved = ~solved & (reduced_costs(prices) < 0)
            if unsolved.any():
                solved |= unsolved
            else:
                extra = _violators(
                    pool, mentees, mentors, rows, cols, left_best, prices, costs, count_e, progress
                )
                if extra is None:
                    chosen = np.flatnonzero(flows > 0)
                    pairs = list(zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True))
                    return FlowSolution(
                        pairs, scores[chosen].tolist(), True, solves, added, costs.scale, best_total
                    )
                # `left_best` still bounds what is left out: adding pairs only removes
                # some. The flow may be optimal with the pairs added all the same, under
                # other prices: those are looked for from the ones found, in a few passes,
                # before the flow is solved again.
                new_r, new_c, new_s = extra
                rows = np.concatenate([rows, new_r])
                cols = np.concatenate([cols, new_c])
                scores = np.concatenate([scores, new_s])
                added += len(new_r)
                pair_costs = np.concatenate([pair_costs, costs.of(new_s)])
                flows = np.concatenate([flows, np.zeros(len(new_r), dtype=flows.dtype)])
                solved = np.concatenate([solved, np.ones(len(new_r), dtype=bool)])
            proven = prices
            sub = np.flatnonzero(solved)
            prices = _prices(
                rows[sub],
                cols[sub],
                pair_costs[sub],
                flows[sub],
                fixed,
                fixed_flows,
                count_e,
                sink,
                prices,
            )
            if prices is None:
                break
        # Solved again on the pairs likely to take part: the flow's, and those whose
        # reduced cost under the last prices that held is at most the largest shortfall of
        # a pair added since (a fifth of the pairs, or less). Any pair left out that the
        # new prices do not hold is given to the solver then, as a pair added is.
        reduced = reduced_costs(proven)
        solved = (reduced <= max(1, -int(reduced.min()))) | (flows > 0)
    chosen = np.flatnonzero(flows > 0)
    pairs = list(zip(rows[chosen].tolist(), cols[chosen].tolist(), strict=True))
    return FlowSolution(
        pairs, scores[chosen].tolist(), False, solves, added, costs.scale, best_total
    )


def _best_total(graph: Graph, wanted: Array) -> float:
    """Each mentee's `wanted` best candidate scores (its best feasible ones), summed."""
    import numpy as np

    if len(graph.rows) == 0:
        return 0.0
    rows = graph.rows
    if wanted.max() <= 1 and bool((rows[1:] >= rows[:-1]).all()):
        # one mentor each, and each mentee's candidates together (as they are made):
        # the best of each run of a mentee's pairs
        starts = np.flatnonzero(np.concatenate([[True], rows[1:] != rows[:-1]]))
        best = np.maximum.reduceat(graph.scores, starts)
        return float(best[wanted[rows[starts]] > 0].sum())
    order = np.lexsort((-graph.scores, graph.rows))
    rows = graph.rows[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    return float(graph.scores[order][rank < wanted[rows]].sum())


@dataclass(frozen=True)
class FixedArcs:
    """The arcs besides the pairs: each mentee's to the sink (unmatched), then each mentor's
    free arc (its first mentee: cost 0) and spread arc (the others: cost `spread`)."""

    tails: Array
    heads: Array
    caps: Array
    costs: Array
    free: Array  # the mentors with a free arc, then those with a spread arc
    spread: Array


def _fixed_arcs(
    wanted: Array, capacity: Array, free_first: Array, costs: Costs, sink: int
) -> FixedArcs:
    import numpy as np

    count_e = len(wanted)
    first, rest = free_first, capacity - free_first
    free, spread = np.flatnonzero(first > 0), np.flatnonzero(rest > 0)
    return FixedArcs(
        tails=np.concatenate([np.arange(count_e), count_e + free, count_e + spread]),
        heads=np.full(count_e + len(free) + len(spread), sink),
        caps=np.concatenate([wanted, first[free], rest[spread]]).astype(np.int64),
        costs=np.concatenate(
            [
                np.full(count_e, costs.unmatched, dtype=np.int64),
                np.zeros(len(free), dtype=np.int64),
                np.full(len(spread), costs.spread, dtype=np.int64),
            ]
        ),
        free=free,
        spread=spread,
    )


def _min_cost_flow(
    rows: Array, cols: Array, pair_costs: Array, fixed: FixedArcs, wanted: Array, sink: int
) -> tuple[Array, Array]:
    """OR-Tools' min-cost flow: the flow on each candidate pair and on each fixed arc.

    The solver is given no arc for a unit left unmatched: its maximum flow of least cost
    matches the most units, which is what `unmatched` costs; a third less time at 10,000
    members than with those arcs. What each mentee is short of is their flow."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

    count_e = len(wanted)
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([rows, fixed.tails[count_e:]]).astype(np.int64),
        np.concatenate([count_e + cols, fixed.heads[count_e:]]).astype(np.int64),
        np.concatenate([np.ones(len(rows), dtype=np.int64), fixed.caps[count_e:]]),
        np.concatenate([pair_costs, fixed.costs[count_e:]]).astype(np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:count_e] = wanted
    supplies[sink] = -int(wanted.sum())
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:  # pragma: no cover - a flow of 0 is feasible
        msg = f"min-cost flow failed ({status})"
        raise RuntimeError(msg)
    flows = np.asarray(solver.flows(arcs), dtype=np.int64)
    n = len(rows)
    short = wanted - np.bincount(rows, weights=flows[:n], minlength=count_e).astype(np.int64)
    return flows[:n], np.concatenate([short, flows[n:]])


def _spread_best(
    rows: Array,
    cols: Array,
    flows: Array,
    fixed: FixedArcs,
    fixed_flows: Array,
    count_e: int,
    count_r: int,
) -> bool:
    """Whether a flow optimal under eased costs is optimal under the true ones. True when
    no mentee could move from a mentor's spread arc towards a mentor without a mentee (no
    such path in the residual network: the most mentors have one). Any flow better under
    the true costs would then match as many (every flow here is a maximum one) and give
    as many mentors a mentee, and two such flows differ by the same amount under either
    costs: by their pairs' costs alone."""
    import numpy as np

    free_flow = fixed_flows[count_e : count_e + len(fixed.free)]
    spread_flow = fixed_flows[count_e + len(fixed.free) :]
    free_caps = fixed.caps[count_e : count_e + len(fixed.free)]
    first_room = np.zeros(count_r, dtype=bool)  # a mentor without its first mentee
    first_room[fixed.free[free_flow < free_caps]] = True
    crowded = fixed.spread[spread_flow > 0]  # mentors with a mentee beyond their first
    return not (len(crowded) and _reaches(rows, cols, flows, count_e, crowded, first_room))


def _reaches(
    rows: Array, cols: Array, flows: Array, count_e: int, sources: Array, targets: Array
) -> bool:
    """Whether a path in the residual network of the pairs (a mentee to a candidate mentor
    it is not with, a mentor to a mentee it is with) leads from one of the mentors
    `sources` to a mentor in `targets` (a mask)."""
    import numpy as np

    used = flows > 0
    tail = np.concatenate([rows[~used], count_e + cols[used]])
    head = np.concatenate([count_e + cols[~used], rows[used]])
    start = np.full(count_e + len(targets), UNREACHED, dtype=np.int64)
    start[count_e + np.asarray(sources, dtype=np.int64)] = 0
    distance = _shortest_paths(tail, head, np.zeros(len(tail), dtype=np.int64), start)
    assert distance is not None  # no cost is negative
    return bool(((distance[count_e:] < UNREACHED) & targets).any())


def _prices(
    rows: Array,
    cols: Array,
    pair_costs: Array,
    flows: Array,
    fixed: FixedArcs,
    fixed_flows: Array,
    count_e: int,
    sink: int,
    start: Array | None = None,
) -> Array | None:
    """Node prices: shortest-path distances in the residual network from a root joined
    to every node at cost 0, i.e. from 0 at every node (None if a negative cycle shows
    the flow is not optimal). From `start` instead (prices of the flow before pairs were
    added): at most `REPAIR_PASSES` passes looking at `REPAIR_WORK` times the arcs, None
    when they do not settle."""
    import numpy as np

    used = flows > 0
    ahead, back = fixed_flows < fixed.caps, fixed_flows > 0
    # Parallel arcs (a mentor's free and spread arcs, both ways) keep their cheapest; the
    # pairs' arcs and the root's are one per two nodes already.
    fixed_tail = np.concatenate([fixed.tails[ahead], fixed.heads[back]])
    fixed_head = np.concatenate([fixed.heads[ahead], fixed.tails[back]])
    fixed_cost = np.concatenate([fixed.costs[ahead], -fixed.costs[back]])
    order = np.lexsort((fixed_cost, fixed_head, fixed_tail))
    key_tail, key_head = fixed_tail[order], fixed_head[order]
    first = np.concatenate(
        [[True], (key_tail[1:] != key_tail[:-1]) | (key_head[1:] != key_head[:-1])]
    )
    keepers = order[first]
    tail = np.concatenate([rows[~used], count_e + cols[used], fixed_tail[keepers]])
    head = np.concatenate([count_e + cols[~used], rows[used], fixed_head[keepers]])
    cost = np.concatenate([pair_costs[~used], -pair_costs[used], fixed_cost[keepers]])
    if start is None:
        return _shortest_paths(tail, head, cost, np.zeros(sink + 1, dtype=np.int64))
    return _shortest_paths(tail, head, cost, start, REPAIR_PASSES, REPAIR_WORK)


def _violators(
    pool: Pool,
    mentees: Array,
    mentors: Array,
    rows: Array,
    cols: Array,
    left_best: Array,
    prices: Array,
    costs: Costs,
    count_e: int,
    progress: Progress,
) -> tuple[Array, Array, Array] | None:
    """Left-out feasible pairs with a negative reduced cost (None when there is none).

    A pair's reduced cost is cost + price(mentee) - price(mentor). A mentee's left-out
    pairs score at most `left_best`, so each costs at least cost(left_best): its reduced
    cost is negative only with a mentor priced above cost(left_best) + price(mentee), its
    `floor`. Mentees whose floor is at or above the highest mentor price need no look; the
    others are re-scored in blocks, highest floors first, each block against the mentors
    priced above its lowest floor only.
    """
    import numpy as np

    mentor_price = prices[count_e : count_e + len(mentors)]
    if len(mentor_price) == 0:
        return None
    top = float(mentor_price.max())
    finite = np.isfinite(left_best)
    floor = np.where(finite, costs.of(np.where(finite, left_best, 0.0)) + prices[:count_e], 0)
    suspects = np.flatnonzero(finite & (floor - top < -0.5))
    if len(suspects) == 0:
        return None
    progress("proving optimal", 0.0)
    suspects = suspects[np.argsort(-floor[suspects], kind="stable")]
    by_price = np.argsort(-mentor_price, kind="stable")
    falling = -mentor_price[by_price]  # (ascending)
    width = len(mentors)
    keys = np.sort(rows * width + cols)
    step = max(1, BLOCK_CELLS // max(width, 1))

    def violating(start: int) -> tuple[Array, Array, Array, Array]:
        """The block's fresh pairs of negative reduced cost, the most negative few of each
        mentee (enough to move the flow, few arcs): mentee positions, mentors, scores and
        reduced costs."""
        block = suspects[start : start + step]
        above = int(np.searchsorted(falling, -(float(floor[block].min()) + 0.5), side="left"))
        priced = np.sort(by_price[:above])  # the mentors that may be part of one
        score = score_block(pool, mentees[block], mentors[priced], directed=True)
        ok = feasible_block(pool, mentees[block], mentors[priced])
        reduced = costs.of(score) + prices[block][:, None] - mentor_price[priced][None, :]
        bad = ok & (reduced < -0.5)
        r, c = np.nonzero(bad)
        flat = block[r] * width + priced[c]
        fresh = _unknown(keys, flat)
        r, c = r[fresh], c[fresh]
        order = np.lexsort((reduced[r, c], r))
        rank = np.arange(len(order)) - np.searchsorted(r[order], r[order], side="left")
        pick = order[rank < ADDED_PER_MENTEE]
        r, c = r[pick], c[pick]
        return block[r], priced[c], score[r, c], reduced[r, c]

    found: list[tuple[Array, Array, Array, Array]] = []
    starts = range(0, len(suspects), step)
    for start, made in zip(starts, map_blocks(violating, starts), strict=True):
        if len(made[0]):
            found.append(made)
        progress("proving optimal", min(1.0, (start + step) / len(suspects)))
    if not found:
        return None
    r, c, s, reduced = (np.concatenate(part) for part in zip(*found, strict=True))
    # by mentee, then most negative first, then mentor: as if looked at in mentee order
    order = np.lexsort((c, reduced, r))
    return r[order].astype(np.int64), c[order].astype(np.int64), s[order]


UNREACHED = 2**61  # the distance of a node no path reaches (any path's is far less)


def _shortest_paths(
    tail: Array,
    head: Array,
    cost: Array,
    start: Array,
    passes: int | None = None,
    work: float | None = None,
) -> Array | None:
    """Bellman-Ford distances to each node from the nodes whose `start` distance is below
    UNREACHED (0 at every node: as if from a root joined to each at cost 0), one numpy pass
    over the arcs leaving the nodes whose distance changed; None on a negative cycle (or
    when `passes` passes, looking at `work` times the arcs in all, do not settle them)."""
    import numpy as np

    size = len(start)
    distance = np.array(start, dtype=np.int64)
    cost = np.asarray(cost, dtype=np.int64)
    # the first pass: every arc, to find the nodes it leaves that lower a distance
    better = (distance[tail] + cost < distance[head]) & (distance[tail] < UNREACHED)
    frontier = sorted_distinct(tail[better])
    # grouped by tail; 16-bit keys sort by radix, in a twentieth of the time
    order = np.argsort(tail.astype(np.uint16) if size <= 2**16 else tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    first = np.searchsorted(tail, np.arange(size + 1))  # each node's first arc
    changed = np.zeros(size, dtype=bool)  # the nodes whose distance a pass lowered
    budget = len(tail) * work if work is not None else np.inf
    for _ in range(size + 1 if passes is None else passes):
        counts = first[frontier + 1] - first[frontier]
        looked = int(counts.sum())
        if looked == 0:
            return distance
        budget -= looked
        if budget < 0:
            return None
        offsets = np.repeat(first[frontier] - np.cumsum(counts) + counts, counts)
        arcs = offsets + np.arange(looked)
        reach = distance[tail[arcs]] + cost[arcs]
        target = head[arcs]
        better = reach < distance[target]
        if not better.any():
            return distance
        target, reach = target[better], reach[better]
        np.minimum.at(distance, target, reach)
        changed[target] = True  # (np.unique would sort them: a mask is linear)
        frontier = np.flatnonzero(changed)
        changed[frontier] = False
    return None


def assignment_prices(
    rows: Array, cols: Array, weight: Array, count: int
) -> tuple[float, Array, Array, Array]:
    """The best assignment of `count` rows to `count` columns on the arcs (rows, cols)
    (a row may stay unassigned), by min-cost flow, and dual prices u, v >= 0 with
    u_i + v_j >= weight on every arc: (the assignment's weight, u, v, each row's column
    or -1)."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

    keep = weight > 0
    rows, cols, weight = rows[keep], cols[keep], weight[keep]
    if len(rows) == 0:
        return 0.0, np.zeros(count), np.zeros(count), np.full(count, -1, dtype=np.int64)
    top = float(weight.max())
    scale = MAX_SCALE
    while scale > 1 and top * scale * (2 * count + 2) >= 2**62:
        scale //= 10
    sink = 2 * count
    cost = np.rint((top - weight) * scale).astype(np.int64)
    unassigned = round(top * scale)
    tails = np.concatenate([rows, np.arange(count), count + np.arange(count)])
    heads = np.concatenate([count + cols, np.full(2 * count, sink)])
    caps = np.ones(len(tails), dtype=np.int64)
    unit = np.concatenate(
        [cost, np.full(count, unassigned, dtype=np.int64), np.zeros(count, dtype=np.int64)]
    )
    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int64), heads.astype(np.int64), caps, unit
    )
    supplies = np.concatenate([np.ones(count), np.zeros(count), [-count]]).astype(np.int64)
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:  # pragma: no cover - every row may stay unassigned
        msg = f"min-cost flow failed ({status})"
        raise RuntimeError(msg)
    flows = np.asarray(solver.flows(arcs), dtype=np.int64)
    live = flows < caps
    tail = np.concatenate([tails[live], heads[~live]])
    head = np.concatenate([heads[live], tails[~live]])
    arc_cost = np.concatenate([unit[live], -unit[~live]])
    distance = _shortest_paths(tail, head, arc_cost, np.zeros(sink + 1, dtype=np.int64))
    n = len(rows)
    value = float(weight[flows[:n] > 0].sum())
    if distance is None:  # pragma: no cover - OR-Tools returned an optimal flow
        return value, np.full(count, top), np.zeros(count), np.full(count, -1, dtype=np.int64)
    # Reduced cost / scale = top - w + (d_i - d_j) / scale = u_i + v_j - w.
    u = np.maximum(top + (distance[:count] - distance[sink]) / scale, 0.0)
    v = np.maximum((distance[sink] - distance[count:sink]) / scale, 0.0)
    # Integer costs are within half a unit of the weights: lift u so it truly covers them.
    short = weight - u[rows] - v[cols]
    np.maximum.at(u, rows, u[rows] + np.maximum(short, 0.0))
    successor = np.full(count, -1, dtype=np.int64)
    chosen = flows[:n] > 0
    successor[rows[chosen]] = cols[chosen]
    return value, u, v, successor
