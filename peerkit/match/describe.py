"""The matches as written: each draft's score by term, its reasons in words, the rules it
satisfies and its id; and why a member is left out."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

from peerkit.match.draft import Draft, directed_pair, id_key, order_members, ruled_pairs
from peerkit.match.pool import Pool
from peerkit.match.results import TOP_REASONS, MatchResult
from peerkit.match.rules import broken_block, rule_label
from peerkit.match.score import TERMS, pair_reason


def written_matches(
    pool: Pool, drafts: list[Draft], rules: list[str], reserved: set[str]
) -> list[MatchResult]:
    """The matches as written; new ones are numbered around the kept ids and `reserved`
    ones (a `--fill` round never gives a new match an id of the round before)."""
    for draft in drafts:
        draft.members = order_members(pool, draft.members)
    described = _describe_all(pool, drafts, rules)
    used_ids = {d.old.id for d in drafts if d.old is not None} | reserved
    id_of = [m.id for m in pool.members]
    members = [tuple(map(id_of.__getitem__, d.members)) for d in drafts]
    fresh = sorted((k for k, d in enumerate(drafts) if d.old is None), key=members.__getitem__)
    width = max(2, len(str(len(drafts) + len(reserved))))
    ids: dict[int, str] = {}
    number = 0
    for k in fresh:
        while True:
            number += 1
            candidate = f"match-{number:0{width}d}"
            if candidate not in used_ids:
                break
        ids[k] = candidate
    results = []
    for k, (draft, (score, terms, reasons, satisfied)) in enumerate(
        zip(drafts, described, strict=True)
    ):
        old = draft.old
        results.append(
            MatchResult(
                old.id if old else ids[k],
                members[k],
                round(score, 3),
                terms,
                reasons,
                satisfied,
                draft.locked,
                draft.pinned,
                old.location if old else "",
                old.day if old else None,
                old.time.strftime("%H:%M") if old and old.time else "",
                score,
            )
        )
    return sorted(results, key=lambda r: id_key(r.id))


def _describe_all(
    pool: Pool, drafts: list[Draft], rules: list[str]
) -> list[tuple[float, dict[str, float], tuple[str, ...], tuple[str, ...]]]:
    """Score, terms, reasons and the rules satisfied of every match, in one pass."""
    import numpy as np

    from peerkit.match.score import edge_terms

    edges = [ruled_pairs(pool, draft.members) for draft in drafts]
    flat = [(k, *directed_pair(pool, i, j)) for k, pairs in enumerate(edges) for i, j in pairs]
    owner, rows, cols, directed = (
        np.array(column, dtype=kind)
        for column, kind in zip(
            zip(*flat, strict=True) if flat else ((), (), (), ()),
            (np.int64, np.int64, np.int64, bool),
            strict=True,
        )
    )
    values = np.zeros((len(flat), len(TERMS)))
    for flag in (False, True):
        picked = np.flatnonzero(directed == flag)
        if len(picked):
            made = edge_terms(pool, rows[picked], cols[picked], flag)
            for t, term in enumerate(TERMS):
                values[picked, t] = made[term]
    counts = np.bincount(owner, minlength=len(drafts)).clip(1)
    sums = np.zeros((len(drafts), len(TERMS)))
    np.add.at(sums, owner, values)
    means = sums / counts[:, None]
    # each match's terms as a row of floats (one float at a time is slow from numpy), and
    # its terms strongest first (a stable sort: ties in TERMS order)
    totals = means.tolist()
    ranked = np.argsort(-means, axis=1, kind="stable").tolist()
    # a lone pair's (mentee, mentor, directed), as `flat` has it
    first = np.searchsorted(owner, np.arange(len(drafts))).tolist()
    rule_labels = [rule_label(pool.program, r) for r in rules]
    every_rule = tuple(rule_labels)
    described = []
    for k, draft in enumerate(drafts):
        row = totals[k]
        pair = flat[first[k]][1:] if len(edges[k]) == 1 else None
        reasons = _reasons(pool, draft.members, pair, row, ranked[k])
        satisfied = every_rule
        if draft.locked or draft.pinned:
            broken = _broken(pool, draft.members, edges[k])
            if broken:
                kept = "locked" if draft.locked else "pinned"
                labels = ", ".join(rule_label(pool.program, r) for r in sorted(broken))
                reasons.insert(0, f"{kept} although it breaks: {labels}")
                satisfied = tuple(
                    label for r, label in zip(rules, rule_labels, strict=True) if r not in broken
                )
        described.append(
            (
                sum(row),
                dict(zip(TERMS, map(round, row, itertools.repeat(3)), strict=True)),
                tuple(reasons),
                satisfied,
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
    pool: Pool,
    members: list[int],
    pair: tuple[int, int, bool] | None,
    totals: list[float],
    ranked: list[int],
) -> list[str]:
    """The strongest terms of a match (`ranked`: the indexes of TERMS, strongest first), in
    words; `pair` is a lone pair's (row, col, directed). A pair's terms are worded only as
    far as needed: most rounds have thousands."""
    reasons = []
    for t in ranked:
        if totals[t] <= 0:
            break
        term = TERMS[t]
        text = pair_reason(pool, term, *pair) if pair else _group_reason(pool, members, term)
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


def why_unmatched(pool: Pool, i: int, team: bool = False) -> str:
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
    """The members i could be matched with before the rules: the other role in mentoring
    (a mentor's mentees, a mentee's mentors), everyone else otherwise."""
    import numpy as np

    role = pool.roles[i]
    if pool.program.format == "mentoring" and role in ("mentor", "mentee"):
        return pool.with_role("mentee" if role == "mentor" else "mentor")
    return np.delete(np.arange(pool.size, dtype=np.int64), i)
