"""Making a round, step by step (`make_round`): who takes part on its start, what is kept
(a --fill round's whole matches, locked matches, pins), the format's solver
(`match.formats`), a --fill round's seats for those who wait (`match.waiting`), who is
left and why, the matches as written (`match.describe`) in their weekly slots
(`match.times`), and the summary (`model.RoundSummary`) the round file starts with."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from peerkit.errors import PeerkitError
from peerkit.match.describe import why_unmatched, written_matches
from peerkit.match.draft import Draft, id_key, match_loads, mentoring_loads
from peerkit.match.fill import FillPlan, plan_fill
from peerkit.match.formats import (
    Solved,
    solve_groups_round,
    solve_mentoring_round,
    solve_pairs_round,
)
from peerkit.match.pool import Pool, build_pool
from peerkit.match.results import MatchResult, Progress, RoundResult
from peerkit.match.roundfile import dump_round
from peerkit.match.rules import applied_rules, rule_label
from peerkit.match.score import weights
from peerkit.match.times import Placed, place_matches, time_notes
from peerkit.match.waiting import fill_changes, prefer_waiting, seat_in_kept
from peerkit.model import (
    Folder,
    Member,
    RoundChanges,
    RoundSummary,
    Unmatched,
)


def active_on(folder: Folder, day: dt.date) -> tuple[list[Member], list[Member]]:
    """The members taking part on `day` (the round's start), and the others."""
    active: list[Member] = []
    inactive: list[Member] = []
    for member in folder.members:
        (active if member.is_active_on(day) else inactive).append(member)
    return active, inactive


def _kept(
    folder: Folder, pool: Pool, name: str, rel: str, plan: FillPlan | None
) -> tuple[list[Draft], list[str]]:
    """The whole matches a `--fill` round keeps, locked matches of the round being
    re-made, then pins from program.yaml. A member is in as many of them as they may be in
    matches (`_Room`): a mentor's locked matches with two mentees are both kept."""
    drafts: list[Draft] = []
    notes: list[str] = []
    room = _Room(pool)
    kept_ids: set[str] = set()
    for match in plan.kept if plan else ():
        members = [pool.index[m] for m in match.members]
        drafts.append(Draft(members, locked=True, old=match))
        room.take(members, f"match {match.id}")
        kept_ids.add(match.id)
    old = folder.round(name)
    for match in old.matches if old else ():
        if not match.locked or match.id in kept_ids:
            continue
        members = [pool.index[m] for m in match.members if m in pool.index]
        gone = [m for m in match.members if m not in pool.index]
        if gone:
            notes.append(
                f"locked match {match.id}: {', '.join(gone)} inactive or unknown, left out"
            )
        if len(members) < 2:
            continue
        full = room.full(members)
        if full:
            notes.append(
                f"locked match {match.id} is not kept: {full}; its members are matched "
                f"again (lock fewer of their matches in {rel})"
            )
            continue
        drafts.append(Draft(members, locked=True, old=match))
        room.take(members, f"locked match {match.id}")
    for pin in folder.program.matching.pins:
        members = [pool.index[m] for m in pin if m in pool.index]
        gone = [m for m in pin if m not in pool.index]
        if gone:
            notes.append(f"pin {', '.join(pin)}: {', '.join(gone)} inactive or unknown, left out")
        if len(members) < 2:
            continue
        if any(set(members) <= set(d.members) for d in drafts):
            notes.append(f"pin {', '.join(pin)}: already in a locked match, kept as locked")
            continue
        full = room.full(members)
        if full:
            notes.append(f"pin {', '.join(pin)} is not applied: {full}")
            continue
        drafts.append(Draft(members, pinned=True))
        room.take(members, f"the pin {', '.join(pin)}")
    return drafts, notes


class _Room:
    """How many kept matches each member is in, against how many they may be in: in
    mentoring a mentor counts mentees up to their capacity and a mentee mentors up to
    matching.mentors_per_mentee; otherwise a member is in one match."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.load: Counter[int] = Counter()
        self.where: dict[int, list[str]] = {}

    def _counts(self, members: list[int]) -> dict[int, int]:
        """What a match adds to each member's load: at least one."""
        if self.pool.program.format != "mentoring":
            return dict.fromkeys(members, 1)
        loads = match_loads(self.pool.roles, members)
        return {i: loads.get(i, 0) or 1 for i in members}

    def _limit(self, i: int) -> tuple[int, str]:
        """How many matches (mentoring: mentees or mentors) member i may have, and why."""
        member, program = self.pool.members[i], self.pool.program
        if program.format == "mentoring" and member.role == "mentor":
            return member.capacity, f"capacity {member.capacity}"
        if program.format == "mentoring" and member.role == "mentee":
            per = program.matching.mentors_per_mentee
            return per, f"mentors_per_mentee {per}"
        return 1, "one match each"

    def full(self, members: list[int]) -> str:
        """Why the members cannot all be in one more kept match ("" when they can)."""
        for i, count in self._counts(members).items():
            limit, why = self._limit(i)
            if self.load[i] and self.load[i] + count > limit:
                held = ", ".join(self.where[i])
                return f"{self.pool.members[i].id} is already in {held} ({why})"
        return ""

    def take(self, members: list[int], where: str) -> None:
        """Count a kept match (`where`: it in words, for `full`)."""
        for i, count in self._counts(members).items():
            self.load[i] += count
            self.where.setdefault(i, []).append(where)


@dataclass(frozen=True)
class Scores:
    """How good the round is: mean and total score, an upper bound on the best total and
    how far below it the round may be (`optimal`: proven the best there is)."""

    mean_score: float
    total: float
    bound: float
    gap_percent: float
    optimal: bool


@dataclass(frozen=True)
class Made:
    """What making a round gave, as its summary counts it."""

    drafts: list[Draft]
    placed: Placed
    unmatched: tuple[Unmatched, ...]
    inactive: int  # members not active on the start
    rules: list[str]
    changes: RoundChanges | None
    scores: Scores


def make_round(
    folder: Folder,
    name: str,
    rel: str,
    *,
    start: dt.date,
    end: dt.date | None,
    fill: bool,
    seed: int,
    progress: Progress,
    effort: float,
) -> RoundResult:
    """See `peerkit.match.match_round`."""
    active, inactive = _taking_part(folder, start)
    progress("reading the roster", 0.0)
    plan = plan_fill(folder, name, start, active) if fill else None
    continuing = [m.members for m in plan.kept] if plan else ()
    pool = build_pool(folder, active, name, start, continuing)
    drafts, notes = _kept(folder, pool, name, rel, plan)
    solved = _solve(pool, drafts, seed, effort, progress)
    drafts = [*drafts, *solved.made]
    exact = solved.exact
    if plan is not None:
        changed = _seat_the_waiting(pool, plan, drafts, solved.reasons)
        notes.extend(changed)
        exact = exact and not changed  # the solver's optimum was traded for who waited
    unmatched = _unmatched(pool, drafts, solved.reasons)
    reserved = {m.id for m in plan.previous.matches} if plan else set()
    rules = applied_rules(folder.program)
    placed = place_matches(pool, written_matches(pool, drafts, rules, reserved), start)
    results = placed.results
    changes = fill_changes(plan, results, unmatched) if plan else None
    scores = _scores(pool, results, exact, solved.bound)
    made = Made(drafts, placed, unmatched, len(inactive), rules, changes, scores)
    summary = _summary(folder, pool, seed, made)
    notes.extend(time_notes(folder.program, rel, placed))
    notes.extend(_later_repeats(folder, name, start, results))
    result = RoundResult(
        name,
        folder.program.format,
        tuple(results),
        unmatched,
        summary,
        rel,
        "",
        tuple(notes),
        start=start,
        end=end,
    )
    result = replace(result, text=dump_round(result, folder.program.name, plan))
    progress("done", 1.0)
    return result


def _taking_part(folder: Folder, start: dt.date) -> tuple[list[Member], list[Member]]:
    """The members active on the round's start and the others; nobody active is an error."""
    active, inactive = active_on(folder, start)
    if not active:
        msg = f"no member is active on {start}, the round's start, so nobody can be matched"
        raise PeerkitError(
            msg, f"check `active:`, `left:` and `pause:` in {folder.roster_file}, or --start"
        )
    return active, inactive


def _solve(pool: Pool, drafts: list[Draft], seed: int, effort: float, progress: Progress) -> Solved:
    """The new matches the format's solver makes around the kept ones."""
    taken = {i for d in drafts for i in d.members}
    fmt = pool.program.format
    if fmt == "pairs":
        return solve_pairs_round(pool, taken, progress)
    if fmt == "mentoring":
        return solve_mentoring_round(pool, drafts, progress)
    return solve_groups_round(pool, drafts, seed, effort, progress)


def _seat_the_waiting(
    pool: Pool, plan: FillPlan, drafts: list[Draft], reasons: dict[int, str]
) -> list[str]:
    """A --fill round's changes for those who wait (a seat in a kept match, or a place
    taken from one who has waited less), in words."""
    waiting = {pool.index[m]: day for m, day in plan.since.items()}
    return [
        *seat_in_kept(pool, drafts, waiting, reasons),
        *prefer_waiting(pool, drafts, waiting, reasons),
    ]


def _unmatched(pool: Pool, drafts: list[Draft], reasons: dict[int, str]) -> tuple[Unmatched, ...]:
    """Every active member in no match, with why (nobody matched at all is an error)."""
    matched = {i for d in drafts for i in d.members}
    for i in matched:
        reasons.pop(i, None)
    for i in range(pool.size):
        if i not in matched and i not in reasons:
            reasons[i] = why_unmatched(pool, i)
    if not drafts:
        detail = "; ".join(f"{pool.members[i].id}: {r}" for i, r in sorted(reasons.items())[:5])
        msg = f"nobody can be matched under the rules ({detail})"
        raise PeerkitError(
            msg, "loosen matching.rules in program.yaml, or run `peerkit explain` on a member"
        )
    return tuple(
        Unmatched(pool.members[i].id, reason)
        for i, reason in sorted(reasons.items(), key=lambda x: pool.members[x[0]].id)
    )


def _summary(folder: Folder, pool: Pool, seed: int, made: Made) -> RoundSummary:
    """The round's summary: who was matched, what was kept, how good it is, how its
    matches were placed in time and (a --fill round) what changed."""
    program = folder.program
    results, times, scores = made.placed.results, made.placed.times, made.scores
    count = pool.size
    matched = count - len(made.unmatched)
    mentoring = program.format == "mentoring"
    return RoundSummary(
        format=program.format,
        seed=seed,
        members=len(folder.members),
        active=count,
        inactive=made.inactive,
        matches=len(results),
        matched=matched,
        unmatched=len(made.unmatched),
        matched_percent=round(100 * matched / count, 1) if count else 0.0,
        mean_score=scores.mean_score,
        total=scores.total,
        bound=scores.bound,
        gap_percent=scores.gap_percent,
        optimal=scores.optimal,
        objective=_objective(program.format),
        max_score=round(sum(weights(pool).values()), 3),
        locked=sum(d.locked for d in made.drafts),
        pinned=sum(d.pinned for d in made.drafts),
        rules=tuple(rule_label(program, r) for r in made.rules),
        weights=weights(pool),
        spread=program.matching.spread if mentoring else None,
        mentor_loads=_load_spread(pool, made.drafts) if mentoring else None,
        lowest_member_score=_lowest_member_score(results) if mentoring else None,
        staggered=times.get("staggered", 0),
        moved_into_hours=times.get("moved", 0),
        no_common_slot=times.get("no_common_slot", 0),
        same_time=times.get("same_time", 0),
        changes=made.changes,
    )


def _scores(pool: Pool, results: Sequence[MatchResult], exact: bool, bound: float) -> Scores:
    """The round's scores. Totals come from the matches as written (kept ones rescored
    under today's rules and weights), so the summary always adds up; the solver's own
    figure only sets the bound."""
    values = [_objective_value(pool, r) for r in results]
    total = sum(values)
    kept_total = sum(v for v, r in zip(values, results, strict=True) if r.locked or r.pinned)
    full_bound = total if exact else max(kept_total + bound, total)
    return Scores(
        mean_score=round(sum(r.score for r in results) / len(results), 3),
        total=round(total, 3),
        bound=round(full_bound, 3),
        gap_percent=round(100 * (full_bound - total) / full_bound, 3) if full_bound > 0 else 0.0,
        optimal=exact and pool.program.format != "groups",
    )


def _later_repeats(
    folder: Folder, name: str, start: dt.date, results: list[MatchResult]
) -> list[str]:
    """Rounds starting after this one that now repeat a pair of it (made before it was
    re-made). A later round's match that continues one of this round (same id, a `--fill`
    round keeping it) is no repeat."""
    if not folder.program.matching.rules.no_repeat:
        return []
    made = {frozenset(p): r.id for r in results for p in _member_pairs(r.members)}
    notes = []
    for later in folder.rounds:
        if later.name == name or (later.start or folder.program.start) <= start:
            continue
        changes = later.summary.changes
        kept = changes is not None and changes.source_round == name
        repeats = sorted(
            (
                m.id
                for m in later.matches
                if any(
                    frozenset(p) in made and not (kept and made[frozenset(p)] == m.id)
                    for p in _member_pairs(m.members)
                )
            ),
            key=id_key,
        )
        if repeats:
            notes.append(
                f"round {later.name} (from {later.start}) now repeats a pair of this round in "
                f"{len(repeats)} match(es) ({', '.join(repeats[:3])}"
                f"{', ...' if len(repeats) > 3 else ''}); re-match it with "
                f"`peerkit match {folder.root} --round {later.name} --force` if it has not met yet"
            )
    return notes


def _member_pairs(members: Sequence[str]) -> list[tuple[str, str]]:
    return [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]


def _objective_value(pool: Pool, result: MatchResult) -> float:
    """A match's part of the round objective (see `_objective`)."""
    if pool.program.format == "groups":
        return result.raw_score * len(result.members)
    if pool.program.format == "mentoring":
        return result.raw_score * max(1, len(result.members) - 1)  # one score per mentee
    return result.raw_score


def _objective(fmt: str) -> str:
    if fmt == "groups":
        return "sum over members of their mean score with teammates"
    if fmt == "mentoring":
        return (
            "sum of mentor-mentee scores (most mentees matched first; with spread, then most "
            "mentors with a mentee)"
        )
    return "sum of pair scores (most members paired first)"


def _load_spread(pool: Pool, drafts: Sequence[Draft]) -> dict[int, int]:
    """How many mentors have 0, 1, 2, ... mentees (every active mentor counted)."""
    used = mentoring_loads(pool, drafts)
    loads = Counter(used[i] for i, role in enumerate(pool.roles) if role == "mentor")
    return {load: loads.get(load, 0) for load in range(max(loads, default=0) + 1)}


def _lowest_member_score(results: Sequence[MatchResult]) -> float:
    """The lowest of the matched members' scores (a member in several matches: their mean)."""
    scores: dict[str, list[float]] = {}
    for result in results:
        for member in result.members:
            scores.setdefault(member, []).append(result.score)
    return round(min((sum(v) / len(v) for v in scores.values()), default=0.0), 3)
