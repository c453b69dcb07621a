"""Making a round: who takes part, what is kept (locks, pins), solving, reasons, summary."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from peerkit.errors import PeerkitError
from peerkit.hours import hours_text
from peerkit.match.fill import FillPlan, plan_fill
from peerkit.match.pool import Pool, build_pool
from peerkit.match.results import (
    TOP_REASONS,
    MatchResult,
    Progress,
    RoundResult,
)
from peerkit.match.rules import applied_rules, broken_block, rule_label
from peerkit.match.score import TERMS, pair_reasons, weights
from peerkit.model import (
    Folder,
    Match,
    Member,
    Program,
    RoundChanges,
    RoundSummary,
    Unmatched,
)


@dataclass
class Draft:
    """A match being made, as pool indices."""

    members: list[int]
    locked: bool = False
    pinned: bool = False
    old: Match | None = None
    extra: list[str] = field(default_factory=list)


def directed_pair(pool: Pool, i: int, j: int) -> tuple[int, int, bool]:
    """(row, col, directed): the mentee first when one is a mentor and the other a mentee."""
    if pool.program.format == "mentoring":
        a, b = pool.members[i], pool.members[j]
        if a.role == "mentor" and b.role == "mentee":
            return j, i, True
        if a.role == "mentee" and b.role == "mentor":
            return i, j, True
    return i, j, False


def ruled_pairs(pool: Pool, members: Sequence[int]) -> list[tuple[int, int]]:
    """The pairs inside a match that are scored and ruled: mentor-mentee pairs in
    mentoring, every two members otherwise."""
    pairs = [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
    if pool.program.format == "mentoring":
        directed = [p for p in pairs if directed_pair(pool, *p)[2]]
        return directed or pairs
    return pairs


def _describe_all(
    pool: Pool, drafts: list[Draft], rules: list[str]
) -> list[tuple[float, dict[str, float], list[str], list[str]]]:
    """Score, terms, reasons and the rules satisfied of every match, in one pass."""
    import numpy as np

    from peerkit.match.score import edge_terms

    edges = [ruled_pairs(pool, draft.members) for draft in drafts]
    flat = [(k, *directed_pair(pool, i, j)) for k, pairs in enumerate(edges) for i, j in pairs]
    owner = np.array([f[0] for f in flat], dtype=np.int64)
    rows = np.array([f[1] for f in flat], dtype=np.int64)
    cols = np.array([f[2] for f in flat], dtype=np.int64)
    directed = np.array([f[3] for f in flat], dtype=bool)
    values = {term: np.zeros(len(flat)) for term in TERMS}
    for flag in (False, True):
        picked = np.flatnonzero(directed == flag)
        if len(picked):
            made = edge_terms(pool, rows[picked], cols[picked], flag)
            for term in TERMS:
                values[term][picked] = made[term]
    counts = np.bincount(owner, minlength=len(drafts)).clip(1)
    totals = {
        term: np.bincount(owner, values[term], minlength=len(drafts)) / counts for term in TERMS
    }
    described = []
    for k, draft in enumerate(drafts):
        mine = {term: float(totals[term][k]) for term in TERMS}
        broken = _broken(pool, draft.members, edges[k]) if draft.locked or draft.pinned else set()
        reasons = _reasons(pool, draft.members, edges[k], mine)
        if broken:
            kept = "locked" if draft.locked else "pinned"
            labels = ", ".join(rule_label(pool.program, r) for r in sorted(broken))
            reasons.insert(0, f"{kept} although it breaks: {labels}")
        described.append(
            (
                sum(mine.values()),
                {term: round(value, 3) for term, value in mine.items()},
                reasons,
                [rule_label(pool.program, r) for r in rules if r not in broken],
            )
        )
    return described


def _broken(pool: Pool, members: list[int], edges: list[tuple[int, int]]) -> set[str]:
    import numpy as np

    idx = np.array(members)
    position = {v: k for k, v in enumerate(members)}
    masks = broken_block(pool, idx, idx)
    return {
        rule
        for rule, mask in masks.items()
        if any(mask[position[i], position[j]] for i, j in edges)
    }


def _reasons(
    pool: Pool, members: list[int], edges: list[tuple[int, int]], totals: dict[str, float]
) -> list[str]:
    """The strongest terms of a match, in words."""
    said: dict[str, str] = {}
    if len(edges) == 1:
        row, col, directed = directed_pair(pool, *edges[0])
        said = pair_reasons(pool, row, col, directed)
    reasons = []
    for term in sorted(TERMS, key=lambda t: (-totals[t], TERMS.index(t))):
        if totals[term] <= 0:
            continue
        text = said.get(term, "") if len(edges) == 1 else _group_reason(pool, members, term)
        if text:
            reasons.append(text)
        if len(reasons) == TOP_REASONS:
            break
    return reasons


def _group_reason(pool: Pool, members: Sequence[int], term: str) -> str:
    """A term in words for a trio or team."""
    if term == "common_ground":
        counts = Counter(item for i in members for item in set(pool.items("ground", i)))
        shared = [
            f"{item} ({n})"
            for item, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
            if n > 1
        ]
        return f"common ground: {', '.join(shared[:4])}" if shared else ""
    if term == "goals_offers":
        met = sum(
            1
            for i in members
            for j in members
            if i != j and set(pool.items("goals", i)) & set(pool.items("offers", j))
        )
        return f"{met} member-to-member offers meet a teammate's goal" if met else ""
    if term == "levels":
        return "complementary knowledge, experience and authority"
    if term == "timezone":
        spread = float(pool.offsets[list(members)].max() - pool.offsets[list(members)].min())
        return (
            "everyone in the same time zone offset"
            if spread == 0
            else f"time zones within {spread:g}h"
        )
    if term == "availability":
        from peerkit.match.score import common_start

        common = common_start(pool, list(members))
        return f"all can meet from {common}" if common else "no common meeting slot"
    if term == "diversity":
        parts = []
        for name in pool.program.matching.diversity:
            values = {pool.text(name, i).casefold() for i in members if pool.text(name, i)}
            parts.append(f"{len(values)} different {name} values")
        return f"diverse: {', '.join(parts)}"
    return ""


def active_on(folder: Folder, day: dt.date) -> tuple[list[Member], list[Member]]:
    """The members taking part on `day` (the round's start), and the others."""
    active = [m for m in folder.members if m.is_active_on(day)]
    inactive = [m for m in folder.members if not m.is_active_on(day)]
    return active, inactive


def _kept(
    folder: Folder, pool: Pool, name: str, plan: FillPlan | None
) -> tuple[list[Draft], list[str]]:
    """The whole matches a `--fill` round keeps, locked matches of the round being
    re-made, then pins from program.yaml."""
    drafts: list[Draft] = []
    notes: list[str] = []
    used: set[int] = set()
    kept_ids: set[str] = set()
    for match in plan.kept if plan else ():
        members = [pool.index[m] for m in match.members]
        drafts.append(Draft(members, locked=True, old=match))
        used.update(members)
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
        if len(members) >= 2 and not used & set(members):
            drafts.append(Draft(members, locked=True, old=match))
            used.update(members)
    for pin in folder.program.matching.pins:
        members = [pool.index[m] for m in pin if m in pool.index]
        gone = [m for m in pin if m not in pool.index]
        if gone:
            notes.append(f"pin {', '.join(pin)}: {', '.join(gone)} inactive or unknown, left out")
        if used & set(members):
            notes.append(f"pin {', '.join(pin)}: already in a locked match, kept as locked")
            continue
        if len(members) >= 2:
            drafts.append(Draft(members, pinned=True))
            used.update(members)
    return drafts, notes


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
    program = folder.program
    active, inactive = active_on(folder, start)
    if not active:
        msg = f"no member is active on {start}, the round's start, so nobody can be matched"
        raise PeerkitError(
            msg, f"check `active:`, `left:` and `pause:` in {folder.roster_file}, or --start"
        )
    progress("reading the roster", 0.0)
    plan = plan_fill(folder, name, start, active) if fill else None
    continuing = [m.members for m in plan.kept] if plan else ()
    pool = build_pool(folder, active, name, start, continuing)
    rules = applied_rules(program)
    drafts, notes = _kept(folder, pool, name, plan)
    taken = {i for d in drafts for i in d.members}
    reasons: dict[int, str] = {}
    bound = 0.0
    exact = True
    if program.format == "pairs":
        made, reasons, exact, _solved, bound = _pairs(pool, drafts, taken, progress)
    elif program.format == "mentoring":
        made, reasons, exact, _solved, bound = _mentoring(pool, drafts, progress)
    else:
        made, reasons, exact, _solved, bound = _groups(pool, drafts, taken, seed, effort, progress)
    drafts = [*drafts, *made]
    if plan is not None:
        waiting = {pool.index[m]: day for m, day in plan.since.items()}
        changed = [
            *_seat_in_kept(pool, drafts, waiting, reasons),
            *_prefer_waiting(pool, drafts, waiting, reasons),
        ]
        notes.extend(changed)
        exact = exact and not changed  # the solver's optimum was traded for who waited
    matched = {i for d in drafts for i in d.members}
    for i in matched:
        reasons.pop(i, None)
    nobody = [i for i in range(pool.size) if i not in matched and i not in reasons]
    for i in nobody:
        reasons[i] = _why_unmatched(pool, i)
    if not drafts:
        detail = "; ".join(f"{pool.members[i].id}: {r}" for i, r in sorted(reasons.items())[:5])
        msg = f"nobody can be matched under the rules ({detail})"
        raise PeerkitError(
            msg, "loosen matching.rules in program.yaml, or run `peerkit explain` on a member"
        )
    reserved = {m.id for m in plan.previous.matches} if plan else set()
    results, times, slot_notes = _stagger(pool, _results(pool, drafts, rules, reserved), start)
    staggered, clashes = times.get("staggered", 0), times.get("same_time", 0)
    unmatched = tuple(
        Unmatched(pool.members[i].id, reason)
        for i, reason in sorted(reasons.items(), key=lambda x: pool.members[x[0]].id)
    )
    # Totals come from the matches as written (kept ones rescored under today's rules and
    # weights), so the summary always adds up; the solver's own figure only sets the bound.
    values = [_objective_value(pool, r) for r in results]
    total = sum(values)
    kept_total = sum(v for v, r in zip(values, results, strict=True) if r.locked or r.pinned)
    full_bound = total if exact else max(kept_total + bound, total)
    count = pool.size
    matched_count = len(matched)
    mentoring = program.format == "mentoring"
    changes = _changes(plan, results, unmatched) if plan else None
    summary = RoundSummary(
        format=program.format,
        seed=seed,
        members=len(folder.members),
        active=count,
        inactive=len(inactive),
        matches=len(results),
        matched=matched_count,
        unmatched=len(unmatched),
        matched_percent=round(100 * matched_count / count, 1) if count else 0.0,
        mean_score=round(sum(r.score for r in results) / len(results), 3),
        total=round(total, 3),
        bound=round(full_bound, 3),
        gap_percent=round(100 * (full_bound - total) / full_bound, 3) if full_bound > 0 else 0.0,
        optimal=exact and program.format != "groups",
        objective=_objective(program.format),
        max_score=round(sum(weights(pool).values()), 3),
        locked=sum(d.locked for d in drafts),
        pinned=sum(d.pinned for d in drafts),
        rules=tuple(rule_label(program, r) for r in rules),
        weights=weights(pool),
        spread=program.matching.spread if mentoring else None,
        mentor_loads=_load_spread(pool, drafts) if mentoring else None,
        lowest_member_score=_lowest_member_score(results) if mentoring else None,
        staggered=staggered,
        moved_into_hours=times.get("moved", 0),
        no_common_slot=times.get("no_common_slot", 0),
        same_time=clashes,
        changes=changes,
    )
    if staggered:
        notes.append(
            f"{staggered} match(es) of members with several matches (mentors with several "
            f"mentees) meet one after the other: each has its own `time:` in {rel}, "
            f"{_duration(program.meetings.duration)} apart; change `time:` to suit them"
        )
    if times.get("moved"):
        notes.append(
            f"{times['moved']} match(es) meet at another time than meetings.time so that it "
            f"falls inside every member's hours ({hours_text(program.meetings.hours)} local) "
            f"and availability: see `time:` in {rel}"
        )
    if times.get("no_common_slot"):
        notes.extend(slot_notes)
    if clashes:
        notes.append(
            f"{clashes} match(es) meet at the same time as another match of one of their members "
            f"(no free time was left that day); set `time:` on them in {rel}"
        )
    notes.extend(_later_repeats(folder, name, start, results))
    from peerkit.match.roundfile import dump_round

    result = RoundResult(
        name,
        program.format,
        tuple(results),
        unmatched,
        summary,
        rel,
        "",
        tuple(notes),
        start=start,
        end=end,
    )
    result = replace(result, text=dump_round(result, program.name, plan))
    progress("done", 1.0)
    return result


def _changes(
    plan: FillPlan, results: Sequence[MatchResult], unmatched: Sequence[Unmatched]
) -> RoundChanges:
    """What a `--fill` round changed from the round before (the round file's summary)."""
    before = {m.id: set(m.members) for m in plan.kept}
    kept = [r for r in results if r.id in before]
    return RoundChanges(
        plan.previous.name,
        kept=len(kept),
        new=sum(r.id not in before for r in results),
        grown=tuple(sorted(r.id for r in kept if set(r.members) - before[r.id])),
        ended=tuple(sorted((m.id for m in plan.broken), key=_id_key)),
        left=tuple(plan.left),
        paused=tuple(plan.paused),
        joined=tuple(plan.members("joined")),
        returned=tuple(plan.returned),
        orphaned=tuple(plan.members("orphaned")),
        unmatched=tuple(u.member for u in unmatched),
    )


def _partners(pool: Pool, members: Sequence[int], newcomer: int) -> list[int]:
    """The members of a match that `newcomer` must fit under the rules: the mentor (or the
    mentees) in mentoring, everyone in pairs and groups."""
    others = [k for k in members if k != newcomer]
    if pool.program.format != "mentoring":
        return others
    role = pool.members[newcomer].role
    return [k for k in others if pool.members[k].role != role]


def _fits_each(pool: Pool, newcomer: int, groups: Sequence[Sequence[int]]) -> list[bool]:
    """`_fits` for many groups at once (one block of rules)."""
    import numpy as np

    from peerkit.match.rules import feasible_block

    flat = np.array([k for group in groups for k in group], dtype=np.int64)
    if not len(flat):
        return [False] * len(groups)
    ok = feasible_block(pool, np.array([newcomer]), flat)[0]
    found, at = [], 0
    for group in groups:
        found.append(bool(group) and bool(ok[at : at + len(group)].all()))
        at += len(group)
    return found


def _seat_in_kept(
    pool: Pool, drafts: list[Draft], waiting: dict[int, dt.date], reasons: dict[int, str]
) -> list[str]:
    """A `--fill` member left without a match takes a free seat in a kept match (a kept pair
    becomes a trio; a kept team below group_size.max takes one more), longest-waiting first,
    where they fit everyone under the rules: the smallest such match, then the best score."""
    import numpy as np

    from peerkit.match.score import score_block

    program = pool.program
    if program.format == "mentoring":
        return []  # mentors with room take new mentees in the solver already
    limit = 3 if program.format == "pairs" else program.group_size.max
    taken = {i for d in drafts for i in d.members}
    notes = []
    for i in sorted(waiting, key=lambda k: (waiting[k], pool.members[k].id)):
        if i in taken:
            continue
        room = [d for d in drafts if d.locked and d.old is not None and len(d.members) < limit]
        fits = _fits_each(pool, i, [d.members for d in room])
        seats = [d for d, ok in zip(room, fits, strict=True) if ok]
        if not seats:
            continue
        flat = np.array([k for d in seats for k in d.members], dtype=np.int64)
        scores = score_block(pool, np.array([i]), flat)[0]
        bounds = np.cumsum([0] + [len(d.members) for d in seats])
        gains = [float(scores[a:b].sum()) for a, b in itertools.pairwise(bounds)]
        # the smallest match first (the seat a leaver freed), then the best fit
        best = max(range(len(seats)), key=lambda k: (-len(seats[k].members), gains[k], -k))
        draft = seats[best]
        draft.members.append(i)
        taken.add(i)
        reasons.pop(i, None)
        assert draft.old is not None
        notes.append(
            f"{pool.members[i].id} joins kept match {draft.old.id} (no new match could be "
            "made for them; they fit everyone in it under the rules)"
        )
    return notes


def _prefer_waiting(
    pool: Pool, drafts: list[Draft], waiting: dict[int, dt.date], reasons: dict[int, str]
) -> list[str]:
    """When there is not room for every `--fill` member, the longest-waiting come first: an
    unmatched member takes the place of one in a new match who has waited less, where
    they fit its other members under the rules (repeated until no such swap is left)."""
    from collections import Counter

    fresh = [d for d in drafts if not d.locked and not d.pinned]
    count = Counter(i for d in drafts for i in d.members)
    notes = []
    for _ in range(len(waiting) + 1):
        queue = sorted(
            (i for i in waiting if not count[i] and _may_swap(pool, i)),
            key=lambda k: (waiting[k], pool.members[k].id),
        )
        done = False
        for u in queue:
            places = [
                (d, v, _partners(pool, [k for k in d.members if k != v], u))
                for d in fresh
                for v in d.members
                if v in waiting
                and count[v] == 1
                and waiting[v] > waiting[u]
                and pool.members[v].role == pool.members[u].role
            ]
            fits = _fits_each(pool, u, [partners for _, _, partners in places])
            choices = [
                (waiting[v], pool.members[v].id, d, v)
                for (d, v, _), ok in zip(places, fits, strict=True)
                if ok
            ]
            if not choices:
                continue
            _, _, draft, v = max(choices, key=lambda c: (c[0], c[1]))
            draft.members[draft.members.index(v)] = u
            count[u], count[v] = 1, 0
            reasons.pop(u, None)
            a, b = pool.members[u], pool.members[v]
            reasons[v] = (
                f"waiting since {waiting[v]}; the place went to {a.id}, waiting longer "
                f"(since {waiting[u]}): the longest-waiting are matched first"
            )
            notes.append(
                f"{a.id} (waiting since {waiting[u]}) takes {b.id}'s place (since "
                f"{waiting[v]}): the longest-waiting are matched first"
            )
            done = True
            break
        if not done:
            break
    return notes


def _may_swap(pool: Pool, i: int) -> bool:
    member = pool.members[i]
    if pool.program.format == "mentoring":
        return member.role == "mentee" or (member.role == "mentor" and member.capacity > 0)
    return True


def meeting_slot(program: Program, day: str, time: str) -> tuple[str, str]:
    return (day or program.meetings.day, time or program.meetings.time.strftime("%H:%M"))


def _stagger(
    pool: Pool, results: list[MatchResult], start: dt.date
) -> tuple[list[MatchResult], dict[str, int], list[str]]:
    """Give every match its weekly slot (`time:`, see `peerkit.match.slots`): inside each
    member's own hours and availability, a member's several matches one after the other.

    Kept (locked) matches keep their time; the counts say how many were staggered (a member
    has another match at meetings.time), moved into members' hours, left with no common
    slot, or still at the same time as another match of one of their members."""
    from peerkit.hours import local_day_time, zone
    from peerkit.match.slots import meeting_days, place, windows_text

    program = pool.program
    tz = zone(program.timezone)
    by_id = {m.id: m for m in pool.members}
    usual = program.meetings.time.strftime("%H:%M")
    several = Counter(m for r in results for m in r.members)
    out = list(results)
    counts = Counter[str]()
    notes = []
    for day in sorted({r.day for r in results}):
        ks = [k for k, r in enumerate(results) if r.day == day]
        days = meeting_days(program, start, day)
        on = days[0]
        placed = place(
            program,
            by_id,
            [(results[k].members, results[k].time) for k in ks],
            days,
            [results[k].locked for k in ks],
        )
        for k, slot in zip(ks, placed, strict=True):
            r = results[k]
            if not r.locked and slot.time != usual:
                shared = any(several[m] > 1 for m in r.members)
                counts["staggered" if shared and slot.fits else "moved"] += 1
            if not slot.fits:
                counts["no_common_slot"] += 1
                windows = "; ".join(windows_text(program, by_id[m], on) for m in r.members)
                notes.append(
                    f"{r.id} has no slot inside every member's hours and availability "
                    f"({windows}); it meets at {slot.time} ({program.timezone}): agree a time "
                    "with them and set its `time:`, or widen meetings.hours"
                )
            if not slot.free:
                counts["same_time"] += 1
            begin = dt.datetime.combine(on, dt.time.fromisoformat(slot.time), tzinfo=tz)
            people = tuple(
                f"{by_id[m].label}: {local_day_time(begin, by_id[m].timezone or program.timezone)}"
                for m in r.members
                if m in by_id
            )
            out[k] = replace(r, time=slot.time, people=people)
    return out, dict(counts), notes


def _duration(span: dt.timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


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
            key=_id_key,
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


def _results(
    pool: Pool, drafts: list[Draft], rules: list[str], reserved: set[str]
) -> list[MatchResult]:
    """The matches as written; new ones are numbered around the kept ids and `reserved`
    ones (a `--fill` round never gives a new match an id of the round before)."""
    for draft in drafts:
        draft.members = _order(pool, draft.members)
    described = list(zip(drafts, _describe_all(pool, drafts, rules), strict=True))
    used_ids = {d.old.id for d in drafts if d.old is not None} | reserved
    fresh = sorted(
        (d for d in drafts if d.old is None), key=lambda d: [pool.members[i].id for i in d.members]
    )
    width = max(2, len(str(len(drafts) + len(reserved))))
    ids: dict[int, str] = {}
    number = 0
    for draft in fresh:
        while True:
            number += 1
            candidate = f"match-{number:0{width}d}"
            if candidate not in used_ids:
                break
        ids[id(draft)] = candidate
    results = []
    for draft, (score, terms, reasons, satisfied) in described:
        old = draft.old
        results.append(
            MatchResult(
                id=old.id if old else ids[id(draft)],
                members=tuple(pool.members[i].id for i in draft.members),
                score=round(score, 3),
                terms=terms,
                raw_score=score,
                reasons=tuple(reasons),
                rules=tuple(satisfied),
                locked=draft.locked,
                pinned=draft.pinned,
                location=old.location if old else "",
                day=old.day if old else "",
                time=old.time.strftime("%H:%M") if old and old.time else "",
            )
        )
    return sorted(results, key=lambda r: _id_key(r.id))


def _id_key(match_id: str) -> tuple[str, int, str]:
    head, _, tail = match_id.rpartition("-")
    return (head, int(tail), "") if tail.isdigit() else (match_id, 0, match_id)


def _order(pool: Pool, members: list[int]) -> list[int]:
    """Mentors first, then by id."""
    rank = {"mentor": 0, "mentee": 1, "peer": 1}
    if pool.program.format != "mentoring":
        return sorted(members, key=lambda i: pool.members[i].id)
    return sorted(members, key=lambda i: (rank[pool.members[i].role], pool.members[i].id))


# --- formats --------------------------------------------------------------------------


def _pairs(
    pool: Pool, drafts: list[Draft], taken: set[int], progress: Progress
) -> tuple[list[Draft], dict[int, str], bool, float, float]:
    import numpy as np

    from peerkit.match.rules import feasible_block
    from peerkit.match.score import score_block
    from peerkit.match.solve import solve_pairs

    free = [i for i in range(pool.size) if i not in taken]
    solved = solve_pairs(pool, np.array(free, dtype=np.int64), progress)
    made = [Draft(list(pair)) for pair in solved.matches]
    matched = {i for d in made for i in d.members}
    left = [i for i in free if i not in matched]
    reasons: dict[int, str] = {}
    total = sum(solved.scores)
    # An odd member joins the pair they fit best as a trio (each pair takes at most one).
    if left and made:
        pairs = np.array([d.members for d in made], dtype=np.int64)
        flat = pairs.ravel()
        for i in sorted(left, key=lambda k: pool.members[k].id):
            row = np.array([i])
            ok = feasible_block(pool, row, flat)[0].reshape(-1, 2).all(axis=1)
            ok &= np.array([len(d.members) == 2 for d in made])
            if not ok.any():
                continue
            gain = score_block(pool, row, flat)[0].reshape(-1, 2).sum(axis=1)
            best = int(np.argmax(np.where(ok, gain, -np.inf)))
            made[best].members.append(i)
            before = solved.scores[best]
            total += (before + float(gain[best])) / 3 - before
            matched.add(i)
    return made, reasons, solved.exact and not left, total, solved.bound


def _mentoring(
    pool: Pool, drafts: list[Draft], progress: Progress
) -> tuple[list[Draft], dict[int, str], bool, float, float]:
    import numpy as np

    from peerkit.match.solve import solve_mentoring

    program = pool.program
    per = program.matching.mentors_per_mentee
    reasons: dict[int, str] = {}
    used = mentoring_loads(pool, drafts)  # capacity counts mentees, not matches
    mentors, capacity, mentees, wanted, taken = [], [], [], [], []
    for i, member in enumerate(pool.members):
        if member.role == "mentor":
            room = member.capacity - used[i]
            if room > 0:
                mentors.append(i)
                capacity.append(room)
                taken.append(used[i])
            elif member.capacity == 0 and not used[i]:
                reasons[i] = "capacity is 0 in the roster"
        elif member.role == "mentee":
            need = per - used[i]
            if need > 0:
                mentees.append(i)
                wanted.append(need)
        elif not used[i]:
            reasons[i] = (
                "role is peer; in mentoring every member needs `role: mentor` or `role: mentee`"
            )
    solved = solve_mentoring(
        pool,
        np.array(mentees, dtype=np.int64),
        np.array(mentors, dtype=np.int64),
        np.array(capacity, dtype=np.int64),
        np.array(wanted, dtype=np.int64),
        progress,
        taken=np.array(taken, dtype=np.int64),
        spread=program.matching.spread,
    )
    made = [Draft(list(pair)) for pair in solved.matches]
    return made, reasons, solved.exact, sum(solved.scores), solved.bound


def mentoring_loads(pool: Pool, drafts: Sequence[Draft]) -> Counter[int]:
    """Mentees per mentor and mentors per mentee in `drafts` (a match may hold several)."""
    used: Counter[int] = Counter()
    for draft in drafts:
        roles = [pool.members[i].role for i in draft.members]
        mentors = [i for i, role in zip(draft.members, roles, strict=True) if role == "mentor"]
        mentees = [i for i, role in zip(draft.members, roles, strict=True) if role == "mentee"]
        for i in mentors:
            used[i] += len(mentees)
        for i in mentees:
            used[i] += len(mentors)
    return used


def _load_spread(pool: Pool, drafts: Sequence[Draft]) -> dict[int, int]:
    """How many mentors have 0, 1, 2, ... mentees (every active mentor counted)."""
    used = mentoring_loads(pool, drafts)
    loads = Counter(used[i] for i, m in enumerate(pool.members) if m.role == "mentor")
    return {load: loads.get(load, 0) for load in range(max(loads, default=0) + 1)}


def _lowest_member_score(results: Sequence[MatchResult]) -> float:
    """The lowest of the matched members' scores (a member in several matches: their mean)."""
    scores: dict[str, list[float]] = {}
    for result in results:
        for member in result.members:
            scores.setdefault(member, []).append(result.score)
    return round(min((sum(v) / len(v) for v in scores.values()), default=0.0), 3)


def _groups(
    pool: Pool, drafts: list[Draft], taken: set[int], seed: int, effort: float, progress: Progress
) -> tuple[list[Draft], dict[int, str], bool, float, float]:
    from peerkit.match.groups import make_teams

    program = pool.program
    locked = [d for d in drafts if d.locked]
    pins = [d for d in drafts if d.pinned]
    for pin in pins:
        drafts.remove(pin)
    free = [i for i in range(pool.size) if i not in {k for d in locked for k in d.members}]
    blocks = [p.members for p in pins]
    size = program.group_size
    teams = make_teams(
        pool, free, blocks, size.min, size.max, seed, effort=effort, progress=progress
    )
    reasons: dict[int, str] = {}
    for i in teams.bench:
        reasons[i] = (
            f"every team was full (group_size.max {size.max}); "
            "raise group_size.max or lower group_size.min to make room"
            if len(free) >= size.min
            else f"fewer than group_size.min ({size.min}) members were left to make a team"
        )
    for i in teams.repaired:
        reasons[i] = _why_unmatched(pool, i, team=True)
    made = []
    pinned_sets = [set(b) for b in blocks]
    for team in teams.teams:
        made.append(Draft(list(team), pinned=any(s <= set(team) for s in pinned_sets)))
    return made, reasons, False, teams.objective, teams.bound


def _why_unmatched(pool: Pool, i: int, team: bool = False) -> str:
    """Why member i is left out: the rules that exclude every partner, or what ran out."""
    import numpy as np

    member = pool.members[i]
    others = feasible_candidates(pool, i)
    if len(others) == 0:
        return "there is nobody they could be matched with (no member of the other role)"
    masks = broken_block(pool, np.array([i]), others)
    ok = np.ones(len(others), dtype=bool)
    for mask in masks.values():
        ok &= ~mask[0]
    if not ok.any():
        counts = sorted(
            ((rule, int(mask[0].sum())) for rule, mask in masks.items() if mask[0].any()),
            key=lambda x: (-x[1], x[0]),
        )
        parts = [f"{rule_label(pool.program, r)} rules out {n}" for r, n in counts]
        return f"no feasible partner: {'; '.join(parts)}"
    feasible = int(ok.sum())
    if team:
        return (
            f"no team where they fit every teammate under the rules ({feasible} member(s) fit them, "
            "but not together)"
        )
    if pool.program.format == "mentoring":
        if member.role == "mentor":
            return "no mentee was left for them: each feasible mentee fitted another mentor better"
        return f"capacity exhausted: the {feasible} mentor(s) they may have are full"
    return f"every feasible partner ({feasible}) was paired with someone they fit better"


def feasible_candidates(pool: Pool, i: int) -> Any:
    import numpy as np

    role = pool.members[i].role
    if pool.program.format == "mentoring" and role in ("mentor", "mentee"):
        other = "mentee" if role == "mentor" else "mentor"
        return np.array([k for k, m in enumerate(pool.members) if m.role == other], dtype=np.int64)
    return np.array([k for k in range(pool.size) if k != i], dtype=np.int64)
