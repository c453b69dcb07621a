"""Mentoring by min-cost flow: equal to a dense assignment, proven optimal, fair loads.

The reference is scipy's dense `linear_sum_assignment` on every feasible (mentee, mentor
slot) cell, solving the same problem: most mentees first, then (with spread) most mentors
with a mentee -- a penalty on every slot of a mentor after its first -- then the best total.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from peerkit.check import check_folder
from peerkit.cli import app
from peerkit.load.folder import load_folder
from peerkit.match import blocks as blocks_module
from peerkit.match import flow as flow_module
from peerkit.match import match_round
from peerkit.match.pool import Pool, build_pool, distinct_rows, sorted_distinct
from peerkit.match.rules import feasible_block
from peerkit.match.score import score_block
from peerkit.match.solve import solve_mentoring
from peerkit.model import Folder, Levels, Member, Rules

runner = CliRunner()
TOPICS = [f"topic {k}" for k in range(12)]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"]


@dataclass
class Instance:
    pool: Pool
    mentees: Any
    mentors: Any
    capacity: Any


def instance_of(folder: Folder) -> Instance:
    active = [m for m in folder.members if m.is_active_on(folder.program.start)]
    pool = build_pool(folder, active, "r1")
    mentees = np.array([i for i, m in enumerate(pool.members) if m.role == "mentee"])
    mentors = np.array(
        [i for i, m in enumerate(pool.members) if m.role == "mentor" and m.capacity > 0]
    )
    capacity = np.array([pool.members[i].capacity for i in mentors], dtype=np.int64)
    return Instance(pool, mentees.astype(np.int64), mentors.astype(np.int64), capacity)


def one_mentor_each(
    case: Instance, spread: bool, keep: int | None = None
) -> flow_module.FlowSolution:
    """The flow of `case` with one mentor per mentee and no mentee taken yet."""
    return flow_module.solve_flow(
        case.pool,
        case.mentees,
        case.mentors,
        case.capacity,
        np.ones(len(case.mentees), dtype=np.int64),
        np.zeros(len(case.mentors), dtype=np.int64),
        spread=spread,
        progress=lambda _p, _d: None,
        keep=keep,
    )


def dense_reference(case: Instance, spread: bool) -> tuple[int, int, float]:
    """(mentees matched, mentors with a mentee, total score) of the dense optimum."""
    from scipy.optimize import linear_sum_assignment

    if len(case.mentees) == 0 or len(case.mentors) == 0:
        return 0, 0, 0.0
    score = score_block(case.pool, case.mentees, case.mentors, directed=True)
    ok = feasible_block(case.pool, case.mentees, case.mentors)
    slot_of = np.repeat(np.arange(len(case.mentors)), case.capacity)
    later = np.concatenate([np.arange(c) > 0 for c in case.capacity])  # a mentor's 2nd, 3rd...
    top = float(np.abs(score).max()) + 1.0
    cells = len(case.mentees) + 1
    penalty = top * cells if spread else 0.0
    bonus = (penalty + top) * cells
    value = np.where(ok, score + bonus, 0.0)[:, slot_of] - np.where(later, penalty, 0.0)
    value = np.where(ok[:, slot_of], value, 0.0)
    rows, cols = linear_sum_assignment(value, maximize=True)
    chosen = ok[rows, slot_of[cols]]
    rows, cols = rows[chosen], cols[chosen]
    used = len(set(slot_of[cols].tolist()))
    return len(rows), used, float(score[rows, slot_of[cols]].sum())


def solved_figures(case: Instance, spread: bool) -> tuple[int, int, float, Any]:
    solved = solve_mentoring(
        case.pool,
        case.mentees,
        case.mentors,
        case.capacity,
        np.ones(len(case.mentees), dtype=np.int64),
        spread=spread,
    )
    mentors = {m for m, _ in solved.matches}
    return len(solved.matches), len(mentors), sum(solved.scores), solved


def check_solution(case: Instance, solved: Any) -> None:
    """Every match is a feasible pair, no mentee twice, no mentor over capacity."""
    ok = feasible_block(case.pool, case.mentees, case.mentors)
    row = {int(v): k for k, v in enumerate(case.mentees)}
    col = {int(v): k for k, v in enumerate(case.mentors)}
    for mentor, mentee in solved.matches:
        assert ok[row[mentee], col[mentor]]
    mentees = [e for _, e in solved.matches]
    assert len(mentees) == len(set(mentees))
    load = np.bincount([col[m] for m, _ in solved.matches], minlength=len(case.mentors))
    assert (load <= case.capacity).all()


# --- random rosters (hypothesis) ------------------------------------------------------


@st.composite
def rosters(draw: st.DrawFn) -> list[Member]:
    count = draw(st.integers(2, 14))
    members = []
    for k in range(count):
        members.append(
            Member(
                id=f"m{k}",
                name=f"M{k}",
                role=draw(st.sampled_from(["mentor", "mentee", "mentee"])),
                organization=draw(st.sampled_from(["a", "b", "c"])),
                timezone=draw(st.sampled_from(ZONES)),
                goals=tuple(draw(st.lists(st.sampled_from(TOPICS[:5]), max_size=3, unique=True))),
                offers=tuple(draw(st.lists(st.sampled_from(TOPICS[:5]), max_size=3, unique=True))),
                levels=Levels(draw(st.integers(1, 3)), draw(st.integers(1, 2)), None),
                capacity=draw(st.integers(0, 3)),
            )
        )
    return members


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    root = tmp_path_factory.mktemp("base")
    write_program(root, [person("x", role="mentor"), person("y", role="mentee")])
    folder, _ = load_folder(root)
    assert folder is not None
    return folder


def with_roster(base: Folder, members: list[Member], spread: bool = True) -> Folder:
    rules = Rules(
        differ_in_one_of=("knowledge", "experience"),
        not_same=("organization",),
        max_timezone_gap=8,
    )
    matching = replace(base.program.matching, rules=rules, spread=spread)
    program = replace(base.program, format="mentoring", matching=matching)
    return replace(base, program=program, members=tuple(members))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    members=rosters(),
    spread=st.booleans(),
    keep=st.integers(1, 4),
    eased=st.sampled_from([flow_module.EASED_PAIRS, 0]),
    few=st.sampled_from([flow_module.FEW_MENTEES, 0]),
)
def test_flow_equals_the_dense_assignment(
    base: Folder, members: list[Member], spread: bool, keep: int, eased: int, few: int
) -> None:
    # `keep` best mentors per mentee: the proof must add every pair that matters (all the
    # more without a mentor's own best mentees, `few` 0). With eased costs of 0 pairs
    # (unmatched and spread cost 1), the first solve is mostly wrong on the levels and
    # the solve with the true costs must take over.
    case = instance_of(with_roster(base, members, spread))
    original = flow_module.CANDIDATES, flow_module.EASED_PAIRS, flow_module.FEW_MENTEES
    flow_module.CANDIDATES, flow_module.EASED_PAIRS, flow_module.FEW_MENTEES = keep, eased, few
    try:
        matched, used, total, solved = solved_figures(case, spread)
    finally:
        flow_module.CANDIDATES, flow_module.EASED_PAIRS, flow_module.FEW_MENTEES = original
    check_solution(case, solved)
    ref_matched, ref_used, ref_total = dense_reference(case, spread)
    assert matched == ref_matched
    if spread:
        assert used == ref_used
    assert total == pytest.approx(ref_total, abs=1e-5 * max(matched, 1))
    assert solved.exact is True
    assert solved.bound == pytest.approx(total)


# --- rosters up to 1,000 members (fixed cases) ------------------------------------------


def person(member_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": member_id, "name": member_id.title(), **fields}


def write_program(root: Path, members: list[dict[str, Any]], matching: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yaml").write_text(
        "name: Test program\ntimezone: UTC\nstart: 2027-01-01\nend: 2027-06-30\n"
        "format: mentoring\ncapacity: 2\n"
        "meetings: {cadence: monthly, day: second Tuesday, time: '09:00', duration: 1h}\n"
        f"matching:\n  seed: 7\n{matching}",
        encoding="utf-8",
    )
    (root / "members.yaml").write_text(
        yaml.safe_dump({"members": members}, sort_keys=False), encoding="utf-8"
    )
    return root


def random_mentoring(
    root: Path, count: int, seed: int, mentor_share: int = 3, departments: int = 20
) -> Folder:
    """`count` members, one in `mentor_share` a mentor of capacity 1-3."""
    rng = random.Random(seed)
    zones = ["America/Chicago", "America/New_York", "Europe/London", "Europe/Berlin"]
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yaml").write_text(
        "name: Random\ntimezone: UTC\nstart: 2027-01-01\nend: 2027-12-31\nformat: mentoring\n"
        "matching:\n  seed: 1\n  rules:\n    not_same: [department]\n  diversity: [industry]\n",
        encoding="utf-8",
    )
    lines = ["id,name,role,capacity,department,timezone,goals,offers,knowledge,industry"]
    for k in range(count):
        role = "mentor" if k % mentor_share == 0 else "mentee"
        lines.append(
            f"m{k:04d},Member {k},{role},{rng.randint(1, 3)},dept{rng.randrange(departments)},"
            f"{rng.choice(zones)},{';'.join(rng.sample(TOPICS, 3))},"
            f"{';'.join(rng.sample(TOPICS, 3))},{rng.randint(1, 5)},industry{rng.randrange(6)}"
        )
    (root / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder, problems = check_folder(root)
    assert folder is not None, problems
    return folder


def assert_equals_dense(case: Instance, spread: bool) -> None:
    """The flow's round is feasible, proven, and as good as the dense assignment's."""
    matched, used, total, solved = solved_figures(case, spread)
    check_solution(case, solved)
    ref_matched, ref_used, ref_total = dense_reference(case, spread)
    assert (matched, total) == (ref_matched, pytest.approx(ref_total, abs=1e-5 * matched))
    if spread:
        assert used == ref_used
    assert solved.exact is True


@pytest.mark.parametrize(
    ("count", "keep", "share", "spread"),
    [
        (1000, 50, 3, True),  # the usual path: the first graph is proven optimal
        (1000, 50, 3, False),
        (600, 2, 3, True),  # two mentors each: the proof adds the pairs that matter
        (600, 2, 4, False),  # fewer mentors than mentees can take: some stay unmatched
        (301, 1, 2, True),  # more places than mentees: spread decides who gets a second
    ],
)
def test_large_rosters_equal_the_dense_assignment(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    count: int,
    keep: int,
    share: int,
    spread: bool,
) -> None:
    monkeypatch.setattr(flow_module, "CANDIDATES", keep)
    folder = random_mentoring(tmp_path, count, seed=count + keep, mentor_share=share)
    case = instance_of(folder)
    assert_equals_dense(case, spread)


def test_mentors_on_few_lists_get_their_own_best_mentees(tmp_path: Path) -> None:
    """Each mentee's 2 best mentors leave most of 100 on fewer than 10 lists: each of
    those gets its 10 best feasible mentees (by score, as a dense block has them), the
    graph keeps every pair it had, and no pair is there twice."""
    case = instance_of(random_mentoring(tmp_path, 300, seed=11))
    pool, mentees, mentors = case.pool, case.mentees, case.mentors
    graph, *_ = flow_module.candidate_graph(pool, mentees, mentors, 2, lambda *_: None)
    listed = np.bincount(graph.cols, minlength=len(mentors))
    few = np.flatnonzero(listed < flow_module.FEW_MENTEES)
    assert len(few) > len(mentors) // 2
    units = len(mentees)
    grown = flow_module.with_listed_mentors(
        pool, mentees, mentors, graph, case.capacity, units, spread=True
    )
    assert (listed == 0).any()  # (with spread: a mentor without a mentee for sure)
    reach = int(np.minimum(case.capacity, listed).sum())
    roomy = flow_module.with_listed_mentors(  # room enough within reach: none is wanted
        pool, mentees, mentors, graph, case.capacity, reach, spread=False
    )
    assert roomy is graph
    tight = flow_module.with_listed_mentors(
        pool, mentees, mentors, graph, case.capacity, reach + 1, spread=False
    )
    assert tight.rows.tolist() == grown.rows.tolist()
    assert grown.rows[: len(graph.rows)].tolist() == graph.rows.tolist()
    assert grown.cols[: len(graph.cols)].tolist() == graph.cols.tolist()
    pairs = list(zip(grown.rows.tolist(), grown.cols.tolist(), strict=True))
    assert len(pairs) == len(set(pairs))
    dense = np.where(
        feasible_block(pool, mentees, mentors),
        score_block(pool, mentees, mentors, directed=True),
        -np.inf,
    )
    for c in few.tolist():
        best = np.sort(dense[:, c])[::-1][: flow_module.FEW_MENTEES]
        theirs = np.sort(grown.scores[grown.cols == c])[::-1][: flow_module.FEW_MENTEES]
        assert theirs.tolist() == pytest.approx(best[np.isfinite(best)].tolist())
    untouched = np.flatnonzero(listed >= flow_module.FEW_MENTEES)
    assert np.isin(grown.cols[len(graph.cols) :], untouched).sum() == 0


def test_mentors_nobody_lists_spare_the_proof(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mentors on nobody's list (every mentee's 2 best are among a few) leave mentees
    without one in the first graph: the proof then adds pairs for nearly every mentee.
    With each such mentor's own best mentees it adds few, to the same proven total."""
    case = instance_of(random_mentoring(tmp_path, 600, seed=3, mentor_share=2))
    wanted = np.ones(len(case.mentees), dtype=np.int64)
    taken = np.zeros(len(case.mentors), dtype=np.int64)
    monkeypatch.setattr(flow_module, "CANDIDATES", 2)

    def solved(few: int) -> flow_module.FlowSolution:
        monkeypatch.setattr(flow_module, "FEW_MENTEES", few)
        return flow_module.solve_flow(
            case.pool,
            case.mentees,
            case.mentors,
            case.capacity,
            wanted,
            taken,
            spread=True,
            progress=lambda *_: None,
        )

    listed = solved(flow_module.FEW_MENTEES)
    bare = solved(0)
    assert bare.proven
    assert listed.proven
    assert sum(listed.scores) == pytest.approx(sum(bare.scores))
    assert len(listed.pairs) == len(bare.pairs)
    assert bare.added > len(case.mentees) // 2
    assert listed.added < bare.added // 10


def watch_spread(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each `_spread_best` call answers, from now on."""
    told: list[bool] = []
    check = flow_module._spread_best

    def spread_best(*args: Any) -> bool:
        told.append(check(*args))
        return told[-1]

    monkeypatch.setattr(flow_module, "_spread_best", spread_best)
    return told


def test_an_eased_spread_gives_way_to_the_true_one_when_mentors_go_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spread eased to a cost of 1, less than most pairs: the eased optimum gives some
    # mentors a second mentee while others have none, to score better. `_spread_best`
    # must see it and the true costs solve again.
    monkeypatch.setattr(flow_module.Costs, "eased", lambda costs: replace(costs, spread=1))
    told = watch_spread(monkeypatch)
    folder = random_mentoring(tmp_path, 300, seed=5, mentor_share=2)
    case = instance_of(folder)
    assert_equals_dense(case, True)
    assert told
    assert told[0] is False


@pytest.mark.parametrize("share", [4, 2])  # more mentees than places; more places
def test_the_most_mentees_are_matched_without_an_arc_for_the_unmatched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, share: int
) -> None:
    # OR-Tools gets no arc for a mentee left unmatched (its maximum flow matches the
    # most), yet the proof prices them at the true cost: equal to the dense optimum.
    told = watch_spread(monkeypatch)
    folder = random_mentoring(tmp_path, 300, seed=5, mentor_share=share)
    case = instance_of(folder)
    assert_equals_dense(case, False)
    assert told == []  # nothing eased without spread


def test_eased_costs_are_taken_when_the_spread_is_best(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The usual case: every mentee matched, every mentor with a mentee before any has two.
    told = watch_spread(monkeypatch)
    folder = random_mentoring(tmp_path, 600, seed=8)
    case = instance_of(folder)
    units = len(case.mentees)
    costs = flow_module.costs_for(units, units + len(case.mentors) + 1, 0.0, 10.0, True)
    eased = costs.eased()
    assert (eased.scale, eased.widest, eased.unmatched) == (
        costs.scale,
        costs.widest,
        costs.unmatched,
    )
    assert eased.spread == flow_module.EASED_PAIRS * costs.widest + 1 < costs.spread
    matched, used, total, _ = solved_figures(case, True)
    assert told == [True]
    ref_matched, ref_used, ref_total = dense_reference(case, True)
    assert (matched, used) == (ref_matched, ref_used)
    assert total == pytest.approx(ref_total, abs=1e-5 * matched)


def test_a_repair_that_spreads_through_the_network_stops_early(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Prices that settle within a few arcs' looking are found; a negative cycle (prices
    that would never settle) stops once as many arcs as the network has were looked at,
    not after every pass allowed."""
    size = 2_000
    ring = np.arange(size)
    tail, head = ring, np.roll(ring, -1)
    passes: list[int] = []
    flatnonzero = np.flatnonzero

    def counted(values: Any) -> Any:
        passes.append(1)
        return flatnonzero(values)

    monkeypatch.setattr(np, "flatnonzero", counted)
    start = np.zeros(size, dtype=np.int64)
    cycle = np.full(size, -1, dtype=np.int64)  # a ring of negative arcs
    assert flow_module._shortest_paths(tail, head, cycle, start, 500) is None
    assert len(passes) == 500
    passes.clear()
    assert flow_module._shortest_paths(tail, head, cycle, start, 500, 1.0) is None
    assert len(passes) <= 2
    # one negative arc on a ring of positive ones: settled in six passes, within the budget
    line = np.ones(size, dtype=np.int64)
    line[0] = -5
    settled = flow_module._shortest_paths(tail, head, line, start, 500, 1.0)
    assert settled is not None
    assert settled.tolist() == [0, -5, -4, -3, -2, -1, *[0] * (size - 6)]


@pytest.mark.parametrize("size", [5_000, 70_000])  # 16-bit node numbers, and more
def test_shortest_paths_from_a_node_equal_dijkstra(size: int) -> None:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    rng = np.random.default_rng(size)
    count = 4 * size
    tail = rng.integers(0, size, count)
    head = rng.integers(0, size, count)
    cost = rng.integers(1, 1_000, count)
    root = size - 1
    start = np.full(size, flow_module.UNREACHED, dtype=np.int64)
    start[root] = 0
    distance = flow_module._shortest_paths(tail, head, cost, start)
    assert distance is not None
    # dijkstra on a csr_matrix: parallel arcs summed, so each keeps its cheapest first
    order = np.lexsort((cost, head, tail))
    tail, head, cost = tail[order], head[order], cost[order]
    first = np.concatenate([[True], (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])])
    graph = csr_matrix((cost[first], (tail[first], head[first])), shape=(size, size))
    expected = dijkstra(graph, indices=root)
    reached = np.isfinite(expected)
    assert reached.sum() > size // 2
    assert (distance[reached] == expected[reached]).all()
    assert (distance[~reached] == flow_module.UNREACHED).all()


def test_blocks_come_back_in_their_order_whichever_thread_ends_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(blocks_module, "cores", lambda: 2)
    threads: set[str] = set()

    def work(start: int) -> int:
        threads.add(threading.current_thread().name)
        time.sleep(0.02 if start % 2 == 0 else 0.0)  # the even blocks end last
        return start * 10

    assert list(blocks_module.map_blocks(work, range(0, 8, 2))) == [0, 20, 40, 60]
    assert list(blocks_module.map_blocks(work, range(1, 9, 2))) == [10, 30, 50, 70]
    assert len(threads) == 2


def test_an_error_in_a_block_is_raised_and_the_blocks_not_begun_never_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(blocks_module, "cores", lambda: 2)
    ran: list[int] = []

    def work(start: int) -> int:
        ran.append(start)
        if start == 0:
            raise ValueError("block 0")
        time.sleep(0.01)
        return start

    with pytest.raises(ValueError, match="block 0"):
        list(blocks_module.map_blocks(work, range(100)))
    assert len(ran) < 10


def test_candidates_are_the_same_on_one_core_and_on_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = instance_of(random_mentoring(tmp_path, 900, seed=4))
    monkeypatch.setattr(flow_module, "BLOCK_CELLS", 5_000)  # 20 blocks
    made = []
    for cores in (1, 2):
        monkeypatch.setattr(blocks_module, "cores", lambda cores=cores: cores)
        graph, left_best, low, high = flow_module.candidate_graph(
            case.pool, case.mentees, case.mentors, 5, lambda _p, _d: None
        )
        made.append((graph.rows, graph.cols, graph.scores, left_best, low, high))
    one, two = made
    assert len(one[0]) == 5 * len(case.mentees)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


def test_proof_adds_left_out_pairs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flow_module, "CANDIDATES", 1)
    folder = random_mentoring(tmp_path, 400, seed=3)
    case = instance_of(folder)
    found = one_mentor_each(case, spread=True)
    assert found.proven is True
    assert found.added > 0  # one mentor each is not enough: the prices found better pairs
    assert found.rounds >= 2
    _, _, ref_total = dense_reference(case, True)
    assert sum(found.scores) == pytest.approx(ref_total, abs=1e-5 * len(found.pairs))


def test_prices_settled_again_prove_the_flow_without_solving_it_again(tmp_path: Path) -> None:
    """Pairs the prices flag may leave the flow optimal all the same (other prices prove
    it): those prices are found from the old ones, and the flow is not solved again."""
    case = instance_of(random_mentoring(tmp_path, 60, seed=9))
    found = one_mentor_each(case, spread=False, keep=3)
    assert found.proven is True
    assert found.added > 0
    assert found.rounds == 1
    _, _, ref_total = dense_reference(case, False)
    assert sum(found.scores) == pytest.approx(ref_total, abs=1e-5 * len(found.pairs))


def test_a_flow_solved_again_is_given_only_the_pairs_likely_to_take_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After pairs are added and the old prices no longer hold, the solver is given the
    flow's pairs and those of small reduced cost, not the whole graph: still the best
    there is, proven (any pair left out that the new prices do not hold is put back)."""
    given: list[int] = []
    solve = flow_module._min_cost_flow

    def counted(rows: Any, *args: Any) -> Any:
        given.append(len(rows))
        return solve(rows, *args)

    monkeypatch.setattr(flow_module, "_min_cost_flow", counted)
    case = instance_of(random_mentoring(tmp_path, 400, seed=3))
    found = one_mentor_each(case, spread=False, keep=1)
    assert found.proven is True
    assert found.rounds >= 2
    assert len(given) == found.rounds
    # (the whole graph at the last solve: every pair of the first and those added)
    assert given[-1] <= 0.75 * (given[0] + found.added)
    _, _, ref_total = dense_reference(case, False)
    assert sum(found.scores) == pytest.approx(ref_total, abs=1e-5 * len(found.pairs))


def test_the_left_out_pairs_flagged_are_those_a_look_at_every_pair_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proof looks at each suspect mentee's pairs with the mentors priced high enough
    only: what it flags is what scoring every left-out pair flags, in the same order."""
    monkeypatch.setattr(flow_module, "BLOCK_CELLS", 2_000)  # many blocks of few mentees
    case = instance_of(random_mentoring(tmp_path, 400, seed=3))
    graph, left_best, low, high = flow_module.candidate_graph(
        case.pool, case.mentees, case.mentors, 1, lambda _p, _d: None
    )
    wanted = np.ones(len(case.mentees), dtype=np.int64)
    count_e, count_r = len(case.mentees), len(case.mentors)
    sink = count_e + count_r
    costs = flow_module.costs_for(count_e, sink + 1, low, high, False)
    fixed = flow_module._fixed_arcs(wanted, case.capacity, case.capacity, costs, sink)
    pair_costs = costs.of(graph.scores)
    flows, fixed_flows = flow_module._min_cost_flow(
        graph.rows, graph.cols, pair_costs, fixed, wanted, sink
    )
    prices = flow_module._prices(
        graph.rows, graph.cols, pair_costs, flows, fixed, fixed_flows, count_e, sink
    )
    assert prices is not None
    found = flow_module._violators(
        case.pool,
        case.mentees,
        case.mentors,
        graph.rows,
        graph.cols,
        left_best,
        prices,
        costs,
        count_e,
        lambda _p, _d: None,
    )
    assert found is not None
    # every pair scored, the graph's taken out, each mentee's most negative first
    score = score_block(case.pool, case.mentees, case.mentors, directed=True)
    reduced = costs.of(score) + prices[:count_e, None] - prices[None, count_e:sink]
    bad = feasible_block(case.pool, case.mentees, case.mentors) & (reduced < -0.5)
    bad[graph.rows, graph.cols] = False
    flagged = sorted(
        (int(r), int(reduced[r, c]), int(c)) for r, c in zip(*np.nonzero(bad), strict=True)
    )
    expected, per = [], dict[int, int]()
    for r, _reduced, c in flagged:
        per[r] = per.get(r, 0) + 1
        if per[r] <= flow_module.ADDED_PER_MENTEE:
            expected.append((r, c, float(score[r, c])))
    rows, cols, scores = found
    assert list(zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True)) == expected


def test_no_proof_is_reported_as_not_optimal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flow_module, "CANDIDATES", 1)
    monkeypatch.setattr(flow_module, "PROOF_ROUNDS", 1)
    folder = random_mentoring(tmp_path, 400, seed=3)
    result = match_round(folder, "r1")
    summary = result.summary
    assert summary.optimal is False
    assert summary.bound > summary.total
    assert summary.gap_percent > 0
    monkeypatch.setattr(flow_module, "PROOF_ROUNDS", 12)
    proven = match_round(folder, "r1").summary
    assert proven.optimal is True
    assert proven.bound == proven.total
    assert proven.total >= summary.total


@pytest.mark.parametrize(
    ("topics", "kept_as"), [(40, "bits"), (200, "bits"), (300, "dense"), (1500, "sparse")]
)
def test_shared_values_are_counted_alike_as_bits_dense_and_sparse(
    tmp_path: Path, topics: int, kept_as: str
) -> None:
    """What two members' goals and offers share, as the pool counts it, is what their sets
    share, whichever way the pool keeps them (by the number of distinct values)."""
    from peerkit.match.score import shared

    rng = random.Random(topics)
    words = [f"topic {k}" for k in range(topics)]
    members = [
        person(
            f"m{k}",
            role="mentor" if k % 3 == 0 else "mentee",
            goals=rng.sample(words, rng.randint(0, 12)),
            offers=rng.sample(words, rng.randint(0, 12)),
        )
        for k in range(150)
    ]
    write_program(tmp_path, members)
    folder, _ = load_folder(tmp_path)
    assert folder is not None
    pool = build_pool(folder, list(folder.members), "r1")
    assert ("goals" in pool.bits, "goals" in pool.dense) == (kept_as == "bits", kept_as == "dense")
    rows, cols = np.arange(0, 150, 2), np.arange(1, 150, 3)
    for a, b in [("goals", "offers"), ("offers", "goals"), ("ground", "ground")]:
        counts = np.asarray(shared(pool, a, b, rows, cols))
        expected = [
            [len(set(pool.items(a, int(i))) & set(pool.items(b, int(j)))) for j in cols]
            for i in rows
        ]
        assert counts.tolist() == expected
    assert (score_block(pool, rows, cols) > 0).any()


@pytest.mark.parametrize("directed", [True, False])
def test_folded_terms_score_as_their_weighted_sum(tmp_path: Path, directed: bool) -> None:
    """Levels, timezone and availability folded into one table of kinds give each pair
    what the six terms weighted and summed give (levels missing, several zones and days)."""
    from peerkit.match.score import folded_terms, terms_block, weights

    rng = random.Random(5)
    zones = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]
    members = [
        person(
            f"m{k}",
            role="mentor" if k % 3 == 0 else "mentee",
            timezone=rng.choice(zones),
            goals=rng.sample(TOPICS, 2),
            offers=rng.sample(TOPICS, 2),
            levels={"knowledge": rng.choice([1, 3, 5, None]), "experience": rng.randint(1, 5)},
            availability=[rng.choice(["Tue 08:00-12:00", "Tue 13:00-17:00", "Wed 09:00-11:00"])],
        )
        for k in range(90)
    ]
    write_program(tmp_path, members, "  weights: {levels: 2, availability: 0.5}\n")
    folder, problems = load_folder(tmp_path)
    assert folder is not None, problems
    pool = build_pool(folder, list(folder.members), "r1")
    folded = folded_terms(pool, directed)
    assert folded is not None
    assert folded[2] == ("levels", "timezone", "availability")
    rows, cols = np.arange(0, 90, 3), np.arange(90)
    weight = weights(pool)
    terms = terms_block(pool, rows, cols, directed)
    # each term weighted in float32 (as scoring weighs it), then summed in float64
    expected = sum((terms[t] * weight[t]).astype(np.float64) for t in terms)
    assert np.allclose(score_block(pool, rows, cols, directed), expected, rtol=0, atol=1e-9)
    assert len({round(float(x), 6) for x in expected.ravel()}) > 20  # the terms vary


# --- fair loads -------------------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(members=rosters())
def test_spread_leaves_no_mentor_idle_that_could_take_over(
    base: Folder, members: list[Member]
) -> None:
    from peerkit.errors import PeerkitError

    folder = with_roster(base, members, spread=True)
    try:
        result = match_round(folder, "r1")
    except PeerkitError as exc:
        if "nobody can be matched" not in exc.message:
            raise
        return
    case = instance_of(folder)
    pool = case.pool
    load: dict[str, list[str]] = {m.id: [] for m in pool.members if m.role == "mentor"}
    for match in result.matches:
        mentor, *mentees = match.members
        load[mentor].extend(mentees)
    for mentor, mentees in load.items():
        assert len(mentees) <= folder.member(mentor).capacity  # type: ignore[union-attr]
    for idle, theirs in load.items():
        if theirs or folder.member(idle).capacity == 0:  # type: ignore[union-attr]
            continue
        for busy, mentees in load.items():
            if len(mentees) < 2:
                continue
            ok = feasible_block(
                pool, [pool.index[e] for e in mentees], np.array([pool.index[idle]])
            )
            assert not ok.any(), f"{idle} has nobody while {busy} has {mentees}"
    summary = result.summary
    counts = summary.mentor_loads
    assert sum(counts.values()) == len(load)
    assert counts == {
        k: sum(len(v) == k for v in load.values()) for k in range(max(map(len, load.values())) + 1)
    }


def test_spread_gives_every_mentor_one_before_anyone_two(tmp_path: Path) -> None:
    # Ana offers both mentees' goals; Ben offers one. By score alone Ana takes both.
    members = [
        person("ana", role="mentor", capacity=2, offers=["pricing", "hiring", "export"]),
        person("ben", role="mentor", capacity=2, offers=["export"]),
        person("cy", role="mentee", goals=["pricing", "export"]),
        person("di", role="mentee", goals=["hiring", "export"]),
    ]
    spread = match_round(check_folder(write_program(tmp_path / "a", members))[0], "r1")  # type: ignore[arg-type]
    assert sorted(m.members for m in spread.matches) in (
        [("ana", "cy"), ("ben", "di")],
        [("ana", "di"), ("ben", "cy")],
    )
    assert spread.summary.mentor_loads == {0: 0, 1: 2}
    assert spread.summary.spread is True
    assert spread.summary.optimal is True
    lowest = min(m.score for m in spread.matches)
    assert spread.summary.lowest_member_score == lowest
    assert "spread: true" in spread.text
    assert "mentor_loads: {0: 0, 1: 2}" in spread.text

    packed = match_round(
        check_folder(write_program(tmp_path / "b", members, "  spread: false\n"))[0],  # type: ignore[arg-type]
        "r1",
    )
    assert sorted(m.members for m in packed.matches) == [("ana", "cy"), ("ana", "di")]
    assert packed.summary.mentor_loads == {0: 1, 1: 0, 2: 1}
    assert packed.summary.total > spread.summary.total


def test_spread_is_validated_at_its_line(tmp_path: Path) -> None:
    root = write_program(
        tmp_path / "p",
        [person("ana", role="mentor"), person("cy", role="mentee")],
        "  spread: sometimes\n",
    )
    result = runner.invoke(app, ["check", str(root)])
    assert result.exit_code == 1
    assert "program.yaml:10:11: error[type]" in result.stderr
    assert "matching.spread: expected true or false, got 'sometimes'" in result.stderr


def test_capacity_counts_the_mentees_of_a_pinned_match(tmp_path: Path) -> None:
    members = [
        person("ana", role="mentor", capacity=3, offers=["pricing"]),
        person("ben", role="mentor", capacity=1, offers=["hiring"]),
        *(person(f"e{k}", role="mentee", goals=["pricing"]) for k in range(4)),
    ]
    root = write_program(tmp_path / "p", members, "  pins:\n    - [ana, e0, e1, e2]\n")
    result = match_round(check_folder(root)[0], "r1")  # type: ignore[arg-type]
    by_mentor: dict[str, list[str]] = {}
    for match in result.matches:
        by_mentor.setdefault(match.members[0], []).extend(match.members[1:])
    assert sorted(by_mentor["ana"]) == ["e0", "e1", "e2"]  # full: the pin holds three
    assert by_mentor["ben"] == ["e3"]
    assert result.summary.mentor_loads == {0: 0, 1: 1, 2: 0, 3: 1}


# --- pairs: the cycle-cover bound from the candidates' scores ---------------------------


def random_pairs(root: Path, count: int, seed: int) -> Folder:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yaml").write_text(
        "name: Random\ntimezone: UTC\nstart: 2027-01-01\nend: 2027-12-31\nformat: pairs\n"
        "matching:\n  seed: 1\n  rules:\n    not_same: [department]\n  diversity: [industry]\n",
        encoding="utf-8",
    )
    lines = ["id,name,department,timezone,goals,offers,obstacles,knowledge,industry"]
    for k in range(count):
        lines.append(
            f"p{k:04d},Peer {k},dept{rng.randrange(8)},{rng.choice(ZONES)},"
            f"{';'.join(rng.sample(TOPICS, 3))},{';'.join(rng.sample(TOPICS, 3))},"
            f"{';'.join(rng.sample(TOPICS, 2))},{rng.randint(1, 5)},industry{rng.randrange(6)}"
        )
    (root / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    folder, problems = check_folder(root)
    assert folder is not None, problems
    return folder


@pytest.mark.parametrize("keep", [3, 8, 40, 700])
def test_sparse_cycle_cover_bound_equals_the_dense_one(tmp_path: Path, keep: int) -> None:
    from peerkit.match.solve import (
        PAIRS_COVER_SLACK,
        cycle_cover_bound,
        dense_pairs,
        scored_pairs,
        sparse_cycle_cover_bound,
    )

    folder = random_pairs(tmp_path, 600, seed=keep)
    pool = build_pool(folder, list(folder.members), "r1")
    free = np.arange(pool.size)
    dense = cycle_cover_bound(*dense_pairs(pool, free))
    scored = scored_pairs(pool, free, free, directed=False, keep=keep)
    sparse = sparse_cycle_cover_bound(pool, free, scored)
    assert sparse >= dense - 1e-6  # a true bound, however few the candidates
    # Close to the dense one: members whose left-out pairs the prices cannot rule out are
    # scored in full, so only their raised prices (at most PAIRS_COVER_SLACK of the bound
    # once the pairs they miss are in) separate the two.
    assert sparse <= dense * (1 + (1e-3 if keep < 8 else 2 * PAIRS_COVER_SLACK)) + 1e-6


@pytest.mark.parametrize("repair", [4, 0])  # 0: no pair to repair with, the fallback runs
def test_large_pairs_round_reports_the_cycle_cover_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repair: int
) -> None:
    from peerkit.match import solve
    from peerkit.match.solve import SCALE, _blossom, cycle_cover_bound, dense_pairs

    # The path taken above 4,000 members, on 600.
    monkeypatch.setattr(solve, "PAIRS_BOUND_LIMIT", 100)
    monkeypatch.setattr(solve, "PAIRS_REPAIR_EDGES", repair)
    folder = random_pairs(tmp_path, 600, seed=11)
    result = match_round(folder, "r1")
    assert match_round(folder, "r1").text == result.text
    summary = result.summary
    pool = build_pool(folder, list(folder.members), "r1")
    score, ok = dense_pairs(pool, np.arange(pool.size))
    dense = cycle_cover_bound(score, ok)
    assert dense - 1e-3 <= summary.bound <= dense * (1 + 1e-4) + 1e-3
    a, b = np.nonzero(np.triu(ok, 1))
    best = _blossom(pool.size, a, b, np.rint(score[a, b] * SCALE))
    optimum = sum(float(score[x, y]) for x, y in best)
    assert summary.matches == len(best)  # every member paired, as the optimum does
    members = [pool.index[m] for match in result.matches for m in match.members]
    assert len(members) == len(set(members)) == 600
    for match in result.matches:
        i, j = (pool.index[m] for m in match.members)
        assert ok[i, j]
    assert optimum * (1 - 1e-3) <= summary.total <= optimum + 1e-3
    assert summary.total <= summary.bound
    assert 0 <= summary.gap_percent < 0.1


def test_mentoring_again_is_the_same_and_a_new_round_repeats_nobody(tmp_path: Path) -> None:
    import datetime as dt

    folder = random_mentoring(tmp_path, 300, seed=21)
    first = match_round(folder, "r1")
    assert match_round(folder, "r1").text == first.text
    assert first.summary.optimal is True
    (tmp_path / "rounds").mkdir()
    (tmp_path / "rounds" / "r1.yaml").write_text(first.text, encoding="utf-8")
    later = match_round(check_folder(tmp_path)[0], "r2", start=dt.date(2027, 6, 1))  # type: ignore[arg-type]
    before = {frozenset(m.members) for m in first.matches}
    assert not before & {frozenset(m.members) for m in later.matches}
    assert later.summary.optimal is True
    assert later.summary.matched == first.summary.matched


@pytest.mark.parametrize(("count", "keep"), [(600, 8), (1500, 40), (45, 50)])
def test_peers_scored_once_per_pair_equal_the_full_rows(
    tmp_path: Path, count: int, keep: int
) -> None:
    from peerkit.match.solve import scored_pairs, scored_peers

    folder = random_pairs(tmp_path, count, seed=count)
    pool = build_pool(folder, list(folder.members), "r1")
    free = np.arange(pool.size)
    full = scored_pairs(pool, free, free, directed=False, keep=keep)
    tiled = scored_peers(pool, free, keep)
    assert (full.feasible_count == tiled.feasible_count).all()
    assert np.array_equal(full.left_best, tiled.left_best)
    assert np.allclose(full.best, tiled.best)
    # The same best scores per member (ties may pick other partners of the same score).
    for scored in (full, tiled):
        assert all(np.isfinite(scored.scores))
    per_row = [np.bincount(s.rows, s.scores, minlength=pool.size) for s in (full, tiled)]
    assert np.allclose(per_row[0], per_row[1])
    assert np.array_equal(
        np.bincount(full.rows, minlength=pool.size), np.bincount(tiled.rows, minlength=pool.size)
    )


def lp_reference(case: Instance, wanted: int, spread: bool) -> tuple[int, int, float]:
    """(mentee places filled, mentors with a mentee, total) by scipy's LP on every feasible
    pair: several mentors per mentee, one extra variable per mentor for its mentees after
    the first (a network matrix: the LP's optimum is whole)."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    score = score_block(case.pool, case.mentees, case.mentors, directed=True)
    ok = feasible_block(case.pool, case.mentees, case.mentors)
    r, c = np.nonzero(ok)
    if len(r) == 0:
        return 0, 0, 0.0
    edges, mentors = len(r), len(case.mentors)
    top = float(np.abs(score).max()) + 1.0
    units = wanted * len(case.mentees) + 1
    penalty = top * units if spread else 0.0
    bonus = (penalty + top) * units
    cost = np.concatenate([-(score[r, c] + bonus), np.full(mentors, penalty)])
    e = np.arange(edges)
    rows = np.concatenate([r, len(case.mentees) + c, len(case.mentees) + mentors + c])
    cols = np.concatenate([e, e, e])
    data = np.ones(3 * edges)
    extra_rows = len(case.mentees) + mentors + np.arange(mentors)
    rows = np.concatenate([rows, extra_rows])
    cols = np.concatenate([cols, edges + np.arange(mentors)])
    data = np.concatenate([data, -np.ones(mentors)])
    matrix = coo_matrix(
        (data, (rows, cols)), shape=(len(case.mentees) + 2 * mentors, edges + mentors)
    )
    limit = np.concatenate(
        [
            np.full(len(case.mentees), wanted),
            case.capacity,
            np.ones(mentors) if spread else case.capacity,
        ]
    )
    bounds = [(0, 1)] * edges + [(0, None)] * mentors
    result = linprog(cost, A_ub=matrix.tocsr(), b_ub=limit, bounds=bounds, method="highs")
    assert result.status == 0
    chosen = result.x[:edges] > 0.5
    return int(chosen.sum()), len(set(c[chosen].tolist())), float(score[r[chosen], c[chosen]].sum())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(members=rosters(), spread=st.booleans(), keep=st.integers(1, 3))
def test_several_mentors_per_mentee_equal_the_lp(
    base: Folder, members: list[Member], spread: bool, keep: int
) -> None:
    case = instance_of(with_roster(base, members, spread))
    if len(case.mentees) == 0 or len(case.mentors) == 0:
        return
    found = flow_module.solve_flow(
        case.pool,
        case.mentees,
        case.mentors,
        case.capacity,
        np.full(len(case.mentees), 2, dtype=np.int64),
        np.zeros(len(case.mentors), dtype=np.int64),
        spread=spread,
        progress=lambda _p, _d: None,
        keep=keep,
    )
    assert found.proven is True
    assert len(set(found.pairs)) == len(found.pairs)  # two different mentors, never one twice
    per_mentee = np.bincount([r for r, _ in found.pairs], minlength=len(case.mentees))
    assert (per_mentee <= 2).all()
    load = np.bincount([c for _, c in found.pairs], minlength=len(case.mentors))
    assert (load <= case.capacity).all()
    places, used, total = lp_reference(case, 2, spread)
    assert len(found.pairs) == places
    if spread:
        assert len({c for _, c in found.pairs}) == used
    assert sum(found.scores) == pytest.approx(total, abs=1e-5 * max(places, 1))


@given(st.integers(1, 40), st.integers(0, 300), st.integers(0, 2**32 - 1), st.booleans())
@settings(max_examples=200, deadline=None)
def test_the_best_total_is_each_mentees_wanted_best_scores(
    mentees: int, pairs: int, seed: int, several: bool
) -> None:
    """The bound: each mentee's `wanted` best candidate scores, summed, whether every mentee
    wants at most one mentor or some want several."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.integers(0, mentees, pairs))
    scores = rng.integers(0, 9000, pairs) / 1000
    wanted = rng.integers(0, 3 if several else 2, mentees)
    graph = flow_module.Graph(rows, rows, scores)
    best = [sorted(scores[rows == i].tolist(), reverse=True)[: wanted[i]] for i in range(mentees)]
    expected = float(np.array([s for scores_of in best for s in scores_of]).sum())
    assert flow_module._best_total(graph, wanted) == pytest.approx(expected, abs=1e-9)


@given(st.lists(st.integers(-(2**62), 2**62), max_size=60))
def test_sorted_distinct_is_np_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    found = sorted_distinct(array)
    assert found.dtype == np.int64
    assert found.tolist() == np.unique(array).tolist() == sorted(set(values))


@given(
    st.integers(1, 3).flatmap(
        lambda width: st.lists(
            st.lists(st.sampled_from([-1.0, 0.0, 1.0, 2.5, 5.0]), min_size=width, max_size=width),
            max_size=40,
        ).map(lambda rows: np.array(rows, dtype=float).reshape(-1, width))
    )
)
def test_distinct_rows_is_np_unique(values: Any) -> None:
    """Members' kinds (levels, zones, their combinations): the first row of each kind and
    each row's kind, in sorted order, as np.unique of whole rows gives them."""
    _, first, inverse = np.unique(values, axis=0, return_index=True, return_inverse=True)
    found_first, found_inverse = distinct_rows(values)
    assert found_first.tolist() == first.tolist()
    assert found_inverse.tolist() == inverse.reshape(-1).tolist()
    flat_first, flat_inverse = distinct_rows(values[:, 0])  # a 1-d array: its items
    _, first, inverse = np.unique(values[:, 0], return_index=True, return_inverse=True)
    assert (flat_first.tolist(), flat_inverse.tolist()) == (first.tolist(), inverse.tolist())
