"""Checks across files that loading alone cannot make: can the program actually run?"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from peerkit.load.folder import load_folder, sort_problems
from peerkit.load.reader import Reader
from peerkit.model import LEVELS, Folder, Location, Problem
from peerkit.model import has_errors as has_errors  # the CLI asks check for it
from peerkit.validate import suggest

# peerkit.calendar.state.STATE_FILE, named here so that a folder without one does not
# import the calendar package (~60 ms of `peerkit check`)
CALENDAR_STATE = "calendars.yaml"


def _check_format(folder: Folder, reader: Reader) -> None:
    program = folder.program
    active = [m for m in folder.members if m.is_active_on(program.start)]
    where = program.source_of("format")
    if program.format == "groups" and len(active) < program.group_size.min:
        reader.report(
            where,
            "format",
            f"format is groups of at least {program.group_size.min}, "
            f"but the roster has only {len(active)} active member(s)",
            "lower group_size.min or add members",
        )
    if program.format == "pairs" and len(active) < 2:
        reader.report(
            where,
            "format",
            f"format is pairs, but {folder.roster_file} has {len(active)} active member(s)",
            f"add members to {folder.roster_file} (one row or entry each)",
        )
    if program.format == "mentoring":
        mentors = [m for m in active if m.role == "mentor"]
        mentees = [m for m in active if m.role == "mentee"]
        if not mentors:
            reader.report(
                where,
                "format",
                "format is mentoring, but no active member has `role: mentor`",
                "set `role: mentor` on the mentors in the roster, or use format: pairs",
            )
        elif not mentees:
            reader.report(
                where,
                "format",
                "format is mentoring, but no active member has `role: mentee`",
                "set `role: mentee` on the mentees in the roster",
            )
        else:
            capacity = sum(m.capacity for m in mentors)
            needed = len(mentees) * program.matching.mentors_per_mentee
            if capacity < needed:
                reader.report(
                    where,
                    "capacity",
                    f"the mentors can take {capacity} mentee(s) in all, "
                    f"but {needed} place(s) are needed; some mentees will stay unmatched",
                    "raise `capacity` on some mentors or recruit more mentors",
                    "warning",
                )
    peers = [m.id for m in folder.members if m.role != "peer"]
    if program.format != "mentoring" and peers:
        first = folder.member(peers[0])
        reader.report(
            first.source if first else Location(folder.roster_file),
            "role",
            f"{len(peers)} member(s) have role mentor/mentee, but format is {program.format}; "
            "roles are ignored",
            "remove the roles or use format: mentoring",
            "warning",
        )


def _check_sessions(folder: Folder, reader: Reader, duration_broken: bool = False) -> None:
    program = folder.program
    minutes = program.meetings.duration.total_seconds() / 60
    for session in () if duration_broken else program.sessions:
        if session.agenda_minutes > minutes:
            reader.report(
                program.source_of(f"sessions.{(session.entry or session.number) - 1}.agenda"),
                "agenda-time",
                f"session {session.number} ({session.title}) has {session.agenda_minutes} minutes "
                f"of agenda, but meetings last {minutes:.0f}",
                "shorten some blocks or lengthen meetings.duration",
            )
    from peerkit.schedule import meeting_dates

    dates = meeting_dates(program.meetings, program.start, program.end)
    count = len(dates)
    if count == 0:
        reader.report(
            program.source_of("meetings"),
            "schedule",
            f"no meeting falls between start ({program.start}) and end ({program.end})",
            "check start, end, meetings.cadence and meetings.day",
        )
    # a session the schedule leaves out, and a skip or move on a day with no meeting, are
    # reported by the loader at their own lines
    for day, new in program.meetings.moved:
        where = program.source_of(f"meetings.moved.{day}")
        if not program.start <= new <= program.end:
            reader.report(
                where,
                "schedule",
                f"meetings.moved: {day} is moved to {new}, outside the program "
                f"({program.start} to {program.end})",
                "check the year of the new date",
            )
        if day in program.meetings.skip:
            reader.report(
                program.source_of("meetings.moved"),
                "schedule",
                f"{day} is both skipped and moved",
                "keep it in only one of `skip` and `moved`",
            )


# Member attributes a rule may name (custom ones come from each member's `fields:`).
RULE_FIELDS = (
    "organization",
    "department",
    "manager",
    "industry",
    "timezone",
    "languages",
    "goals",
    "offers",
    "obstacles",
    "availability",
    "role",
    *LEVELS,
)


def _check_rule_fields(folder: Folder, reader: Reader) -> None:
    """A rule over a misspelt field would silently do nothing: name the field instead."""
    known = list(RULE_FIELDS) + sorted({key for m in folder.members for key in m.fields})
    matching = folder.program.matching
    for key, names in (
        ("matching.rules.not_same", matching.rules.not_same),
        ("matching.rules.share_one_of", matching.rules.share_one_of),
        ("matching.diversity", matching.diversity),
    ):
        for index, name in enumerate(names):
            if name in known:
                continue
            hint = suggest(name, known, f"use one of: {', '.join(known)}")
            reader.report(
                folder.program.source_of(f"{key}.{index}"),
                "unknown-field",
                f"{key}: no member field is called '{name}', so this rule would do nothing",
                hint,
            )


def _check_unplaced(folder: Folder, reader: Reader) -> None:
    """A member taking part when the newest round starts but in none of its matches gets
    nothing: say who, and what (a member away on a pause then is left out on purpose)."""
    round_ = folder.round()
    if round_ is None:
        return
    placed = {member for match in round_.matches for member in match.members}
    placed.update(item.member for item in round_.unmatched)
    start = round_.start or folder.program.start
    left_out = [
        m.id
        for m in folder.members
        if m.is_active_on(start) and m.left is None and m.id not in placed
    ]
    if not left_out:
        return
    shown = ", ".join(left_out[:10]) + (
        f" and {len(left_out) - 10} more" if len(left_out) > 10 else ""
    )
    reader.report(
        Location(round_.file, 1, 1),
        "not-matched",
        f"{len(left_out)} active member(s) are in no match of round {round_.name}: {shown}; "
        "they get no meetings, and meetings already sent to them are cancelled "
        "by the next `peerkit calendar` or `peerkit build`",
        f"add them to a match in {round_.file}, run `peerkit match {folder.root} --round "
        f"NAME --fill` to match them in a new round, or mark them `active: false` in "
        f"{folder.roster_file}",
        "warning",
    )


def _broken(problems: list[Problem], where: Location | None) -> bool:
    """Whether an error was reported on the line of `where` (a value that fell back to a default)."""
    return where is not None and any(
        p.severity == "error"
        and p.source is not None
        and p.source.file == where.file
        and p.source.line == where.line
        for p in problems
    )


def check_folder(
    root: Path, *, data: bool = False, replacing: str | None = None
) -> tuple[Folder | None, list[Problem]]:
    """Load the folder and run every check; problems come back sorted by file and line.

    With `data`, survey exports in responses/ and attendance.csv are read too (`peerkit
    check`); other commands leave them to tally and report, which read them anyway.
    `replacing`: the round file `match` is about to replace, whose matches are not checked
    (what is wrong with them is not said: see `problems_before_matching`).
    """
    folder, problems = load_folder(root)
    reader = Reader(problems)
    if folder is not None:
        roster_unread = not folder.members and any(
            p.source is not None and p.source.file == folder.roster_file for p in problems
        )
        if not roster_unread:  # a roster that could not be read says nothing about the format
            _check_format(folder, reader)
        program = folder.program
        # a date or length that fell back to a default would only echo that default
        dates_broken = (
            "start" not in program.sources
            or _broken(problems, program.source_of("start"))
            or _broken(problems, program.source_of("end"))
        )
        if not dates_broken:
            _check_sessions(
                folder, reader, _broken(problems, program.source_of("meetings.duration"))
            )
        _check_rule_fields(folder, reader)
        derived: list[Problem] = []
        if folder.rounds or program.matching.pins:  # else there is nothing to verify
            from peerkit.match import round_problems

            derived = round_problems(folder, replacing)
        if dates_broken:  # "began 2000-01-01" would come from the default start
            derived = [p for p in derived if p.code != "member-left"]
        reader.problems.extend(derived)
        if not roster_unread:
            _check_unplaced(folder, reader)
        state = root / CALENDAR_STATE
        if data and (state.exists() or state.is_symlink()):  # read_state: absent is empty
            from peerkit.calendar.state import read_state

            # a hand-edited or broken record of what members were sent: before a build uses it
            reader.problems.extend(read_state(root)[1])
        if data and not has_errors(reader.problems):
            from peerkit.attendance import ATTENDANCE_FILE
            from peerkit.responses.read import export_files

            if export_files(root) or (root / ATTENDANCE_FILE).is_file():
                from peerkit.report import data_problems

                reader.problems.extend(data_problems(folder))
    return folder, sort_problems(reader.problems)


def problems_before_matching(problems: list[Problem], round_file: str | None) -> list[Problem]:
    """The folder's problems as `match` weighs them: problems in round files never block a
    new round.

    A round file is history (or about to be replaced): a member who left since, or a hand
    edit gone wrong in one round, must not stop the coordinator from making another. Its
    errors become warnings; the round file being replaced (`round_file`) is not checked at all.
    """
    kept = []
    for problem in problems:
        file = problem.source.file if problem.source else ""
        if file == round_file:
            continue
        if file.startswith("rounds/") and problem.severity == "error":
            message = f"{problem.message} (not blocking a match)"
            problem = replace(problem, severity="warning", message=message)
        kept.append(problem)
    return kept
