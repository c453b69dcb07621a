"""program.yaml's `sessions:` and `surveys:`: what each meeting holds (fitted to the
schedule's meetings, or the shipped ones) and what members are asked after them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import cast

from peerkit import schedule
from peerkit.load.reader import MAX_NAME, Reader
from peerkit.model import (
    QUESTION_TYPES,
    AgendaBlock,
    Location,
    Question,
    QuestionType,
    Session,
    SessionKind,
    Survey,
)
from peerkit.source import Node
from peerkit.validate import is_url, suggest


def _session(reader: Reader, node: Node, number: int) -> Session:
    key = f"sessions.{number - 1}"
    entries = reader.mapping(node, key, ("title", "kind", "goals", "topics", "agenda"))
    kind = reader.choice(entries.get("kind"), f"{key}.kind", ("kickoff", "regular", "closing"), "")
    if not kind:
        kind = "regular"
    blocks = []
    for block_node in reader.items(entries.get("agenda"), f"{key}.agenda"):
        block = reader.mapping(block_node, f"{key}.agenda", ("title", "minutes", "notes"))
        title = reader.text(block.get("title"), f"{key}.agenda.title", limit=MAX_NAME)
        if not title:
            reader.report(block_node.loc, "missing", f"{key}.agenda: a block has no title")
        blocks.append(
            AgendaBlock(
                title=title,
                minutes=reader.integer(block.get("minutes"), f"{key}.agenda.minutes", 0, 0, 1440),
                notes=reader.text(block.get("notes"), f"{key}.agenda.notes"),
            )
        )
    title = reader.text(entries.get("title"), f"{key}.title", limit=MAX_NAME)
    if not title:
        reader.report(node.loc, "missing", f"{key}: the session has no title", "add `title: ...`")
    return Session(
        number=number,
        title=title or f"Session {number}",
        kind=cast(SessionKind, kind),
        goals=reader.strings(entries.get("goals"), f"{key}.goals"),
        topics=reader.strings(entries.get("topics"), f"{key}.topics"),
        agenda=tuple(blocks),
    )


def _fit_agenda(blocks: tuple[AgendaBlock, ...], minutes: int) -> tuple[AgendaBlock, ...]:
    """Shipped agenda blocks stretched or shrunk to the meeting's length, in 5-minute steps."""
    total = sum(block.minutes for block in blocks)
    if not total or minutes < 5 * len(blocks):
        return blocks
    sizes = [max(5, round(block.minutes * minutes / total / 5) * 5) for block in blocks]
    while sum(sizes) > minutes:
        sizes[sizes.index(max(sizes))] -= 5
    return tuple(
        AgendaBlock(block.title, size, block.notes)
        for block, size in zip(blocks, sizes, strict=True)
    )


def load_sessions(
    reader: Reader, node: Node | None, count: int, defaults: Node, minutes: int
) -> tuple[Session, ...]:
    """The session each meeting holds: the program's own `sessions:` fitted to the schedule's
    `count` meetings (kickoff first, closing last), or the shipped ones, one per meeting."""
    by_kind = _shipped_sessions(reader, defaults, minutes)
    items = reader.items(node, "sessions") if node is not None and node.value else []
    if items:
        assert node is not None
        return _written_sessions(reader, node, items, count, by_kind)
    sessions = []
    for number in range(1, max(count, 1) + 1):
        if number == 1:
            kind = "kickoff"
        elif number == count and count > 1:
            kind = "closing"
        else:
            kind = "regular"
        base = by_kind[cast(SessionKind, kind)]
        # the session number is shown beside the title everywhere
        sessions.append(replace(base, number=number))
    return tuple(sessions)


def _shipped_sessions(reader: Reader, defaults: Node, minutes: int) -> dict[SessionKind, Session]:
    """The shipped session of each kind, its agenda fitted to the meeting's `minutes`."""
    shipped = reader.mapping(defaults, "").get("sessions")
    by_kind = {}
    for item in reader.items(shipped, "sessions"):
        session = _session(reader, item, 1)
        agenda = _fit_agenda(session.agenda, minutes)
        by_kind[session.kind] = replace(session, agenda=agenda)
    return by_kind


def _written_sessions(
    reader: Reader, node: Node, items: list[Node], count: int, by_kind: dict[SessionKind, Session]
) -> tuple[Session, ...]:
    """The program's own sessions on the schedule's `count` meetings: those left out, and
    meetings holding a shipped session, are said (warnings)."""
    written = [
        replace(_session(reader, item, number), entry=number)
        for number, item in enumerate(items, start=1)
    ]
    if not count or len(written) == count:
        return tuple(written)
    held, dropped = schedule.held_sessions(
        written, count, lambda number: replace(by_kind["regular"], number=number)
    )
    for session in dropped:
        reader.report(
            items[session.entry - 1].loc,
            "sessions",
            f"sessions.{session.entry - 1}: session {session.entry} ({session.title}) is "
            f"left out: the schedule has {count} meetings for {len(written)} sessions, "
            "and the closing stays on the last meeting",
            "add a meeting (fewer `skip:` dates or a later `end`), or remove a session",
            "warning",
        )
    added = [s.number for s in held if not s.entry]
    if added:
        shown = ", ".join(str(n) for n in added[:10])
        if len(added) > 10:
            shown += f" and {len(added) - 10} more"
        reader.report(
            node.loc,
            "sessions",
            f"the schedule has {count} meetings but {len(written)} sessions are defined: "
            f"meeting(s) {shown} hold the shipped '{by_kind['regular'].title}' session",
            "add sessions so there is one per meeting",
            "warning",
        )
    return held


def held_after(surveys: dict[str, Survey], sessions: Sequence[Session]) -> dict[str, Survey]:
    """Surveys' `after:` names sessions as program.yaml lists them: when the schedule left
    one out or added one, the numbers become those of the meetings that hold them."""
    written = {s.entry: s.number for s in sessions if s.entry}
    if not written or (all(e == n for e, n in written.items()) and len(written) == len(sessions)):
        return surveys
    every = set(range(1, max(written) + 1))
    found = {}
    for name, survey in surveys.items():
        if survey.after and set(survey.after) == every:
            after = tuple(s.number for s in sessions)  # `every` is every meeting
        else:
            # a session left out: its survey goes after the last one held before it
            after = tuple(
                sorted(
                    {
                        max((n for e, n in written.items() if e <= number), default=1)
                        for number in survey.after
                    }
                )
            )
        found[name] = replace(survey, after=after)
    return found


def _survey(reader: Reader, name: str, node: Node, sessions: int) -> Survey:
    key = f"surveys.{name}"
    entries = reader.mapping(node, key, ("title", "questions", "after", "anonymous", "link"))
    questions = _questions(reader, key, entries.get("questions"))
    after = _after(reader, key, entries.get("after"), sessions)
    anonymous = reader.boolean(entries.get("anonymous"), f"{key}.anonymous", False)
    return Survey(
        name=name,
        title=reader.text(entries.get("title"), f"{key}.title") or name.replace("_", " ").title(),
        questions=questions,
        after=after,
        anonymous=anonymous,
        link=_survey_link(reader, entries.get("link"), f"{key}.link", anonymous),
    )


def _questions(reader: Reader, key: str, node: Node | None) -> tuple[Question, ...]:
    """A survey's `questions:`; one without an id, or with an id used before, is left out."""
    questions = []
    seen: dict[str, Location] = {}
    for index, item in enumerate(reader.items(node, f"{key}.questions")):
        question = _question(reader, key, f"{key}.questions.{index}", item, seen)
        if question is not None:
            questions.append(question)
    return tuple(questions)


def _question(
    reader: Reader, key: str, qkey: str, item: Node, seen: dict[str, Location]
) -> Question | None:
    q = reader.mapping(item, qkey, ("id", "text", "type", "options", "required"))
    qid = reader.text(q.get("id"), f"{qkey}.id")
    if not qid:
        reader.report(item.loc, "missing", f"{qkey}: the question has no id", "add `id: ...`")
        return None
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", qid):
        reader.report(
            q["id"].loc,
            "question-id",
            f"{qkey}.id: '{qid}' is not a valid question id",
            "use letters, digits and _ (it becomes a column name), e.g. progress_goals",
        )
    if qid in seen:
        reader.report(
            q["id"].loc,
            "duplicate-question",
            f"{key}: question id '{qid}' is used twice (first on line {seen[qid].line})",
            "give each question its own id; tallies group answers by it",
        )
        return None
    seen[qid] = q["id"].loc
    qtype = reader.choice(q.get("type"), f"{qkey}.type", QUESTION_TYPES, "likert5")
    options = reader.strings(q.get("options"), f"{qkey}.options")
    if qtype in ("choice", "multi") and not options:
        reader.report(
            item.loc,
            "missing",
            f"{qkey}: a {qtype} question needs options",
            "add `options: [first, second, ...]`",
        )
    return Question(
        id=qid,
        text=reader.text(q.get("text"), f"{qkey}.text") or qid,
        type=cast(QuestionType, qtype),
        options=options,
        required=reader.boolean(q.get("required"), f"{qkey}.required", False),
    )


def _after(reader: Reader, key: str, node: Node | None, sessions: int) -> tuple[int, ...]:
    """A survey's `after:` the session numbers it follows: one, a list, or `every`."""
    if node is not None and node.is_scalar:
        if reader.text(node, f"{key}.after").lower() == "every":
            return tuple(range(1, sessions + 1))
        number = reader.integer(node, f"{key}.after", 0, 1)
        return (number,) if number else ()
    after: list[int] = []
    for item in reader.items(node, f"{key}.after"):
        number = reader.integer(item, f"{key}.after", 0, 1)
        if number > sessions:
            reader.report(
                item.loc,
                "range",
                f"{key}.after: there is no session {number} (the program has {sessions})",
                "use a session number from 1 to the number of sessions, or `every`",
            )
        elif number:
            after.append(number)
    return tuple(after)


SURVEY_LINK_FIELDS = ("match", "email", "session")


def _survey_link(reader: Reader, node: Node | None, key: str, anonymous: bool) -> str:
    """A survey's web link; `{match}`, `{email}` and `{session}` are filled per recipient."""
    import string

    text = reader.text(node, key)
    if node is None or not text:
        return ""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        reader.report(
            node.loc,
            "survey-link",
            f"{key}: a '{{' or '}}' in the link is not a placeholder",
            "placeholders are {match}, {email} and {session}; write a literal brace as {{ or }}",
        )
        return ""
    unknown = [name for name in names if name not in SURVEY_LINK_FIELDS]
    if unknown:
        hint = suggest(
            unknown[0], SURVEY_LINK_FIELDS, "placeholders are {match}, {email} and {session}"
        )
        reader.report(node.loc, "survey-link", f"{key}: unknown placeholder {{{unknown[0]}}}", hint)
        return ""
    if anonymous and "email" in names:
        reader.report(
            node.loc,
            "survey-link",
            f"{key}: the survey is anonymous, but its link would tell who answered ({{email}})",
            "remove {email} from the link, or make the survey `anonymous: false`",
        )
        return ""
    filled = text.format(**dict.fromkeys(SURVEY_LINK_FIELDS, "x"))
    if not is_url(filled):
        reader.report(
            node.loc,
            "survey-link",
            f"{key}: '{text[:80]}' is not a web link",
            "write the full address, starting with https://",
        )
        return ""
    return text


def load_surveys(
    reader: Reader, node: Node | None, defaults: Node, sessions: int
) -> dict[str, Survey]:
    surveys = {}
    shipped = reader.mapping(reader.mapping(defaults, "").get("surveys"), "")
    own = reader.mapping(node, "surveys")
    for name, item in {**shipped, **own}.items():
        surveys[name] = _survey(reader, name, item, sessions)
    return surveys
