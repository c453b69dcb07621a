"""Meeting times inside every member's own day: hours, availability, slots, staggering."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from peerkit.check import check_folder
from peerkit.cli import app
from peerkit.hours import Window, local_time, parse_availability, parse_window, zone_label
from peerkit.match.slots import Placed, fits_all, meeting_days, place
from peerkit.model import Folder, Member
from peerkit.schedule import meetings_for

runner = CliRunner()

OFFICES = {
    "New York": "America/New_York",
    "London": "Europe/London",
    "Berlin": "Europe/Berlin",
    "Bangalore": "Asia/Kolkata",
    "São Paulo": "America/Sao_Paulo",
}


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def company(
    root: Path, *, hours: str = "09:00-17:30", extra: list[dict[str, Any]] | None = None
) -> Path:
    """A 5-office company: two mentors (capacity 2) and four mentees in each office."""
    members: list[dict[str, Any]] = []
    for k, (city, tz) in enumerate(OFFICES.items()):
        for n in range(2):
            members.append(
                {
                    "id": f"M{k}{n}",
                    "name": f"Mentor {city} {n}",
                    "role": "mentor",
                    "capacity": 2,
                    "timezone": tz,
                    "department": ["Sales", "Engineering"][n],
                    "offers": ["leadership", "sales"],
                }
            )
        for n in range(4):
            members.append(
                {
                    "id": f"E{k}{n}",
                    "name": f"Mentee {city} {n}",
                    "role": "mentee",
                    "timezone": tz,
                    "department": ["Sales", "Engineering"][n % 2],
                    "goals": ["leadership"] if n % 2 else ["sales"],
                }
            )
    members.extend(extra or [])
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yaml").write_text(
        "name: Globex mentoring\ntimezone: America/New_York\n"
        "start: 2027-01-04\nend: 2027-06-30\nformat: mentoring\ncapacity: 2\n"
        "meetings:\n  cadence: monthly\n  day: second Tuesday\n  time: '10:00'\n"
        f"  duration: 45m\n  hours: '{hours}'\n"
        "matching:\n  seed: 5\n  rules:\n    max_timezone_gap: 6\n    not_same: [department]\n",
        encoding="utf-8",
    )
    (root / "members.yaml").write_text(
        yaml.safe_dump({"members": members}, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return root


def loaded(root: Path) -> Folder:
    folder, problems = check_folder(root)
    assert folder is not None, problems
    assert not [p for p in problems if p.severity == "error"], problems
    return folder


def local_minutes(moment: dt.datetime, timezone: str) -> int:
    local = moment.astimezone(ZoneInfo(timezone))
    return local.hour * 60 + local.minute


def test_every_meeting_is_inside_every_members_hours(tmp_path: Path) -> None:
    root = company(tmp_path / "globex")
    made = run("match", str(root), "--round", "r1")
    assert made.exit_code == 0, made.output
    folder = loaded(root)
    round_ = folder.round("r1")
    assert round_ is not None
    assert len(round_.matches) >= 8
    meetings = 0
    for match in round_.matches:
        assert match.time is not None  # every match records its slot
        for meeting in meetings_for(folder.program, match):
            for member_id in match.members:
                member = folder.member(member_id)
                assert member is not None
                start = local_minutes(meeting.start, member.timezone)
                end = local_minutes(meeting.end, member.timezone)
                assert start >= 9 * 60, (match.id, member_id, meeting.start)
                assert end <= 17 * 60 + 30, (match.id, member_id, meeting.start)
                meetings += 1
    assert meetings > 50  # across a DST change (March) too
    # nobody is double-booked: a mentor's meetings never overlap
    for member in folder.members:
        mine = sorted((m.time, m.id) for m in round_.matches if member.id in m.members and m.time)
        minutes = [t.hour * 60 + t.minute for t, _ in mine]
        assert all(b - a >= 45 for a, b in itertools.pairwise(minutes)), mine
    # capacity in mentees
    for mentor in (m for m in folder.members if m.role == "mentor"):
        mentees = [k for m in round_.matches if mentor.id in m.members for k in m.members]
        assert len([k for k in mentees if k != mentor.id]) <= mentor.capacity
    assert run("check", str(root)).exit_code == 0


def test_bangalore_pairs_meet_in_bangalore_hours(tmp_path: Path) -> None:
    """10:00 New York is 20:30 IST: two Bangalore colleagues meet in their own day."""
    root = company(tmp_path / "globex")
    assert run("match", str(root), "--round", "r1").exit_code == 0
    folder = loaded(root)
    round_ = folder.round("r1")
    assert round_ is not None
    india = [m for m in round_.matches if all(k.startswith(("M3", "E3")) for k in m.members)]
    assert india, [m.members for m in round_.matches]
    for match in india:
        assert match.time is not None
        start = dt.datetime.combine(
            dt.date(2027, 1, 12), match.time, tzinfo=ZoneInfo("America/New_York")
        )
        assert 9 * 60 <= local_minutes(start, "Asia/Kolkata") <= 17 * 60 + 30 - 45


def test_a_hand_edited_time_is_honoured_and_checked(tmp_path: Path) -> None:
    root = company(tmp_path / "globex")
    assert run("match", str(root), "--round", "r1").exit_code == 0
    path = root / "rounds" / "r1.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    india = next(m for m in data["matches"] if m["members"][0].startswith("M3"))
    text = path.read_text(encoding="utf-8")
    old = f'time: "{india["time"]}"'
    block = text.index(f"id: {india['id']}")
    edited = text[:block] + text[block:].replace(old, 'time: "10:00"', 1)
    path.write_text(edited, encoding="utf-8")
    check = run("check", str(root))
    assert check.exit_code == 0  # a warning: the coordinator may have agreed it with them
    err = check.stderr
    assert f"warning[outside-hours]: match {india['id']} meets at 10:00 America/New_York" in err
    assert "Tue 20:30 IST for Mentor Bangalore" in err
    assert "outside their hours (09:00-17:30 local)" in err
    assert "set `time: '" in err
    folder = loaded(root)
    round_ = folder.round("r1")
    assert round_ is not None
    match = next(m for m in round_.matches if m.id == india["id"])
    assert match.time == dt.time(10, 0)
    first = meetings_for(folder.program, match)[0]
    assert first.start.hour == 10  # the calendar follows the hand edit


def test_no_common_slot_is_a_warning_naming_the_windows(tmp_path: Path) -> None:
    root = company(tmp_path / "globex", hours="09:00-17:00")
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text(
        "round: r1\nmatches:\n  - id: match-01\n    members: [M00, E30]\n    locked: true\n",
        encoding="utf-8",
    )
    # New York and Bangalore share no hour of 09:00-17:00
    made = run("match", str(root), "--round", "r1", "--force")
    assert made.exit_code == 0, made.output
    assert "match-01 has no slot inside every member's hours and availability" in made.stderr
    assert "Mentor New York 0 (M00): 09:00-17:00 EST (Tue)" in made.stderr
    assert "Mentee Bangalore 0 (E30): 09:00-17:00 IST (Tue)" in made.stderr
    text = (root / "rounds" / "r1.yaml").read_text(encoding="utf-8")
    assert "# 1 match(es) have no time inside every member's hours: agree one" in text
    assert "no_common_slot: 1" in text
    check = run("check", str(root))
    assert "warning[outside-hours]: match match-01" in check.stderr
    assert "no time fits them all" in check.stderr


def test_availability_narrows_the_slot(tmp_path: Path) -> None:
    extra = [
        {
            "id": "E99",
            "name": "Late London",
            "role": "mentee",
            "timezone": "Europe/London",
            "department": "Legal",
            "goals": ["sales"],
            "availability": "Tue 15:00-16:00; Thu 09:00-12:00",
        }
    ]
    root = company(tmp_path / "globex", extra=extra)
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text(
        "round: r1\nmatches:\n  - id: match-01\n    members: [M00, E99]\n    locked: true\n",
        encoding="utf-8",
    )
    made = run("match", str(root), "--round", "r1", "--force")
    assert made.exit_code == 0, made.output
    folder = loaded(root)
    member = folder.member("E99")
    assert member is not None
    assert member.availability == ("Tue 15:00-16:00", "Thu 09:00-12:00")
    # a new match of E99 with a New York mentor: 15:00 London is 10:00 New York in winter
    days = meeting_days(folder.program, dt.date(2027, 1, 4))
    slot = place(folder.program, {m.id: m for m in folder.members}, [(("M01", "E99"), "")], days)
    assert slot[0] == Placed("10:00", fits=True, free=True)
    # 15:00 London is 10:00 New York all year but for the weeks the two change clocks
    # apart (no second Tuesday falls in them this year); 15:30 would end after 16:00
    assert fits_all(folder.program, member, 10 * 60, days)
    assert not fits_all(folder.program, member, 10 * 60 + 30, days)
    weekly = [dt.date(2027, 3, 16), dt.date(2027, 3, 23)]  # New York on EDT, London on GMT
    assert not fits_all(folder.program, member, 10 * 60, weekly)
    assert fits_all(folder.program, member, 11 * 60, weekly)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("Tue", "'Tue' needs a day and a time span, e.g. `Tue 09:00-12:00`"),
        ("Tus 09:00-12:00", "'Tus' in 'Tus 09:00-12:00' is not a day"),
        ("Tue 12:00-09:00", "'12:00-09:00' ends before it starts"),
        ("Tue 25:00-26:00", "'25:00-26:00' has a time that is not on a clock"),
        ("Tue morning", "'morning' is not a span of time like 09:00-17:30"),
    ],
)
def test_bad_availability_is_a_located_error(tmp_path: Path, entry: str, message: str) -> None:
    extra = [{"id": "X1", "name": "Xu", "role": "mentee", "availability": entry}]
    root = company(tmp_path / "globex", extra=extra)
    result = run("check", str(root))
    assert result.exit_code == 1
    assert f"error[availability]: availability: {message}" in result.stderr
    assert "members.yaml:" in result.stderr
    assert "e.g. `Tue 09:00-12:00; Thu 14:00-17:00`" in result.stderr


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("9 to 5", "'9 to 5' is not a span of time like 09:00-17:30"),
        ("17:00-09:00", "'17:00-09:00' ends before it starts"),
        ("09:00-09:15", "'09:00-09:15' is shorter than half an hour"),
    ],
)
def test_bad_hours_are_a_located_error(tmp_path: Path, hours: str, message: str) -> None:
    root = company(tmp_path / "globex", hours=hours)
    result = run("check", str(root))
    assert result.exit_code == 1
    assert f"program.yaml:12:10: error[hours]: meetings.hours: {message}" in result.stderr


def test_windows_and_zone_names() -> None:
    assert parse_window("Mon-Wed 9-12:30") == (
        [Window(0, 540, 750), Window(1, 540, 750), Window(2, 540, 750)],
        "",
    )
    assert parse_availability(["Tue,Thu 14:00-17:00"])[0] == (
        Window(1, 840, 1020),
        Window(3, 840, 1020),
    )
    winter = dt.datetime(2027, 1, 12, 15, 0, tzinfo=dt.UTC)
    summer = dt.datetime(2027, 6, 8, 15, 0, tzinfo=dt.UTC)
    assert local_time(winter, "America/New_York") == "10:00 EST"
    assert local_time(summer, "America/New_York") == "11:00 EDT"
    assert local_time(winter, "America/Sao_Paulo") == "12:00 BRT"
    assert local_time(winter, "Asia/Kolkata") == "20:30 IST"
    assert zone_label("Asia/Yerevan", winter) == "Yerevan time"  # the tz database says +04


# --- the slot invariants, for any roster ----------------------------------------------

ZONES = sorted(OFFICES.values())


@st.composite
def rosters(draw: st.DrawFn) -> list[Member]:
    size = draw(st.integers(2, 7))
    members = []
    for k in range(size):
        windows = draw(
            st.lists(
                st.tuples(st.sampled_from(["Tue", "Mon-Fri"]), st.integers(6, 16)),
                max_size=2,
            )
        )
        members.append(
            Member(
                id=f"p{k}",
                name=f"P{k}",
                timezone=draw(st.sampled_from(ZONES)),
                availability=tuple(f"{d} {h:02d}:00-{h + 3:02d}:00" for d, h in windows),
            )
        )
    return members


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=rosters(), data=st.data())
def test_slots_fit_everyone_and_never_overlap(members: list[Member], data: st.DataObject) -> None:
    folder = loaded(company(Path("/tmp") / "peerkit-hours-property"))
    program = folder.program
    ids = [m.id for m in members]
    matches = data.draw(
        st.lists(
            st.lists(st.sampled_from(ids), min_size=2, max_size=3, unique=True).map(tuple),
            min_size=1,
            max_size=5,
        )
    )
    days = meeting_days(program, program.start)
    by_id = {m.id: m for m in members}
    placed = place(program, by_id, [(m, "") for m in matches], days)
    span = 45
    booked: dict[str, list[int]] = {}
    for match, slot in zip(matches, placed, strict=True):
        minute = int(slot.time[:2]) * 60 + int(slot.time[3:])
        everyone = all(fits_all(program, by_id[m], minute, days) for m in match)
        assert slot.fits == everyone  # `fits` never lies
        for m in match:
            booked.setdefault(m, []).append(minute)
    for m, starts in booked.items():
        starts.sort()
        clashes = [b - a < span for a, b in itertools.pairwise(starts)]
        flagged = [not s.free for match, s in zip(matches, placed, strict=True) if m in match]
        assert not any(clashes) or any(flagged), (m, starts)


def test_a_time_hint_keeps_clear_of_the_members_other_matches(tmp_path: Path) -> None:
    """Berlin and New York share 09:00-10:15 (New York) on every meeting day: the mentor's
    two other matches take it, so check must not send the third into either of them."""
    root = company(tmp_path / "globex", hours="09:00-17:00")
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text(
        "round: r1\nmatches:\n"
        "  - id: match-01\n    members: [M21, E00]\n    time: '09:00'\n"
        "  - id: match-02\n    members: [M21, E02]\n    time: '09:45'\n"
        "  - id: match-03\n    members: [M21, E01]\n    time: '14:00'\n",
        encoding="utf-8",
    )
    check = run("check", str(root))
    err = check.stderr
    assert "warning[outside-hours]: match match-03 meets at 14:00 America/New_York" in err
    assert (
        "hint: every time inside everyone's hours and availability on every meeting day is "
        "taken by another of their matches (match-01, match-02)"
    ) in err
    # with one of them moved out of the way, the hint names the time left free
    text = (root / "rounds" / "r1.yaml").read_text(encoding="utf-8")
    (root / "rounds" / "r1.yaml").write_text(text.replace("'09:45'", "'12:00'"), "utf-8")
    err = run("check", str(root)).stderr
    assert (
        "hint: set `time: '10:00'` on match-03 (America/New_York): inside everyone's hours "
        "and availability, clear of their other matches"
    ) in err


def test_a_match_whose_common_times_its_members_other_matches_take_is_told_so(
    tmp_path: Path,
) -> None:
    folder = loaded(company(tmp_path / "globex", hours="09:00-17:00"))
    program = folder.program
    members = {m.id: m for m in folder.members}
    days = meeting_days(program, program.start)
    taken = [(("M21", "E00"), "09:00"), (("M21", "E02"), "09:45")]
    *_, third = place(program, members, [*taken, (("M21", "E01"), "")], days, [True, True])
    assert (third.fits, third.free, third.taken) == (False, True, True)
    assert third.time not in ("09:00", "09:45")
    # New York and Bangalore share no time of 09:00-17:00 at all: nothing is taken
    alone = place(program, members, [(("M00", "E30"), "")], days)[0]
    assert (alone.fits, alone.taken) == (False, False)
