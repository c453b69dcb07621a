"""What matching makes: a round's matches and summary, and why two members are (not) matched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from peerkit.model import DayRule, Match, RoundChanges, RoundSummary, Unmatched, made_from

Progress = Callable[[str, float], None]


TOP_REASONS = 3


@dataclass(frozen=True)
class MatchResult:
    """One match of a round, with its score by term and the rules it satisfies."""

    id: str
    members: tuple[str, ...]
    score: float
    terms: dict[str, float]
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    locked: bool = False
    pinned: bool = False
    location: str = ""
    day: DayRule | None = None
    time: str = ""
    raw_score: float = 0.0  # `score` before rounding to the round file's 3 decimals
    # one line per member for people reading the round file: `Ana Lima (E1001): Tue 10:00 EST`
    people: tuple[str, ...] = ()

    def placed(self, time: str, people: tuple[str, ...]) -> MatchResult:
        """This match at its weekly slot (`dataclasses.replace`, at a fifth of the cost:
        a round places thousands)."""
        return made_from(MatchResult, {**self.__dict__, "time": time, "people": people})

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "members": list(self.members),
            "score": self.score,
            "terms": dict(self.terms),
            "reasons": list(self.reasons),
            "rules": list(self.rules),
            "locked": self.locked,
            "pinned": self.pinned,
        }


@dataclass(frozen=True)
class RoundResult:
    """A round made by `match_round`: the matches, the unmatched, a summary and the file."""

    name: str
    format: str
    matches: tuple[MatchResult, ...]
    unmatched: tuple[Unmatched, ...]
    summary: RoundSummary
    file: str  # relative to the program folder
    text: str = ""  # the round file
    notes: tuple[str, ...] = ()
    start: dt.date | None = None  # the day the round takes over
    end: dt.date | None = None  # its last day, when the round file said so

    @property
    def changes(self) -> RoundChanges | None:
        """What a --fill round changed (None for any other round)."""
        return self.summary.changes

    def as_dict(self) -> dict[str, object]:
        return {
            "round": self.name,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "file": self.file,
            "summary": self.summary.as_dict(),
            "matches": [m.as_dict() for m in self.matches],
            "unmatched": [{"member": u.member, "reason": u.reason} for u in self.unmatched],
            "notes": list(self.notes),
            "changes": self.changes.as_dict() if self.changes else {},
        }


@dataclass(frozen=True)
class RuleCheck:
    rule: str  # the rule in words
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class PairExplanation:
    a: str
    b: str
    score: float
    terms: dict[str, float]
    words: dict[str, str]
    rules: tuple[RuleCheck, ...]
    feasible: bool
    matched_in: str = ""  # the id of their match, when they are matched together

    def as_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "score": self.score,
            "feasible": self.feasible,
            "matched_in": self.matched_in or None,
            "terms": dict(self.terms),
            "words": dict(self.words),
            "rules": [{"rule": r.rule, "ok": r.ok, "detail": r.detail} for r in self.rules],
        }


@dataclass(frozen=True)
class Explanation:
    """Why a member is matched as they are, and with whom else they could have been."""

    member: str
    round: str | None
    match: Match | None
    pairs: tuple[PairExplanation, ...]
    alternatives: tuple[PairExplanation, ...] = ()
    excluded: dict[str, list[str]] = field(default_factory=dict)  # rule -> member ids
    unmatched_reason: str = ""
    notes: tuple[str, ...] = ()
    # every match of the member in the round (a mentor may have several); `match` is the first
    matches: tuple[Match, ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # id -> `Name (id)`, for people
    capacity: str = ""  # a mentor's load: `capacity 2 mentees, 2 taken in round spring`

    def label(self, member_id: str) -> str:
        return self.names.get(member_id, member_id)

    def as_dict(self) -> dict[str, object]:
        return {
            "member": self.member,
            "round": self.round,
            "match": None
            if self.match is None
            else {"id": self.match.id, "members": list(self.match.members)},
            "matches": [{"id": m.id, "members": list(m.members)} for m in self.matches],
            "capacity": self.capacity or None,
            "pairs": [p.as_dict() for p in self.pairs],
            "alternatives": [p.as_dict() for p in self.alternatives],
            "excluded": {rule: list(ids) for rule, ids in self.excluded.items()},
            "unmatched_reason": self.unmatched_reason,
            "notes": list(self.notes),
        }
