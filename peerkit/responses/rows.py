"""An export's answer rows → Responses, column by column, for one survey."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from itertools import zip_longest
from pathlib import Path

from peerkit.model import (
    AnswerValue,
    Column,
    Location,
    Problem,
    Response,
    Survey,
)
from peerkit.responses.read import Grid, cell
from peerkit.responses.resolve import (
    ReadContext,
    RoundIndex,
    checked_file_session,
    column_session,
    match_for,
    respondent_of,
    session_on_day,
    who_named,
)
from peerkit.responses.values import MAX_ANSWER_CHARS, parse_answer, parse_time, short, warn


class Layout:
    """Which columns of one export hold what, for one survey."""

    def __init__(self, survey: Survey, columns: list[Column]) -> None:
        self.questions = {q.id: q for q in survey.questions}
        self.by_role: dict[str, list[Column]] = {}
        for column in columns:
            self.by_role.setdefault(column.role, []).append(column)
        self.question_cols = self.by_role.get("question", [])
        # Kobo writes a multi question twice: the joined column and one 0/1 column per choice.
        joined = {c.question for c in self.question_cols}
        self.option_cols = [c for c in self.by_role.get("option", []) if c.question not in joined]
        self.time_cols = self.by_role.get("time", [])
        self.has_session = bool(self.by_role.get("session"))
        self.match_question = "match_id" in self.questions
        # The cell a match warning points at: the match_id question's, else a match column's.
        match_cols = [c for c in self.question_cols if c.question == "match_id"]
        match_cols += self.by_role.get("match", [])
        self.match_column = match_cols[0] if match_cols else None
        self.match_cols = self.by_role.get("match", [])


_MISSING = object()  # a text not parsed yet


class RowReader:
    """Reads the answer rows of one export against one survey: the answers, who gave them,
    for which match and which session. Column by column: the answers, then who answered,
    then the match and the session; a warning is made (with its cell) only where one is due.
    Parsed answers, people, timestamps and matches are memoised, since they repeat."""

    def __init__(
        self,
        grid: Grid,
        survey: Survey,
        columns: list[Column],
        context: ReadContext,
        problems: list[Problem],
    ) -> None:
        self.grid = grid
        self.file = grid.file
        self.survey = survey
        self.layout = Layout(survey, columns)
        self.context = context
        self.problems = problems
        self.named_session = checked_file_session(grid, context, problems)
        # A survey sent after one session only (a mid-point review) is for that session.
        self.fixed_session = survey.after[0] if len(survey.after) == 1 else None
        self.seen_unknown: set[str] = set()
        self.cache: dict[str, dict[str, AnswerValue | None]] = {
            qid: {} for qid in self.layout.questions
        }
        # (respondent, text, round) → match; (day, match, round) → session: where no warning
        self.said: dict[tuple[str, str, str], str] = {}
        self.dated: dict[tuple[dt.date, str, str], int | None] = {}
        kept = [(line, texts) for line, texts in grid.rows if any(texts)]
        self.lines = [line for line, _ in kept]
        self.rows = [texts for _, texts in kept]
        self.by_column: list[tuple[str, ...]] | None = None

    def column(self, index: int) -> tuple[str, ...]:
        """One column's cells ("" where a short row has none). Every column is cut out in
        one pass the first time: a pass per column walks all the rows again."""
        if self.by_column is None:
            self.by_column = list(zip_longest(*self.rows, fillvalue=""))
        if index < len(self.by_column):
            return self.by_column[index]
        return ("",) * len(self.rows)

    def read(self) -> list[Response]:
        """Every row's Response (rows with no answer and no match left out)."""
        file, survey, lines = self.file, self.survey.name, self.lines
        sources = [Location(file, line, 1) for line in lines]
        answers = self.answers()
        respondents = [""] * len(lines) if self.survey.anonymous else self.respondents(sources)
        match_texts = self.match_texts(answers, sources)
        submitted = self.submitted()
        sessions = self.given_sessions()
        matches, rounds, sessions = self.matches_and_sessions(
            respondents, match_texts, submitted, sessions, sources
        )
        return [
            Response(survey, *row)
            for row in zip(
                answers, sources, respondents, matches, sessions, submitted, rounds, strict=True
            )
            if row[0] or row[3]
        ]

    def answers(self) -> list[dict[str, AnswerValue]]:
        """Each row's answers by question id (the 0/1 option columns of a multi joined)."""
        answers: list[dict[str, AnswerValue]] = [{} for _ in self.rows]
        for column in self.layout.question_cols:
            qid = column.question
            for row, value in zip(answers, self.column_values(column), strict=True):
                if value is not None:
                    row[qid] = value
        if self.layout.option_cols:
            for texts, row in zip(self.rows, answers, strict=True):
                self.add_options(texts, row)
        return answers

    def column_values(self, column: Column) -> list[AnswerValue | None]:
        """One question column's answers, row by row (None where there is none)."""
        texts = self.column(column.index)
        cache = self.cache[column.question]
        if self.layout.questions[column.question].type == "text":
            values: list[object] = [
                (t if len(t) <= MAX_ANSWER_CHARS else _MISSING) if t else None for t in texts
            ]
        else:
            cache.setdefault("", None)  # an empty cell is no answer
            self.parse_distinct(column, texts)
            get = cache.get
            values = [get(t, _MISSING) for t in texts]
        if _MISSING not in values:  # the usual case: every text parsed without a warning
            return values  # type: ignore[return-value]
        for i in [i for i, value in enumerate(values) if value is _MISSING]:
            text = texts[i]
            values[i] = cache[text] if text in cache else self.value(column, text, self.lines[i])
        return values  # type: ignore[return-value]

    def parse_distinct(self, column: Column, texts: tuple[str, ...]) -> None:
        """Memoise each distinct text of a (not free text) column that parses without a
        warning; one that warns is left to be parsed on each of its rows, to warn there."""
        question = self.layout.questions[column.question]
        cache = self.cache[column.question]
        where = Location(self.file)
        for text in set(texts).difference(cache):
            scratch: list[Problem] = []
            value = parse_answer(text, question, where, scratch)
            if not scratch:
                cache[text] = value

    def value(self, column: Column, text: str, line: int) -> AnswerValue | None:
        """One answer parsed (and memoised, when it is not free text and had no warning)."""
        question = self.layout.questions[column.question]
        if question.type == "text" and len(text) <= MAX_ANSWER_CHARS:
            return text
        cache = self.cache[column.question]
        before = len(self.problems)
        value = parse_answer(
            text, question, Location(self.file, line, column.index + 1), self.problems
        )
        # A warned answer is parsed again on its next row, to warn there too.
        if question.type != "text" and len(self.problems) == before:
            cache[text] = value
        return value

    def add_options(self, texts: list[str], answers: dict[str, AnswerValue]) -> None:
        """Kobo's split multi columns: 1 (or any yes) in an option's column chooses it."""
        multi: dict[str, list[str]] = {}
        for column in self.layout.option_cols:
            text = cell(texts, column.index)
            if text and text.casefold() not in ("0", "false", "no"):
                multi.setdefault(column.question, []).append(column.option)
        for qid, chosen in multi.items():
            options = self.layout.questions[qid].options
            answers[qid] = tuple(o for o in options if o in chosen) or tuple(chosen)

    def respondents(self, sources: list[Location]) -> list[str]:
        """Each row's member; a warning (once per name) for someone not on the roster."""
        by_role = self.layout.by_role
        indexes = [c.index for role in _WHO_ROLES for c in by_role.get(role, [])]
        if not indexes:
            return [""] * len(self.rows)
        keys: list[object]
        if len(indexes) == 1:
            keys = list(self.column(indexes[0]))
        else:
            keys = list(zip(*(self.column(i) for i in indexes), strict=True))
        known: dict[object, str] = {}
        found = []
        for key, texts, source in zip(keys, self.rows, sources, strict=True):
            member = known.get(key)
            if member is None:
                member = known[key] = self.respondent(texts, source)
            found.append(member)
        return found

    def respondent(self, texts: list[str], loc: Location) -> str:
        """The member who answered; a warning (once per name) for someone not on the roster."""
        found = respondent_of(texts, self.layout.by_role, self.context)
        if not found:
            named = who_named(texts, self.layout.by_role)
            if named and named not in self.seen_unknown:
                self.seen_unknown.add(named)
                warn(
                    self.problems,
                    loc,
                    "unknown-respondent",
                    f"'{named}' is not a member of the roster; the answers count, "
                    "but not for any member",
                    "check the spelling of the e-mail or name, or add the member to the roster",
                )
        return found

    def match_texts(
        self, answers: list[dict[str, AnswerValue]], sources: list[Location]
    ) -> list[str]:
        """What each row says its match is: the match_id answer, else a match column."""
        layout = self.layout
        texts = [""] * len(self.rows)
        if layout.match_question:
            texts = [str(row.pop("match_id", "")) for row in answers]
        for column in layout.match_cols:
            cells = self.column(column.index)
            texts = [text or cell for text, cell in zip(texts, cells, strict=True)]
        for i, text in enumerate(texts):
            if text.startswith("="):
                # A formula is text, never a match: its digits ("match-2" in a link) must
                # not pick one.
                warn(
                    self.problems,
                    self.match_cell(i, sources),
                    "formula-cell",
                    f"'{short(text)}' is a spreadsheet formula, not a match id; it is read as text",
                    "export the sheet's values, not its formulas, or type the match id",
                )
                texts[i] = ""
        return texts

    def match_cell(self, i: int, sources: list[Location]) -> Location:
        """The cell a warning about row `i`'s match points at: the match_id question's,
        else a match column's, else the row."""
        where = self.layout.match_column
        if where is None:
            return sources[i]
        return Location(self.file, self.lines[i], where.index + 1)

    def submitted(self) -> list[dt.datetime | None]:
        """Each row's submission time: the first time column that holds one."""
        found: list[dt.datetime | None] = [None] * len(self.rows)
        times: dict[str, dt.datetime | None] = {}  # timestamps repeat (to the minute)
        for column in self.layout.time_cols:
            cells = self.column(column.index)
            found = [
                known
                if known is not None
                else times[text]
                if text in times
                else times.setdefault(text, parse_time(text))
                for known, text in zip(found, cells, strict=True)
            ]
        return found

    def given_sessions(self) -> list[int | None]:
        """--session, else the session column, else the file's name (None: by date)."""
        session = self.context.session
        if session is not None or not self.layout.has_session:
            return [self.named_session if session is None else session] * len(self.rows)
        found = []
        for line, texts in zip(self.lines, self.rows, strict=True):
            number = column_session(
                texts, line, self.layout.by_role, self.file, self.problems, self.context
            )
            found.append(self.named_session if number is None else number)
        return found

    def matches_and_sessions(
        self,
        respondents: list[str],
        match_texts: list[str],
        submitted: list[dt.datetime | None],
        sessions: list[int | None],
        sources: list[Location],
    ) -> tuple[list[str], list[str], list[int | None]]:
        """Each row's match (checked against the round in effect on its day), the round's
        name, and its session (by its date where nothing else said it)."""
        clock, round_index = self.context.clock, self.context.round_index
        rounds_on: dict[dt.date | None, tuple[RoundIndex, str]] = {}
        dated = self.dated
        matches, rounds, found = [], [], []
        for i, (respondent, text, moment, session) in enumerate(
            zip(respondents, match_texts, submitted, sessions, strict=True)
        ):
            day = moment.date() if moment is not None else None
            if day is None and session is not None:
                day = clock.date_of(session)
            if day not in rounds_on:
                index = round_index(day)
                rounds_on[day] = (index, index.name)
            index, name = rounds_on[day]
            match_id = self.said.get((respondent, text, name))
            if match_id is None:
                match_id = self.match_of(
                    respondent, text, index, partial(self.match_cell, i, sources)
                )
            if session is None:
                if day is None:
                    session = self.undated_session(sources[i])
                elif (day, match_id, name) in dated:
                    session = dated[day, match_id, name]
                else:
                    session = self.dated_session(day, match_id, index, sources[i])
            matches.append(match_id)
            rounds.append(name if match_id else "")
            found.append(session)
        return matches, rounds, found

    def match_of(
        self, respondent: str, text: str, index: RoundIndex, where: Callable[[], Location]
    ) -> str:
        """The match a row is for (peerkit.responses.resolve), memoised when all was well."""
        before = len(self.problems)
        match_id = match_for(respondent, text, index, where, self.problems)
        if len(self.problems) == before:
            self.said[(respondent, text, index.name)] = match_id
        return match_id

    def dated_session(
        self, day: dt.date, match_id: str, index: RoundIndex, source: Location
    ) -> int | None:
        """The session an answer of `day` is for (not yet in `dated`), memoised there when
        all was well."""
        before = len(self.problems)
        match = index.by_id.get(match_id)
        session = session_on_day(day, match, self.survey, self.context, source, self.problems)
        if len(self.problems) == before:
            self.dated[day, match_id, index.name] = session
        return session

    def undated_session(self, loc: Location) -> int | None:
        """The survey's one session; else a warning: nothing says which session it is."""
        if self.fixed_session is not None:
            return self.fixed_session
        warn(
            self.problems,
            loc,
            "no-session",
            "cannot tell which session this answer is for: the export has no session "
            "column, its name is not NAME-session-NN, and the row has no timestamp; "
            "it counts for no session",
            f"give --session N, add a session column, or name the file "
            f"{self.survey.name}-session-01{Path(self.file).suffix or '.csv'}",
        )
        return None


_WHO_ROLES = ("member", "email", "name", "first-name", "last-name")


def read_rows(
    grid: Grid,
    survey: Survey,
    columns: list[Column],
    context: ReadContext,
    problems: list[Problem],
) -> list[Response]:
    return RowReader(grid, survey, columns, context, problems).read()
