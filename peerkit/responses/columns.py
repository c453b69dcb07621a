"""Columns → questions: each column's role for a survey (a question by id, by text or by
`--map`; who answered, when, which match or session; tool metadata), and which survey an
export answers."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from peerkit.model import (
    Column,
    Question,
    Survey,
)
from peerkit.responses.read import Grid
from peerkit.responses.values import normalize, option_of

TEXT_MATCH_RATIO = 0.84

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

# --- mapping columns to questions ---------------------------------------------------------


# The columns that say who answered, about what and when, in the order a header is tried.
META_ROLES = (
    ("member", MEMBER_HEADERS),
    ("session", SESSION_HEADERS),
    ("match", MATCH_HEADERS),
    ("email", EMAIL_HEADERS),
    ("first-name", FIRST_NAME_HEADERS),
    ("last-name", LAST_NAME_HEADERS),
    ("name", NAME_HEADERS),
    ("time", TIME_HEADERS),
    ("meta", META_HEADERS),
)


def _meta_role(header: str, tool: str) -> str:
    key = header.strip().casefold()
    words = normalize(header)
    for role, headers in META_ROLES:
        if key in headers or words in headers:
            return role
    if key.startswith("_"):
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
            return question, option_of(question, parts[-1]) or parts[-1]
    return None, ""


def map_columns(
    grid: Grid, survey: Survey, overrides: Mapping[str, str]
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
                choice = option_of(question, option) or option
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
                    found, found_option = parent, option_of(parent, option) or option
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


def choose_survey(
    grid: Grid, surveys: Mapping[str, Survey], overrides: Mapping[str, str]
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
