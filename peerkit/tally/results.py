"""What a tally is: per-question statistics, per-session and per-match scores, the trend,
the at-risk matches; and their plain values for JSON (`Tally.as_dict`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from peerkit.jsontext import plain_values


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
        """Plain values (dicts, lists, numbers, text): see `plain_values`."""
        plain = plain_values(self)
        assert isinstance(plain, dict)
        return plain
