"""Calendars: the bytes of the .ics files, and what real calendar programs make of them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerkit.build import BuildOptions
from peerkit.calendar import calendar_step, escape_text, fold
from peerkit.load import load_folder
from peerkit.model import Match
from peerkit.schedule import meetings_for, program_meetings
from tests.conftest import SAMPLE, UPDATE_GOLDEN, assert_golden, run

LA = ZoneInfo("America/Los_Angeles")
GOLDEN = Path(__file__).parent / "golden" / "calendar"
NOW = "2026-12-01T17:00:00Z"

# The sample program: second Tuesday 08:00, July skipped, 9 Nov moved to 16 Nov.
SAMPLE_DATES = [
    dt.date(2027, 1, 12),
    dt.date(2027, 2, 9),
    dt.date(2027, 3, 9),
    dt.date(2027, 4, 13),
    dt.date(2027, 5, 11),
    dt.date(2027, 6, 8),
    dt.date(2027, 8, 10),
    dt.date(2027, 9, 14),
    dt.date(2027, 10, 12),
    dt.date(2027, 11, 16),
    dt.date(2027, 12, 14),
    dt.date(2028, 1, 11),
]
# team-b meets on the second Wednesday at 18:30; the skip and the move apply to it too.
TEAM_B_DATES = [
    dt.date(2027, 1, 13),
    dt.date(2027, 2, 10),
    dt.date(2027, 3, 10),
    dt.date(2027, 4, 14),
    dt.date(2027, 5, 12),
    dt.date(2027, 6, 9),
    dt.date(2027, 8, 11),
    dt.date(2027, 9, 8),
    dt.date(2027, 10, 13),
    dt.date(2027, 11, 17),
    dt.date(2027, 12, 8),
    dt.date(2028, 1, 12),
]

HOSTILE_LOCATION = "Café Ñandú, Room 3; upstairs\\nDTSTART:19990101T000000\\\\"

ROUND = f"""\
round: test
matches:
  - id: team-a
    members: [ana-ruiz, ben-okafor, carla-jensen, dev-patel]
  - id: team-b
    members: [elena-petrova, frank-muller, grace-lee]
    day: second Wednesday
    time: "18:30"
    location: "{HOSTILE_LOCATION}"
  - id: team-c
    members: [hector-alvarez, imani-brooks, jon-whitcomb, kenji-sato]
"""

# Lines that may appear in our files: anything else would be an injected property.
ALLOWED = {
    "BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-CALNAME", "TZID",
    "DTSTART", "DTEND", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "UID", "DTSTAMP", "SEQUENCE",
    "STATUS", "SUMMARY", "LOCATION", "URL", "DESCRIPTION", "CATEGORIES", "ORGANIZER",
    "ATTENDEE", "TRANSP", "ACTION", "TRIGGER",
}  # fmt: skip


@pytest.fixture
def program(tmp_path: Path) -> Path:
    """The sample program with a hand-written round (independent of the matcher)."""
    target = tmp_path / "sample"
    shutil.copytree(
        SAMPLE, target, ignore=shutil.ignore_patterns("out", "rounds", "calendars.yaml")
    )
    (target / "rounds").mkdir()
    (target / "rounds" / "test.yaml").write_text(ROUND, encoding="utf-8")
    return target


def export(root: Path, *args: str) -> dict[str, bytes]:
    result = run("calendar", root, "--now", NOW, *args)
    assert result.exit_code == 0, result.stderr
    out = root / "out" / "calendars"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.ics"))}


def unfold(data: bytes) -> list[str]:
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]


def events(data: bytes) -> list[dict[str, str]]:
    """Each VEVENT's properties (name → raw value), parsed from the bytes by hand."""
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfold(data):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            found.append(current)
            current = None
        elif current is not None and not line.startswith(("BEGIN:VALARM", "END:VALARM")):
            name, _, value = line.partition(":")
            current.setdefault(name.split(";")[0], value)
            if name.startswith("ATTENDEE"):
                current["ATTENDEES"] = current.get("ATTENDEES", "") + value + " "
    return found


# --- the schedule -----------------------------------------------------------------------


def test_program_meetings_keep_wall_clock_time_across_dst() -> None:
    folder, _ = load_folder(SAMPLE)
    assert folder is not None
    meetings = program_meetings(folder.program)
    assert [m.date for m in meetings] == SAMPLE_DATES
    assert {m.start.timetz().replace(tzinfo=None) for m in meetings} == {dt.time(8)}
    offsets = [m.start.utcoffset() for m in meetings]
    assert offsets[0] == offsets[2] == offsets[9] == dt.timedelta(hours=-8)  # Jan, Mar, Nov
    assert offsets[3] == dt.timedelta(hours=-7)  # April: daylight time
    assert [m.number for m in meetings] == list(range(1, 13))
    assert meetings[9].moved
    assert meetings[9].planned == dt.date(2027, 11, 9)
    assert meetings[0].session.title.startswith("Kickoff")
    assert all(m.end - m.start == dt.timedelta(hours=3, minutes=30) for m in meetings)


def test_match_overrides_day_time_and_location_keeping_skips_and_moves() -> None:
    folder, _ = load_folder(SAMPLE)
    assert folder is not None
    match = Match("m", ("a", "b"), day="second Wednesday", time=dt.time(18, 30), location="Here")
    meetings = meetings_for(folder.program, match)
    assert [m.date for m in meetings] == TEAM_B_DATES
    assert all(m.start.hour == 18 and m.start.minute == 30 for m in meetings)
    assert {m.location for m in meetings} == {"Here"}
    assert meetings[9].moved
    assert meetings[9].planned == dt.date(2027, 11, 10)
    assert {m.match_id for m in meetings} == {"m"}
    assert meetings[0].members == ("a", "b")


# --- the text ---------------------------------------------------------------------------


def test_escape_text_escapes_specials_and_drops_line_breaks() -> None:
    assert escape_text("a,b;c\\d") == "a\\,b\\;c\\\\d"
    assert escape_text("one\r\ntwo\rthree\nfour\u2028five\x85six") == (
        "one\\ntwo\\nthree\\nfour\\nfive\\nsix"
    )
    assert escape_text("bell\x07tab\tok") == "belltab\tok"


def test_fold_keeps_utf8_characters_whole() -> None:
    line = "DESCRIPTION:" + "é" * 100 + "😀" * 30
    data = fold(line)
    physical = data.split(b"\r\n")[:-1]
    assert all(len(p) <= 75 for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    for part in physical:
        part.decode("utf-8")  # raises if a character was split
    assert b"".join(p[1:] if i else p for i, p in enumerate(physical)).decode() == line


@given(st.text(max_size=300))
def test_fold_and_escape_round_trip(text: str) -> None:
    data = fold("DESCRIPTION:" + escape_text(text))
    assert all(len(p) <= 75 for p in data.split(b"\r\n"))
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    value = unfold(data)[0].partition(":")[2]
    assert "\r" not in value
    assert "\n" not in value


# --- the files --------------------------------------------------------------------------


def test_files_for_program_each_match_and_each_member(program: Path) -> None:
    files = export(program)
    members = [
        "ana-ruiz", "ben-okafor", "carla-jensen", "dev-patel", "elena-petrova", "frank-muller",
        "grace-lee", "hector-alvarez", "imani-brooks", "jon-whitcomb", "kenji-sato",
    ]  # fmt: skip
    assert sorted(files) == sorted(
        ["program.ics"]
        + [f"matches/team-{x}.ics" for x in "abc"]
        + [f"members/{m}.ics" for m in members]
    )
    assert len(events(files["program.ics"])) == 36
    assert len(events(files["matches/team-b.ics"])) == 12
    ana = events(files["members/ana-ruiz.ics"])
    assert len(ana) == 12
    assert all("team-a" in e["SUMMARY"] for e in ana)


def test_raw_bytes_are_crlf_folded_and_only_known_properties(program: Path) -> None:
    for name, data in export(program).items():
        assert data.endswith(b"END:VCALENDAR\r\n"), name
        assert b"\n" not in data.replace(b"\r\n", b""), f"{name}: bare LF"
        assert b"\r" not in data.replace(b"\r\n", b""), f"{name}: bare CR"
        for physical in data.split(b"\r\n"):
            assert len(physical) <= 75, name
            physical.decode("utf-8")
        for line in unfold(data):
            assert re.split("[;:]", line, maxsplit=1)[0] in ALLOWED, f"{name}: {line[:60]}"
        uids = [e["UID"] for e in events(data)]
        assert len(uids) == len(set(uids)), f"{name}: a UID twice (khal would mix them up)"


def test_one_vevent_per_meeting_with_everything_a_client_needs(program: Path) -> None:
    files = export(program)
    team_a = events(files["matches/team-a.ics"])
    first = team_a[0]
    raw = unfold(files["matches/team-a.ics"])
    assert "DTSTART;TZID=America/Los_Angeles:20270112T080000" in raw
    assert "DTEND;TZID=America/Los_Angeles:20270112T113000" in raw
    assert (
        "SUMMARY:High Desert Peer Teams 2027: 1. Kickoff — who we are and how we work (team-a)"
        in raw
    )
    assert "LOCATION:Alliance boardroom\\, 150 NW Oregon Ave\\, Suite 2" in raw
    assert "URL:https://meet.example.org/high-desert-peer-teams" in raw
    assert 'ORGANIZER;CN="Renata Oyelaran":mailto:renata@highdesert-alliance.org' in raw
    assert (
        'ATTENDEE;CN="Ana Ruiz";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:'
        "mailto:ana@ruizlandscaping.example.com" in raw
    )
    assert "TRIGGER:-P1D" in raw
    assert "STATUS:CONFIRMED" in raw
    assert "SEQUENCE:0" in raw
    assert "CATEGORIES:High Desert Peer Teams 2027,Kickoff" in raw
    assert "DTSTAMP:20261201T170000Z" in raw
    description = first["DESCRIPTION"]
    assert "Topics: introductions\\, expectations\\, boundaries" in description
    assert "\\n08:00  Welcome and the year ahead (20 min)\\n08:20  Introductions" in description
    assert "Handout: out/agenda/session-01/team-a.html" in description
    moved = team_a[9]["DESCRIPTION"]
    assert "Moved from Tuesday 9 November 2027." in moved
    assert len({e["UID"] for e in events(files["program.ics"])}) == 36


def test_vtimezone_has_the_real_transitions(program: Path) -> None:
    raw = unfold(export(program)["program.ics"])
    start = raw.index("BEGIN:VTIMEZONE")
    block = raw[start : raw.index("END:VTIMEZONE")]
    onsets = [line for line in block if line.startswith("DTSTART:")]
    for onset in ("DTSTART:20270314T020000", "DTSTART:20271107T020000", "DTSTART:20280312T020000"):
        assert onset in onsets
    daylight = block.index("DTSTART:20270314T020000")
    assert block[daylight - 1] == "BEGIN:DAYLIGHT"
    assert block[daylight + 1 : daylight + 3] == ["TZOFFSETFROM:-0800", "TZOFFSETTO:-0700"]


def test_hostile_names_and_locations_cannot_inject_properties(program: Path) -> None:
    members = program / "members.yaml"
    text = members.read_text(encoding="utf-8")
    text = text.replace(
        "name: Ana Ruiz", 'name: "Ana\\nORGANIZER:mailto:evil@example.com;X=\\"1\\", Ruiz"', 1
    )
    text = text.replace(
        "  - id: ben-okafor\n",
        "  - id: ben-okafor\n    notes: SECRET-NOTE never print me\n",
        1,
    )
    members.write_text(text, encoding="utf-8")
    files = export(program)
    data = files["matches/team-a.ics"]
    assert b"\r\nORGANIZER:mailto:evil" not in data
    assert b"\nORGANIZER:mailto:evil" not in data
    assert b"SECRET-NOTE" not in b"".join(files.values())
    assert b"SECRET-NOTE" not in (program / "calendars.yaml").read_bytes()
    raw = unfold(data)
    assert [line for line in raw if line.startswith("ORGANIZER")] == [
        'ORGANIZER;CN="Renata Oyelaran":mailto:renata@highdesert-alliance.org'
    ] * 12
    assert any(
        line.startswith("ATTENDEE;CN=\"Ana ORGANIZER:mailto:evil@example.com;X='1'") for line in raw
    )
    # the hostile location is one escaped LOCATION value, and parses back to itself
    team_b = unfold(files["matches/team-b.ics"])
    assert "LOCATION:Café Ñandú\\, Room 3\\; upstairs\\nDTSTART:19990101T000000\\\\" in team_b
    import icalendar

    calendar = icalendar.Calendar.from_ical(files["matches/team-b.ics"])
    locations = {str(e["LOCATION"]) for e in calendar.walk("VEVENT")}
    assert locations == {"Café Ñandú, Room 3; upstairs\nDTSTART:19990101T000000\\"}
    starts = [e.decoded("DTSTART") for e in calendar.walk("VEVENT")]
    assert min(starts).year == 2027


# --- real consumers ---------------------------------------------------------------------


def expected_starts(dates: list[dt.date], time: dt.time) -> list[dt.datetime]:
    return [dt.datetime.combine(day, time, tzinfo=LA) for day in dates]


def test_icalendar_vobject_and_recurring_ical_events_read_the_expected_meetings(
    program: Path,
) -> None:
    import icalendar
    import recurring_ical_events
    import vobject

    files = export(program)
    expected = {
        "matches/team-a.ics": expected_starts(SAMPLE_DATES, dt.time(8)),
        "matches/team-b.ics": expected_starts(TEAM_B_DATES, dt.time(18, 30)),
        "members/grace-lee.ics": expected_starts(TEAM_B_DATES, dt.time(18, 30)),
    }
    for name, data in files.items():
        calendar = icalendar.Calendar.from_ical(data)
        parsed = list(vobject.readComponents(data.decode("utf-8")))
        assert len(parsed) == 1, name
        assert len(parsed[0].vevent_list) == len(calendar.walk("VEVENT")), name
        occurrences = recurring_ical_events.of(calendar).between(
            dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2029, 1, 1, tzinfo=dt.UTC)
        )
        starts = sorted(o.decoded("DTSTART") for o in occurrences)
        if name in expected:
            assert starts == expected[name], name
            # same instants, and the wall-clock time stays put across both DST changes
            assert [s.astimezone(LA).time() for s in starts] == [e.time() for e in expected[name]]
            vstarts = sorted(e.dtstart.value for e in parsed[0].vevent_list)
            assert vstarts == expected[name], name
    utc = [s.astimezone(dt.UTC) for s in expected_starts(SAMPLE_DATES, dt.time(8))]
    assert [u.hour for u in utc] == [16, 16, 16, 15, 15, 15, 15, 15, 15, 16, 16, 16]


def test_re_export_after_move_and_re_match_updates_and_cancels(program: Path) -> None:
    first = export(program)
    uids = {e["UID"]: e for e in events(first["program.ics"])}
    # the coordinator moves the March meeting and re-matches: grace moves to team-a,
    # team-c is dissolved
    program_yaml = program / "program.yaml"
    program_yaml.write_text(
        program_yaml.read_text(encoding="utf-8").replace(
            "  moved:\n", "  moved:\n    2027-03-09: 2027-03-16\n"
        ),
        encoding="utf-8",
    )
    (program / "rounds" / "test.yaml").write_text(
        textwrap.dedent("""\
            round: test
            matches:
              - id: team-a
                members: [ana-ruiz, ben-okafor, carla-jensen, dev-patel, grace-lee]
              - id: team-b
                members: [elena-petrova, frank-muller]
                day: second Wednesday
                time: "18:30"
        """),
        encoding="utf-8",
    )
    result = run("calendar", program, "--now", "2027-02-20T10:00:00Z", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"] == {"cancelled": 12, "updated": 24}
    second = {
        str(p.relative_to(program / "out" / "calendars")): p.read_bytes()
        for p in (program / "out" / "calendars").rglob("*.ics")
    }
    after = events(second["program.ics"])
    assert {e["UID"] for e in after} == set(uids)  # same UIDs: updated, not duplicated
    by_uid = {e["UID"]: e for e in after}
    team_a = [e for e in after if "(team-a)" in e["SUMMARY"]]
    assert {e["SEQUENCE"] for e in team_a} == {"1"}  # grace joined: every meeting changed
    march = next(e for e in team_a if e["SUMMARY"].startswith("High Desert Peer Teams 2027: 3."))
    assert march["DTSTART"] == "20270316T080000"
    assert "grace@" in march["ATTENDEES"]
    cancelled = [e for e in after if e["STATUS"] == "CANCELLED"]
    assert len(cancelled) == 12
    assert all("(team-c)" in e["SUMMARY"] for e in cancelled)
    assert all(e["SEQUENCE"] == "1" for e in cancelled)
    assert all(e["SUMMARY"].startswith("Cancelled: ") for e in cancelled)
    assert all(e["DTSTAMP"] == "20270220T100000Z" for e in after)
    for name, data in second.items():
        in_file = [e["UID"] for e in events(data)]
        assert len(in_file) == len(set(in_file)), name
    # grace's own calendar cancels her old team's meetings and holds her new team's
    grace = events(second["members/grace-lee.ics"])
    assert sorted((e["STATUS"], e["SUMMARY"][-8:]) for e in grace)[0] == ("CANCELLED", "(team-b)")
    assert sum(e["STATUS"] == "CONFIRMED" and "(team-a)" in e["SUMMARY"] for e in grace) == 12
    assert sum(e["STATUS"] == "CANCELLED" and "(team-b)" in e["SUMMARY"] for e in grace) == 12
    # team-c's members get the cancellation; a dissolved match keeps its file of cancellations
    assert {e["STATUS"] for e in events(second["members/kenji-sato.ics"])} == {"CANCELLED"}
    assert {e["STATUS"] for e in events(second["matches/team-c.ics"])} == {"CANCELLED"}
    for uid, old in uids.items():
        if "(team-b)" in old["SUMMARY"]:
            assert by_uid[uid]["SEQUENCE"] == "1"
    # a third export with nothing changed: same bytes, the cancellation is not sent again
    # with a higher SEQUENCE
    third = run("calendar", program, "--now", "2027-02-20T10:00:00Z", "--format", "json")
    assert json.loads(third.stdout)["counts"] == {"cancelled": 12, "unchanged": 24}
    again = {
        str(p.relative_to(program / "out" / "calendars")): p.read_bytes()
        for p in (program / "out" / "calendars").rglob("*.ics")
    }
    assert again == second
    # bringing team-c back reinstates its meetings with a higher SEQUENCE still
    (program / "rounds" / "test.yaml").write_text(ROUND, encoding="utf-8")
    fourth = run("calendar", program, "--now", "2027-02-21T10:00:00Z", "--format", "json")
    report = json.loads(fourth.stdout)
    team_c = [e for e in report["events"] if e["match"] == "team-c"]
    assert {(e["change"], e["sequence"], e["status"]) for e in team_c} == {
        ("reinstated", 2, "confirmed")
    }


def test_same_input_gives_identical_bytes_and_stamp_comes_from_data(program: Path) -> None:
    first = run("calendar", program)
    assert first.exit_code == 0, first.stderr
    files = {p: p.read_bytes() for p in sorted(program.rglob("*.ics"))}
    state = (program / "calendars.yaml").read_bytes()
    second = run("calendar", program)
    assert second.exit_code == 0
    assert {p: p.read_bytes() for p in sorted(program.rglob("*.ics"))} == files
    assert (program / "calendars.yaml").read_bytes() == state
    program_ics = program / "out" / "calendars" / "program.ics"
    assert {e["DTSTAMP"] for e in events(program_ics.read_bytes())} == {"20270101T000000Z"}


def test_method_request_writes_invitations_and_cancel_files(program: Path) -> None:
    export(program)
    (program / "rounds" / "test.yaml").write_text(
        ROUND.split("  - id: team-c")[0].replace("grace-lee]", "]").replace(", ]", "]"),
        encoding="utf-8",
    )
    result = run("calendar", program, "--method", "request", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    out = program / "out" / "calendars"
    invites = sorted(str(p.relative_to(out / "invites")) for p in (out / "invites").rglob("*"))
    assert "team-a/session-01.ics" in invites
    assert "team-c/session-12.cancel.ics" in invites
    assert "team-c/session-01.ics" not in invites
    invite = (out / "invites" / "team-a" / "session-03.ics").read_bytes()
    assert b"\r\nMETHOD:REQUEST\r\n" in invite
    assert len(events(invite)) == 1
    assert "DTSTART;TZID=America/Los_Angeles:20270309T080000" in unfold(invite)
    cancel = (out / "invites" / "team-c" / "session-01.cancel.ics").read_bytes()
    assert b"\r\nMETHOD:CANCEL\r\n" in cancel
    assert [e["STATUS"] for e in events(cancel)] == ["CANCELLED"]
    # grace left team-b: her meetings there are cancelled for her, not for team-b
    removed = (out / "invites" / "team-b" / "session-02.cancel.ics").read_bytes()
    assert [e["STATUS"] for e in events(removed)] == ["CANCELLED"]
    assert b"METHOD" not in (out / "program.ics").read_bytes()


# --- khal and calcurse --------------------------------------------------------------------


def _khal() -> Path | None:
    found = shutil.which("khal") or shutil.which("khal", path=str(Path(sys.executable).parent))
    return Path(found) if found else None


def khal_list(tmp: Path, ics: Path, local_tz: str) -> list[str]:
    khal = _khal()
    assert khal is not None
    store = tmp / "khal-cal"
    store.mkdir(parents=True, exist_ok=True)
    config = tmp / "khal.conf"
    config.write_text(
        textwrap.dedent(f"""\
            [calendars]
            [[peer]]
            path = {store}
            type = calendar
            [locale]
            timeformat = %H:%M
            dateformat = %Y-%m-%d
            longdateformat = %Y-%m-%d
            datetimeformat = %Y-%m-%d %H:%M
            longdatetimeformat = %Y-%m-%d %H:%M
            local_timezone = {local_tz}
            default_timezone = {local_tz}
            [default]
            default_calendar = peer
        """),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
        "XDG_CACHE_HOME": str(tmp / "xdg-cache"),
    }
    base = [str(khal), "-c", str(config)]
    imported = subprocess.run(
        [*base, "import", "--batch", "-a", "peer", str(ics)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    listed = subprocess.run(
        [*base, "list", "--once", "--day-format", "", "--format", "{start} {title} [{status}]",
         "2026-12-01", "500d"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    return [line for line in listed.stdout.splitlines() if line.strip()]


@pytest.mark.skipif(_khal() is None, reason="khal is not installed (pip install khal)")
def test_khal_lists_exactly_the_expected_meetings(program: Path, tmp_path: Path) -> None:
    files = export(program)
    del files
    member = program / "out" / "calendars" / "members" / "grace-lee.ics"
    lines = khal_list(tmp_path / "la", member, "America/Los_Angeles")
    expected = [f"{d:%Y-%m-%d} 18:30" for d in TEAM_B_DATES]
    assert [line[:16] for line in lines] == expected
    assert all("(team-b)" in line and "[CONFIRMED]" in line.replace(" ]", "]") for line in lines)
    # in New York the same meetings are three hours later, March and November included
    lines = khal_list(tmp_path / "ny", member, "America/New_York")
    assert [line[:16] for line in lines] == [f"{d:%Y-%m-%d} 21:30" for d in TEAM_B_DATES]
    # the program file: 36 distinct events, none mixed up by a shared UID
    lines = khal_list(tmp_path / "all", program / "out" / "calendars" / "program.ics", "UTC")
    assert len(lines) == 36


@pytest.mark.skipif(shutil.which("calcurse") is None, reason="calcurse is not installed (apt)")
def test_calcurse_lists_exactly_the_expected_meetings(program: Path, tmp_path: Path) -> None:
    export(program)

    def listing(ics: Path, tz: str, name: str) -> list[str]:
        home = tmp_path / name
        home.mkdir()
        env = {**os.environ, "TZ": tz, "HOME": str(home)}
        imported = subprocess.run(
            ["calcurse", "-D", str(home), "-i", str(ics)],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert imported.returncode == 0, imported.stderr
        assert "0 skipped" in imported.stdout, imported.stdout
        listed = subprocess.run(
            ["calcurse", "-D", str(home), "-Q", "--from", "12/01/2026", "--days", "500",
             "--format-apt", "%(start:%Y-%m-%d %H:%M) %m\\n"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert listed.returncode == 0, listed.stderr
        return [line for line in listed.stdout.splitlines() if line[:2] == "20"]

    team_a = program / "out" / "calendars" / "matches" / "team-a.ics"
    lines = listing(team_a, "America/Los_Angeles", "la")
    assert [line[:16] for line in lines] == [f"{d:%Y-%m-%d} 08:00" for d in SAMPLE_DATES]
    assert all(line.endswith("(team-a)") for line in lines)
    lines = listing(team_a, "Europe/Berlin", "berlin")
    # Berlin and Los Angeles change clocks on different days: 17:00 in winter, 17:00 in
    # summer, but 16:00 in the weeks between (14-28 March 2027 is not among the dates)
    berlin = [
        dt.datetime.combine(d, dt.time(8), tzinfo=LA).astimezone(ZoneInfo("Europe/Berlin"))
        for d in SAMPLE_DATES
    ]
    assert [line[:16] for line in lines] == [f"{b:%Y-%m-%d %H:%M}" for b in berlin]
    lines = listing(program / "out" / "calendars" / "program.ics", "America/Los_Angeles", "all")
    assert len(lines) == 36


# --- the command ------------------------------------------------------------------------


def test_no_round_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("out", "rounds"))
    result = run("calendar", target)
    assert result.exit_code == 1
    assert "there is no round file in rounds/" in result.stderr
    assert "peerkit match" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_round_and_only_are_usage_errors(program: Path) -> None:
    result = run("calendar", program, "--round", "tset")
    assert result.exit_code == 2
    assert "no round 'tset'" in result.stderr
    assert "did you mean 'test'?" in result.stderr
    result = run("calendar", program, "--only", "team-x")
    assert result.exit_code == 2
    assert "no match or member 'team-x'" in result.stderr
    result = run("calendar", program, "--now", "yesterday")
    assert result.exit_code == 2  # a usage error
    assert "--now" in result.stderr


def test_only_and_dry_run(program: Path) -> None:
    result = run("calendar", program, "--only", "ana-ruiz", "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["files"] == ["calendars.yaml", "out/calendars/members/ana-ruiz.ics"]
    assert report["dry_run"] is True
    assert not (program / "out").exists()
    assert not (program / "calendars.yaml").exists()
    assert report["counts"] == {"new": 36}
    result = run("calendar", program, "--only", "team-b")
    assert result.exit_code == 0
    assert sorted(p.name for p in (program / "out" / "calendars").rglob("*.ics")) == ["team-b.ics"]
    assert "wrote" in result.stdout
    assert "36 new" in result.stderr


def test_broken_state_file_is_reported_not_crashed(program: Path) -> None:
    (program / "calendars.yaml").write_text("rounds: [1, 2\n", encoding="utf-8")
    result = run("calendar", program)
    assert result.exit_code == 1
    assert "calendars.yaml" in result.stderr
    assert "cannot be read" in result.stderr
    assert "Traceback" not in result.stderr
    (program / "calendars.yaml").write_text("rounds:\n  test:\n    team-a: 3\n", encoding="utf-8")
    result = run("calendar", program)
    assert result.exit_code == 1
    assert "not what `peerkit calendar` wrote" in result.stderr


def test_method_request_needs_an_organizer(program: Path) -> None:
    text = (program / "program.yaml").read_text(encoding="utf-8")
    (program / "program.yaml").write_text(
        text.replace("  email: renata@highdesert-alliance.org\n", ""), encoding="utf-8"
    )
    result = run("calendar", program, "--method", "request")
    assert result.exit_code == 1
    assert "--method request needs the program contact's email" in result.stderr


def test_build_writes_calendars_or_says_why_not(program: Path, tmp_path: Path) -> None:
    result = run("build", program, "--now", NOW)
    assert result.exit_code == 0, result.stderr
    assert "calendar: round test: 36 new" in result.stderr
    assert (program / "out" / "calendars" / "program.ics").is_file()
    assert (program / "calendars.yaml").is_file()
    bare = tmp_path / "bare"
    shutil.copytree(SAMPLE, bare, ignore=shutil.ignore_patterns("out", "rounds"))
    folder, _ = load_folder(bare)
    assert folder is not None
    made = calendar_step(folder, BuildOptions())
    assert made.files == {}
    assert made.notes == ["skipped: no round file in rounds/ yet (run `peerkit match` first)"]


def test_check_accepts_the_state_file(program: Path) -> None:
    export(program)
    result = run("check", program)
    assert result.exit_code == 0, result.stderr


# --- golden files ---------------------------------------------------------------------------


def test_golden_files(program: Path) -> None:
    files = export(program)
    wanted = {
        "program.ics": files["program.ics"],
        "team-b.ics": files["matches/team-b.ics"],
        "ana-ruiz.ics": files["members/ana-ruiz.ics"],
        "calendars.yaml": (program / "calendars.yaml").read_bytes(),
    }
    for name, data in wanted.items():
        assert_golden(GOLDEN / name, data)


def test_golden_sample_program(tmp_path: Path) -> None:
    """The shipped sample program with its round, as a coordinator first exports it.

    The round is the copy kept next to the golden file (refreshed from sample-program/ with
    PEERKIT_UPDATE_GOLDEN=1), so a re-tuned matcher does not change this test's input.
    """
    target = tmp_path / "sample"
    shutil.copytree(
        SAMPLE, target, ignore=shutil.ignore_patterns("out", "rounds", "calendars.yaml")
    )
    kept = GOLDEN / "sample-round.yaml"
    if UPDATE_GOLDEN:
        shutil.copyfile(SAMPLE / "rounds" / "2027.yaml", kept)
    (target / "rounds").mkdir()
    shutil.copyfile(kept, target / "rounds" / "2027.yaml")
    files = export(target)
    matches = [name for name in files if name.startswith("matches/")]
    assert len(events(files["program.ics"])) == 12 * len(matches)
    assert_golden(GOLDEN / "sample-program.ics", files["program.ics"])


def test_uid_is_uuid5_of_program_id_round_match_and_planned_date() -> None:
    import uuid

    from peerkit.calendar import NAMESPACE, event_uid, legacy_uid

    name = "high-desert\x1f2027\x1fteam-ü\x1f2027-03-09"
    assert event_uid("high-desert", "2027", "team-ü", dt.date(2027, 3, 9)) == str(
        uuid.uuid5(NAMESPACE, name)
    )
    # the UIDs sent before they were kept in calendars.yaml: by program name and session
    old = "High Desert Peer Teams 2027\x1f2027\x1fteam-ü\x1f3"
    assert legacy_uid("High Desert Peer Teams 2027", "2027", "team-ü", 3) == str(
        uuid.uuid5(NAMESPACE, old)
    )


def test_messy_folder_warns_and_still_writes_clean_files(tmp_path: Path) -> None:
    import icalendar

    root = tmp_path / "messy"
    (root / "rounds").mkdir(parents=True)
    (root / "program.yaml").write_text(
        textwrap.dedent("""\
            name: "Mentors, Inc; \\"night\\" cohort"
            timezone: Europe/Berlin
            start: 2027-03-01
            end: 2027-05-31
            format: pairs
            contact: {name: "Zoë Coordinator", email: zoe@example.org}
            meetings: {cadence: weekly, day: Sunday, time: "02:30", duration: 45m,
                       video: "https://meet.example.org/a b", reminder: 2h}
        """),
        encoding="utf-8",
    )
    (root / "members.csv").write_text(
        'id,name,email\na1,Åsa Öberg,asa@example.org\nb2,"Bob ""Bobby"" Tables; DROP",\n'
        "c3,Chloé 😀 Durand,chloe@example.org\nd4,Dan,dan@example.org\n",
        encoding="utf-8",
    )
    (root / "rounds" / "r1.yaml").write_text(
        "round: r1\nmatches:\n"
        '  - {id: "p/1", members: [a1, b2], day: someday}\n'
        '  - {id: p2, members: [c3, d4], location: "https://zoom.example.org/x"}\n',
        encoding="utf-8",
    )
    result = run("calendar", root)
    assert result.exit_code == 0, result.stderr
    assert "r1.yaml:3:5: warning[calendar-day]: match p/1: day 'someday' is not used" in (
        result.stderr
    )
    assert "warning[link]: meetings.video" in result.stderr
    assert "1 member(s) have no usable email" in result.stderr
    out = root / "out" / "calendars"
    assert (out / "matches" / "p-1-765c67.ics").is_file()  # no path separator in a name
    for path in out.rglob("*.ics"):
        data = path.read_bytes()
        assert all(len(line) <= 75 for line in data.split(b"\r\n"))
        calendar = icalendar.Calendar.from_ical(data)
        assert calendar.walk("VEVENT")
        assert unfold(data)[4].startswith('X-WR-CALNAME:Mentors\\, Inc\\; "night" cohort')
    p2 = unfold((out / "matches" / "p2.ics").read_bytes())
    assert "URL:https://zoom.example.org/x" in p2  # a match's link is its video
    assert "TRIGGER:-PT2H" in p2
    # 28 March 2027: 02:30 does not exist in Berlin; the clocks read 03:30 at that moment
    assert "DTSTART;TZID=Europe/Berlin:20270328T033000" in p2
    assert "DTEND;TZID=Europe/Berlin:20270328T041500" in p2
    b2 = unfold((out / "members" / "b2.ics").read_bytes())
    assert not any(line.startswith("ATTENDEE") and "Bobby" in line for line in b2)
    assert any('Who: Åsa Öberg\\, Bob "Bobby" Tables\\; DROP' in line for line in b2)


@pytest.mark.skipif(_khal() is None, reason="khal is not installed (pip install khal)")
def test_khal_re_import_updates_and_cancels_instead_of_duplicating(
    program: Path, tmp_path: Path
) -> None:
    export(program)
    ics = program / "out" / "calendars" / "members" / "kenji-sato.ics"
    before = khal_list(tmp_path, ics, "America/Los_Angeles")
    assert [line[:16] for line in before] == [f"{d:%Y-%m-%d} 08:00" for d in SAMPLE_DATES]
    program_yaml = program / "program.yaml"
    program_yaml.write_text(
        program_yaml.read_text(encoding="utf-8").replace(
            "  moved:\n", "  moved:\n    2027-03-09: 2027-03-16\n"
        ),
        encoding="utf-8",
    )
    (program / "rounds" / "test.yaml").write_text(
        ROUND.replace("kenji-sato]", "kenji-sato]\n    location: Room 9"), encoding="utf-8"
    )
    export(program)
    after = khal_list(tmp_path, ics, "America/Los_Angeles")
    moved = [d if d != dt.date(2027, 3, 9) else dt.date(2027, 3, 16) for d in SAMPLE_DATES]
    assert [line[:16] for line in after] == [f"{d:%Y-%m-%d} 08:00" for d in moved]
    # team-c is dissolved: kenji's calendar keeps 12 events, each now cancelled
    (program / "rounds" / "test.yaml").write_text(
        ROUND.split("  - id: team-c")[0], encoding="utf-8"
    )
    export(program)
    cancelled = khal_list(tmp_path, ics, "America/Los_Angeles")
    assert len(cancelled) == 12
    assert all("CANCELLED" in line for line in cancelled)


def test_library_reports_progress_and_returns_files_without_writing(program: Path) -> None:
    from peerkit.calendar import render_calendars

    folder, _ = load_folder(program)
    assert folder is not None
    seen: list[tuple[str, float]] = []
    result = render_calendars(
        folder,
        now=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        progress=lambda p, f: seen.append((p, f)),
    )
    assert seen[0] == ("calendar events", 0.0)
    assert seen[-1] == ("calendar files", 1.0)
    assert "out/calendars/program.ics" in result.files
    assert not (program / "out").exists()
    assert not (program / "calendars.yaml").exists()


@pytest.mark.parametrize(
    "tzid", ["America/Los_Angeles", "Europe/Berlin", "Australia/Sydney", "Asia/Tokyo", "UTC"]
)
def test_vtimezone_agrees_with_zoneinfo_every_six_hours(tzid: str) -> None:
    from peerkit.calendar import vtimezone

    lines = vtimezone(tzid, 2027, 2028)
    onsets: list[tuple[dt.datetime, dt.timedelta]] = []
    start = offset_from = offset_to = ""
    for line in lines:
        name, _, value = line.partition(":")
        if name == "DTSTART":
            start = value
        elif name == "TZOFFSETFROM":
            offset_from = value
        elif name == "TZOFFSETTO":
            offset_to = value
        elif name == "END" and value in ("STANDARD", "DAYLIGHT"):

            def delta(text: str) -> dt.timedelta:
                sign = -1 if text[0] == "-" else 1
                return sign * dt.timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))

            wall = dt.datetime.strptime(start, "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
            onsets.append((wall - delta(offset_from), delta(offset_to)))
    assert onsets == sorted(onsets)
    zone = ZoneInfo(tzid)
    moment = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    while moment < dt.datetime(2029, 1, 1, tzinfo=dt.UTC):
        offset = [o for onset, o in onsets if onset <= moment][-1]
        assert offset == moment.astimezone(zone).utcoffset(), moment
        moment += dt.timedelta(hours=6)


def test_member_who_left_gets_later_meetings_cancelled(program: Path) -> None:
    members = program / "members.yaml"
    members.write_text(
        members.read_text(encoding="utf-8").replace(
            "    email: ana@ruizlandscaping.example.com\n",
            "    email: ana@ruizlandscaping.example.com\n    left: 2027-06-01\n",
            1,
        ),
        encoding="utf-8",
    )
    files = export(program)
    ana = events(files["members/ana-ruiz.ics"])
    statuses = [e["STATUS"] for e in sorted(ana, key=lambda e: e["DTSTART"])]
    assert statuses == ["CONFIRMED"] * 5 + ["CANCELLED"] * 7
    team_a = sorted(events(files["matches/team-a.ics"]), key=lambda e: e["DTSTART"])
    assert "mailto:ana@" in team_a[4]["ATTENDEES"]
    assert "mailto:ana@" not in team_a[5]["ATTENDEES"]


def test_meetings_in_the_repeated_autumn_hour_are_written_in_utc(tmp_path: Path) -> None:
    root = tmp_path / "dst"
    root.mkdir()
    (root / "program.yaml").write_text(
        "name: Night owls\ntimezone: Europe/Berlin\nstart: 2027-10-01\nend: 2027-11-15\n"
        "format: pairs\nmeetings: {cadence: weekly, day: Sunday, time: '02:30', duration: 1h}\n"
    )
    (root / "members.yaml").write_text("- {id: a, name: A}\n- {id: b, name: B}\n")
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text("matches:\n  - {id: p1, members: [a, b]}\n")
    assert run("calendar", root, "--now", "2027-09-01").exit_code == 0
    lines = unfold((root / "out" / "calendars" / "matches" / "p1.ics").read_bytes())
    # 31 October: 02:30 happens twice; local time cannot say which, UTC can
    assert "DTSTART:20271031T003000Z" in lines
    assert "DTEND:20271031T013000Z" in lines
    assert "DTSTART;TZID=Europe/Berlin:20271024T023000" in lines
    assert lines.count("BEGIN:VEVENT") == 7
