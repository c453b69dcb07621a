"""Who, which match, which session: an answer's respondent from the roster, its match
checked against the round in effect on its date, its session from a column, the file's
name or its date (the one date → session rule: peerkit.timeline)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from peerkit.model import (
    Column,
    Folder,
    Location,
    Match,
    Problem,
    Round,
    Survey,
)
from peerkit.responses.read import Grid, cell
from peerkit.responses.values import leading_number, normalize, short, slug, warn
from peerkit.timeline import SessionClock


@dataclass
class RoundIndex:
    """One round's matches as answers name them."""

    round: Round | None
    by_id: dict[str, Match]
    match_ids: dict[str, str]  # normalised spelling → match id
    match_numbers: dict[int, str]
    matches_of: dict[str, list[Match]]  # member id → their matches in the round
    seen: dict[str, str] = field(default_factory=dict)  # answer text → match id, memoised

    @classmethod
    def of(cls, round_: Round | None) -> RoundIndex:
        by_id: dict[str, Match] = {}
        match_ids: dict[str, str] = {}
        numbers: dict[int, str] = {}
        matches_of: dict[str, list[Match]] = {}
        for match in round_.matches if round_ is not None else ():
            by_id[match.id] = match
            match_ids[slug(match.id)] = match.id
            digits = re.findall(r"\d+", match.id)
            if digits:
                numbers.setdefault(int(digits[-1]), match.id)
            for member in match.members:
                matches_of.setdefault(member, []).append(match)
        return cls(round_, by_id, match_ids, numbers, matches_of)

    @property
    def name(self) -> str:
        return self.round.name if self.round is not None else ""

    def match_id(self, text: str) -> str:
        if not text:
            return ""
        if text in self.seen:
            return self.seen[text]
        self.seen[text] = found = self._match_id(text)
        return found

    def _match_id(self, text: str) -> str:
        if not self.match_ids:
            # No round file yet: group by what respondents wrote, tidied.
            return "-".join(normalize(text).split())[:60]
        found = self.match_ids.get(slug(text))
        if found is None:
            # "Team 3" or "3" for "team-03": one match id ends with that number.
            digits = re.findall(r"\d+", text)
            if len(digits) == 1:
                found = self.match_numbers.get(int(digits[0]))
        return found or ""


@dataclass
class ReadContext:
    """What reading rows needs from the folder: who members are, which round and match,
    and the one date → session rule (peerkit.timeline)."""

    folder: Folder
    emails: dict[str, str]
    names: dict[str, str]
    ids: dict[str, str]
    clock: SessionClock
    round_name: str | None = None  # --round: every answer is read against this round
    session: int | None = None  # --session: every answer is for this session
    indexes: dict[str, RoundIndex] = field(default_factory=dict)
    by_day: dict[dt.date | None, RoundIndex] = field(default_factory=dict)

    @classmethod
    def of(
        cls, folder: Folder, round_name: str | None = None, session: int | None = None
    ) -> ReadContext:
        return cls(
            folder=folder,
            emails={m.email.casefold(): m.id for m in folder.members if m.email},
            names={normalize(m.name): m.id for m in folder.members},
            ids={m.id.casefold(): m.id for m in folder.members},
            clock=SessionClock(folder.program),
            round_name=round_name,
            session=session,
        )

    def round_index(self, day: dt.date | None) -> RoundIndex:
        """The round an answer of `day` belongs to: `--round`, else the one in effect then."""
        if day not in self.by_day:
            self.by_day[day] = self._round_index(day)
        return self.by_day[day]

    def _round_index(self, day: dt.date | None) -> RoundIndex:
        from peerkit.timeline import choose_round

        round_ = None
        if self.folder.rounds:
            round_ = choose_round(self.folder, self.round_name, day)
        key = round_.name if round_ is not None else ""
        if key not in self.indexes:
            self.indexes[key] = RoundIndex.of(round_)
        return self.indexes[key]


# The one file-name pattern peerkit writes and documents for an export of one session:
# `NAME-session-NN.csv` (`checkin-session-03.csv`). No other digits in a name say anything.
SESSION_FILE = re.compile(r".+-session-0*(\d{1,3})", re.IGNORECASE)


def file_session(stem: str) -> int | None:
    """The session a file named `NAME-session-NN` holds; None for any other name."""
    match = SESSION_FILE.fullmatch(stem.strip())
    return int(match.group(1)) if match else None


def checked_file_session(grid: Grid, context: ReadContext, problems: list[Problem]) -> int | None:
    """The session the file's NAME-session-NN name says; None (with a warning) outside."""
    named = file_session(Path(grid.file).stem)
    count = context.clock.count()
    if named is not None and not 1 <= named <= count:
        warn(
            problems,
            Location(grid.file),
            "outside-program",
            f"the file's name says session {named}, but the program has {count} meeting(s); "
            "the name is not used",
            "rename the file NAME-session-NN.csv with the session it holds",
        )
        return None
    return named


def who_named(texts: list[str], by_role: Mapping[str, list[Column]]) -> str:
    for role in ("member", "email", "name"):
        for column in by_role.get(role, []):
            if cell(texts, column.index):
                return cell(texts, column.index)
    first = " ".join(cell(texts, c.index) for c in by_role.get("first-name", []))
    last = " ".join(cell(texts, c.index) for c in by_role.get("last-name", []))
    return f"{first} {last}".strip()


def respondent_of(
    texts: list[str], by_role: Mapping[str, list[Column]], context: ReadContext
) -> str:
    for column in by_role.get("member", []):
        found = context.ids.get(cell(texts, column.index).casefold())
        if found:
            return found
    for column in by_role.get("email", []):
        found = context.emails.get(cell(texts, column.index).casefold())
        if found:
            return found
    for column in by_role.get("name", []):
        found = context.names.get(normalize(cell(texts, column.index)))
        if found:
            return found
    first = " ".join(cell(texts, c.index) for c in by_role.get("first-name", []))
    last = " ".join(cell(texts, c.index) for c in by_role.get("last-name", []))
    if not (first or last):
        return ""
    return context.names.get(normalize(f"{first} {last}"), "")


def column_session(
    texts: list[str],
    line: int,
    by_role: Mapping[str, list[Column]],
    file: str,
    problems: list[Problem],
    context: ReadContext,
) -> int | None:
    count = context.clock.count()
    for column in by_role.get("session", []):
        text = cell(texts, column.index)
        number = leading_number(text) if text else None
        if number is not None and number.is_integer() and 1 <= number <= count:
            return int(number)
        if number is not None and number.is_integer() and number > count:
            warn(
                problems,
                Location(file, line, column.index + 1),
                "outside-program",
                f"there is no session {int(number)}: the program has {count} meeting(s)",
                f"write the session's number, from 1 to {count}",
            )
        elif text:
            warn(
                problems,
                Location(file, line, column.index + 1),
                "session",
                f"'{short(text)}' is not a session number",
                "write the session's number, e.g. 3",
            )
    return None


def session_on_day(
    day: dt.date,
    match: Match | None,
    survey: Survey,
    context: ReadContext,
    loc: Location,
    problems: list[Problem],
) -> int | None:
    """The session an answer of `day` is about: the last meeting (of its match) on or
    before it; a located warning when that is outside the program."""
    number = context.clock.session_on(day, match)
    if number is None:
        meetings = context.clock.meetings(match)
        if meetings and day < meetings[0].date:
            when = f"before the first meeting ({meetings[0].date})"
        else:
            when = f"long after the program ended ({context.folder.program.end})"
        warn(
            problems,
            loc,
            "outside-program",
            f"answered on {day}, {when}; it counts for no session",
            "check the date, or give the session with --session N or a session column",
        )
        return None
    allowed = survey.after
    if len(allowed) == 1:
        return allowed[0]
    if allowed and number not in allowed:
        earlier = [n for n in allowed if n <= number]
        return earlier[-1] if earlier else allowed[0]
    return number


def match_for(
    respondent: str,
    text: str,
    index: RoundIndex,
    cell: Callable[[], Location],
    problems: list[Problem],
) -> str:
    """The match an answer is for: its match column, cross-checked against the respondent's
    matches in the round in effect; the respondent's only match when it says none."""
    own = [m.id for m in index.matches_of.get(respondent, [])] if respondent else []
    where = f"round '{index.name}'" if index.name else "the round"  # for warnings
    found = index.match_id(text)
    if text and not found and index.match_ids:
        counted = f"; the answer counts for their match {own[0]}" if len(own) == 1 else ""
        warn(
            problems,
            cell(),
            "unknown-match",
            f"'{short(text)}' is not a match of {where}{counted}",
            "use the match id printed on the handout, e.g. "
            f"'{next(iter(index.match_ids.values()))}'",
        )
        return own[0] if len(own) == 1 else ""
    if found and respondent and index.match_ids and found not in own:
        if len(own) == 1:
            outcome = f"the answer counts for their match {own[0]}"
        elif own:
            outcome = f"they are in {', '.join(own)}, so the answer counts for no match"
        else:
            outcome = f"they are in no match of {where}; the answer counts for no match"
        warn(
            problems,
            cell(),
            "wrong-match",
            f"{respondent} is not in {found} of {where}: {outcome}",
            "check the match id the member wrote (their handout has theirs)",
        )
        return own[0] if len(own) == 1 else ""
    if found:
        return found
    if len(own) > 1:
        warn(
            problems,
            cell(),
            "which-match",
            f"{respondent} is in {len(own)} matches of {where} ({', '.join(own)}) and the "
            "answer does not say which; it counts for no match",
            "ask for the match id in the form (`peerkit survey` forms ask it)",
        )
        return ""
    return own[0] if own else ""
