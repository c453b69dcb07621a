"""Survey exports → Responses: Google Forms, Microsoft Forms, SurveyMonkey, Qualtrics,
KoboToolbox/ODK and plain CSV/XLSX, as downloaded, without any editing by the coordinator.

Columns map to a survey's questions by id, then by question text (tolerant of small edits
and of the tools' own decorations), then by the coordinator's `--map COLUMN=QUESTION`.
Anything that does not fit is a warning with file, row and column, never a crash.

Each answer belongs to (respondent, match, session). The session comes from `--session`, a
session column, the `NAME-session-NN` file name, else the answer's timestamp (the last
meeting of its match on or before it: peerkit.timeline); the match from its match column,
checked against the respondent's matches in the round in effect on its date. This is the
input stage: `load_responses` reads responses/ once per loaded folder.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from peerkit.model import (
    LIKERT5_LABELS,
    AnswerValue,
    Column,
    Export,
    Folder,
    Location,
    Match,
    Problem,
    Question,
    Response,
    Responses,
    Round,
    Survey,
)
from peerkit.source import Table, read_table
from peerkit.timeline import SessionClock

RESPONSE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
MAX_ANSWER_CHARS = 5000  # longer free text is kept shortened; a report is not an archive
TEXT_MATCH_RATIO = 0.84
TIME_PATTERN = re.compile(
    r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
)

TOOLS = {
    "google-forms": "Google Forms",
    "microsoft-forms": "Microsoft Forms",
    "surveymonkey": "SurveyMonkey",
    "qualtrics": "Qualtrics",
    "kobo": "KoboToolbox/ODK",
    "plain": "plain CSV/XLSX",
}

# Column roles other than questions, by normalised header text.
EMAIL_HEADERS = frozenset(
    {
        "email",
        "email address",
        "e mail",
        "e mail address",
        "recipientemail",
        "username",
        "mail",
        "your email",
        "your e mail",
        "your email address",
    }
)
NAME_HEADERS = frozenset({"name", "full name", "respondent", "your name", "member name"})
# A match column when the survey has no match_id question of its own.
MATCH_HEADERS = frozenset({"match", "match id", "match_id", "matchid", "team", "team id"})
FIRST_NAME_HEADERS = frozenset({"first name", "recipientfirstname", "firstname"})
LAST_NAME_HEADERS = frozenset({"last name", "recipientlastname", "lastname"})
MEMBER_HEADERS = frozenset({"member", "member id", "member_id", "memberid"})
SESSION_HEADERS = frozenset(
    {"session", "session number", "session_number", "meeting", "which session", "session no"}
)
TIME_HEADERS = frozenset(
    {
        "timestamp",
        "marca temporal",
        "horodateur",
        "zeitstempel",
        "completion time",
        "end date",
        "enddate",
        "recordeddate",
        "submitted",
        "submission time",
        "_submission_time",
        "end",
    }
)
META_HEADERS = frozenset(
    {
        "id",
        "start time",
        "last modified time",
        "total points",
        "quiz feedback",
        "score",
        "respondent id",
        "collector id",
        "start date",
        "ip address",
        "custom data 1",
        "startdate",
        "status",
        "ipaddress",
        "progress",
        "duration (in seconds)",
        "finished",
        "responseid",
        "externalreference",
        "locationlatitude",
        "locationlongitude",
        "distributionchannel",
        "userlanguage",
        "start",
        "today",
        "deviceid",
        "username",
        "instanceid",
        "_id",
        "_uuid",
        "_index",
        "_parent_index",
        "_validation_status",
        "_status",
        "_submitted_by",
        "__version__",
        "_notes",
        "_tags",
        "_version_",
        "_xform_id_string",
        "_attachments",
        "_geolocation",
        "_parent_table_name",
        "formhub/uuid",
        "meta/instanceid",
        "meta/rootuuid",
        "meta/deprecatedid",
        "instancename",
        "submissiondate",
        "key",
        "submitterid",
        "submittername",
        "attachmentspresent",
        "attachmentsexpected",
        "reviewstate",
        "edits",
        "formversion",
        "meta-instanceid",
    }
)
KOBO_MARKERS = frozenset(
    {"_uuid", "_submission_time", "meta/instanceid", "_id", "_index", "meta-instanceid", "key"}
)
QUALTRICS_NOT_ANSWERS = frozenset({"survey preview", "survey test", "spam", "1", "2", "16"})
# Likert labels tools write besides ours (Qualtrics and SurveyMonkey wordings).
LIKERT_WORDS = {
    "strongly disagree": 1,
    "disagree": 2,
    "somewhat disagree": 2,
    "neither agree nor disagree": 3,
    "neither agree or disagree": 3,
    "neutral": 3,
    "agree": 4,
    "somewhat agree": 4,
    "strongly agree": 5,
}
NPS_WORDS = {"not at all likely": 0, "extremely likely": 10, "not likely": 0}


_Row = tuple[int, list[str]]


@dataclass
class _Grid:
    file: str
    tool: str
    headers: list[str]  # one text per column, used for matching
    alternates: list[list[str]]  # more texts per column to try (question text, statement)
    options: list[str]  # SurveyMonkey second header row: option per column ("" when none)
    rows: list[_Row]  # the answer rows: (file line, stripped cell texts)
    header_line: int = 1
    skipped: int = 0  # rows the tool marks as not real answers (Qualtrics previews)


def normalize(text: str) -> str:
    """Header or answer text reduced for tolerant comparison: case, accents, punctuation."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"^\s*(?:q\d+[a-z]?|\d+)\s*[.):-]\s*", "", text)  # "1. ", "Q3) "
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _slug(text: str) -> str:
    return normalize(text).replace(" ", "_")


def _cell(texts: list[str], index: int) -> str:
    return texts[index] if index < len(texts) else ""


def _texts_of(table: Table) -> list[_Row]:
    """Each row's line and its cells stripped (blank rows at the end left out)."""
    strip = str.strip
    rows = [
        (line, list(map(strip, row))) for line, row in zip(table.lines, table.rows, strict=True)
    ]
    while rows and not any(rows[-1][1]):
        rows.pop()
    return rows


# --- recognising the tool ---------------------------------------------------------------


def _detect(rows: list[_Row], rel: str) -> _Grid:
    """Which tool wrote the export, and its header texts per column."""
    first = rows[0][1] if rows else []
    lowered = [h.casefold() for h in first]
    if len(rows) >= 3 and any(_cell(rows[2][1], i).startswith('{"ImportId"') for i in range(3)):
        texts = rows[1][1]
        alternates = []
        for i in range(len(first)):
            text = texts[i] if i < len(texts) else ""
            alts = [text]
            for sep in (" - ", " – "):
                if sep in text:
                    # "Question - Selected Choice" / "Matrix question - statement"
                    before, after = text.rsplit(sep, 1)
                    alts.extend([after, before])
            alternates.append(alts)
        data = rows[3:]
        if "status" in lowered:
            # Preview, test and spam responses are not answers from members.
            status = lowered.index("status")
            data = [r for r in data if _cell(r[1], status).casefold() not in QUALTRICS_NOT_ANSWERS]
        found = _Grid(rel, "qualtrics", first, alternates, [""] * len(first), data, 1)
        found.skipped = len(rows) - 3 - len(data)
        return found
    if "respondent id" in lowered or "collector id" in lowered:
        second = rows[1][1] if len(rows) > 1 else []
        headers: list[str] = []
        options: list[str] = []
        alternates = []
        current = ""
        for i, header in enumerate(first):
            current = header or current
            sub = second[i] if i < len(second) else ""
            generic = sub.casefold() in ("", "response", "open-ended response")
            headers.append(current)
            options.append("" if generic else sub)
            alternates.append([] if generic else [sub, f"{current} {sub}"])
        return _Grid(rel, "surveymonkey", headers, alternates, options, rows[2:], 1)
    tool = "plain"
    if lowered and lowered[0] in ("timestamp", "marca temporal", "horodateur", "zeitstempel"):
        tool = "google-forms"
    elif {"id", "start time", "completion time"} <= set(lowered):
        tool = "microsoft-forms"
    elif KOBO_MARKERS & set(lowered) or any("/" in h for h in lowered):
        tool = "kobo"
    alternates = []
    for header in first:
        alts = []
        bracket = re.fullmatch(r"(.*)\[(.+)\]\s*", header)  # Google grid: "Question [row]"
        if bracket:
            alts.append(bracket.group(2))
        alternates.append(alts)
    return _Grid(rel, tool, first, alternates, [""] * len(first), rows[1:], 1)


# --- mapping columns to questions ---------------------------------------------------------


def _meta_role(header: str, tool: str) -> str:
    key = header.strip().casefold()
    words = normalize(header)
    if key in MEMBER_HEADERS or words in MEMBER_HEADERS:
        return "member"
    if key in SESSION_HEADERS or words in SESSION_HEADERS:
        return "session"
    if key in MATCH_HEADERS or words in MATCH_HEADERS:
        return "match"
    if key in EMAIL_HEADERS or words in EMAIL_HEADERS:
        return "email"
    if key in FIRST_NAME_HEADERS or words in FIRST_NAME_HEADERS:
        return "first-name"
    if key in LAST_NAME_HEADERS or words in LAST_NAME_HEADERS:
        return "last-name"
    if key in NAME_HEADERS or words in NAME_HEADERS:
        return "name"
    if key in TIME_HEADERS or words in TIME_HEADERS:
        return "time"
    if key in META_HEADERS or words in META_HEADERS or key.startswith("_"):
        return "meta"
    if tool == "microsoft-forms" and key.startswith(("points - ", "feedback - ")):
        return "meta"
    if tool == "kobo" and key.rsplit("/", 1)[-1] in META_HEADERS:
        return "meta"
    return ""


def _text_match(texts: Iterable[str], survey: Survey) -> Question | None:
    best: tuple[float, Question | None] = (0.0, None)
    for text in texts:
        wanted = normalize(text)
        if not wanted:
            continue
        for question in survey.questions:
            own = normalize(question.text)
            # "Your team" for "Your team (as on your handout)": the aside is often cut.
            bare = normalize(re.sub(r"\([^)]*\)", " ", question.text))
            if wanted in (own, bare):
                return question
            ratio = difflib.SequenceMatcher(None, wanted, own).ratio()
            if ratio > best[0]:
                best = (ratio, question)
    return best[1] if best[0] >= TEXT_MATCH_RATIO else None


def _id_match(header: str, survey: Survey) -> tuple[Question | None, str]:
    """The question whose id the header is (perhaps behind a Kobo group path), and the option."""
    # Group separators: Kobo `/` (or `.`), ODK Central `-`; ids never contain them.
    parts = [p for p in re.split(r"[/.:-]", header.strip()) if p]
    ids = {q.id.casefold(): q for q in survey.questions}
    if parts and parts[-1].casefold() in ids:
        return ids[parts[-1].casefold()], ""
    # Kobo's split select_multiple columns: `group/question/option`, 1 when chosen.
    if len(parts) >= 2 and parts[-2].casefold() in ids:
        question = ids[parts[-2].casefold()]
        if question.type == "multi":
            return question, _option_of(question, parts[-1]) or parts[-1]
    return None, ""


def map_columns(
    grid: _Grid, survey: Survey, overrides: Mapping[str, str]
) -> tuple[list[Column], int]:
    """Each column's role for `survey`, and how many columns are questions of it."""
    columns: list[Column] = []
    wanted = {normalize(k): v for k, v in overrides.items()}
    for index, header in enumerate(grid.headers):
        option = grid.options[index] if index < len(grid.options) else ""
        key = normalize(header)
        if header in overrides or (key and key in wanted):
            target = overrides.get(header, wanted.get(key, ""))
            question = survey.question(target) if target else None
            if question is None:
                columns.append(Column(index, header, "ignored", how="map"))
            elif option and question.type == "multi":
                choice = _option_of(question, option) or option
                columns.append(Column(index, header, "option", question.id, choice, "map"))
            else:
                columns.append(Column(index, header, "question", question.id, how="map"))
            continue
        found, found_option = _id_match(header, survey)
        how = "id"
        if found is None and option:
            # A SurveyMonkey sub-column: a matrix row (the statement is the question) or a choice.
            found = _text_match(grid.alternates[index], survey)
            how = "text"
            if found is None:
                parent = _text_match([header], survey)
                if parent is not None and parent.type == "multi":
                    found, found_option = parent, _option_of(parent, option) or option
        if found is None:
            role = _meta_role(header, grid.tool)
            if role:
                columns.append(Column(index, header, role, how="tool"))
                continue
            found = _text_match([header, *grid.alternates[index]], survey)
            how = "text"
        if found is None:
            columns.append(Column(index, header, "unmapped" if header else "ignored"))
        elif found_option:
            columns.append(Column(index, header, "option", found.id, found_option, how))
        else:
            columns.append(Column(index, header, "question", found.id, how=how))
    count = len({c.question for c in columns if c.question})
    return columns, count


# --- reading answer values ----------------------------------------------------------------


def _option_of(question: Question, text: str) -> str:
    """The option `text` names (by label, slug or 1-based number), or ""."""
    wanted = normalize(text)
    for option in question.options:
        if normalize(option) == wanted:
            return option
    if wanted.isdigit() and 1 <= int(wanted) <= len(question.options):
        # XLSForm choices may be named by number; peerkit's are named by slug.
        return question.options[int(wanted) - 1]
    return ""


def _leading_number(text: str) -> float | None:
    match = re.match(r"^\s*([-+]?\d+(?:[.,]\d+)?)(?:\s*$|\s*[-–:=(]|\s+\D)", text)
    if match is None:
        match = re.search(r"\((\d+)\)\s*$", text)  # "Agree (4)"
    if match is None:
        return None
    return float(match.group(1).replace(",", "."))


def parse_scale(text: str, question: Question) -> int | None:
    """A likert5 (1–5) or nps (0–10) answer from a number or a label; None when not on the scale."""
    number = _leading_number(text)
    low, high = (1, 5) if question.type == "likert5" else (0, 10)
    if number is not None:
        return int(number) if number.is_integer() and low <= number <= high else None
    words = normalize(text)
    table = LIKERT_WORDS if question.type == "likert5" else NPS_WORDS
    if words in table:
        return table[words]
    if question.type == "likert5":
        for value, label in enumerate(LIKERT5_LABELS, start=1):
            if normalize(label) == words:
                return value
        for value, label in enumerate(question.options, start=1):
            if normalize(label) == words:
                return value
    return None


def parse_multi(text: str, question: Question) -> tuple[tuple[str, ...], list[str]]:
    """The options chosen in one cell, whatever the tool joined them with; and unknown parts."""
    rest = f" {normalize(text)} "
    chosen: list[str] = []
    names = sorted(question.options, key=lambda o: -len(normalize(o)))
    for option in names:
        for spelled in {normalize(option), _slug(option)}:
            token = f" {spelled} "
            if spelled and token in rest:
                chosen.append(option)
                rest = rest.replace(token, " ")
                break
    leftover: list[str] = []
    if rest.strip():
        # Whatever is left is separated as the tools do: ", " ";" "|" newline, or spaces (Kobo).
        raw = [p.strip() for p in re.split(r"[;,|\n]", text) if p.strip()]
        known = {normalize(o) for o in question.options} | {_slug(o) for o in question.options}
        for part in raw:
            if normalize(part) in known or _slug(part) in known:
                continue
            if _option_of(question, part):
                chosen.append(_option_of(question, part))
                continue
            leftover.append(part)
    ordered = tuple(o for o in question.options if o in chosen)
    return ordered, leftover


def parse_time(text: str) -> dt.datetime | None:
    """A submission time as the tools write it (ISO, M/D/YYYY, YYYY/MM/DD, with AM/PM)."""
    text = text.strip()
    if not text:
        return None
    if text[4:5] == "-":
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo is None else moment.replace(tzinfo=None)
        except ValueError:
            pass
    match = TIME_PATTERN.match(text)
    if match is None:
        return None
    first, second_part, third, hours, minutes, seconds, half = match.groups()
    a, b, c = int(first), int(second_part), int(third)
    if a > 31:
        year, month, day = a, b, c
    else:
        year = c + 2000 if c < 100 else c
        month, day = (b, a) if a > 12 else (a, b)
    hour = int(hours) if hours else 0
    minute = int(minutes) if minutes else 0
    second = int(seconds) if seconds else 0
    if half:
        half = half.lower()
        if half == "pm" and hour < 12:
            hour += 12
        elif half == "am" and hour == 12:
            hour = 0
    try:
        return dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - as exported
    except ValueError:
        return None


# --- one file -------------------------------------------------------------------------------


@dataclass
class _RoundIndex:
    """One round's matches as answers name them."""

    round: Round | None
    by_id: dict[str, Match]
    match_ids: dict[str, str]  # normalised spelling → match id
    match_numbers: dict[int, str]
    matches_of: dict[str, list[Match]]  # member id → their matches in the round
    seen: dict[str, str] = field(default_factory=dict)  # answer text → match id, memoised

    @classmethod
    def of(cls, round_: Round | None) -> _RoundIndex:
        by_id: dict[str, Match] = {}
        match_ids: dict[str, str] = {}
        numbers: dict[int, str] = {}
        matches_of: dict[str, list[Match]] = {}
        for match in round_.matches if round_ is not None else ():
            by_id[match.id] = match
            match_ids[_slug(match.id)] = match.id
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
        found = self.match_ids.get(_slug(text))
        if found is None:
            # "Team 3" or "3" for "team-03": one match id ends with that number.
            digits = re.findall(r"\d+", text)
            if len(digits) == 1:
                found = self.match_numbers.get(int(digits[0]))
        return found or ""


@dataclass
class _Context:
    """What reading rows needs from the folder: who members are, which round and match,
    and the one date → session rule (peerkit.timeline)."""

    folder: Folder
    emails: dict[str, str]
    names: dict[str, str]
    ids: dict[str, str]
    clock: SessionClock
    round_name: str | None = None  # --round: every answer is read against this round
    session: int | None = None  # --session: every answer is for this session
    indexes: dict[str, _RoundIndex] = field(default_factory=dict)
    by_day: dict[dt.date | None, _RoundIndex] = field(default_factory=dict)

    @classmethod
    def of(
        cls, folder: Folder, round_name: str | None = None, session: int | None = None
    ) -> _Context:
        return cls(
            folder=folder,
            emails={m.email.casefold(): m.id for m in folder.members if m.email},
            names={normalize(m.name): m.id for m in folder.members},
            ids={m.id.casefold(): m.id for m in folder.members},
            clock=SessionClock(folder.program),
            round_name=round_name,
            session=session,
        )

    def round_index(self, day: dt.date | None) -> _RoundIndex:
        """The round an answer of `day` belongs to: `--round`, else the one in effect then."""
        if day not in self.by_day:
            self.by_day[day] = self._round_index(day)
        return self.by_day[day]

    def _round_index(self, day: dt.date | None) -> _RoundIndex:
        from peerkit.timeline import choose_round

        round_ = None
        if self.folder.rounds:
            round_ = choose_round(self.folder, self.round_name, day)
        key = round_.name if round_ is not None else ""
        if key not in self.indexes:
            self.indexes[key] = _RoundIndex.of(round_)
        return self.indexes[key]


# The one file-name pattern peerkit writes and documents for an export of one session:
# `NAME-session-NN.csv` (`checkin-session-03.csv`). No other digits in a name say anything.
SESSION_FILE = re.compile(r".+-session-0*(\d{1,3})", re.IGNORECASE)


def file_session(stem: str) -> int | None:
    """The session a file named `NAME-session-NN` holds; None for any other name."""
    match = SESSION_FILE.fullmatch(stem.strip())
    return int(match.group(1)) if match else None


def _warn(problems: list[Problem], loc: Location, code: str, message: str, hint: str = "") -> None:
    problems.append(Problem(loc, code, message, hint, "warning"))


class _Layout:
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


def _file_session(grid: _Grid, context: _Context, problems: list[Problem]) -> int | None:
    """The session the file's NAME-session-NN name says; None (with a warning) outside."""
    named = file_session(Path(grid.file).stem)
    count = context.clock.count()
    if named is not None and not 1 <= named <= count:
        _warn(
            problems,
            Location(grid.file),
            "outside-program",
            f"the file's name says session {named}, but the program has {count} meeting(s); "
            "the name is not used",
            "rename the file NAME-session-NN.csv with the session it holds",
        )
        return None
    return named


_MISSING = object()  # a text not parsed yet


def _column(rows: list[list[str]], index: int) -> list[str]:
    """One column's cells ("" where a short row has none)."""
    try:
        return [row[index] for row in rows]
    except IndexError:
        return [row[index] if index < len(row) else "" for row in rows]


class _RowReader:
    """Reads the answer rows of one export against one survey: the answers, who gave them,
    for which match and which session. Column by column: the answers, then who answered,
    then the match and the session; a warning is made (with its cell) only where one is due.
    Parsed answers, people, timestamps and matches are memoised, since they repeat."""

    def __init__(
        self,
        grid: _Grid,
        survey: Survey,
        columns: list[Column],
        context: _Context,
        problems: list[Problem],
    ) -> None:
        self.grid = grid
        self.file = grid.file
        self.survey = survey
        self.layout = _Layout(survey, columns)
        self.context = context
        self.problems = problems
        self.named_session = _file_session(grid, context, problems)
        # A survey sent after one session only (a mid-point review) is for that session.
        self.fixed_session = survey.after[0] if len(survey.after) == 1 else None
        self.seen_unknown: set[str] = set()
        self.cache: dict[str, dict[str, AnswerValue | None]] = {
            qid: {} for qid in self.layout.questions
        }
        kept = [(line, texts) for line, texts in grid.rows if any(texts)]
        self.lines = [line for line, _ in kept]
        self.rows = [texts for _, texts in kept]

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
        texts = _column(self.rows, column.index)
        if self.layout.questions[column.question].type == "text":
            values: list[object] = [
                (t if len(t) <= MAX_ANSWER_CHARS else _MISSING) if t else None for t in texts
            ]
        else:
            get = self.cache[column.question].get
            values = [get(t, _MISSING) if t else None for t in texts]
        cache = self.cache[column.question]
        for i, value in enumerate(values):
            if value is _MISSING:
                text = texts[i]
                values[i] = (
                    cache[text] if text in cache else self.value(column, text, self.lines[i])
                )
        return values  # type: ignore[return-value]

    def value(self, column: Column, text: str, line: int) -> AnswerValue | None:
        """One answer parsed (and memoised, when it is not free text and had no warning)."""
        question = self.layout.questions[column.question]
        if question.type == "text" and len(text) <= MAX_ANSWER_CHARS:
            return text
        cache = self.cache[column.question]
        before = len(self.problems)
        value = _answer(text, question, Location(self.file, line, column.index + 1), self.problems)
        # A warned answer is parsed again on its next row, to warn there too.
        if question.type != "text" and len(self.problems) == before:
            cache[text] = value
        return value

    def add_options(self, texts: list[str], answers: dict[str, AnswerValue]) -> None:
        """Kobo's split multi columns: 1 (or any yes) in an option's column chooses it."""
        multi: dict[str, list[str]] = {}
        for column in self.layout.option_cols:
            text = _cell(texts, column.index)
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
            keys = list(_column(self.rows, indexes[0]))
        else:
            keys = list(zip(*(_column(self.rows, i) for i in indexes), strict=True))
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
        found = _respondent(texts, self.layout.by_role, self.context)
        if not found:
            named = _who(texts, self.layout.by_role)
            if named and named not in self.seen_unknown:
                self.seen_unknown.add(named)
                _warn(
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
            cells = _column(self.rows, column.index)
            texts = [text or cell for text, cell in zip(texts, cells, strict=True)]
        for i, text in enumerate(texts):
            if text.startswith("="):
                # A formula is text, never a match: its digits ("match-2" in a link) must
                # not pick one.
                _warn(
                    self.problems,
                    self.match_cell(i, sources),
                    "formula-cell",
                    f"'{_short(text)}' is a spreadsheet formula, not a match id; it is read "
                    "as text",
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
            cells = _column(self.rows, column.index)
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
            number = _session(
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
        context, problems = self.context, self.problems
        indexes: dict[dt.date | None, _RoundIndex] = {}
        said: dict[tuple[str, str, str], str] = {}  # (respondent, text, round) → match, no warning
        dated: dict[tuple[dt.date, str, str], int | None] = {}
        matches, rounds, found = [], [], []
        for i, (respondent, text, moment, session) in enumerate(
            zip(respondents, match_texts, submitted, sessions, strict=True)
        ):
            day = moment.date() if moment is not None else None
            if day is None and session is not None:
                day = context.clock.date_of(session)
            index = indexes.get(day) or indexes.setdefault(day, context.round_index(day))
            key = (respondent, text, index.name)
            match_id = said.get(key)
            if match_id is None:
                before = len(problems)
                match_id = _match_for(
                    respondent, text, index, partial(self.match_cell, i, sources), problems
                )
                if len(problems) == before:
                    said[key] = match_id
            if session is None:
                if moment is None:
                    session = self.undated_session(sources[i])
                else:
                    on = (moment.date(), match_id, index.name)
                    if on in dated:
                        session = dated[on]
                    else:
                        before = len(problems)
                        session = _session_on(
                            on[0],
                            index.by_id.get(match_id),
                            self.survey,
                            context,
                            sources[i],
                            problems,
                        )
                        if len(problems) == before:
                            dated[on] = session
            matches.append(match_id)
            rounds.append(index.name if match_id else "")
            found.append(session)
        return matches, rounds, found

    def undated_session(self, loc: Location) -> int | None:
        """The survey's one session; else a warning: nothing says which session it is."""
        if self.fixed_session is not None:
            return self.fixed_session
        _warn(
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


def _read_rows(
    grid: _Grid,
    survey: Survey,
    columns: list[Column],
    context: _Context,
    problems: list[Problem],
) -> list[Response]:
    return _RowReader(grid, survey, columns, context, problems).read()


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _answer(
    text: str, question: Question, cell: Location, problems: list[Problem]
) -> AnswerValue | None:
    if question.type in ("likert5", "nps"):
        value = parse_scale(text, question)
        if value is None:
            scale = "1 to 5 or a label like 'Agree'" if question.type == "likert5" else "0 to 10"
            _warn(
                problems,
                cell,
                "out-of-scale",
                f"{question.id}: '{_short(text)}' is not on the scale; the answer is left out",
                f"answers to this question are {scale}",
            )
        return value
    if question.type == "choice":
        option = _option_of(question, text)
        if not option:
            _warn(
                problems,
                cell,
                "unknown-option",
                f"{question.id}: '{_short(text)}' is not one of the options; counted as 'other'",
                f"the options are: {', '.join(question.options)}",
            )
            return "other"
        return option
    if question.type == "multi":
        chosen, leftover = parse_multi(text, question)
        if leftover:
            _warn(
                problems,
                cell,
                "unknown-option",
                f"{question.id}: '{_short('; '.join(leftover))}' is not one of the options; "
                "counted as 'other'",
                f"the options are: {', '.join(question.options)}",
            )
            chosen = (*chosen, "other")
        return chosen
    if len(text) > MAX_ANSWER_CHARS:
        _warn(
            problems,
            cell,
            "long-answer",
            f"{question.id}: the answer is {len(text):,} characters; "
            f"only the first {MAX_ANSWER_CHARS:,} are kept",
        )
        text = text[:MAX_ANSWER_CHARS] + "…"
    return text


def _at(texts: list[str], index: int) -> str:
    return texts[index] if index < len(texts) else ""


def _who(texts: list[str], by_role: Mapping[str, list[Column]]) -> str:
    for role in ("member", "email", "name"):
        for column in by_role.get(role, []):
            if _at(texts, column.index):
                return _at(texts, column.index)
    first = " ".join(_at(texts, c.index) for c in by_role.get("first-name", []))
    last = " ".join(_at(texts, c.index) for c in by_role.get("last-name", []))
    return f"{first} {last}".strip()


def _respondent(texts: list[str], by_role: Mapping[str, list[Column]], context: _Context) -> str:
    for column in by_role.get("member", []):
        found = context.ids.get(_at(texts, column.index).casefold())
        if found:
            return found
    for column in by_role.get("email", []):
        found = context.emails.get(_at(texts, column.index).casefold())
        if found:
            return found
    for column in by_role.get("name", []):
        found = context.names.get(normalize(_at(texts, column.index)))
        if found:
            return found
    first = " ".join(_at(texts, c.index) for c in by_role.get("first-name", []))
    last = " ".join(_at(texts, c.index) for c in by_role.get("last-name", []))
    if not (first or last):
        return ""
    return context.names.get(normalize(f"{first} {last}"), "")


def _session(
    texts: list[str],
    line: int,
    by_role: Mapping[str, list[Column]],
    file: str,
    problems: list[Problem],
    context: _Context,
) -> int | None:
    count = context.clock.count()
    for column in by_role.get("session", []):
        text = _at(texts, column.index)
        number = _leading_number(text) if text else None
        if number is not None and number.is_integer() and 1 <= number <= count:
            return int(number)
        if number is not None and number.is_integer() and number > count:
            _warn(
                problems,
                Location(file, line, column.index + 1),
                "outside-program",
                f"there is no session {int(number)}: the program has {count} meeting(s)",
                f"write the session's number, from 1 to {count}",
            )
        elif text:
            _warn(
                problems,
                Location(file, line, column.index + 1),
                "session",
                f"'{_short(text)}' is not a session number",
                "write the session's number, e.g. 3",
            )
    return None


def _session_on(
    day: dt.date,
    match: Match | None,
    survey: Survey,
    context: _Context,
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
        _warn(
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


def _match_for(
    respondent: str,
    text: str,
    index: _RoundIndex,
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
        _warn(
            problems,
            cell(),
            "unknown-match",
            f"'{_short(text)}' is not a match of {where}{counted}",
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
        _warn(
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
        _warn(
            problems,
            cell(),
            "which-match",
            f"{respondent} is in {len(own)} matches of {where} ({', '.join(own)}) and the "
            "answer does not say which; it counts for no match",
            "ask for the match id in the form (`peerkit survey` forms ask it)",
        )
        return ""
    return own[0] if own else ""


def _choose_survey(
    grid: _Grid, surveys: Mapping[str, Survey], overrides: Mapping[str, str]
) -> tuple[Survey | None, list[Column], str]:
    """The survey whose questions the columns are; with why not, when none or several fit."""
    scored = []
    for survey in surveys.values():
        columns, _ = map_columns(grid, survey, overrides)
        distinct = len({c.question for c in columns if c.question and c.question != "match_id"})
        share = distinct / max(1, len(survey.questions))
        scored.append((distinct, share, survey.name, survey, columns))
    if not scored:
        return None, [], "the program has no surveys"
    stem = Path(grid.file).stem.casefold()
    named = [s for s in scored if s[2].casefold() in stem and s[0] > 0]
    if len(named) == 1:
        return named[0][3], named[0][4], ""
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    best = scored[0]
    if best[0] == 0:
        return None, [], "none of its columns is a question of any survey"
    if len(scored) > 1 and scored[1][:2] == best[:2]:
        return None, [], f"its columns fit the surveys '{best[2]}' and '{scored[1][2]}' equally"
    return best[3], best[4], ""


def read_export(
    path: Path,
    rel: str,
    surveys: Mapping[str, Survey],
    context: _Context,
    problems: list[Problem],
    overrides: Mapping[str, str] | None = None,
) -> Export | None:
    """One export file: detect the tool, choose the survey, map columns, read every row."""
    table = read_table(path, rel, problems)
    if table is None:
        return None
    rows = _texts_of(table)
    if not rows:
        _warn(problems, Location(rel), "empty", "the export has no rows; it is skipped")
        return None
    grid = _detect(rows, rel)
    survey, columns, why = _choose_survey(grid, surveys, overrides or {})
    if survey is None:
        problems.append(
            Problem(
                Location(rel, 1, 1),
                "unknown-survey",
                f"cannot tell which survey this export answers: {why}",
                f"name it with --survey ({', '.join(sorted(surveys))}), or map columns with "
                "--map 'Column header=question_id'",
                "warning",
            )
        )
        return None
    for column in columns:
        if column.role == "unmapped":
            _warn(
                problems,
                Location(rel, grid.header_line, column.index + 1),
                "unmapped-column",
                f"column '{_short(column.header)}' is not a question of the survey "
                f"'{survey.name}'; it is left out",
                f"if it is one, add --map '{_short(column.header, 40)}=QUESTION_ID' "
                f"(ids: {', '.join(q.id for q in survey.questions)})",
            )
    if grid.skipped:
        _warn(
            problems,
            Location(rel),
            "preview",
            f"{grid.skipped} survey preview, test or spam response(s) left out",
        )
    responses = _read_rows(grid, survey, columns, context, problems)
    if not responses:
        _warn(
            problems,
            Location(rel),
            "no-answers",
            f"the export has the columns of '{survey.name}' but no answers yet",
        )
    return Export(rel, grid.tool, survey.name, tuple(columns), tuple(responses))


def export_files(root: Path) -> list[Path]:
    """The survey exports in `responses/` (sorted; hidden and lock files left out)."""
    folder = root / "responses"
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in RESPONSE_SUFFIXES
        and not path.name.startswith((".", "~$"))
    )


def read_responses(
    folder: Folder,
    paths: Sequence[Path] | None = None,
    survey: str | None = None,
    overrides: Mapping[str, str] | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    session: int | None = None,
    round_name: str | None = None,
) -> tuple[list[Export], list[Problem]]:
    """Read every export (those given, or all of `responses/`) against the program's surveys.

    Each answer belongs to (respondent, match, session): `session` (`--session`) and
    `round_name` (`--round`) override what the export and the answer's date say. Repeated
    problems of one kind in one file are folded ("and 220 more like this").
    """
    problems: list[Problem] = []
    surveys = folder.program.surveys
    if survey is not None:
        surveys = {survey: surveys[survey]}
    context = _Context.of(folder, round_name, session)
    exports = []
    for path in paths if paths is not None else export_files(folder.root):
        rel = _relative(path, folder.root)
        if not path.is_file():
            problems.append(
                Problem(Location(rel), "missing-file", "there is no such file", "check the path")
            )
            continue
        if progress is not None:
            progress(f"reading {rel}")
        export = read_export(path, rel, surveys, context, problems, overrides)
        if export is not None:
            exports.append(export)
    return _without_repeats(exports, problems), fold_repeats(problems)


def load_responses(folder: Folder) -> Responses:
    """The input stage: every export in responses/ read against the program's surveys, with
    its problems; read once per loaded folder, on first use."""
    found = folder.read_once.get("responses")
    if not isinstance(found, Responses):
        exports, problems = read_responses(folder)
        found = folder.read_once["responses"] = Responses(tuple(exports), tuple(problems))
    return found


FOLD_AFTER = 3  # problems of one kind in one file shown before "and N more like this"


FOLDED = re.compile(r"and (\d+) more like this(?: \(lines (\d+)–(\d+)\))?$")


def fold_repeats(problems: Sequence[Problem], keep: int = FOLD_AFTER) -> list[Problem]:
    """The first `keep` problems of each (file, code), and one that says how many more.

    One bad export (a column off the scale on every row) must not bury the rest. Folding
    problems that were folded already gives the same list.
    """
    groups: dict[tuple[str, str], list[Problem]] = {}
    for problem in sorted(problems, key=lambda p: p.sort_key()):
        file = problem.source.file if problem.source else ""
        groups.setdefault((file, problem.code), []).append(problem)
    kept: list[Problem] = []
    for (_file, code), group in groups.items():
        plain = [p for p in group if not FOLDED.match(p.message)]
        folded = [p for p in group if FOLDED.match(p.message)]
        kept.extend(plain[:keep])
        rest = plain[keep:]
        count = len(rest)
        lines = [p.source.line for p in rest if p.source and p.source.line]
        for summary in folded:
            found = FOLDED.match(summary.message)
            assert found is not None
            count += int(found.group(1))
            if found.group(2):
                lines += [int(found.group(2)), int(found.group(3))]
        if not count:
            continue
        span = f" (lines {min(lines)}–{max(lines)})" if lines else ""
        first = min([*rest, *folded], key=lambda p: p.sort_key())
        kept.append(
            Problem(
                first.source,
                code,
                f"and {count} more like this{span}",
                group[0].hint,
                "error" if any(p.severity == "error" for p in [*rest, *folded]) else "warning",
            )
        )
    return sorted(kept, key=lambda p: p.sort_key())


def _when(response: Response) -> str:
    return response.submitted.isoformat() if response.submitted else ""


def _without_repeats(exports: list[Export], problems: list[Problem]) -> list[Export]:
    """A member who answered one survey twice for one match and session counts once: the
    later answer. A mentor answering once for each of their matches is no repeat."""
    latest: dict[tuple[str, str, str, str, int], Response] = {}
    for export in exports:
        for response in export.responses:
            if response.respondent and response.session is not None:
                key = (
                    response.survey,
                    response.respondent,
                    response.round,
                    response.match_id,
                    response.session,
                )
                earlier = latest.get(key)
                if earlier is not None and _when(response) < _when(earlier):
                    response, earlier = earlier, response
                if earlier is not None:
                    match = f" for {response.match_id}" if response.match_id else ""
                    _warn(
                        problems,
                        earlier.source,
                        "repeat-answer",
                        f"{response.respondent} answered {response.survey} for session "
                        f"{response.session} again{match} ({Path(response.source.file).name} line "
                        f"{response.source.line}); the later answer counts",
                        "delete one of the two rows if this is not what you want",
                    )
                latest[key] = response
    kept = {id(r) for r in latest.values()}
    return [
        replace(
            export,
            responses=tuple(
                r
                for r in export.responses
                if not (r.respondent and r.session is not None) or id(r) in kept
            ),
        )
        for export in exports
    ]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
