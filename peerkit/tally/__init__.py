"""Responses → statistics: per question, per match, per session, the trend, at-risk matches.

For an anonymous survey no number is shown for fewer respondents than the program's
`privacy.min_group_size`, no name or e-mail is kept, and the per-match view rolls up to the
cohort; an identified survey (a session check-in) shows each match, because the coordinator
must see how each one is doing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

from peerkit.model import Folder, Response, Round, Survey
from peerkit.tally.numbers import Scale, match_groups, question_stats, withheld_stats
from peerkit.tally.results import GroupStats, SourceFile, SurveyTally, Tally, TrendPoint, too_few
from peerkit.tally.risk import asked_members, at_risk_matches, round_in_effect

# --- one survey -----------------------------------------------------------------------------


def tally_survey(
    folder: Folder,
    survey: Survey,
    responses: Sequence[Response],
    files: Sequence[SourceFile] = (),
    *,
    names: bool = True,
    as_of: dt.date | None = None,
    round_: Round | None = None,
    scale: Scale | None = None,
) -> SurveyTally:
    """Every number of one survey, with the privacy rule applied for anonymous surveys.

    Per match means per (round, match): each answer is counted for the match of the round
    in effect on its date, so a second round's match-01 is not the first round's.
    """
    minimum = folder.program.min_group_size
    anonymous = survey.anonymous
    member_names = {m.id: m.name for m in folder.members} if names and not anonymous else {}
    if anonymous and len(responses) < minimum:
        questions = tuple(
            withheld_stats(q, minimum) for q in survey.questions if q.id != "match_id"
        )
        note = f"{too_few(minimum)}: no result is shown for this anonymous survey"
        return SurveyTally(
            survey.name, survey.title, anonymous, None, questions, files=tuple(files), note=note
        )
    if scale is None:
        scale = Scale(responses, survey)
    questions = tuple(
        scale.stats(q, len(responses))
        if q.type in ("likert5", "nps")
        else question_stats(q, responses, member_names, anonymous=anonymous)
        for q in survey.questions
        if q.id != "match_id"
    )
    by_session_responses, by_match_responses = _by_session_and_match(responses)
    small = _withheld_sessions(by_session_responses, minimum) if anonymous else set()
    by_session, trend = _session_groups(scale, responses, by_session_responses, small, minimum)
    note = ""
    by_match: tuple[GroupStats, ...] = ()
    if anonymous and any(len(rs) < minimum for rs in by_match_responses.values()):
        note = f"per-match results rolled up to the cohort: some matches have {too_few(minimum)}"
    else:
        several_rounds = len({key[0] for key in by_match_responses}) > 1
        order = {r.name: i for i, r in enumerate(folder.rounds)}
        keys = sorted(by_match_responses, key=lambda k: (order.get(k[0], -1), k[1]))
        by_match = match_groups(scale, responses, keys, by_match_responses, several_rounds)
    invited = None
    if not anonymous and round_ is not None:
        # People, not places in matches: a mentor with three mentees is asked once.
        invited = len(asked_members(folder, as_of, round_))
    return SurveyTally(
        survey.name,
        survey.title,
        anonymous,
        len(responses),
        questions,
        by_session,
        by_match,
        trend,
        tuple(files),
        invited,
        note,
    )


def _by_session_and_match(
    responses: Sequence[Response],
) -> tuple[dict[int, list[Response]], dict[tuple[str, str], list[Response]]]:
    """The responses by session, and by (round, match)."""
    by_session: dict[int, list[Response]] = defaultdict(list)
    by_match: dict[tuple[str, str], list[Response]] = defaultdict(list)
    for response in responses:
        if response.session is not None:
            by_session[response.session].append(response)
        if response.match_id:
            by_match[(response.round, response.match_id)].append(response)
    return by_session, by_match


def _withheld_sessions(by_session: Mapping[int, Sequence[Response]], minimum: int) -> set[int]:
    """The sessions of an anonymous survey whose numbers are not shown: too few answers."""
    small = {s for s, rs in by_session.items() if len(rs) < minimum}
    if len(small) == 1 and len(by_session) > 1:
        # With the total shown, one withheld session could be worked out from the others.
        shown = sorted((len(rs), s) for s, rs in by_session.items() if s not in small)
        small.add(shown[0][1])
    return small


def _session_groups(
    scale: Scale,
    responses: Sequence[Response],
    by_session: Mapping[int, Sequence[Response]],
    small: set[int],
    minimum: int,
) -> tuple[tuple[GroupStats, ...], tuple[TrendPoint, ...]]:
    """Each session's scores, and each scale question's trend over the sessions."""
    sessions = sorted(by_session)
    scores = scale.by_group([r.session for r in responses], sessions)
    groups: list[GroupStats] = []
    trend: list[TrendPoint] = []
    for (health, means, counts), number in zip(scores, sessions, strict=True):
        if number in small:
            withheld = too_few(minimum)
            groups.append(
                GroupStats(
                    str(number), f"session {number}", None, None, suppressed=True, note=withheld
                )
            )
            trend.extend(TrendPoint(q.id, number, None, None) for q in scale.questions)
            continue
        many = len(by_session[number])
        groups.append(GroupStats(str(number), f"session {number}", many, health, means))
        trend.extend(
            TrendPoint(q.id, number, means.get(q.id), counts[q.id]) for q in scale.questions
        )
    return tuple(groups), tuple(trend)


# --- the whole tally ------------------------------------------------------------------------


def tally_folder(
    folder: Folder,
    exports: Sequence[object],
    *,
    names: bool = True,
    attendance_reasons: Mapping[str, Sequence[str]] | None = None,
    as_of: dt.date | None = None,
    round_name: str | None = None,
) -> Tally:
    """Every survey that has responses, and the at-risk matches across them on `as_of`
    (those of the round in effect then, or of `round_name`)."""
    from peerkit.model import Export

    grouped: dict[str, list[Response]] = defaultdict(list)
    files: dict[str, list[SourceFile]] = defaultdict(list)
    for export in exports:
        assert isinstance(export, Export)
        grouped[export.survey].extend(export.responses)
        files[export.survey].append(SourceFile(export.file, export.tool, len(export.responses)))
    surveys = folder.program.surveys
    order = [name for name in surveys if name in grouped]
    round_ = round_in_effect(folder, as_of, round_name)
    # Each answer's likert sum and count, for the at-risk check.
    scales = {name: Scale(grouped[name], surveys[name]) for name in order}
    totals = {name: scales[name].totals(grouped[name]) for name in order}
    tallies = tuple(
        tally_survey(
            folder,
            surveys[name],
            grouped[name],
            files[name],
            names=names,
            as_of=as_of,
            round_=round_,
            scale=scales[name],
        )
        for name in order
    )
    at_risk = at_risk_matches(
        folder,
        [(surveys[name], grouped[name]) for name in order],
        attendance_reasons,
        as_of,
        round_,
        totals,
    )
    return Tally(
        folder.program.min_group_size,
        tallies,
        at_risk,
        as_of.isoformat() if as_of else "",
        round_.name if round_ is not None else "",
    )
