"""Who is asked, and the matches at risk: low or falling scores, a member who rated the
latest session low or did not answer it, poor attendance; worst first."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from peerkit.model import Folder, Match, Response, Round, Survey
from peerkit.tally.numbers import Totals, health_of, likert_totals
from peerkit.tally.results import AtRisk

LOW_HEALTH = 3.0  # a match's mean likert answer below this is at risk
FALLING_BY = 0.6  # a drop of this much below either of the two sessions before is at risk
LOW_MEMBER = 2.0  # one member's mean at or below this is at risk
# A session's survey counts as run when at least this share of the members answered it; below
# that, a member without an answer was most likely never asked, so it is not a signal.
RUN_SHARE = 0.5
# How much each kind of signal weighs when the at-risk list is sorted (worst first).
WEIGHT_LOW = 3
WEIGHT_FALLING = 2
WEIGHT_ATTENDANCE = 2
WEIGHT_QUIET = 1


def active_members(folder: Folder, as_of: dt.date | None) -> set[str]:
    """Ids of the members active on `as_of` (the program's start when there is no date)."""
    day = as_of or folder.program.start
    return {m.id for m in folder.members if m.is_active_on(day)}


def round_in_effect(
    folder: Folder, as_of: dt.date | None, round_name: str | None = None
) -> Round | None:
    """`--round`, else the round in effect on `as_of` (the newest without a date)."""
    from peerkit.timeline import choose_round

    return choose_round(folder, round_name, as_of) if folder.rounds else None


def asked_members(folder: Folder, as_of: dt.date | None, round_: Round | None) -> set[str]:
    """The members an identified survey asks: everyone in a match of the round, still active."""
    if round_ is None:
        return set()
    active = active_members(folder, as_of)
    return {member for m in round_.matches for member in m.members if member in active}


# --- at-risk matches ------------------------------------------------------------------------


def _held_by(folder: Folder, as_of: dt.date | None) -> set[int] | None:
    """Numbers of the program meetings held on or before `as_of` (None: no date to judge by)."""
    if as_of is None:
        return None
    from peerkit.schedule import meeting_dates

    program = folder.program
    return {
        m.number
        for m in meeting_dates(program.meetings, program.start, program.end)
        if m.date <= as_of
    }


@dataclass(frozen=True)
class _Answered:
    """One identified survey's answers to the matches of the round judged, by (match,
    session); its latest session, and the latest that was run and held."""

    survey: Survey
    sums: Totals
    per: Mapping[tuple[str, int], list[Response]]
    sessions_of: Mapping[str, set[int]]
    latest: int | None
    last_run: int | None


def _answered(
    survey: Survey,
    responses: Sequence[Response],
    round_: Round,
    held: set[int] | None,
    asked: set[str],
    sums: Totals,
) -> _Answered:
    per: dict[tuple[str, int], list[Response]] = defaultdict(list)
    sessions_of: dict[str, set[int]] = defaultdict(set)
    answered_in: dict[int, set[str]] = defaultdict(set)
    for response in responses:
        if response.session is not None and response.respondent:
            answered_in[response.session].add(response.respondent)
        if (
            response.match_id
            and response.session is not None
            and response.round in (round_.name, "")
        ):
            per[(response.match_id, response.session)].append(response)
            sessions_of[response.match_id].add(response.session)
    sessions = sorted({r.session for r in responses if r.session is not None})
    run = [
        s
        for s in sessions
        if (held is None or s in held)
        and asked
        and len(answered_in[s] & asked) >= RUN_SHARE * len(asked)
    ]
    latest = sessions[-1] if sessions else None
    return _Answered(survey, sums, per, sessions_of, latest, run[-1] if run else None)


def _score_signals(
    answered: _Answered, match: Match, names: Mapping[str, str]
) -> list[tuple[int, str]]:
    """Low or falling scores of a match, and a member's low ones in the latest session."""
    survey, sums, per = answered.survey, answered.sums, answered.per
    signals = []
    own = sorted(answered.sessions_of.get(match.id, ()))
    healths = [(s, health_of(per[(match.id, s)], survey, sums)) for s in own]
    healths = [(s, h) for s, h in healths if h is not None]
    if healths and healths[-1][1] is not None and healths[-1][1] < LOW_HEALTH:
        s, h = healths[-1]
        signals.append((WEIGHT_LOW, f"low {survey.name} scores: {h:.1f} of 5 after session {s}"))
    if len(healths) >= 2:
        s1, h1 = healths[-1]
        s0, h0 = max(healths[-3:-1], key=lambda item: item[1] or 0.0)
        if h0 is not None and h1 is not None and h0 - h1 >= FALLING_BY:
            signals.append(
                (
                    WEIGHT_FALLING,
                    f"{survey.name} scores falling: {h0:.1f} → {h1:.1f} from session {s0} to {s1}",
                )
            )
    latest = answered.latest
    if latest is not None:
        for member in match.members:
            mine = [r for r in per.get((match.id, latest), []) if r.respondent == member]
            low = health_of(mine, survey, sums)
            if low is not None and low <= LOW_MEMBER:
                who = names.get(member, member)
                signals.append(
                    (WEIGHT_LOW, f"{who} rated session {latest} {low:.1f} of 5 on average")
                )
    return signals


def _quiet_signals(
    answered: _Answered, match: Match, asked: set[str], names: Mapping[str, str]
) -> list[tuple[int, str]]:
    """Members asked who gave no answer after the latest session that was run."""
    last_run = answered.last_run
    if last_run is None:
        return []
    gave = {r.respondent for r in answered.per.get((match.id, last_run), [])}
    expected = [m for m in match.members if m in asked]
    quiet = [names.get(m, m) for m in expected if m not in gave]
    if not quiet:
        return []
    who = "any member" if len(quiet) == len(expected) else ", ".join(quiet)
    return [(WEIGHT_QUIET, f"no {answered.survey.name} answer after session {last_run} from {who}")]


def _label(folder: Folder, member_id: str) -> str:
    """`Ana Lima (E1001)`: names beside ids (asked only for the matches at risk)."""
    member = folder.member(member_id)
    return member.label if member is not None else member_id


def at_risk_matches(
    folder: Folder,
    surveys: Sequence[tuple[Survey, Sequence[Response]]],
    attendance_reasons: Mapping[str, Sequence[str]] | None = None,
    as_of: dt.date | None = None,
    round_: Round | None = None,
    totals: Mapping[str, Totals] | None = None,
) -> tuple[AtRisk, ...]:
    """Matches with low or falling scores, a member who did not answer, or poor attendance.

    Sorted worst first. "Did not answer" is only said for a session whose survey was run
    (at least RUN_SHARE of the members answered it) and held by `as_of`. The matches judged
    are those of `round_` (the round in effect on `as_of`), with the answers given for them.
    """
    if round_ is None:
        round_ = round_in_effect(folder, as_of)
    if round_ is None:
        return ()
    names = {m.id: m.name for m in folder.members}
    held = _held_by(folder, as_of)
    asked = asked_members(folder, as_of, round_)
    signals: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for survey, responses in surveys:
        if survey.anonymous:
            continue  # never single out a match from an anonymous survey
        sums = (totals or {}).get(survey.name)
        if sums is None:
            sums = likert_totals(responses, survey)
        answered = _answered(survey, responses, round_, held, asked, sums)
        for match in round_.matches:
            signals[match.id].extend(_score_signals(answered, match, names))
            signals[match.id].extend(_quiet_signals(answered, match, asked, names))
    for match_id, reasons in (attendance_reasons or {}).items():
        signals[match_id].extend((WEIGHT_ATTENDANCE, reason) for reason in reasons)
    members = {m.id: m.members for m in round_.matches}
    found = [
        AtRisk(
            match_id,
            tuple(_label(folder, m) for m in members.get(match_id, ())),
            tuple(text for _, text in signals[match_id]),
            sum(weight for weight, _ in signals[match_id]),
        )
        for match_id in sorted(signals)
        if signals[match_id]
    ]
    return tuple(sorted(found, key=lambda risk: -risk.severity))
