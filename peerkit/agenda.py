"""Agenda handouts: what each match holds in its hands at a meeting, as Markdown, HTML and PDF.

The library renders in memory and returns `{relpath: bytes}`; `peerkit.write` writes.
Templates (`agenda.md.j2`, `agenda.html.j2`, `print.css`) get plain dicts of strings, built
here, so a template can only ever show what this module chose to put in: a member's name,
organization, role and local time, never their notes or anything private.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peerkit.errors import PeerkitError
from peerkit.model import Folder, Match, Meeting, Member, Program
from peerkit.output import BuildOptions, Output
from peerkit.text import (
    clock,
    escape_markdown,
    long_date,
    markdown_url,
    program_context,
    safe_filename,
)
from peerkit.timeline import as_of, choose_matches, choose_round, choose_session

AGENDA_FORMATS: tuple[str, ...] = ("md", "html", "pdf")
OUT_DIR = "out/agenda"
BUILD_PDF_LIMIT = 300  # matches; above it `build` leaves the print file to `peerkit agenda`

GROUND_RULES_FILE = Path(__file__).parent / "ground_rules.yaml"


@functools.cache
def ground_rules(format: str = "groups") -> Mapping[str, tuple[tuple[str, str], ...]]:
    """The ground rules a handout prints, by session kind (prose kept in ground_rules.yaml):
    mentoring and pairs get the ones worded for two people (`one_to_one:`)."""
    import yaml

    data = yaml.safe_load(GROUND_RULES_FILE.read_text(encoding="utf-8"))
    two = data.pop("one_to_one", {})
    if format in ("mentoring", "pairs"):
        data = {**data, **two}
    return {
        kind: tuple((rule["title"], rule["text"]) for rule in rules) for kind, rules in data.items()
    }


@dataclass(kw_only=True)
class AgendaResult(Output):
    """Handouts rendered for one session (files relative to the program folder)."""

    session: int
    round: str


# --- formatting -----------------------------------------------------------------------


def _zone_label(moment: dt.datetime) -> str:
    """`EST`, `IST`, `BRT` (the city when the zone has no letters: see `hours.zone_label`)."""
    from peerkit.hours import zone_label

    key = getattr(moment.tzinfo, "key", "")
    return zone_label(key, moment) if key else moment.tzname() or ""


# Member fields a handout shows beside names, as columns, when the rules or diversity use
# them: what the coordinator matched on is what the members want to see.
_COLUMN_TITLES = {"organization": "Organization", "department": "Department"}


def handout_columns(folder: Folder) -> list[dict[str, str]]:
    """The columns of a handout's member table: the fields `matching.rules` (not_same,
    share_one_of) and `matching.diversity` use, in that order; Organization when none is
    used and some member has one."""
    program = folder.program
    rules = program.matching.rules
    names = [*rules.not_same, *rules.share_one_of, *program.matching.diversity]
    keys = [n for n in dict.fromkeys(names) if n not in ("manager", "timezone", "languages")]
    if not keys and any(m.organization for m in folder.members):
        keys = ["organization"]
    return [
        {"key": key, "title": _COLUMN_TITLES.get(key, key.replace("_", " ").capitalize())}
        for key in keys
        if any(_shown(m, key) for m in folder.members)
    ]


def _shown(member: Member, key: str) -> str:
    value = member.value(key)
    return ", ".join(value) if isinstance(value, tuple) else value


def _member_time(member: Member, program: Program, meeting: Meeting) -> dict[str, str]:
    """The meeting in the member's own timezone, when their clock shows another time."""
    from zoneinfo import ZoneInfo

    zone_name = member.timezone or program.timezone
    local = meeting.start.astimezone(ZoneInfo(zone_name))
    if local.utcoffset() == meeting.start.utcoffset():
        return {"timezone": zone_name, "local_time": "", "local_date": ""}
    end = meeting.end.astimezone(ZoneInfo(zone_name))
    day = "" if local.date() == meeting.start.date() else f"{local:%a} {local.day} {local:%b}"
    return {
        "timezone": zone_name,
        "local_time": f"{clock(local)}–{clock(end)} {_zone_label(local)}",
        "local_date": day,
    }


def _blocks(meeting: Meeting) -> tuple[list[dict[str, Any]], list[str]]:
    """Agenda blocks with their start times; open time fills a short agenda to the end."""
    notes = []
    blocks = []
    at = meeting.start
    for block in meeting.session.agenda:
        finish = at + dt.timedelta(minutes=block.minutes)
        blocks.append(
            {
                "start": clock(at),
                "end": clock(finish),
                "minutes": block.minutes,
                "title": block.title,
                "notes": block.notes,
                "is_break": block.title.strip().lower().startswith("break"),
                "is_filler": False,
            }
        )
        at = finish
    left = int((meeting.end - at).total_seconds() // 60)
    if left > 0:
        blocks.append(
            {
                "start": clock(at),
                "end": clock(meeting.end),
                "minutes": left,
                "title": "Open time and wrap-up" if blocks else "Open agenda",
                "notes": "",
                "is_break": False,
                "is_filler": True,
            }
        )
    elif left < 0:
        notes.append(
            f"session {meeting.number}: the agenda runs {-left} minute(s) past the meeting's end"
        )
    return blocks, notes


def handout_context(
    folder: Folder,
    match: Match,
    meeting: Meeting,
    next_meeting: Meeting | None,
    sessions: int,
    columns: list[dict[str, str]],
) -> tuple[dict[str, Any], list[str]]:
    """The context of one match's handout (documented at the top of agenda.md.j2), with
    the `handout_columns` of the folder (the same for every match: made once)."""
    program = folder.program
    session = meeting.session
    members: list[dict[str, Any]] = []
    for member_id in match.members:
        member = folder.member(member_id)
        if member is None:
            members.append(
                {"id": member_id, "name": member_id, "organization": "", "role": ""}
                | {"timezone": program.timezone, "local_time": "", "local_date": ""}
                | {"fields": {c["key"]: "" for c in columns}}
            )
            continue
        if not member.is_active_on(meeting.date):
            continue  # left the program before this meeting
        members.append(
            {
                "id": member.id,
                "name": member.name,
                "organization": member.organization,
                "role": member.role if program.format == "mentoring" else "",
                "fields": {c["key"]: _shown(member, c["key"]) for c in columns},
            }
            | _member_time(member, program, meeting)
        )
    blocks, notes = _blocks(meeting)
    following = None
    if next_meeting is not None:
        following = {
            "date": long_date(next_meeting.date),
            "start": clock(next_meeting.start),
            "title": next_meeting.session.title,
        }
    context = {
        "match": {"id": match.id, "size": len(match.members)},
        "session": {
            "number": meeting.number,
            "count": sessions,
            "title": session.title,
            "kind": session.kind,
            "goals": list(session.goals),
            "topics": list(session.topics),
        },
        "meeting": {
            "date": long_date(meeting.date),
            "date_iso": meeting.date.isoformat(),
            "start": clock(meeting.start),
            "end": clock(meeting.end),
            "minutes": int((meeting.end - meeting.start).total_seconds() // 60),
            "timezone": program.timezone,
            "zone": _zone_label(meeting.start),
            "location": meeting.location,
            "video": meeting.video,
            "moved": meeting.moved,
            "planned": long_date(meeting.planned),
        },
        "members": members,
        "columns": columns,
        "blocks": blocks,
        "ground_rules": [
            {"title": title, "text": text}
            for title, text in ground_rules(program.format)[session.kind]
        ],
        "next_meeting": following,
    }
    return context, notes


# --- rendering ------------------------------------------------------------------------


def _environment(root: Path, *, html: bool) -> Any:
    from peerkit.render import environment

    env = environment(root, html=html)
    env.filters["md"] = escape_markdown
    env.filters["md_url"] = markdown_url
    return env


def render_agenda(
    folder: Folder,
    session: str | None = None,
    *,
    round_name: str | None = None,
    formats: Sequence[str] = AGENDA_FORMATS,
    only: str | None = None,
    paper: str = "a4",
    now: dt.datetime | None = None,
) -> AgendaResult:
    """Handouts for one session, for every match of a round (or `only` one), in `formats`."""
    from peerkit.render import render_template, shipped_templates
    from peerkit.schedule import meetings_for, program_meetings

    program = folder.program
    moment = as_of(program, now)
    number = choose_session(program, session, moment)
    # the round whose matches hold this session: the one in effect on its meeting day
    held = program_meetings(program)[number - 1].date
    round_ = choose_round(folder, round_name, held)
    matches = choose_matches(round_, only)
    result = AgendaResult(session=number, round=round_.name)
    if not matches:
        result.notes.append(f"round '{round_.name}' has no matches; no handouts written")
        return result
    handouts = []
    columns = handout_columns(folder)
    for match in matches:
        meetings = meetings_for(program, match)
        if number > len(meetings):
            result.notes.append(f"{match.id}: has no meeting {number}; no handout")
            continue
        meeting = meetings[number - 1]
        following = meetings[number] if number < len(meetings) else None
        context, notes = handout_context(folder, match, meeting, following, len(meetings), columns)
        handouts.append(context)
        result.notes.extend(n for n in notes if n not in result.notes)
    base = {"program": program_context(program), "paper": paper}
    folder_name = f"{OUT_DIR}/session-{number:02d}"
    names = _file_names([h["match"]["id"] for h in handouts])
    loaded: dict[str, Any] = {}  # the two templates, looked up once for thousands of handouts
    if "md" in formats:
        env = _environment(folder.root, html=False)
        for handout, name in zip(handouts, names, strict=True):
            text = render_template(env, "agenda.md.j2", base | {"handout": handout}, loaded)
            result.files[f"{folder_name}/{name}.md"] = text.encode("utf-8")
    if "html" in formats or "pdf" in formats:
        env = _environment(folder.root, html=True)
        combined = render_template(env, "agenda.html.j2", base | {"handouts": handouts})
        if "html" in formats:
            if only is None:  # one match's handout never replaces every match's page
                result.files[f"{folder_name}/all.html"] = combined.encode("utf-8")
            for handout, name in zip(handouts, names, strict=True):
                page = render_template(
                    env, "agenda.html.j2", base | {"handouts": [handout]}, loaded
                )
                result.files[f"{folder_name}/{name}.html"] = page.encode("utf-8")
        if "pdf" in formats:
            from peerkit.pdf import glyph_problems, html_to_pdf

            templates = folder.root / "templates"
            base_url = templates if templates.is_dir() else shipped_templates()
            result.problems.extend(glyph_problems(combined, folder.members))
            # `--only` prints its own file beside the combined one, never over it
            pdf_name = (
                "handouts.pdf"
                if only is None
                else f"handouts-{_file_names([matches[0].id])[0]}.pdf"
            )
            result.files[f"{folder_name}/{pdf_name}"] = html_to_pdf(
                combined, base_url, paper, moment=program.start
            )
    return result


def handout_names(ids: Sequence[str]) -> list[str]:
    """The file name (no suffix) of each match's handout, as `render_agenda` writes them."""
    return _file_names(ids)


def _file_names(ids: Sequence[str]) -> list[str]:
    """A file name per match id, unique even when two ids clean up to the same name."""
    names: list[str] = []
    seen: set[str] = set()
    for match_id in ids:
        name = base = safe_filename(match_id)
        if name in ("all", "handouts"):
            name = base = f"match-{name}"
        counter = 2
        while name.lower() in seen:
            name = f"{base}-{counter}"
            counter += 1
        seen.add(name.lower())
        names.append(name)
    return names


def agenda_step(folder: Folder, options: BuildOptions) -> Output:
    """The `build` stage: handouts for the next session after the "as of" moment, the same
    one `peerkit agenda --session next` picks."""
    if not folder.rounds:
        return Output(notes=["no round in rounds/ yet; run `peerkit match` for handouts"])
    from peerkit.schedule import program_meetings

    program = folder.program
    moment = as_of(program, options.now)
    try:
        number = choose_session(program, "next", moment)
    except PeerkitError as exc:
        return Output(notes=[f"no handouts: {exc.message}"])
    round_ = choose_round(folder, None, program_meetings(program)[number - 1].date)
    big = len(round_.matches) > BUILD_PDF_LIMIT
    # WeasyPrint lays out about five pages a second: a print file of thousands of pages is
    # a job for `peerkit agenda --as pdf`, not for every build
    formats = ("md", "html") if big else AGENDA_FORMATS
    made = render_agenda(folder, str(number), formats=formats, now=moment)
    made.notes.insert(0, f"handouts for session {made.session} (round {made.round})")
    if big:
        made.notes.append(
            f"no handouts.pdf: more than {BUILD_PDF_LIMIT} matches; "
            f"run `peerkit agenda --session {made.session} --as pdf` for the print file"
        )
    return made
