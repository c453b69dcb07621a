"""Responses → statistics: per question, per match, per session, the trend, at-risk matches.

For an anonymous survey no number is shown for fewer respondents than the program's
`privacy.min_group_size`, no name or e-mail is kept, and the per-match view rolls up to the
cohort; an identified survey (a session check-in) shows each match, because the coordinator
must see how each one is doing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

from peerkit.model import LIKERT5_LABELS, Folder, Match, Question, Response, Round, Survey

if TYPE_CHECKING:
    import numpy as np

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


def too_few(min_group_size: int) -> str:
    return f"fewer than {min_group_size} responses"


@dataclass(frozen=True)
class Comment:
    question: str
    text: str
    member: str = ""  # the member's name; empty for anonymous surveys or without names
    match: str = ""
    session: int | None = None


@dataclass(frozen=True)
class QuestionStats:
    """One question's numbers; `note` says why they are withheld when `suppressed`."""

    id: str
    text: str
    type: str
    n: int | None
    missing: int | None
    distribution: dict[str, int] = field(default_factory=dict)  # in scale order
    mean: float | None = None
    median: float | None = None
    top2_box: float | None = None  # percent answering 4 or 5 (likert5)
    nps: float | None = None  # percent promoters minus percent detractors
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    counts: dict[str, int] = field(default_factory=dict)  # choice and multi
    comments: tuple[Comment, ...] = ()
    suppressed: bool = False
    note: str = ""


@dataclass(frozen=True)
class GroupStats:
    """A survey's scores for one match or one session."""

    key: str
    label: str
    respondents: int | None
    health: float | None  # mean of every likert5 answer
    scores: dict[str, float | None] = field(default_factory=dict)  # question id → mean (NPS: score)
    suppressed: bool = False
    note: str = ""
    latest: float | None = None  # health in the latest session this group answered
    latest_session: int | None = None
    round: str = ""  # for a match: the round it belongs to


@dataclass(frozen=True)
class TrendPoint:
    question: str
    session: int
    value: float | None
    n: int | None


@dataclass(frozen=True)
class SourceFile:
    file: str
    tool: str
    rows: int


@dataclass(frozen=True)
class SurveyTally:
    survey: str
    title: str
    anonymous: bool
    respondents: int | None
    questions: tuple[QuestionStats, ...]
    by_session: tuple[GroupStats, ...] = ()
    by_match: tuple[GroupStats, ...] = ()
    trend: tuple[TrendPoint, ...] = ()
    files: tuple[SourceFile, ...] = ()
    invited: int | None = None  # members asked (identified surveys, per session)
    note: str = ""


@dataclass(frozen=True)
class AtRisk:
    """A match the coordinator should call this week, and why."""

    match: str
    members: tuple[str, ...]  # names
    reasons: tuple[str, ...]
    severity: int = 0  # the reasons' weights added up; the list is sorted by it, worst first


@dataclass(frozen=True)
class Tally:
    min_group_size: int
    surveys: tuple[SurveyTally, ...]
    at_risk: tuple[AtRisk, ...] = ()
    as_of: str = ""  # the date the at-risk list and the active roster are judged on
    round: str = ""  # the round in effect on that date (or --round): its matches are judged

    def as_dict(self) -> dict[str, object]:
        """Plain values (dicts, lists, numbers, text), as `dataclasses.asdict` gives them
        but without its deep copies: a tally of 100,000 answers has a million leaves."""
        plain = _plain(self)
        assert isinstance(plain, dict)
        return plain


_LEAVES = (str, int, float, bool, type(None))


def _plain(value: object) -> object:
    kind = type(value)
    if kind in _LEAVES:
        return value
    names = _FIELDS.get(kind)
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if kind is tuple or kind is list:
        return [v if type(v) in _LEAVES else _plain(v) for v in value]  # type: ignore[attr-defined]
    if kind is dict:
        return {
            k: v if type(v) in _LEAVES else _plain(v)
            for k, v in value.items()  # type: ignore[attr-defined]
        }
    return value


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


def _asked(folder: Folder, as_of: dt.date | None, round_: Round | None) -> set[str]:
    """The members an identified survey asks: everyone in a match of the round, still active."""
    if round_ is None:
        return set()
    active = active_members(folder, as_of)
    return {member for m in round_.matches for member in m.members if member in active}


# --- numbers --------------------------------------------------------------------------------


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value + 0.0, digits)


def scale_stats(values: Sequence[int], question: Question, missing: int = 0) -> QuestionStats:
    """Distribution, mean, median, top-2-box (likert5) or NPS (nps) of scale answers."""
    return counted_stats(Counter(values), question, missing)


def _median(counter: Mapping[int, int], n: int) -> float:
    """The median of `n` answers counted by value (as statistics.median of the answers)."""

    def kth(k: int) -> int:  # the k-th smallest answer, from 0
        seen = 0
        for value in sorted(counter):
            seen += counter[value]
            if k < seen:
                return value
        raise AssertionError(k)

    if n % 2:
        return float(kth(n // 2))
    return (kth(n // 2 - 1) + kth(n // 2)) / 2


def counted_stats(
    counter: Mapping[int, int], question: Question, missing: int = 0
) -> QuestionStats:
    """`scale_stats` of answers counted by value (value → how many gave it)."""
    if question.type == "likert5":
        labels = question.options if len(question.options) == 5 else LIKERT5_LABELS
        distribution = {labels[i - 1]: counter.get(i, 0) for i in range(1, 6)}
    else:
        distribution = {str(i): counter.get(i, 0) for i in range(11)}
    n = sum(counter.values())
    # the sum of whole answers is exact, so this is statistics.fmean's mean
    mean = sum(value * many for value, many in counter.items()) / n if n else None
    stats = QuestionStats(
        question.id,
        question.text,
        question.type,
        n,
        missing,
        distribution,
        mean=_round(mean),
        median=_round(_median(counter, n), 1) if n else None,
    )
    if question.type == "likert5":
        top = counter.get(4, 0) + counter.get(5, 0)
        return replace(stats, top2_box=_round(100 * top / n, 1) if n else None)
    promoters = counter.get(9, 0) + counter.get(10, 0)
    detractors = sum(counter.get(i, 0) for i in range(7))
    return replace(
        stats,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
        nps=_round(100 * (promoters - detractors) / n, 1) if n else None,
    )


def question_stats(
    question: Question,
    responses: Sequence[Response],
    names: Mapping[str, str],
    *,
    anonymous: bool,
) -> QuestionStats:
    """One question over a set of responses (no privacy rule applied here)."""
    given = [r for r in responses if question.id in r.answers]
    n, missing = len(given), len(responses) - len(given)
    if question.type in ("likert5", "nps"):
        values = [v for r in given if isinstance(v := r.answers[question.id], int)]
        return scale_stats(values, question, missing)
    base = QuestionStats(question.id, question.text, question.type, n, missing)
    if question.type in ("choice", "multi"):
        counts: Counter[str] = Counter(dict.fromkeys(question.options, 0))
        for response in given:
            value = response.answers[question.id]
            if isinstance(value, str):
                counts[value] += 1
            elif isinstance(value, tuple):
                counts.update(value)
        ordered = {o: counts[o] for o in question.options}
        ordered.update({k: v for k, v in sorted(counts.items()) if k not in ordered})
        return replace(base, counts=ordered)
    comments = []
    for response in given:
        text = str(response.answers[question.id])
        if anonymous:
            comments.append(Comment(question.id, text))
        else:
            who = names.get(response.respondent, "")
            comments.append(Comment(question.id, text, who, response.match_id, response.session))
    # Anonymous comments in alphabetical order: the order of answers can give people away.
    # Identified ones newest first: the latest session is what the coordinator acts on.
    comments.sort(key=lambda c: (c.text.casefold(),) if anonymous else (-(c.session or 0), c.match))
    return replace(base, comments=tuple(comments))


def _withheld(question: Question, min_group_size: int) -> QuestionStats:
    note = too_few(min_group_size)
    return QuestionStats(
        question.id, question.text, question.type, None, None, suppressed=True, note=note
    )


Totals = dict[int, tuple[int, int]]  # id(response) → (sum, count) of its likert5 answers


def _totals(responses: Iterable[Response], survey: Survey) -> Totals:
    likert = {q.id for q in survey.questions if q.type == "likert5"}
    totals: Totals = {}
    for response in responses:
        total = count = 0
        for qid, value in response.answers.items():
            if qid in likert and isinstance(value, int):
                total += value
                count += 1
        totals[id(response)] = (total, count)
    return totals


def _health(
    responses: Sequence[Response], survey: Survey, totals: Totals | None = None
) -> float | None:
    """The mean of every likert5 answer in `responses`."""
    if totals is None:
        totals = _totals(responses, survey)
    total = count = 0
    for response in responses:
        part, many = totals[id(response)]
        total += part
        count += many
    return _round(total / count) if count else None


_GroupScores = tuple[float | None, dict[str, float | None], dict[str, int]]


class _Scale:
    """A survey's scale answers (likert5, nps) as one array per question, an entry per
    response (-1: no answer), so that a group's scores are sums over its entries rather than
    a pass over its responses for each question."""

    def __init__(self, responses: Sequence[Response], survey: Survey) -> None:
        import numpy as np

        self.questions = [q for q in survey.questions if q.type in ("likert5", "nps")]
        answers = [r.answers for r in responses]
        self.values = {
            q.id: np.array(
                [v if isinstance(v := a.get(q.id), int) else -1 for a in answers], dtype=np.int64
            ).reshape(len(answers))
            for q in self.questions
        }

    def stats(self, question: Question, responses: int) -> QuestionStats:
        """`question_stats` of a scale question, from its array."""
        import numpy as np

        values = self.values[question.id]
        counts = np.bincount(values[values >= 0], minlength=11).tolist()
        counter = {value: many for value, many in enumerate(counts) if many}
        return counted_stats(counter, question, responses - sum(counts))

    def totals(self, responses: Sequence[Response]) -> Totals:
        """Each response's likert5 sum and count (`_totals`), from the arrays."""
        import numpy as np

        likert = [self.values[q.id] for q in self.questions if q.type == "likert5"]
        if not likert:
            return dict.fromkeys(map(id, responses), (0, 0))
        stack = np.vstack(likert)
        given = stack >= 0
        sums = np.where(given, stack, 0).sum(axis=0).tolist()
        counts = given.sum(axis=0).tolist()
        return dict(zip(map(id, responses), zip(sums, counts, strict=True), strict=True))

    def by_group(self, keys: Sequence[object], groups: Sequence[object]) -> list[_GroupScores]:
        """Each group's health (the mean of all its likert5 answers), scores (mean; NPS
        for nps) and answer counts by question; `keys` says each response's group."""
        import numpy as np

        index = {group: i for i, group in enumerate(groups)}
        codes = np.fromiter((index.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        return self.scores(codes, len(groups))

    def scores(self, codes: np.ndarray, size: int) -> list[_GroupScores]:
        import numpy as np

        total = np.zeros(size, dtype=np.int64)
        count = np.zeros(size, dtype=np.int64)
        sums: dict[str, tuple[list[int], list[int], list[int]]] = {}
        for question in self.questions:
            values = self.values[question.id]
            given = (codes >= 0) & (values >= 0)
            where, got = codes[given], values[given]
            n = np.bincount(where, minlength=size)
            if question.type == "likert5":
                part = np.bincount(where, weights=got, minlength=size).astype(np.int64)
                total += part
                count += n
                sums[question.id] = (n.tolist(), part.tolist(), [])
            else:
                promoters = np.bincount(where[got >= 9], minlength=size)
                detractors = np.bincount(where[got <= 6], minlength=size)
                sums[question.id] = (n.tolist(), promoters.tolist(), detractors.tolist())
        totals, counts = total.tolist(), count.tolist()
        found: list[_GroupScores] = []
        for g in range(size):
            scores: dict[str, float | None] = {}
            answered: dict[str, int] = {}
            for question in self.questions:
                many, first, second = sums[question.id]
                k = answered[question.id] = many[g]
                if not k:
                    scores[question.id] = None
                elif question.type == "nps":
                    scores[question.id] = _round(100 * (first[g] - second[g]) / k, 1)
                else:
                    scores[question.id] = _round(first[g] / k)
            health = _round(totals[g] / counts[g]) if counts[g] else None
            found.append((health, scores, answered))
        return found


def _match_groups(
    scale: _Scale,
    responses: Sequence[Response],
    keys: Sequence[tuple[str, str]],
    by_key: Mapping[tuple[str, str], Sequence[Response]],
    several_rounds: bool,
) -> tuple[GroupStats, ...]:
    """Each (round, match)'s scores, and its health in the latest session it answered."""
    import numpy as np

    index = {key: i for i, key in enumerate(keys)}
    codes = np.fromiter(
        (index.get((r.round, r.match_id), -1) if r.match_id else -1 for r in responses),
        dtype=np.int64,
        count=len(responses),
    )
    sessions = np.fromiter(
        (-1 if r.session is None else r.session for r in responses),
        dtype=np.int64,
        count=len(responses),
    )
    dated = (codes >= 0) & (sessions >= 0)
    last = np.full(max(1, len(keys)), -1, dtype=np.int64)
    np.maximum.at(last, codes[dated], sessions[dated])
    latest_codes = np.where(dated & (sessions == last[np.maximum(codes, 0)]), codes, -1)
    scores = scale.scores(codes, len(keys))
    latest = scale.scores(latest_codes, len(keys))
    groups = []
    for i, (round_name, match_id) in enumerate(keys):
        label = f"{match_id} ({round_name})" if several_rounds and round_name else match_id
        health, means, _ = scores[i]
        group = GroupStats(match_id, label, len(by_key[(round_name, match_id)]), health, means)
        if last[i] >= 0:
            group = replace(group, latest=latest[i][0], latest_session=int(last[i]))
        groups.append(replace(group, round=round_name))
    return tuple(groups)


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
    scale: _Scale | None = None,
) -> SurveyTally:
    """Every number of one survey, with the privacy rule applied for anonymous surveys.

    Per match means per (round, match): each answer is counted for the match of the round
    in effect on its date, so a second round's match-01 is not the first round's.
    """
    minimum = folder.program.min_group_size
    anonymous = survey.anonymous
    member_names = {m.id: m.name for m in folder.members} if names and not anonymous else {}
    if anonymous and len(responses) < minimum:
        return SurveyTally(
            survey.name,
            survey.title,
            anonymous,
            None,
            tuple(_withheld(q, minimum) for q in survey.questions if q.id != "match_id"),
            files=tuple(files),
            note=f"{too_few(minimum)}: no result is shown for this anonymous survey",
        )
    if scale is None:
        scale = _Scale(responses, survey)
    questions = tuple(
        scale.stats(q, len(responses))
        if q.type in ("likert5", "nps")
        else question_stats(q, responses, member_names, anonymous=anonymous)
        for q in survey.questions
        if q.id != "match_id"
    )
    by_session_responses: dict[int, list[Response]] = defaultdict(list)
    by_match_responses: dict[tuple[str, str], list[Response]] = defaultdict(list)
    for response in responses:
        if response.session is not None:
            by_session_responses[response.session].append(response)
        if response.match_id:
            by_match_responses[(response.round, response.match_id)].append(response)
    several_rounds = len({key[0] for key in by_match_responses}) > 1
    order = {r.name: i for i, r in enumerate(folder.rounds)}
    small = _withheld_sessions(by_session_responses, minimum) if anonymous else set()
    by_session, trend = _session_groups(scale, responses, by_session_responses, small, minimum)
    note = ""
    by_match: tuple[GroupStats, ...] = ()
    if anonymous and any(len(rs) < minimum for rs in by_match_responses.values()):
        note = f"per-match results rolled up to the cohort: some matches have {too_few(minimum)}"
    else:
        keys = sorted(by_match_responses, key=lambda k: (order.get(k[0], -1), k[1]))
        by_match = _match_groups(scale, responses, keys, by_match_responses, several_rounds)
    invited = None
    if not anonymous and round_ is not None:
        # People, not places in matches: a mentor with three mentees is asked once.
        invited = len(_asked(folder, as_of, round_))
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


def _withheld_sessions(by_session: Mapping[int, Sequence[Response]], minimum: int) -> set[int]:
    """The sessions of an anonymous survey whose numbers are not shown: too few answers."""
    small = {s for s, rs in by_session.items() if len(rs) < minimum}
    if len(small) == 1 and len(by_session) > 1:
        # With the total shown, one withheld session could be worked out from the others.
        shown = sorted((len(rs), s) for s, rs in by_session.items() if s not in small)
        small.add(shown[0][1])
    return small


def _session_groups(
    scale: _Scale,
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
    healths = [(s, _health(per[(match.id, s)], survey, sums)) for s in own]
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
            low = _health(mine, survey, sums)
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
    labels = {m.id: m.label for m in folder.members}  # `Ana Lima (E1001)`: names beside ids
    held = _held_by(folder, as_of)
    asked = _asked(folder, as_of, round_)
    signals: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for survey, responses in surveys:
        if survey.anonymous:
            continue  # never single out a match from an anonymous survey
        sums = (totals or {}).get(survey.name)
        if sums is None:
            sums = _totals(responses, survey)
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
            tuple(labels.get(m, m) for m in members.get(match_id, ())),
            tuple(text for _, text in signals[match_id]),
            sum(weight for weight, _ in signals[match_id]),
        )
        for match_id in sorted(signals)
        if signals[match_id]
    ]
    return tuple(sorted(found, key=lambda risk: -risk.severity))


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
    scales = {name: _Scale(grouped[name], surveys[name]) for name in order}
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


# The fields of each result type, in order, for Tally.as_dict.
_RESULTS = (Comment, QuestionStats, GroupStats, TrendPoint, SourceFile, SurveyTally, AtRisk)
_FIELDS: dict[type, tuple[str, ...]] = {
    kind: tuple(f.name for f in fields(kind)) for kind in (*_RESULTS, Tally)
}
