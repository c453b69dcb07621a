"""Attendance: `attendance.csv` (date, match, member, status) → rates per member, match and
session, and who missed two meetings in a row (the sign-in sheet to fill is peerkit.signin).

Attendance is a commitment in a peer team: two misses in a row is the signal a coordinator
acts on. A bad row is a warning with its line and is left out; the rest still counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from peerkit.source.node import Node

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


def _parse_date(text: str) -> dt.date | None:
    from peerkit.responses.values import parse_time

    moment = parse_time(text)
    return moment.date() if moment is not None else None


HEADER_HINT = (
    "the first line must be: date,match,member,status "
    "(`peerkit attendance sheet --session N` writes a sheet with these columns)"
)


def read_attendance(
    folder: Folder, round_name: str | None = None
) -> tuple[list[AttendanceRecord], list[Problem]]:
    """attendance.csv as records; no file means no records, a bad row is a located warning.

    Each row belongs to (member, match, session): the match of the round in effect on its
    date (or `round_name`, `--round`), the session of that match's meeting on or before it.
    """
    from peerkit.repeats import fold_repeats
    from peerkit.source.grid import grid_records, read_grid

    problems: list[Problem] = []
    path = folder.root / ATTENDANCE_FILE
    grid = read_grid(path, ATTENDANCE_FILE, problems) if path.is_file() else None
    if grid is None:
        return [], problems
    header = {str(cell.value or "").strip().casefold() for cell in (grid[0] if grid else [])}
    missing = [c for c in ("date", "member", "status") if c not in header]
    if missing:
        message = f"attendance.csv has no column {', '.join(repr(m) for m in missing)}"
        problems.append(
            Problem(Location(ATTENDANCE_FILE, 1, 1), "attendance-columns", message, HEADER_HINT)
        )
        return [], problems
    reader = _RowReader(folder, round_name, problems)
    records = [r for row in grid_records(grid, problems=problems) if (r := reader.read(row))]
    return records, fold_repeats(problems)


class _Row:
    """One line of attendance.csv: its cells by lower-case column name, and where each is."""

    def __init__(self, node: Node) -> None:
        assert isinstance(node.value, dict)
        self.node = node
        self.cells = {key.casefold(): cell for key, cell in node.value.items()}
        self.values = {
            k: c.value.strip() if isinstance(c.value, str) else "" for k, c in self.cells.items()
        }

    def text(self, key: str) -> str:
        return self.values.get(key, "")

    def source_of(self, key: str) -> Location:
        """Where the cell is (made only for a warning), or the row without one."""
        cell = self.cells.get(key)
        return cell.loc if cell is not None else self.node.loc


# the round in effect, each member's matches in it, and its matches by id
_InEffect = tuple[Round | None, dict[str, list[Match]], dict[str, Match]]


class _RowReader:
    """Reads rows into records against the round in effect on each row's date."""

    def __init__(self, folder: Folder, round_name: str | None, problems: list[Problem]) -> None:
        from peerkit.timeline import SessionClock

        self.folder = folder
        self.round_name = round_name
        self.problems = problems
        self.clock = SessionClock(folder.program)
        self.rounds: dict[str, _InEffect] = {}  # by round name
        self.days: dict[dt.date, _InEffect] = {}  # by the day of a row
        self.named: dict[str, str] | None = None  # a name or e-mail, casefolded → member id

    def warn(self, loc: Location, code: str, message: str, hint: str) -> None:
        self.problems.append(Problem(loc, code, message, hint, "warning"))

    def round_on(self, day: dt.date) -> _InEffect:
        """The round in effect on `day`, each member's matches in it, and its matches by
        id (worked out once a day and once a round: an export has 100,000 rows)."""
        if day in self.days:
            return self.days[day]
        from peerkit.timeline import choose_round

        folder = self.folder
        round_ = choose_round(folder, self.round_name, day) if folder.rounds else None
        key = round_.name if round_ is not None else ""
        if key not in self.rounds:
            several: dict[str, list[Match]] = defaultdict(list)  # a mentor's matches
            for found in round_.matches if round_ is not None else ():
                for member_id in found.members:
                    several[member_id].append(found)
            by_id = {m.id: m for m in round_.matches} if round_ is not None else {}
            self.rounds[key] = (round_, dict(several), by_id)
        self.days[day] = self.rounds[key]
        return self.days[day]

    def read(self, node: Node) -> AttendanceRecord | None:
        row = _Row(node)
        member_text = row.text("member")
        if (
            row.text("date").lstrip("\ufeff").casefold() == "date"
            and member_text.casefold() == "member"
        ):
            return None  # a sign-in sheet appended whole, header line and all
        status = self.status(row, member_text)
        day = self.date(row) if status else None
        member = self.member(row, member_text) if day else None
        if status is None or day is None or member is None:
            return None
        round_, several, by_id = self.round_on(day)
        match = self.match(row, member, round_, by_id, [m.id for m in several.get(member, [])])
        session = self.clock.session_on(day, by_id.get(match))
        if session is None and self.clock.count():
            self.unplaced(row, day, by_id.get(match))
        round_label = round_.name if round_ is not None and match else ""
        return AttendanceRecord(day, match, member, status, node.loc, session, round_label)

    def status(self, row: _Row, member: str) -> AttendanceStatus | None:
        text = row.text("status")
        status = STATUS_WORDS.get(text.casefold()) if text else None
        if status is None:
            what = (
                f"'{text[:40]}' is not a status"
                if text
                else f"no status for {member or 'this row'}"
            )
            self.warn(
                row.source_of("status"),
                "attendance-status",
                f"{what}; the row is left out",
                "write present, absent or excused",
            )
        return status

    def date(self, row: _Row) -> dt.date | None:
        day = _parse_date(row.text("date"))
        if day is None:
            self.warn(
                row.source_of("date"),
                "attendance-date",
                f"'{row.text('date')[:40]}' is not a date; the row is left out",
                "write the meeting date as YYYY-MM-DD, e.g. 2027-03-09",
            )
        return day

    def member(self, row: _Row, text: str) -> str | None:
        """The member id the row names (by id, else by name or e-mail)."""
        folder = self.folder
        if folder.member(text) is not None:
            return text
        if self.named is None:  # made once: a sheet of names would scan the roster per row
            self.named = {}
            for m in folder.members:  # the first member with the name or e-mail
                self.named.setdefault(m.name.casefold(), m.id)
                self.named.setdefault(m.email.casefold(), m.id)
        found = self.named.get(text.casefold())
        if found is None:
            self.warn(
                row.source_of("member"),
                "unknown-member",
                f"no member has the id, name or e-mail '{text[:40]}'; the row is left out",
                "use the member id from the roster (the sign-in sheet has them)",
            )
        return found

    def match(
        self,
        row: _Row,
        member: str,
        round_: Round | None,
        by_id: dict[str, Match],
        own: list[str],
    ) -> str:
        """The match the row counts for: its match column, checked against the member's."""
        in_round = f"round '{round_.name}'" if round_ is not None else "the round"
        written = row.text("match")
        match = written or (own[0] if own else "")
        counted = own[0] if len(own) == 1 else ""
        if not written and len(own) > 1:
            self.warn(
                row.source_of("match"),
                "attendance-match",
                f"{member} is in {len(own)} matches of {in_round} ({', '.join(own)}); "
                f"the row is counted for {match}",
                "write the match id in the match column (the sign-in sheet has it)",
            )
        elif by_id and match and match not in by_id:
            self.warn(
                row.source_of("match"),
                "unknown-match",
                f"'{match[:40]}' is not a match of {in_round}; counted for {counted or 'no match'}",
                "use the match id from the round file (the sign-in sheet has it)",
            )
            match = counted
        elif by_id and match and member not in by_id[match].members:
            self.warn(
                row.source_of("match"),
                "wrong-match",
                f"{member} is not in {match} of {in_round}; counted for {counted or 'no match'}",
                "use the member's own match id (the sign-in sheet has it)",
            )
            match = counted
        return match

    def unplaced(self, row: _Row, day: dt.date, match: Match | None) -> None:
        first = self.clock.meetings(match)
        when = (
            f"before the first meeting ({first[0].date})"
            if first and day < first[0].date
            else f"long after the program ended ({self.folder.program.end})"
        )
        self.warn(
            row.source_of("date"),
            "attendance-date",
            f"{day} is {when}; it counts for no session",
            "check the date; meetings are listed by `peerkit calendar`",
        )


def load_attendance(folder: Folder) -> Attendance:
    """The input stage: attendance.csv as records, with its problems (empty when there is no
    file); read once per loaded folder, on first use."""
    found = folder.read_once.get("attendance")
    if not isinstance(found, Attendance):
        records, problems = read_attendance(folder)
        found = folder.read_once["attendance"] = Attendance(tuple(records), tuple(problems))
    return found


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
    # A mentor with three mentees is in three matches, so one date can hold three rows for
    # them. The same (date, match, member) twice is a sheet entered twice: the last line wins.
    latest: dict[tuple[dt.date, str, str], AttendanceRecord] = {}
    for record in records:
        latest[(record.date, record.match, record.member)] = record
    counted = sorted(latest.values(), key=lambda r: (r.date, r.match, r.member))
    present = sum(r.status == "present" for r in counted)
    return AttendanceSummary(
        ATTENDANCE_FILE,
        len(counted),
        _rate(present, len(counted)),
        _by_member(folder, counted),
        _by_match(folder, counted),
        _by_session(counted),
    )


def _name_of(folder: Folder, member_id: str) -> str:
    member = folder.member(member_id)
    return member.name if member else member_id


def _counts(rows: Sequence[AttendanceRecord]) -> tuple[int, int, int]:
    """(present, absent, excused)."""
    present = sum(r.status == "present" for r in rows)
    absent = sum(r.status == "absent" for r in rows)
    return present, absent, len(rows) - present - absent


def _by_member(folder: Folder, rows: Sequence[AttendanceRecord]) -> tuple[MemberAttendance, ...]:
    grouped: dict[str, list[AttendanceRecord]] = defaultdict(list)
    for record in rows:
        grouped[record.member].append(record)
    members = []
    for member_id in sorted(grouped):
        own = grouped[member_id]
        present, absent, excused = _counts(own)
        two_in_a_row, last_two = _missed_last_two(own)
        own_matches = tuple(sorted({r.match for r in own if r.match}))
        members.append(
            MemberAttendance(
                member_id,
                _name_of(folder, member_id),
                ", ".join(own_matches),
                present,
                absent,
                excused,
                _rate(present, len(own)),
                two_in_a_row,
                last_two,
                tuple(sorted({r.date for r in own if r.status == "absent"})),
                own_matches,
            )
        )
    return tuple(members)


def _by_match(folder: Folder, rows: Sequence[AttendanceRecord]) -> tuple[MatchAttendance, ...]:
    grouped: dict[tuple[str, str], list[AttendanceRecord]] = defaultdict(list)
    for record in rows:
        if record.match:
            grouped[(record.round, record.match)].append(record)
    member_lists = {(r.name, m.id): m.members for r in folder.rounds for m in r.matches}
    matches = []
    for key in sorted(grouped, key=lambda k: (_round_order(folder, k[0]), k[1])):
        round_name, match_id = key
        own = grouped[key]
        present, absent, excused = _counts(own)
        ids = member_lists.get(key, sorted({r.member for r in own}))
        quiet = tuple(
            _name_of(folder, m)
            for m in ids
            if _missed_last_two([r for r in own if r.member == m])[1]
        )
        matches.append(
            MatchAttendance(
                match_id,
                tuple(_name_of(folder, m) for m in ids),
                len({r.date for r in own}),
                present,
                absent,
                excused,
                _rate(present, len(own)),
                quiet,
                round_name,
            )
        )
    return tuple(matches)


def _by_session(rows: Sequence[AttendanceRecord]) -> tuple[SessionAttendance, ...]:
    grouped: dict[dt.date, list[AttendanceRecord]] = defaultdict(list)
    for record in rows:
        grouped[record.date].append(record)
    sessions = []
    for day in sorted(grouped):
        own = grouped[day]
        present, absent, excused = _counts(own)
        sessions.append(
            SessionAttendance(
                own[0].session, day, present, absent, excused, _rate(present, len(own))
            )
        )
    return tuple(sessions)


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
