"""Why a member is matched as they are: a pair's score by term, the rules, the alternatives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from peerkit.errors import PeerkitError
from peerkit.match.describe import feasible_candidates
from peerkit.match.draft import directed_pair
from peerkit.match.make import active_on
from peerkit.match.pool import Pool, build_pool
from peerkit.match.results import (
    Explanation,
    PairExplanation,
    RuleCheck,
)
from peerkit.match.rules import applied_rules, broken_block, rule_detail, rule_label
from peerkit.match.score import pair_reasons, pair_terms
from peerkit.match.verify import continued
from peerkit.model import Folder, Match, Member, Round


def _pair_explanation(pool: Pool, i: int, j: int) -> PairExplanation:
    program = pool.program
    row, col, directed = directed_pair(pool, i, j)
    terms = {k: round(v, 3) for k, v in pair_terms(pool, row, col, directed).items()}
    words = pair_reasons(pool, row, col, directed)
    broken = set()
    import numpy as np

    masks = broken_block(pool, np.array([i]), np.array([j]))
    broken = {rule for rule, mask in masks.items() if bool(mask[0, 0])}
    checks = [
        RuleCheck(
            rule_label(program, rule),
            rule not in broken,
            rule_detail(pool, rule, i, j) if rule in broken else "",
        )
        for rule in applied_rules(program)
    ]
    a, b = pool.members[i], pool.members[j]
    if program.format == "mentoring" and {a.role, b.role} != {"mentor", "mentee"}:
        checks.append(
            RuleCheck(
                "one mentor and one mentee", False, f"{a.id} is a {a.role}, {b.id} is a {b.role}"
            )
        )
    return PairExplanation(
        a.id,
        b.id,
        round(sum(terms.values()), 3),
        terms,
        words,
        tuple(checks),
        all(c.ok for c in checks),
    )


def _away(member: Member, day: dt.date) -> str:
    """`on a pause from A until B when it starts` (or left, or inactive) on the round's start."""
    if not member.active:
        return "`active: false` in the roster"
    if member.left is not None and member.left <= day:
        return f"left on {member.left}, before it starts"
    for begin, until in member.pauses:
        if begin <= day <= until:
            return f"on a pause from {begin} until {until} when it starts"
    return ""


def _lookup(folder: Folder, member_id: str) -> Member:
    member = folder.find_member(member_id)
    if member is None:
        from peerkit.validate import suggest

        otherwise = f"use a member id from {folder.roster_file}"
        hint = suggest(member_id, sorted(folder.members_by_id), otherwise)
        msg = f"no member has the id '{member_id}'"
        raise PeerkitError(msg, hint)
    return member


@dataclass(frozen=True)
class Setting:
    """Where an explanation stands: the round (if any), its start, the pool of the members
    taking part then (with the two asked about), and notes on who is not active."""

    round: Round | None
    start: dt.date
    pool: Pool
    notes: tuple[str, ...]


def explain(
    folder: Folder, a: str, b: str | None = None, round_name: str | None = None
) -> Explanation:
    """Score by term and rules for `a` with `b` (or with a's partners in the round), and
    a's best feasible alternatives with the rules that excluded the others."""
    first = _lookup(folder, a)
    second = _lookup(folder, b) if b else None
    setting = _setting(folder, _chosen_round(folder, round_name), first, second)
    if second is not None:
        return _explain_pair(setting, first, second)
    return _explain_member(folder, setting, first)


def _chosen_round(folder: Folder, round_name: str | None) -> Round | None:
    """The round named (an unknown name is an error), else the newest (None: no round)."""
    round_ = folder.round(round_name)
    if round_name is not None and round_ is None:
        names = ", ".join(r.name for r in folder.rounds) or "none yet"
        msg = f"there is no round '{round_name}' (rounds: {names})"
        raise PeerkitError(msg, "run `peerkit match` first, or pick one of the rounds listed")
    return round_


def _setting(folder: Folder, round_: Round | None, first: Member, second: Member | None) -> Setting:
    start = (round_.start if round_ else None) or folder.program.start
    active, _ = active_on(folder, start)
    away = [m for m in (first, second) if m is not None and not m.is_active_on(start)]
    name = round_.name if round_ else "~"  # a round not in rounds/: every round is earlier
    continuing = continued(folder, round_) if round_ else ()
    pool = build_pool(folder, active + away, name, start if round_ else None, continuing)
    when = f"on {start}, when round {round_.name} starts" if round_ else "at the program start"
    notes = tuple(f"{m.id} is not active {when}, so is not matched in it" for m in away)
    return Setting(round_, start, pool, notes)


def _explain_pair(setting: Setting, first: Member, second: Member) -> Explanation:
    """Why `first` and `second` are (not) matched: their score by term and the rules."""
    round_, pool = setting.round, setting.pool
    match = round_.match_of(first.id) if round_ else None
    pair = _pair_explanation(pool, pool.index[first.id], pool.index[second.id])
    notes = list(setting.notes)
    if match is not None and second.id in match.members:
        pair = replace(pair, matched_in=match.id)
    elif round_:
        notes.append(f"{first.id} and {second.id} are not matched together in {round_.name}")
    return Explanation(
        first.id,
        round_.name if round_ else None,
        match,
        (pair,),
        notes=tuple(notes),
        names={m.id: m.label for m in (first, second)},
    )


def _explain_member(folder: Folder, setting: Setting, first: Member) -> Explanation:
    """Why `first` is matched as they are: each partner, and the best alternatives."""
    round_, pool = setting.round, setting.pool
    i = pool.index[first.id]
    match = round_.match_of(first.id) if round_ else None
    matches = tuple(m for m in (round_.matches if round_ else ()) if first.id in m.members)
    partners = [(p, m.id) for m in matches for p in m.members if p != first.id and p in pool.index]
    pairs = tuple(
        replace(_pair_explanation(pool, i, pool.index[p]), matched_in=match_id)
        for p, match_id in partners
    )
    current = {p for p, _ in partners}
    alternatives, excluded = _alternatives(pool, i, current, setting.start)
    mentees = sum(1 for p, _ in partners if pool.members[pool.index[p]].role == "mentee")
    shown = {first.id, *current, *(p.b for p in alternatives)}
    shown.update(k for ids in excluded.values() for k in ids)
    labels = {k: member.label for k in sorted(shown) if (member := folder.member(k)) is not None}
    return Explanation(
        first.id,
        round_.name if round_ else None,
        match,
        pairs,
        tuple(alternatives),
        excluded,
        _unmatched_reason(round_, first, match, setting.start),
        setting.notes,
        matches,
        labels,
        _capacity(folder, first, mentees, round_),
    )


def _alternatives(
    pool: Pool, i: int, current: set[str], start: dt.date
) -> tuple[list[PairExplanation], dict[str, list[str]]]:
    """Member i's five best feasible partners other than `current`, and for each rule the
    members it rules out."""
    import numpy as np

    others = feasible_candidates(pool, i)
    others = np.array([k for k in others if pool.members[int(k)].id not in current], dtype=np.int64)
    excluded: dict[str, list[str]] = {}
    if not len(others):
        return [], excluded
    masks = broken_block(pool, np.array([i]), others)
    ok = np.ones(len(others), dtype=bool)
    for rule, mask in masks.items():
        ok &= ~mask[0]
        hit = [pool.members[int(k)].id for k in others[mask[0]]]
        if hit:
            excluded[rule_label(pool.program, rule)] = sorted(hit)
    ok &= np.array([pool.members[int(k)].is_active_on(start) for k in others])
    candidates = [int(k) for k in others[ok]]
    scored = sorted(
        (_pair_explanation(pool, i, k) for k in candidates), key=lambda p: (-p.score, p.b)
    )
    return scored[:5], excluded


def _unmatched_reason(
    round_: Round | None, member: Member, match: Match | None, start: dt.date
) -> str:
    """Why the member is in no match of the round (the round file's reason, or why not)."""
    if round_ is None:
        return ""
    reason = next((u.reason for u in round_.unmatched if u.member == member.id), "")
    if match is None and not reason:
        reason = _away(member, start) or f"not in round {round_.name}"
    return reason


def _capacity(folder: Folder, member: Member, mentees: int, round_: Round | None) -> str:
    """A mentor's load: `capacity 2 mentee(s), 2 taken in round spring (full)`."""
    if folder.program.format != "mentoring" or member.role != "mentor":
        return ""
    capacity = f"capacity {member.capacity} mentee(s)"
    if round_ is None:
        return capacity
    capacity += f", {mentees} taken in round {round_.name}"
    if mentees > member.capacity:
        capacity += f" (over by {mentees - member.capacity}: `peerkit check` reports it)"
    elif mentees == member.capacity:
        capacity += " (full)"
    return capacity
