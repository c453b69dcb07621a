"""Attendance: `attendance.csv` (date, match, member, status) → rates per member, match and
session, who missed two meetings in a row; and the printable sign-in sheet for a session.

Attendance is a commitment in a peer team: two misses in a row is the signal a coordinator
acts on. A bad row is a warning with its line and is left out; the rest still counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from peerkit.model import (
    Attendance,
    AttendanceRecord,
    AttendanceStatus,
    Folder,
    Location,
    Match,
    Problem,
    Round,
)

ATTENDANCE_FILE = "attendance.csv"
STATUS_WORDS: Mapping[str, AttendanceStatus] = {
    "present": "present",
    "p": "present",
    "yes": "present",
    "y": "present",
    "x": "present",
    "1": "present",
    "late": "present",
    "attended": "present",
    "✓": "present",
    "✔": "present",
    "absent": "absent",
    "a": "absent",
    "no": "absent",
    "n": "absent",
    "0": "absent",
    "missed": "absent",
    "no-show": "absent",
    "excused": "excused",
    "e": "excused",
    "ex": "excused",
    "apologies": "excused",
}
POOR_RATE = 75.0  # a match whose attendance is below this percentage is at risk


@dataclass(frozen=True)
class MemberAttendance:
    member: str
    name: str
    match: str  # the member's matches, joined with ", " (a mentor may be in several)
    present: int
    absent: int
    excused: int
    rate: float | None  # percent present of the meetings recorded
    two_in_a_row: bool  # missed two meetings in a row at some point
    missed_last_two: bool  # the two latest recorded meetings were both missed
    missed: tuple[dt.date, ...] = ()  # dates of unexcused absences
    matches: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatchAttendance:
    match: str
    members: tuple[str, ...]  # names
    meetings: int
    present: int
    absent: int
    excused: int
    rate: float | None
    missed_last_two: tuple[str, ...] = ()  # names of members who missed this match's last two
    round: str = ""  # the round the match belongs to


@dataclass(frozen=True)
class SessionAttendance:
    session: int | None
    date: dt.date
    present: int
    absent: int
    excused: int
    rate: float | None


@dataclass(frozen=True)
class AttendanceSummary:
    file: str
    records: int
    rate: float | None
    members: tuple[MemberAttendance, ...]
    matches: tuple[MatchAttendance, ...]
    sessions: tuple[SessionAttendance, ...]

    @property
    def two_in_a_row(self) -> tuple[MemberAttendance, ...]:
        return tuple(m for m in self.members if m.two_in_a_row)


def _warn(problems: list[Problem], loc: Location, code: str, message: str, hint: str = "") -> None:
    problems.append(Problem(loc, code, message, hint, "warning"))


def _parse_date(text: str) -> dt.date | None:
    from peerkit.responses import parse_time

    moment = parse_time(text)
    return moment.date() if moment is not None else None


def read_attendance(
    folder: Folder, round_name: str | None = None
) -> tuple[list[AttendanceRecord], list[Problem]]:
    """attendance.csv as records; no file means no records, a bad row is a located warning.

    Each row belongs to (member, match, session): the match of the round in effect on its
    date (or `round_name`, `--round`), the session of that match's meeting on or before it.
    """
    from peerkit.responses import fold_repeats
    from peerkit.source import grid_records, read_grid
    from peerkit.timeline import SessionClock, choose_round

    problems: list[Problem] = []
    path = folder.root / ATTENDANCE_FILE
    if not path.is_file():
        return [], problems
    grid = read_grid(path, ATTENDANCE_FILE, problems)
    if grid is None:
        return [], problems
    rows = grid_records(grid, problems=problems)
    header_names = {str(cell.value or "").strip().casefold() for cell in (grid[0] if grid else [])}
    missing = [c for c in ("date", "member", "status") if c not in header_names]
    if missing:
        problems.append(
            Problem(
                Location(ATTENDANCE_FILE, 1, 1),
                "attendance-columns",
                f"attendance.csv has no column {', '.join(repr(m) for m in missing)}",
                "the first line must be: date,match,member,status "
                "(`peerkit attendance --session N` writes a sheet with these columns)",
            )
        )
        return [], problems
    clock = SessionClock(folder.program)
    rounds: dict[str, tuple[Round | None, dict[str, list[Match]]]] = {}

    def round_for(day: dt.date) -> tuple[Round | None, dict[str, list[Match]]]:
        round_ = choose_round(folder, round_name, day) if folder.rounds else None
        key = round_.name if round_ is not None else ""
        if key not in rounds:
            several: dict[str, list[Match]] = defaultdict(list)  # a mentor's matches
            for found_match in round_.matches if round_ is not None else ():
                for member_id in found_match.members:
                    several[member_id].append(found_match)
            rounds[key] = (round_, dict(several))
        return rounds[key]

    records = []
    for row in rows:
        assert isinstance(row.value, dict)
        cells = {key.casefold(): node for key, node in row.value.items()}
        values = {k: n.value.strip() if isinstance(n.value, str) else "" for k, n in cells.items()}
        places = {k: n.loc for k, n in cells.items()}

        def text(key: str, values: Mapping[str, str] = values) -> str:
            return values.get(key, "")

        def where(
            key: str, places: Mapping[str, Location] = places, at: Location = row.loc
        ) -> Location:
            return places.get(key, at)

        member = text("member")
        status_text = text("status")
        if text("date").lstrip("\ufeff").casefold() == "date" and member.casefold() == "member":
            continue  # a sign-in sheet appended whole, header line and all
        if not status_text:
            _warn(
                problems,
                where("status"),
                "attendance-status",
                f"no status for {member or 'this row'}; the row is left out",
                "write present, absent or excused",
            )
            continue
        status = STATUS_WORDS.get(status_text.casefold())
        if status is None:
            _warn(
                problems,
                where("status"),
                "attendance-status",
                f"'{status_text[:40]}' is not a status; the row is left out",
                "write present, absent or excused",
            )
            continue
        day = _parse_date(text("date"))
        if day is None:
            _warn(
                problems,
                where("date"),
                "attendance-date",
                f"'{text('date')[:40]}' is not a date; the row is left out",
                "write the meeting date as YYYY-MM-DD, e.g. 2027-03-09",
            )
            continue
        if folder.member(member) is None:
            found = next(
                (
                    m.id
                    for m in folder.members
                    if member.casefold() in (m.name.casefold(), m.email.casefold())
                ),
                None,
            )
            if found is None:
                _warn(
                    problems,
                    where("member"),
                    "unknown-member",
                    f"no member has the id '{member[:40]}'; the row is left out",
                    "use the member id from the roster (the sign-in sheet has them)",
                )
                continue
            member = found
        round_, several = round_for(day)
        own = [m.id for m in several.get(member, [])]
        by_id = {m.id: m for m in round_.matches} if round_ is not None else {}
        where_round = f"round '{round_.name}'" if round_ is not None else "the round"
        match = text("match") or (own[0] if own else "")
        if not text("match") and len(own) > 1:
            _warn(
                problems,
                where("match"),
                "attendance-match",
                f"{member} is in {len(own)} matches of {where_round} ({', '.join(own)}); "
                f"the row is counted for {match}",
                "write the match id in the match column (the sign-in sheet has it)",
            )
        elif by_id and match and match not in by_id:
            counted = own[0] if len(own) == 1 else ""
            _warn(
                problems,
                where("match"),
                "unknown-match",
                f"'{match[:40]}' is not a match of {where_round}; "
                f"counted for {counted or 'no match'}",
                "use the match id from the round file (the sign-in sheet has it)",
            )
            match = counted
        elif by_id and match and member not in by_id[match].members:
            counted = own[0] if len(own) == 1 else ""
            _warn(
                problems,
                where("match"),
                "wrong-match",
                f"{member} is not in {match} of {where_round}; counted for {counted or 'no match'}",
                "use the member's own match id (the sign-in sheet has it)",
            )
            match = counted
        session = clock.session_on(day, by_id.get(match))
        if session is None and clock.count():
            first = clock.meetings(by_id.get(match))
            when = (
                f"before the first meeting ({first[0].date})"
                if first and day < first[0].date
                else f"long after the program ended ({folder.program.end})"
            )
            _warn(
                problems,
                where("date"),
                "attendance-date",
                f"{day} is {when}; it counts for no session",
                "check the date; meetings are listed by `peerkit calendar`",
            )
        records.append(
            AttendanceRecord(
                day,
                match,
                member,
                status,
                row.loc,
                session,
                round_.name if round_ is not None and match else "",
            )
        )
    return records, fold_repeats(problems)


def load_attendance(folder: Folder) -> Attendance:
    """The input stage for `Folder.attendance`: attendance.csv, read once."""
    records, problems = read_attendance(folder)
    return Attendance(tuple(records), tuple(problems))


def _rate(present: int, total: int) -> float | None:
    return round(100 * present / total, 1) if total else None


def _missed_last_two(own: Sequence[AttendanceRecord]) -> tuple[bool, bool]:
    """(missed two in a row at some point, the two latest were both missed); excused skipped.

    Counted per match: a mentor who came to one of their two matches on each date missed
    no meeting of the other match twice in a row only if that match's rows say so.
    """
    per_match: dict[tuple[str, str], list[AttendanceRecord]] = defaultdict(list)
    for record in own:
        per_match[(record.round, record.match)].append(record)
    if len(per_match) > 1:
        found = [_missed_last_two(rows) for rows in per_match.values()]
        return any(f[0] for f in found), any(f[1] for f in found)
    counted = [r.status for r in own if r.status != "excused"]
    streak = best = 0
    for status in counted:
        streak = streak + 1 if status == "absent" else 0
        best = max(best, streak)
    return best >= 2, counted[-2:] == ["absent", "absent"]


def _round_order(folder: Folder, name: str) -> int:
    names = [r.name for r in folder.rounds]
    return names.index(name) if name in names else -1


def summarize_attendance(folder: Folder, records: Sequence[AttendanceRecord]) -> AttendanceSummary:
    """Rates per member, match and session, and who missed two meetings in a row."""
    by_member: dict[str, list[AttendanceRecord]] = defaultdict(list)
    by_match: dict[tuple[str, str], list[AttendanceRecord]] = defaultdict(list)
    by_day: dict[dt.date, list[AttendanceRecord]] = defaultdict(list)
    # A mentor with three mentees is in three matches, so one date can hold three rows for
    # them. The same (date, match, member) twice is a sheet entered twice: the last line wins.
    latest: dict[tuple[dt.date, str, str], AttendanceRecord] = {}
    for record in records:
        latest[(record.date, record.match, record.member)] = record
    for record in sorted(latest.values(), key=lambda r: (r.date, r.match, r.member)):
        by_member[record.member].append(record)
        if record.match:
            by_match[(record.round, record.match)].append(record)
        by_day[record.date].append(record)

    def name_of(member_id: str) -> str:
        member = folder.member(member_id)
        return member.name if member else member_id

    members = []
    for member_id in sorted(by_member):
        own = by_member[member_id]
        counts = {s: sum(r.status == s for r in own) for s in ("present", "absent", "excused")}
        two_in_a_row, last_two = _missed_last_two(own)
        own_matches = tuple(sorted({r.match for r in own if r.match}))
        members.append(
            MemberAttendance(
                member_id,
                name_of(member_id),
                ", ".join(own_matches),
                counts["present"],
                counts["absent"],
                counts["excused"],
                _rate(counts["present"], len(own)),
                two_in_a_row,
                last_two,
                tuple(sorted({r.date for r in own if r.status == "absent"})),
                own_matches,
            )
        )
    member_lists = {(r.name, m.id): m.members for r in folder.rounds for m in r.matches}
    matches = []
    for key in sorted(by_match, key=lambda k: (_round_order(folder, k[0]), k[1])):
        round_name, match_id = key
        own = by_match[key]
        present = sum(r.status == "present" for r in own)
        absent = sum(r.status == "absent" for r in own)
        ids = member_lists.get(key, sorted({r.member for r in own}))
        quiet = tuple(
            name_of(m) for m in ids if _missed_last_two([r for r in own if r.member == m])[1]
        )
        matches.append(
            MatchAttendance(
                match_id,
                tuple(name_of(m) for m in ids),
                len({r.date for r in own}),
                present,
                absent,
                len(own) - present - absent,
                _rate(present, len(own)),
                quiet,
                round_name,
            )
        )
    sessions = []
    for day in sorted(by_day):
        own = by_day[day]
        present = sum(r.status == "present" for r in own)
        absent = sum(r.status == "absent" for r in own)
        sessions.append(
            SessionAttendance(
                own[0].session,
                day,
                present,
                absent,
                len(own) - present - absent,
                _rate(present, len(own)),
            )
        )
    total = len(latest)
    present_all = sum(r.status == "present" for r in latest.values())
    return AttendanceSummary(
        ATTENDANCE_FILE,
        total,
        _rate(present_all, total),
        tuple(members),
        tuple(matches),
        tuple(sessions),
    )


def attendance_reasons(
    summary: AttendanceSummary, round_: Round | None = None
) -> dict[str, list[str]]:
    """Per match (of `round_`, when given), the attendance reasons it is at risk: a member
    missed its last two meetings, a low rate."""
    reasons: dict[str, list[str]] = defaultdict(list)
    shown = [m for m in summary.matches if round_ is None or m.round in (round_.name, "")]
    for match in shown:
        reasons[match.match].extend(
            f"{name} missed the last two meetings" for name in match.missed_last_two
        )
    for match in shown:
        if match.rate is not None and match.rate < POOR_RATE and match.meetings >= 2:
            reasons[match.match].append(
                f"attendance {match.rate:.0f}% over {match.meetings} meetings"
            )
    return dict(reasons)


# --- the sign-in sheet ----------------------------------------------------------------------


@dataclass(frozen=True)
class SigninRow:
    date: dt.date
    match: str
    member: str
    name: str
    organization: str


@dataclass(frozen=True)
class SigninSheet:
    session: int
    title: str
    rows: tuple[SigninRow, ...]
    round: str


def signin_sheet(folder: Folder, round_: Round, session: int) -> SigninSheet:
    """Every active member of every match of the round, on the date their match meets."""
    from peerkit.schedule import meetings_for

    program = folder.program
    rows = []
    for match in sorted(round_.matches, key=lambda m: m.id):
        meeting = next((m for m in meetings_for(program, match) if m.number == session), None)
        if meeting is None:
            continue
        for member_id in match.members:
            member = folder.member(member_id)
            if member is not None and not member.is_active_on(meeting.date):
                continue
            rows.append(
                SigninRow(
                    meeting.date,
                    match.id,
                    member_id,
                    member.name if member else member_id,
                    member.organization if member else "",
                )
            )
    found = program.session(session)
    title = found.title if found else f"Session {session}"
    return SigninSheet(session, title, tuple(rows), round_.name)


def signin_csv(sheet: SigninSheet) -> bytes:
    """The sheet as CSV with attendance.csv's columns (status left blank), plus the name."""
    from peerkit.tables import csv_bytes

    rows: list[list[object]] = [["date", "match", "member", "status", "name"]]
    rows.extend([r.date.isoformat(), r.match, r.member, "", r.name] for r in sheet.rows)
    return csv_bytes(rows)


def signin_files(folder: Folder, sheet: SigninSheet) -> dict[str, bytes]:
    """out/attendance/session-NN-signin.csv and .html."""
    from peerkit.render import environment, render_template

    stem = f"out/attendance/session-{sheet.session:02d}-signin"
    by_match: dict[str, list[SigninRow]] = defaultdict(list)
    for row in sheet.rows:
        by_match[row.match].append(row)
    env = environment(folder.root, html=True)
    html = render_template(
        env,
        "signin.html.j2",
        {
            "program": folder.program,
            "sheet": sheet,
            "matches": sorted(by_match.items()),
        },
    )
    return {f"{stem}.csv": signin_csv(sheet), f"{stem}.html": html.encode("utf-8")}
