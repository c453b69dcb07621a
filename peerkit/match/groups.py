"""Peer teams: balanced sizes, a seeded greedy start, swap descent, then iterated local search.

The objective is each member's mean score with their teammates, summed over members
(so a team of six is not worth more than two of three). A pair that breaks a hard rule
costs far more than any score can give, so the search leaves no such pair in a team
when one can be avoided; a team still holding one at the end is repaired by taking the
member out. Members left over when every team is full sit on a "bench" (weight 0), and
swaps with the bench let the search choose who they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from peerkit.match.pool import Pool
from peerkit.match.rules import feasible_block
from peerkit.match.score import score_block

if TYPE_CHECKING:
    pass

Progress = Callable[[str, float], None]
ROUNDS_PER_MEMBER = 20  # iterated-local-search rounds per member (counted, never timed;
# capped at 20M / members: about 12 s at 1,000 members on a busy 2-core machine)
Array = Any


def _quiet(_phase: str, _done: float) -> None:
    return None


def plan_sizes(count: int, low: int, high: int) -> list[int]:
    """Balanced team sizes within [low, high] for `count` members (sum may be less)."""
    if count < low:
        return []
    middle = (low + high) / 2
    options = [g for g in range(1, count + 1) if math.ceil(count / g) <= high and count // g >= low]
    if options:
        teams = min(options, key=lambda g: (abs(count / g - middle), g))
        placed = count
    else:
        teams = count // low
        placed = min(count, teams * high)
    return [placed // teams + (1 if k < placed % teams else 0) for k in range(teams)]


@dataclass
class Teams:
    teams: list[list[int]]  # pool indices
    bench: list[int]  # left over: every team was full
    repaired: list[int]  # taken out because no team fitted them under the rules
    objective: float  # sum over members of their mean score with teammates
    bound: float


class Search:
    """Swap-based local search over a team assignment, with an undo log."""

    def __init__(self, weights: Array, group: Array, factor: Array, movable: Array) -> None:
        import numpy as np

        self.w = weights
        self.group = group
        self.factor = factor
        self.movable = movable
        teams = len(factor)
        onehot = np.zeros((len(group), teams))
        onehot[np.arange(len(group)), group] = 1.0
        # sums[g, i]: member i's total score with the members of team g (rows are
        # contiguous, so a team's column of sums is one fast slice).
        self.sums = np.ascontiguousarray((weights @ onehot).T)
        rows = np.arange(len(group))
        self.own = self.sums[group, rows].copy()  # i's total with their own team
        self.team_factor = factor[group]
        self.value = 0.5 * float((self.team_factor * self.own).sum())
        self.log: list[tuple[int, int]] = []
        self.members = [[int(k) for k in np.flatnonzero(group == g)] for g in range(teams)]
        self.blocked = ~movable

    def gains(self, i: int) -> Array:
        import numpy as np

        a = int(self.group[i])
        w_i = self.w[i]
        sums_a = self.sums[a]
        gain = self.factor[a] * (sums_a - w_i - sums_a[i])
        gain += self.team_factor * (self.sums[self.group, i] - w_i - self.own)
        gain[self.blocked] = -np.inf
        gain[self.members[a]] = -np.inf
        return gain

    def swap(self, i: int, j: int, gain: float) -> None:
        a, b = int(self.group[i]), int(self.group[j])
        delta = self.w[j] - self.w[i]
        self.sums[a] += delta
        self.sums[b] -= delta
        self.group[i], self.group[j] = b, a
        self.team_factor[i], self.team_factor[j] = self.factor[b], self.factor[a]
        self.members[a][self.members[a].index(i)] = j
        self.members[b][self.members[b].index(j)] = i
        ma, mb = self.members[a], self.members[b]
        self.own[ma] = self.sums[a, ma]
        self.own[mb] = self.sums[b, mb]
        self.value += gain
        self.log.append((i, j))

    def gain_of(self, i: int, j: int) -> float:
        a, b = int(self.group[i]), int(self.group[j])
        w_ij = float(self.w[i, j])
        return float(
            self.factor[a] * (self.sums[a, j] - w_ij - self.sums[a, i])
            + self.factor[b] * (self.sums[b, i] - w_ij - self.sums[b, j])
        )

    def descend(self, queue: list[int], rng: Any) -> None:
        """First-improvement swaps, starting from `queue`; teams that change are re-queued."""
        import numpy as np

        waiting = set(queue)
        order = list(queue)
        while order:
            i = order.pop()
            waiting.discard(i)
            if not self.movable[i]:
                continue
            gain = self.gains(i)
            j = int(np.argmax(gain))
            if gain[j] > 1e-9:
                a, b = int(self.group[i]), int(self.group[j])
                self.swap(i, j, float(gain[j]))
                for k in (*self.members[a], *self.members[b]):
                    if k not in waiting:
                        waiting.add(k)
                        order.insert(int(rng.integers(0, len(order) + 1)), int(k))

    def undo(self, mark: int) -> None:
        while len(self.log) > mark:
            i, j = self.log.pop()
            self.swap(j, i, self.gain_of(j, i))
            self.log.pop()


def make_teams(
    pool: Pool,
    free: Sequence[int],
    blocks: Sequence[Sequence[int]],
    low: int,
    high: int,
    seed: int,
    *,
    effort: float = 1.0,
    progress: Progress = _quiet,
) -> Teams:
    """Teams of `free` members (pinned `blocks` stay together) between low and high."""
    import numpy as np

    members = sorted({*free, *(i for block in blocks for i in block)})
    n = len(members)
    sizes = plan_sizes(n, low, high)
    if not sizes:
        return Teams([], members, [], 0.0, 0.0)
    local = {v: k for k, v in enumerate(members)}
    idx = np.array(members, dtype=np.int64)
    progress("scoring teams", 0.0)
    score = score_block(pool, idx, idx)
    ok = feasible_block(pool, idx, idx)
    pinned = np.zeros((n, n), dtype=bool)
    for block in blocks:
        where = [local[i] for i in block]
        pinned[np.ix_(where, where)] = True
    np.fill_diagonal(ok, True)
    penalty = (float(score.max(initial=0.0)) + 1.0) * n * 4
    weights = np.where(ok | pinned, score, -penalty)
    np.fill_diagonal(weights, 0.0)
    progress("scoring teams", 1.0)
    bench_size = n - sum(sizes)
    factor = np.array([1.0 / (s - 1) for s in sizes] + [0.0])
    capacity = [*sizes, bench_size]
    rng = np.random.default_rng(seed)
    group = _construct(weights, sizes, capacity, blocks, local, rng)
    movable = np.ones(n, dtype=bool)
    for block in blocks:
        movable[[local[i] for i in block]] = False
    search = Search(weights, group, factor, movable)
    search.descend(list(rng.permutation(n)), rng)
    _iterate(search, sizes, rng, effort, n, progress)
    group = search.group
    teams = [[int(idx[k]) for k in np.flatnonzero(group == g)] for g in range(len(sizes))]
    bench = [int(idx[k]) for k in np.flatnonzero(group == len(sizes))]
    teams, repaired = _repair(teams, ok, pinned, local, low, high)
    objective = sum(_member_means(score, [[local[i] for i in t] for t in teams]))
    kept = max(min(sizes) - 1, 1)
    masked = np.where(ok & ~np.eye(n, dtype=bool), score, -np.inf)
    top = -np.partition(-masked, min(kept, n - 1) - 1, axis=1)[:, :kept] if n > 1 else masked
    bound = float(np.where(np.isfinite(top), top, 0).sum(axis=1).sum() / kept)
    return Teams(teams, bench, repaired, objective, max(bound, objective))


def _member_means(score: Array, teams: Sequence[Sequence[int]]) -> list[float]:
    values = []
    for team in teams:
        if len(team) < 2:
            continue
        block = score[team][:, team]
        values.append(float(block.sum() - block.trace()) / (len(team) - 1))
    return values


def _construct(
    weights: Array,
    sizes: list[int],
    capacity: list[int],
    blocks: Sequence[Sequence[int]],
    local: dict[int, int],
    rng: Any,
) -> Array:
    """Seeded greedy: pinned blocks first, then each member to the team they fit best."""
    import numpy as np

    n = weights.shape[0]
    teams = len(sizes)
    group = np.full(n, -1, dtype=np.int64)
    filled = [0] * (teams + 1)
    sums = np.zeros((n, teams + 1))
    for k, block in enumerate(sorted(blocks, key=len, reverse=True)):
        target = max(range(teams), key=lambda g: (capacity[g] - filled[g], -g))
        if capacity[target] - filled[target] < len(block):
            target = k % teams  # an oversize pin is kept whole; the team grows past its size
        for i in block:
            group[local[i]] = target
            filled[target] += 1
            sums[:, target] += weights[:, local[i]]
    order = [int(i) for i in rng.permutation(n) if group[i] < 0]
    for g in range(teams):  # one random member starts each empty team
        if filled[g] == 0 and order:
            i = order.pop()
            group[i] = g
            filled[g] += 1
            sums[:, g] += weights[:, i]
    for i in order:
        room = [g for g in range(teams) if filled[g] < capacity[g]]
        g = max(room, key=lambda t: (sums[i, t] / max(filled[t], 1), -t)) if room else teams
        group[i] = g
        filled[g] += 1
        sums[:, g] += weights[:, i]
    return group


def _iterate(
    search: Search, sizes: list[int], rng: Any, effort: float, n: int, progress: Progress
) -> None:
    """Iterated local search: shake two teams, descend, keep the result unless it is worse."""
    import numpy as np

    teams = len(sizes) + (
        1 if len(search.factor) > len(sizes) and np.any(search.group == len(sizes)) else 0
    )
    if teams < 2:
        return
    rounds = int(effort * max(2_000, min(ROUNDS_PER_MEMBER * n, 20_000_000 // max(n, 1))))
    for step in range(rounds):
        if step % 200 == 0:
            progress("improving teams", step / rounds)
        best = search.value
        mark = len(search.log)
        a, b = (int(x) for x in rng.choice(teams, size=2, replace=False))
        left = [i for i in search.members[a] if search.movable[i]]
        right = [i for i in search.members[b] if search.movable[i]]
        if not left or not right:
            continue
        for _ in range(int(rng.integers(1, 3))):
            i = int(left[int(rng.integers(len(left)))])
            j = int(right[int(rng.integers(len(right)))])
            if search.group[i] != search.group[j]:
                search.swap(i, j, search.gain_of(i, j))
        search.descend([*search.members[a], *search.members[b]], rng)
        if search.value < best - 1e-9:
            search.undo(mark)
    progress("improving teams", 1.0)


def _repair(
    teams: list[list[int]],
    ok: Array,
    pinned: Array,
    local: dict[int, int],
    low: int,
    high: int,
) -> tuple[list[list[int]], list[int]]:
    """Take out members who break a rule with a teammate; place them where they fit."""
    out: list[int] = []
    for team in teams:
        while True:
            clashes = {
                i: sum(
                    1
                    for j in team
                    if j != i and not ok[local[i], local[j]] and not pinned[local[i], local[j]]
                )
                for i in team
            }
            worst = max(team, key=lambda i: (clashes[i], -i), default=None)
            if worst is None or clashes[worst] == 0:
                break
            team.remove(worst)
            out.append(worst)
    small = [t for t in teams if len(t) < low]
    teams = [t for t in teams if len(t) >= low]
    for team in small:
        out.extend(team)
    left = []
    for i in sorted(out):
        fits = [t for t in teams if len(t) < high and all(ok[local[i], local[j]] for j in t)]
        if fits:
            min(fits, key=len).append(i)
        else:
            left.append(i)
    return [sorted(t) for t in teams], left
