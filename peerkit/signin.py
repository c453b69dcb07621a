"""The sign-in sheet for a session: every member of every match on the date their match
meets, as HTML to print and as CSV with attendance.csv's columns to fill in."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from peerkit.model import Folder, Round


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
