"""program.yaml → Program: its top-level keys, with `meetings:`, `matching:`, `sessions:`,
`surveys:` and `mail:` read by their own rooms.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import cast

from peerkit import schedule
from peerkit.load.mail import load_mail
from peerkit.load.matching import load_matching
from peerkit.load.meetings import load_meetings
from peerkit.load.members import MEMBER_KEYS
from peerkit.load.reader import MAX_NAME, Reader, key_sources, slugify
from peerkit.load.sessions import held_after, load_sessions, load_surveys
from peerkit.model import (
    FORMATS,
    Cadence,
    Contact,
    Format,
    GroupSize,
    Location,
    Meetings,
    Problem,
    Program,
)
from peerkit.roster.columns import read_roster_import
from peerkit.source.node import Node
from peerkit.source.yaml_tree import parse_yaml, read_yaml
from peerkit.validate import is_email, is_url

# More meetings than this is a cadence typo (e.g. FREQ=HOURLY), not a program.
MAX_MEETINGS = 3000
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

PROGRAM_KEYS = (
    "id",
    "name",
    "organization",
    "contact",
    "goals",
    "timezone",
    "start",
    "end",
    "format",
    "group_size",
    "capacity",
    "meetings",
    "matching",
    "sessions",
    "surveys",
    "privacy",
    "roster",
    "handouts_url",
    "mail",
)


def _defaults(one_to_one: bool = False) -> Node:
    """The shipped sessions and surveys; worded for two people (`one_to_one:` in
    defaults.yaml) for mentoring and pairs, for a team otherwise."""
    problems: list[Problem] = []
    text = (Path(__file__).parent.parent / "defaults.yaml").read_text(encoding="utf-8")
    node = parse_yaml(text, "peerkit/defaults.yaml", problems)
    if node is None or problems or not isinstance(node.value, dict):  # pragma: no cover
        msg = f"shipped defaults are broken: {problems}"
        raise RuntimeError(msg)
    two = node.value.pop("one_to_one", None)
    if one_to_one and two is not None and isinstance(two.value, dict):
        for key, value in two.value.items():
            shipped = node.value.get(key)
            if isinstance(value.value, dict) and shipped is not None:
                # surveys by name: the ones not reworded (final) stay as shipped
                assert isinstance(shipped.value, dict)
                shipped.value.update(value.value)
            else:
                node.value[key] = value
    return node


def load_program(root: Path, reader: Reader) -> Program | None:
    """program.yaml to a Program (None only when the file is missing or unreadable)."""
    node = _program_node(root, reader)
    if node is None:
        return None
    entries = reader.mapping(node, "", PROGRAM_KEYS)
    if not isinstance(node.value, dict):
        return None
    written_format = entries["format"].value if "format" in entries else "pairs"
    defaults = _defaults(written_format in ("mentoring", "pairs"))
    name = reader.text(entries.get("name"), "name", limit=MAX_NAME)
    if not name:
        reader.report(node.loc, "missing", "the program has no name", "add `name: ...`")
    start, end, dates_known = _dates(reader, node, entries)
    contact = _contact(reader, entries.get("contact"))
    group_size = _group_size(reader, entries)
    meetings_node = entries.get("meetings")
    where = (meetings_node or node).loc
    meetings, count = _schedule(reader, meetings_node, where, start, end)
    minutes = int(meetings.duration.total_seconds() // 60)
    sessions = load_sessions(
        reader, entries.get("sessions"), count if dates_known else 0, defaults, minutes
    )
    # surveys' `after:` counts the sessions as written (which the schedule may not all hold)
    written = max((s.entry for s in sessions), default=0) or len(sessions)
    survey_node = entries.get("surveys")
    privacy = reader.mapping(entries.get("privacy"), "privacy", ("min_group_size",))
    return Program(
        id=_program_id(reader, entries.get("id")),
        name=name or root.resolve().name,
        organization=reader.text(entries.get("organization"), "organization"),
        contact=contact,
        goals=reader.strings(entries.get("goals"), "goals"),
        timezone=reader.timezone(entries.get("timezone"), "timezone", "UTC"),
        start=start,
        end=end,
        format=cast(Format, reader.choice(entries.get("format"), "format", FORMATS, "pairs")),
        group_size=group_size,
        capacity=reader.integer(entries.get("capacity"), "capacity", 2, 1, 1000),
        meetings=meetings,
        matching=load_matching(reader, entries.get("matching")),
        sessions=sessions,
        surveys=held_after(load_surveys(reader, survey_node, defaults, written), sessions),
        min_group_size=reader.integer(
            privacy.get("min_group_size"), "privacy.min_group_size", 3, 1, 1000
        ),
        root=root,
        sources=key_sources(node),
        roster=read_roster_import(entries.get("roster"), reader.problems, MEMBER_KEYS),
        handouts_url=_handouts_url(reader, entries.get("handouts_url")),
        mail=load_mail(reader, entries.get("mail")),
    )


def _program_node(root: Path, reader: Reader) -> Node | None:
    """program.yaml as read (an empty file is an empty mapping); None when there is none."""
    path = root / "program.yaml"
    if path.is_dir():
        reader.report(
            Location("program.yaml"),
            "not-a-file",
            f"program.yaml in {root} is a folder, not a file",
            "move the folder away and put the program's definition in a file program.yaml",
        )
        return None
    if not path.is_file():
        reader.report(
            Location("program.yaml"),
            "missing-file",
            f"there is no program.yaml in {root}",
            "run `peerkit init DIR` to start a program folder",
        )
        return None
    node = read_yaml(path, "program.yaml", reader.problems)
    if node is not None and node.value is None:
        return Node({}, node.loc)
    return node


def _dates(reader: Reader, node: Node, entries: dict[str, Node]) -> tuple[dt.date, dt.date, bool]:
    """`start` and `end` (a year from the start when not given), and whether both are known:
    with a start or end that did not load, the schedule is a guess to say nothing about."""
    start = reader.date(entries.get("start"), "start")
    end = reader.date(entries.get("end"), "end")
    if "start" not in entries:
        reader.report(
            node.loc, "missing", "the program has no start date", "add `start: YYYY-MM-DD`"
        )
    if start and end and end < start:
        reader.report(
            entries["end"].loc,
            "date-order",
            f"end ({end}) is before start ({start})",
            "swap the two dates or fix the year",
        )
        end = None
    dates_known = start is not None and (end is not None or "end" not in entries)
    start = start or dt.date(2000, 1, 1)
    end = end or dt.date(start.year + 1, start.month, 1) - dt.timedelta(days=1)
    return start, end, dates_known


def _contact(reader: Reader, node: Node | None) -> Contact:
    entries = reader.mapping(node, "contact", ("name", "email"))
    contact = Contact(
        reader.text(entries.get("name"), "contact.name", limit=MAX_NAME),
        reader.text(entries.get("email"), "contact.email"),
    )
    if contact.email and not is_email(contact.email):
        reader.report(
            entries["email"].loc,
            "email",
            f"contact.email: '{contact.email}' is not an email address",
            "write it like coordinator@example.org",
        )
    return contact


def _group_size(reader: Reader, entries: dict[str, Node]) -> GroupSize:
    size_entries = reader.mapping(entries.get("group_size"), "group_size", ("min", "max"))
    group_size = GroupSize(
        reader.integer(size_entries.get("min"), "group_size.min", 4, 2, 100),
        reader.integer(size_entries.get("max"), "group_size.max", 6, 2, 100),
    )
    if group_size.min > group_size.max:
        reader.report(
            entries["group_size"].loc,
            "range",
            f"group_size: min ({group_size.min}) is larger than max ({group_size.max})",
            "swap the two numbers",
        )
    return group_size


def _schedule(
    reader: Reader, node: Node | None, where: Location, start: dt.date, end: dt.date
) -> tuple[Meetings, int]:
    """`meetings:` and how many meetings it makes; a cadence that makes more than a program
    can hold (a typo like FREQ=HOURLY) is an error, and monthly is used instead."""
    meetings = load_meetings(reader, node, start, end)
    count = len(schedule.meeting_dates(meetings, start, end))
    if count > MAX_MEETINGS:
        reader.report(
            where,
            "schedule",
            f"the schedule has {count:,} meetings from {start} to {end}; "
            f"a program has at most {MAX_MEETINGS:,}",
            "check meetings.cadence and the years of start and end",
        )
        meetings = replace(meetings, cadence=Cadence("monthly"))
        count = len(schedule.meeting_dates(meetings, start, end))
    return meetings, count


def _program_id(reader: Reader, node: Node | None) -> str:
    """`id:`: calendar UIDs hang on it, so it must be a plain lowercase name."""
    program_id = reader.text(node, "id")
    if node is not None and program_id and not ID_RE.match(program_id):
        reader.report(
            node.loc,
            "program-id",
            f"id '{program_id}' is not a valid program id",
            "use lowercase letters, digits, '-', '_' or '.', "
            f"e.g. '{slugify(program_id) or 'my-program'}'"
            " (calendar UIDs hang on it: once members have invitations, keep it as it is)",
        )
        return ""
    return program_id


def _handouts_url(reader: Reader, node: Node | None) -> str:
    """Where the handouts are published (`peerkit agenda`'s out/agenda/, copied to a web
    server): calendar events then link each match's handout there."""
    text = reader.text(node, "handouts_url")
    if node is not None and text and not is_url(text):
        reader.report(
            node.loc,
            "url",
            f"handouts_url: '{text[:80]}' is not a web link",
            "write the address the handouts are published at, e.g. "
            "https://example.org/peer-teams/handouts (each session is a folder in it)",
        )
        return ""
    return text.rstrip("/")
