"""Calendars: the bytes of the .ics files, and what real calendar programs make of them."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerkit.build import BuildOptions
from peerkit.calendar import calendar_step
from peerkit.ics import text_line
from peerkit.load.folder import load_folder
from peerkit.model import DayRule, Match
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
    "ATTENDEE", "TRANSP", "ACTION", "TRIGGER", "COMMENT", "RDATE",
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
    match = Match(
        "m",
        ("a", "b"),
        day=DayRule.parse("second Wednesday"),
        time=dt.time(18, 30),
        location="Here",
    )
    meetings = meetings_for(folder.program, match)
    assert [m.date for m in meetings] == TEAM_B_DATES
    assert all(m.start.hour == 18 and m.start.minute == 30 for m in meetings)
    assert {m.location for m in meetings} == {"Here"}
    assert meetings[9].moved
    assert meetings[9].planned == dt.date(2027, 11, 10)
    assert {m.match_id for m in meetings} == {"m"}
    assert meetings[0].members == ("a", "b")


# --- the text ---------------------------------------------------------------------------


def test_text_is_escaped_and_every_line_break_becomes_one() -> None:
    assert text_line("SUMMARY", "a,b;c\\d") == b"SUMMARY:a\\,b\\;c\\\\d\r\n"
    assert text_line("SUMMARY", "one\r\ntwo\rthree\nfour\u2028five\x85six") == (
        b"SUMMARY:one\\ntwo\\nthree\\nfour\\nfive\\nsix\r\n"
    )
    assert text_line("SUMMARY", "bell\x07tab\tok") == b"SUMMARY:belltab\tok\r\n"


def test_folds_keep_utf8_characters_whole() -> None:
    data = text_line("DESCRIPTION", "é" * 100 + "😀" * 30)
    physical = data.split(b"\r\n")[:-1]
    assert all(len(p) <= 75 for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    for part in physical:
        part.decode("utf-8")  # raises if a character was split
    value = b"".join(p[1:] if i else p for i, p in enumerate(physical)).decode()
    assert value == "DESCRIPTION:" + "é" * 100 + "😀" * 30


@given(st.text(max_size=300))
def test_any_text_stays_one_property_and_reads_back(text: str) -> None:
    import icalendar

    data = text_line("DESCRIPTION", text)
    assert all(len(p) <= 75 for p in data.split(b"\r\n"))
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    value = unfold(data)[0].partition(":")[2]
    assert "\r" not in value
    assert "\n" not in value
    event = icalendar.Event.from_ical(b"BEGIN:VEVENT\r\n" + data + b"END:VEVENT\r\n")
    kept = "".join(c for c in text if c == "\t" or c == "\n" or c >= " ")
    assert str(event["DESCRIPTION"]).replace("\n", "") == kept.replace("\n", "").replace(
        "\x7f", ""
    ).replace("\x85", "").replace("\u2028", "").replace("\u2029", "")


_ESCAPE_TEXT = st.lists(
    st.one_of(
        st.characters(), st.sampled_from(["\\", "\\N", ";", ",", "\r\n", "\r", "\n", "\x85"])
    ),
    max_size=80,
).map("".join)


@given(_ESCAPE_TEXT)
def test_text_is_escaped_as_the_library_escapes_it(text: str) -> None:
    from icalendar import vText

    from peerkit.ics import clean_text, escape_text

    assert escape_text(text) == vText(clean_text(text)).to_ical().decode("utf-8")


_FOLD_TEXT = st.text(
    alphabet=st.sampled_from(["a", "\\", "^", ",", ";", "é", "😀", "中", " ", "N", "\r"]),
    max_size=400,
)


@given(_FOLD_TEXT)
def test_a_line_is_folded_as_the_library_folds_it(text: str) -> None:
    from icalendar.parser import Contentline

    from peerkit.ics import escape_text, fold

    line = f"DESCRIPTION:{escape_text(text)}"
    assert fold(line) == Contentline(line).to_ical()


@given(_FOLD_TEXT, st.integers(min_value=0, max_value=80))
def test_a_shared_beginning_folded_once_gives_the_whole_line(text: str, shift: int) -> None:
    from peerkit.ics import escape_text, folded_after

    # a shared beginning ends a line (no escape or line break runs across the join); the
    # padding puts a backslash or a wide character at every place of a fold
    head, rest = "x" * shift + text[: shift * 2] + "\n", text[shift * 2 :]
    expected = text_line("DESCRIPTION", head + rest)
    assert folded_after("DESCRIPTION", head, escape_text(rest)) == expected


_NAME_TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", "Ñ", " ", "'", '"', "^", ",", ";", ":", "\u2019", "\n", "\t", "中"]
    ),
    max_size=40,
)
_ADDRESS = st.sampled_from(["ana@example.org", "o'brien+x@example.org", "zoë@example.org"])
_PARAMS = st.sampled_from(
    [
        {},
        {"role": "REQ-PARTICIPANT", "partstat": "NEEDS-ACTION", "rsvp": "TRUE"},
        {"role": "CHAIR"},
        {"rsvp": "TRUE", "cutype": "INDIVIDUAL"},
        {"partstat": "needs action"},
        {"dir": "ABC"},
    ]
)


@given(_NAME_TEXT, _ADDRESS, _PARAMS)
def test_an_address_line_is_written_as_the_library_writes_it(
    name: str, email: str, params: dict[str, str]
) -> None:
    from icalendar import vCalAddress

    from peerkit.ics import address_line, content_line, one_line

    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = one_line(name) or email
    for key, value in params.items():
        address.params[key.upper()] = value
    expected = content_line("ATTENDEE", address)
    assert address_line("ATTENDEE", email, name, **params) == expected


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
        'ATTENDEE;CN="Ana Ruiz";PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT;RSVP=TRUE:'
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
    assert "Handout" not in description  # no `handouts_url:`: no path on the coordinator's disk
    moved = team_a[9]["DESCRIPTION"]
    assert "Moved from Tuesday 9 November 2027." in moved
    assert len({e["UID"] for e in events(files["program.ics"])}) == 36


def test_handouts_url_links_each_matchs_published_handout(program: Path) -> None:
    import icalendar

    program_yaml = program / "program.yaml"
    text = program_yaml.read_text(encoding="utf-8")
    program_yaml.write_text(
        text.replace("contact:\n", "handouts_url: https://example.org/hd/handouts/\ncontact:\n"),
        encoding="utf-8",
    )
    files = export(program)
    calendar = icalendar.Calendar.from_ical(files["matches/team-b.ics"])
    descriptions = [str(e["DESCRIPTION"]) for e in calendar.walk("VEVENT")]
    assert "Handout: https://example.org/hd/handouts/session-01/team-b.html" in descriptions[0]
    assert "Handout: https://example.org/hd/handouts/session-12/team-b.html" in descriptions[11]
    assert not any("out/agenda" in d for d in descriptions)
    # the link is to what `peerkit agenda` writes for that match and session
    assert run("agenda", program, "--session", "1", "--now", NOW).exit_code == 0
    assert (program / "out" / "agenda" / "session-01" / "team-b.html").is_file()


def test_a_handouts_url_that_is_no_link_is_an_error_at_its_line(program: Path) -> None:
    program_yaml = program / "program.yaml"
    text = program_yaml.read_text(encoding="utf-8")
    program_yaml.write_text(
        text.replace("contact:\n", "handouts_url: out/agenda\ncontact:\n"), encoding="utf-8"
    )
    line = program_yaml.read_text(encoding="utf-8").splitlines().index("handouts_url: out/agenda")
    result = run("calendar", program, "--now", NOW)
    assert result.exit_code == 1
    assert (
        f"program.yaml:{line + 1}:15: error[url]: handouts_url: 'out/agenda' is not a web link"
        in (result.stderr)
    )
    assert "https://" in result.stderr  # the hint
    assert not (program / "out" / "calendars").exists()


def test_vtimezone_has_the_real_transitions(program: Path) -> None:
    raw = unfold(export(program)["program.ics"])
    start = raw.index("BEGIN:VTIMEZONE")
    block = raw[start : raw.index("END:VTIMEZONE")]
    daylight = block.index("BEGIN:DAYLIGHT")
    # onsets on the clock before the change (RFC 5545): 02:00 in March and in November
    assert block[daylight + 1 : daylight + 6] == [
        "DTSTART:20260308T020000",
        "RDATE:20270314T020000,20280312T020000,20290311T020000",
        "TZNAME:PDT",
        "TZOFFSETFROM:-0800",
        "TZOFFSETTO:-0700",
    ]
    assert "RDATE:20271107T020000,20281105T020000,20291104T020000" in block


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
        # RFC 6868: a double quote in a parameter is ^'
        line.startswith("ATTENDEE;CN=\"Ana ORGANIZER:mailto:evil@example.com;X=^'1^', Ruiz\";")
        for line in raw
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
    # grace left team-b: her meetings there are cancelled for her only, not for team-b
    assert "team-b/session-02.cancel.ics" not in invites
    removed = (out / "invites" / "team-b" / "session-02.cancel.grace-lee.ics").read_bytes()
    assert "STATUS" not in events(removed)[0]
    assert events(removed)[0]["ATTENDEES"].split() == ["mailto:grace@leedaughterslaw.example.com"]
    assert "for grace-lee" in result.stdout
    assert b"METHOD" not in (out / "program.ics").read_bytes()


def invites_by_path(root: Path, now: str = NOW) -> dict[str, Any]:
    """The invitations the library gives for the folder as it stands, by file name."""
    from peerkit.calendar import invitations

    folder, problems = load_folder(root)
    assert folder is not None, problems
    moment = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))
    return {i.path.removeprefix("out/calendars/invites/"): i for i in invitations(folder, moment)}


def ical_event(data: bytes) -> Any:
    import icalendar

    calendar = icalendar.Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def attendee_emails(event: Any) -> list[str]:
    found = event.get("ATTENDEE", [])
    found = found if isinstance(found, list) else [found]
    return sorted(str(a).removeprefix("mailto:") for a in found)


def test_itip_a_leaver_gets_a_cancel_the_others_an_update_and_a_rerun_nothing_new(
    program: Path,
) -> None:
    first = invites_by_path(program)
    invite = first["team-b/session-02.ics"]
    assert (invite.method, invite.purpose, invite.sequence) == ("REQUEST", "invitation", 0)
    assert invite.members == ("elena-petrova", "frank-muller", "grace-lee")
    assert invite.emails[2] == "grace@leedaughterslaw.example.com"
    assert (invite.round, invite.match, invite.session) == ("test", "team-b", 2)
    assert invite.start == dt.datetime(2027, 2, 10, 18, 30, tzinfo=LA)
    assert invite.title == "Cash flow and the numbers that matter"
    assert not [k for k in first if ".cancel" in k]  # nothing was ever sent: nothing to cancel
    run("calendar", program, "--method", "request", "--now", NOW)
    # grace leaves team-b for the rest of the program
    set_member(program, "grace@leedaughterslaw.example.com", "    left: 2027-01-20\n")
    second = invites_by_path(program, "2027-01-25T09:00:00Z")
    kept = second["team-b/session-01.ics"]  # before she left: unchanged
    assert (kept.sequence, kept.purpose, kept.members) == (0, "invitation", invite.members)
    update = second["team-b/session-02.ics"]
    assert (update.method, update.purpose, update.sequence) == ("REQUEST", "update", 1)
    assert update.members == ("elena-petrova", "frank-muller")
    calendar, event = ical_event(update.ics)
    assert (calendar["METHOD"], event["SEQUENCE"], event["UID"]) == ("REQUEST", 1, invite.uid)
    assert str(event["ORGANIZER"]) == "mailto:renata@highdesert-alliance.org"
    assert event["ORGANIZER"].params["CN"] == "Renata Oyelaran"
    assert "grace" not in " ".join(attendee_emails(event))
    assert event.decoded("DTSTAMP") == dt.datetime(2027, 1, 25, 9, tzinfo=dt.UTC)
    cancel = second["team-b/session-02.cancel.grace-lee.ics"]
    assert (cancel.method, cancel.purpose, cancel.members) == (
        "CANCEL",
        "cancellation",
        ("grace-lee",),
    )
    assert cancel.emails == ("grace@leedaughterslaw.example.com",)
    calendar, event = ical_event(cancel.ics)
    assert (calendar["METHOD"], event["SEQUENCE"], event["UID"]) == ("CANCEL", 1, invite.uid)
    assert attendee_emails(event) == ["grace@leedaughterslaw.example.com"]
    assert "STATUS" not in event  # STATUS:CANCELLED would cancel the meeting for everyone
    assert event["ORGANIZER"].params["CN"] == "Renata Oyelaran"
    assert not [k for k in second if k.startswith("team-b/session-01.cancel")]
    assert sum(1 for k in second if k.startswith("team-b/") and ".cancel." in k) == 11
    # the same folder again: the same messages, byte for byte
    again = invites_by_path(program, "2027-01-25T09:00:00Z")
    assert {k: (i.key, i.ics) for k, i in again.items()} == {
        k: (i.key, i.ics) for k, i in second.items()
    }
    # once written (calendars.yaml records them), a re-run at a later --now says nothing new
    result = run("calendar", program, "--method", "request", "--now", "2027-01-25T09:00:00Z")
    assert result.exit_code == 0, result.stderr
    later = invites_by_path(program, "2027-02-01T09:00:00Z")
    assert {i.key for i in later.values()} == {i.key for i in second.values()}


def test_itip_a_cancelled_meeting_is_a_cancel_to_every_attendee(program: Path) -> None:
    run("calendar", program, "--method", "request", "--now", NOW)
    (program / "rounds" / "test.yaml").write_text(
        ROUND.split("  - id: team-c")[0], encoding="utf-8"
    )
    result = run("calendar", program, "--method", "request", "--now", NOW, "--format", "json")
    assert result.exit_code == 0, result.stderr
    listed = {i["path"]: i for i in json.loads(result.stdout)["invitations"]}
    entry = listed["out/calendars/invites/team-c/session-04.cancel.ics"]
    everyone = ["hector-alvarez", "imani-brooks", "jon-whitcomb", "kenji-sato"]
    assert (entry["method"], entry["purpose"], entry["members"]) == (
        "CANCEL",
        "cancellation",
        everyone,
    )
    assert entry["sequence"] == 1
    assert "out/calendars/invites/team-c/session-04.ics" not in listed
    calendar, event = ical_event((program / entry["path"]).read_bytes())
    assert (calendar["METHOD"], event["STATUS"], event["SEQUENCE"]) == ("CANCEL", "CANCELLED", 1)
    assert attendee_emails(event) == sorted(entry["emails"])
    assert len(attendee_emails(event)) == 4
    assert "ORGANIZER" in event
    # team-a goes on unchanged: its requests are the same as before
    assert listed["out/calendars/invites/team-a/session-04.ics"]["sequence"] == 0


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


def _vtimezone_onsets(data: bytes) -> list[tuple[dt.datetime, dt.timedelta]]:
    """Every onset of a VTIMEZONE (DTSTART and RDATEs) in UTC, with the offset it starts."""
    import icalendar

    zone = icalendar.Calendar.from_ical(b"BEGIN:VCALENDAR\r\n" + data + b"END:VCALENDAR\r\n")
    onsets = []
    for observance in zone.walk("STANDARD") + zone.walk("DAYLIGHT"):
        before = observance["TZOFFSETFROM"].td
        after = observance["TZOFFSETTO"].td
        walls = [observance.decoded("DTSTART")]
        rdates = observance.get("RDATE", [])
        for entry in rdates if isinstance(rdates, list) else [rdates]:
            walls.extend(d.dt for d in entry.dts)
        onsets += [(wall.replace(tzinfo=dt.UTC) - before, after) for wall in walls]
    return sorted(onsets)


@pytest.mark.parametrize(
    "tzid", ["America/Los_Angeles", "Europe/Berlin", "Australia/Sydney", "Asia/Tokyo", "UTC"]
)
def test_vtimezone_agrees_with_zoneinfo_every_hour(tzid: str) -> None:
    from peerkit.ics import vtimezone

    onsets = _vtimezone_onsets(vtimezone(tzid, 2027, 2028))
    zone = ZoneInfo(tzid)
    moment = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    while moment < dt.datetime(2029, 1, 1, tzinfo=dt.UTC):
        offset = [o for onset, o in onsets if onset <= moment][-1]
        assert offset == moment.astimezone(zone).utcoffset(), moment
        moment += dt.timedelta(hours=1)


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


def test_a_meeting_in_the_skipped_spring_hour_is_at_the_same_instant_after_it(
    tmp_path: Path,
) -> None:
    import icalendar

    root = tmp_path / "spring"
    root.mkdir()
    (root / "program.yaml").write_text(
        "name: Night owls\ntimezone: Europe/Berlin\nstart: 2028-03-01\nend: 2028-04-10\n"
        "format: pairs\nmeetings: {cadence: weekly, day: Sunday, time: '02:30', duration: 1h}\n"
    )
    (root / "members.yaml").write_text("- {id: a, name: A}\n- {id: b, name: B}\n")
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text("matches:\n  - {id: p1, members: [a, b]}\n")
    assert run("calendar", root, "--now", "2028-02-01").exit_code == 0
    data = (root / "out" / "calendars" / "matches" / "p1.ics").read_bytes()
    lines = unfold(data)
    # 26 March 2028: 02:30 never happens in Berlin; the meeting is at 03:30, the same instant
    starts = [line for line in lines if line.startswith("DTSTART;")]
    assert "DTSTART;TZID=Europe/Berlin:20280326T033000" in starts
    assert "DTSTART;TZID=Europe/Berlin:20280319T023000" in starts
    assert "DTSTART;TZID=Europe/Berlin:20280402T023000" in starts
    # the VTIMEZONE puts that instant in summer time (03:30), as zoneinfo does
    start = dt.datetime(2028, 3, 26, 1, 30, tzinfo=dt.UTC)
    vtimezone = data[data.index(b"BEGIN:VTIMEZONE") : data.index(b"END:VTIMEZONE") + 15]
    offset = [o for onset, o in _vtimezone_onsets(vtimezone + b"\r\n") if onset <= start][-1]
    assert offset == dt.timedelta(hours=2)
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    moments = sorted(e.decoded("DTSTART").astimezone(dt.UTC) for e in events)
    assert start in moments


# --- the timeline: rounds, leavers and pausers, skips, renames ----------------------------

# A later round from mid-June: team-a is kept whole, the others are matched anew.
ROUND_B = """\
round: later
start: 2027-06-15
matches:
  - id: team-a
    members: [ana-ruiz, ben-okafor, carla-jensen, dev-patel]
  - id: team-x
    members: [elena-petrova, hector-alvarez, imani-brooks]
  - id: team-y
    members: [frank-muller, grace-lee, jon-whitcomb, kenji-sato]
"""
AFTER_B = [d for d in SAMPLE_DATES if d >= dt.date(2027, 6, 15)]  # 10 Aug onwards


def add_round_b(root: Path) -> None:
    """The later round, with partners allowed again (how the matcher keeps team-a whole
    is not what these tests are about)."""
    (root / "rounds" / "later.yaml").write_text(ROUND_B, encoding="utf-8")
    program_yaml = root / "program.yaml"
    text = program_yaml.read_text(encoding="utf-8")
    rule = "    max_timezone_gap: 3\n"
    assert rule in text
    program_yaml.write_text(text.replace(rule, rule + "    no_repeat: false\n"), encoding="utf-8")


def export_json(root: Path, *args: str, now: str = NOW) -> dict[str, Any]:
    result = run("calendar", root, "--now", now, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def ics_files(root: Path) -> dict[str, bytes]:
    out = root / "out" / "calendars"
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.ics"))}


def moment(value: str) -> dt.datetime:
    """A DTSTART/DTEND value as we write them (local with TZID, or UTC) as an instant."""
    if value.endswith("Z"):
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    return dt.datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=LA)


def assert_never_twice_at_once(files: dict[str, bytes]) -> int:
    """No member file has two CONFIRMED events on one date, or overlapping; the count seen."""
    seen = 0
    for name, data in files.items():
        if not name.startswith("members/"):
            continue
        confirmed = sorted(
            (moment(e["DTSTART"]), moment(e["DTEND"]))
            for e in events(data)
            if e["STATUS"] == "CONFIRMED"
        )
        days = [start.date() for start, _ in confirmed]
        assert len(days) == len(set(days)), name
        for (_, end), (start, _) in itertools.pairwise(confirmed):
            assert end <= start, name
        seen += len(confirmed)
    return seen


def test_a_later_round_cancels_the_earlier_rounds_later_meetings(program: Path) -> None:
    first = export_json(program)
    assert first["counts"] == {"new": 36}
    before = {e["uid"]: e for e in first["events"]}
    add_round_b(program)
    report = export_json(program, now="2027-05-20T09:00:00Z")
    # team-b and team-c lose their 6 meetings from August; team-x and team-y meet from
    # the first meeting after 15 June; team-a, kept whole, goes on with the same events
    assert report["counts"] == {"cancelled": 12, "new": 12, "unchanged": 24}
    assert report["round"] == "test, later"
    by_match: dict[str, list[dict[str, Any]]] = {}
    for event in report["events"]:
        by_match.setdefault(event["match"], []).append(event)
    for match in ("team-b", "team-c"):
        cancelled = [e for e in by_match[match] if e["status"] == "cancelled"]
        assert len(cancelled) == 6
        assert all(e["start"][:10] >= "2027-06-15" for e in cancelled)
        assert all(e["sequence"] == 1 and e["uid"] in before for e in cancelled)
        assert all(e["start"][:10] < "2027-06-15" for e in by_match[match] if e not in cancelled)
    for match in ("team-x", "team-y"):
        held = by_match[match]
        assert [dt.date.fromisoformat(e["start"][:10]) for e in held] == AFTER_B
        assert [e["session"] for e in held] == [7, 8, 9, 10, 11, 12]
        assert {e["round"] for e in held} == {"later"}
    team_a = by_match["team-a"]
    assert len(team_a) == 12
    assert all(e["uid"] in before and e["change"] == "unchanged" for e in team_a)
    files = ics_files(program)
    assert assert_never_twice_at_once(files) == 6 * 7 + 6 * 7 + 12 * 4
    x = sorted(events(files["matches/team-x.ics"]), key=lambda e: e["DTSTART"])
    assert x[0]["DTSTART"] == "20270810T080000"
    assert (
        x[0]["SUMMARY"]
        == "High Desert Peer Teams 2027: 7. Mid-year review — are we on track? (team-x)"
    )
    elena = events(files["members/elena-petrova.ics"])
    assert sorted((e["STATUS"], e["SUMMARY"][-8:]) for e in elena) == sorted(
        [("CONFIRMED", "(team-b)")] * 6 + [("CANCELLED", "(team-b)")] * 6
        + [("CONFIRMED", "(team-x)")] * 6
    )  # fmt: skip
    # the same again: nothing new, nothing sent twice
    again = export_json(program, now="2027-05-21T09:00:00Z")
    assert again["counts"] == {"cancelled": 12, "unchanged": 36}
    assert ics_files(program) != files  # only DTSTAMP moved with --now
    assert {e["uid"] for e in again["events"]} == {e["uid"] for e in report["events"]}


def test_round_option_limits_the_files_to_that_rounds_events(program: Path) -> None:
    add_round_b(program)
    full = export_json(program)
    # a fresh export never sends what a later round already replaced
    assert full["counts"] == {"new": 36}
    assert not any(e["status"] == "cancelled" for e in full["events"])
    assert assert_never_twice_at_once(ics_files(program)) == 6 * 11 + 6 * 7 + 6 * 4
    state = (program / "calendars.yaml").read_bytes()
    shutil.rmtree(program / "out")
    only_b = export_json(program, "--round", "later")
    assert only_b["round"] == "later"
    assert only_b["counts"] == {"unchanged": 6 + 6 + 6}
    assert {e["match"] for e in only_b["events"]} == {"team-a", "team-x", "team-y"}
    assert all(e["start"][:10] >= "2027-06-15" for e in only_b["events"])
    assert (program / "calendars.yaml").read_bytes() == state
    names = set(ics_files(program))
    assert "matches/team-b.ics" not in names
    assert "members/kenji-sato.ics" in names  # team-y
    unknown = run("calendar", program, "--round", "latr")
    assert unknown.exit_code == 2
    assert "did you mean 'later'?" in unknown.stderr


def set_member(root: Path, email: str, extra: str) -> None:
    members = root / "members.yaml"
    text = members.read_text(encoding="utf-8")
    line = f"    email: {email}\n"
    assert line in text
    members.write_text(text.replace(line, line + extra, 1), encoding="utf-8")


PAIR_ROUND = """\
round: test
matches:
  - id: team-a
    members: [ana-ruiz, ben-okafor, carla-jensen, dev-patel]
  - id: pair-1
    members: [elena-petrova, frank-muller]
"""


def test_pausers_and_leavers_are_out_and_a_match_of_one_stops(program: Path) -> None:
    (program / "rounds" / "test.yaml").write_text(PAIR_ROUND, encoding="utf-8")
    first = export_json(program)
    assert first["counts"] == {"new": 24}
    set_member(
        program,
        "ben@okaforplumbing.example.com",
        "    pause: {from: 2027-03-01, until: 2027-04-30}\n",
    )
    set_member(program, "frank@mullerbrewing.example.com", "    left: 2027-05-01\n")
    report = export_json(program, now="2027-02-15T09:00:00Z")
    # ben misses March and April (team-a still meets: three are left); pair-1 stops when
    # frank leaves, for elena too
    assert report["counts"] == {"cancelled": 8, "unchanged": 14, "updated": 2}
    files = ics_files(program)
    ben = sorted(events(files["members/ben-okafor.ics"]), key=lambda e: e["DTSTART"])
    assert [e["STATUS"] for e in ben] == ["CONFIRMED"] * 2 + ["CANCELLED"] * 2 + ["CONFIRMED"] * 8
    assert all(e["SEQUENCE"] == "1" for e in ben[2:4])
    team_a = sorted(events(files["matches/team-a.ics"]), key=lambda e: e["DTSTART"])
    assert [("mailto:ben@" in e["ATTENDEES"]) for e in team_a] == [True] * 2 + [False] * 2 + [
        True
    ] * 8
    assert "Who: Ana Ruiz\\, Carla Jensen\\, Dev Patel" in team_a[2]["DESCRIPTION"]
    for member in ("elena-petrova", "frank-muller"):
        pair = sorted(events(files[f"members/{member}.ics"]), key=lambda e: e["DTSTART"])
        assert [e["STATUS"] for e in pair] == ["CONFIRMED"] * 4 + ["CANCELLED"] * 8, member
        assert all(e["SEQUENCE"] == "1" for e in pair[4:])
        assert all(e["SEQUENCE"] == "0" for e in pair[:4])
    assert assert_never_twice_at_once(files) == 12 * 4 - 2 + 4 * 2
    # ben back from his pause: his meetings are reinstated, nothing else moves
    members = program / "members.yaml"
    members.write_text(
        members.read_text(encoding="utf-8").replace(
            "    pause: {from: 2027-03-01, until: 2027-04-30}\n", ""
        ),
        encoding="utf-8",
    )
    back = export_json(program, now="2027-02-16T09:00:00Z")
    assert back["counts"] == {"cancelled": 8, "unchanged": 14, "updated": 2}
    updated = [e for e in back["events"] if e["change"] == "updated"]
    assert {(e["start"][:10], e["sequence"]) for e in updated} == {
        ("2027-03-09", 2),
        ("2027-04-13", 2),
    }


def test_a_skipped_date_cancels_one_event_and_keeps_the_closing_last(program: Path) -> None:
    first = export_json(program)
    before = {(e["match"], e["planned"]): e for e in first["events"]}
    program_yaml = program / "program.yaml"
    text = program_yaml.read_text(encoding="utf-8")
    program_yaml.write_text(
        text.replace(
            "    - 2027-07-13          # summer break\n", "    - 2027-07-13\n    - 2027-04-13\n"
        ),
        encoding="utf-8",
    )
    result = run("calendar", program, "--now", "2027-03-20T09:00:00Z", "--format", "json")
    assert result.exit_code == 0, result.stderr
    # eleven meetings for twelve sessions: the last regular session is left out, said at
    # its line; the closing stays on the last meeting
    assert re.search(
        r"program\.yaml:\d+:\d+: warning\[sessions\]: sessions\.10: session 11 "
        r"\(Resilience and the leader's own health\) is left out",
        result.stderr,
    ), result.stderr
    report = json.loads(result.stdout)
    team_a = [e for e in report["events"] if e["match"] == "team-a"]
    cancelled = [e for e in team_a if e["status"] == "cancelled"]
    assert [e["planned"] for e in cancelled] == ["2027-04-13"]  # only the skipped one
    held = [e for e in team_a if e["status"] == "confirmed"]
    assert [e["session"] for e in held] == list(range(1, 12))
    assert held[-1]["title"] == "Closing — celebrating a year of progress"
    assert held[-1]["start"][:10] == "2028-01-11"
    assert held[0]["title"].startswith("Kickoff")
    assert held[3]["title"] == "Delegation — getting out of the weeds"  # May: session 4
    skipped = {"team-a": "2027-04-13", "team-b": "2027-04-14", "team-c": "2027-04-13"}
    for event in report["events"]:
        old = before[(event["match"], event["planned"])]
        assert event["uid"] == old["uid"]  # same identity, whatever session it holds
        if event["planned"] < skipped[event["match"]]:  # untouched: not sent again
            assert (event["change"], event["sequence"]) == ("unchanged", 0), event
        elif event["planned"] == skipped[event["match"]]:
            assert (event["status"], event["sequence"]) == ("cancelled", 1), event
        else:  # each later meeting now holds the session before: its own text changed
            assert (event["change"], event["sequence"]) == ("updated", 1), event
    assert report["counts"] == {"cancelled": 3, "unchanged": 9, "updated": 24}
    # the handouts and the surveys follow: the final survey goes after the closing, now 11
    folder, _ = load_folder(program)
    assert folder is not None
    assert folder.program.surveys["final"].after == (11,)
    assert [s.title for s in folder.program.sessions][-2:] == [
        "Succession and the business without you",
        "Closing — celebrating a year of progress",
    ]


def test_a_skip_or_move_on_no_meeting_date_is_an_error_at_its_line(program: Path) -> None:
    program_yaml = program / "program.yaml"
    text = program_yaml.read_text(encoding="utf-8")
    program_yaml.write_text(
        text.replace("    - 2027-07-13          # summer break\n", "    - 2027-07-14\n").replace(
            "    2027-11-09: 2027-11-16", "    2027-11-10: 2027-11-16"
        ),
        encoding="utf-8",
    )
    lines = program_yaml.read_text(encoding="utf-8").splitlines()
    skip_line = lines.index("    - 2027-07-14") + 1
    move_line = next(i for i, line in enumerate(lines, 1) if "2027-11-10:" in line)
    result = run("check", program)
    assert result.exit_code == 1
    assert (
        f"program.yaml:{skip_line}:7: error[schedule]: meetings.skip: no meeting is planned "
        "on Wed 2027-07-14, so this date does nothing"
    ) in result.stderr
    assert "the nearest meeting dates are Tue 2027-07-13 and Tue 2027-08-10" in result.stderr
    assert f"program.yaml:{move_line}:5: error[schedule]: meetings.moved: no meeting" in (
        result.stderr
    )
    assert "Tue 2027-11-09 and Tue 2027-12-14" in result.stderr
    assert run("calendar", program).exit_code == 1


def test_a_rename_updates_events_and_never_duplicates_them(program: Path) -> None:
    from peerkit.calendar import event_uid

    # a folder from before `id:`: the id is taken from the name once and kept
    program_yaml = program / "program.yaml"
    text = program_yaml.read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("id:")) + "\n"
    program_yaml.write_text(text, encoding="utf-8")
    first = export_json(program)
    state = (program / "calendars.yaml").read_text(encoding="utf-8")
    assert 'program: "high-desert-peer-teams-2027"\n' in state
    renamed = text.replace("name: High Desert Peer Teams 2027", "name: High Desert Leaders")
    program_yaml.write_text(renamed, encoding="utf-8")
    (program / "rounds" / "test.yaml").write_text(
        ROUND + "  - id: team-d\n    members: [laura-fitzgerald, marcus-bell]\n", encoding="utf-8"
    )
    report = export_json(program, now="2027-01-05T09:00:00Z")
    assert report["counts"] == {"new": 12, "updated": 36}
    old = {(e["match"], e["planned"]): e["uid"] for e in first["events"]}
    for event in report["events"]:
        if event["match"] == "team-d":  # new events hang on the kept id, not the new name
            planned = dt.date.fromisoformat(event["planned"])
            assert event["uid"] == event_uid(
                "high-desert-peer-teams-2027", "test", "team-d", planned
            )
        else:
            assert event["uid"] == old[(event["match"], event["planned"])]
            assert event["sequence"] == 1
    assert 'program: "high-desert-peer-teams-2027"\n' in (program / "calendars.yaml").read_text()
    files = ics_files(program)
    summaries = [e["SUMMARY"] for e in events(files["program.ics"])]
    assert len(summaries) == 48
    assert all(s.startswith("High Desert Leaders: ") for s in summaries)
    # moving one meeting: the same UID, and only that event moves on
    program_yaml.write_text(
        renamed.replace("  moved:\n", "  moved:\n    2027-03-09: 2027-03-16\n"), encoding="utf-8"
    )
    moved = export_json(program, now="2027-01-06T09:00:00Z")
    changed = [e for e in moved["events"] if e["change"] != "unchanged"]
    assert {(e["match"], e["planned"], e["start"][:10]) for e in changed} == {
        ("team-a", "2027-03-09", "2027-03-16"),
        ("team-c", "2027-03-09", "2027-03-16"),
        ("team-d", "2027-03-09", "2027-03-16"),
        ("team-b", "2027-03-10", "2027-03-17"),
    }
    assert {e["uid"] for e in moved["events"]} == {e["uid"] for e in report["events"]}


LEGACY_STATE = """\
# Written by `peerkit calendar`: each event as it was last exported, so that a
# re-export raises SEQUENCE for changed meetings and cancels vanished ones.
# Commit it with the program. Deleting it makes every event new again.
rounds:
  "test":
    "team-a":
      members: ["ana-ruiz", "ben-okafor", "carla-jensen", "dev-patel"]
      sessions:
        9: {start: "2027-10-12T08:00:00-07:00", end: "2027-10-12T11:30:00-07:00", sequence: 0, status: confirmed, hash: "x"}
        10: {start: "2027-11-16T08:00:00-08:00", end: "2027-11-16T11:30:00-08:00", sequence: 2, status: confirmed, hash: "y", stamp: "20261101T000000Z"}
    "team-z":
      members: ["laura-fitzgerald", "marcus-bell"]
      sessions:
        1: {start: "2027-01-12T08:00:00-08:00", end: "2027-01-12T11:30:00-08:00", sequence: 0, status: confirmed, hash: "z"}
"""


def test_a_state_file_from_before_keeps_the_uids_it_was_sent_with(program: Path) -> None:
    from peerkit.calendar import legacy_uid

    (program / "calendars.yaml").write_text(LEGACY_STATE, encoding="utf-8")
    report = export_json(program)
    name = "High Desert Peer Teams 2027"
    by_key = {(e["match"], e["planned"]): e for e in report["events"]}
    october = by_key[("team-a", "2027-10-12")]
    assert (october["uid"], october["sequence"]) == (legacy_uid(name, "test", "team-a", 9), 1)
    november = by_key[("team-a", "2027-11-09")]  # moved to the 16th: found by its date
    assert (november["uid"], november["sequence"]) == (legacy_uid(name, "test", "team-a", 10), 3)
    gone = by_key[("team-z", "2027-01-12")]
    assert (gone["status"], gone["uid"]) == ("cancelled", legacy_uid(name, "test", "team-z", 1))
    state = (program / "calendars.yaml").read_text(encoding="utf-8")
    assert "sessions:" not in state
    assert f'"2027-11-09": {{session: 10, uid: "{november["uid"]}"' in state
    # the next export reads the new format and keeps them
    again = export_json(program)
    assert {e["uid"] for e in again["events"]} == {e["uid"] for e in report["events"]}
    assert again["counts"] == {"cancelled": 1, "unchanged": 36}


def test_fast_state_reader_agrees_with_yaml(program: Path) -> None:
    import yaml

    from peerkit.calendar.state import _parse_state, _parse_state_lines

    set_member(program, "frank@mullerbrewing.example.com", "    left: 2027-05-01\n")
    export(program)
    (program / "rounds" / "test.yaml").write_text(
        ROUND.replace(", grace-lee]", "]"), encoding="utf-8"
    )
    export(program)
    for text in ((program / "calendars.yaml").read_text(encoding="utf-8"), LEGACY_STATE):
        fast = _parse_state_lines(text)
        assert fast is not None
        assert fast == _parse_state(yaml.safe_load(text))
    state = (program / "calendars.yaml").read_text(encoding="utf-8")
    assert 'former: ["grace-lee"]' in state


def test_sessions_are_fitted_to_the_schedule(program: Path) -> None:
    program_yaml = program / "program.yaml"
    text = program_yaml.read_text(encoding="utf-8")
    # no summer break: thirteen meetings for twelve sessions
    program_yaml.write_text(text.replace("    - 2027-07-13          # summer break\n", ""))
    folder, problems = load_folder(program)
    assert folder is not None
    sessions = folder.program.sessions
    assert len(sessions) == 13
    assert (sessions[0].kind, sessions[11].kind, sessions[12].kind) == (
        "kickoff",
        "regular",
        "closing",
    )
    assert sessions[11].title == "Working session"  # the shipped regular session
    assert [p.message for p in problems if p.code == "sessions"] == [
        "the schedule has 13 meetings but 12 sessions are defined: meeting(s) 12 hold the "
        "shipped 'Working session' session"
    ]
    assert folder.program.surveys["final"].after == (13,)
    assert folder.program.surveys["checkin"].after == tuple(range(1, 14))
    team_b = meetings_for(
        folder.program, Match("team-b", ("a", "b"), day=DayRule.parse("second Wednesday"))
    )
    assert team_b[-1].session.kind == "closing"


def calcurse_list(home: Path, ics: Path, tz: str) -> list[str]:
    home.mkdir(parents=True)
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


@pytest.mark.skipif(_khal() is None, reason="khal is not installed (pip install khal)")
def test_khal_shows_one_meeting_at_a_time_across_two_rounds(program: Path, tmp_path: Path) -> None:
    export(program)
    add_round_b(program)
    export(program)
    # kenji: team-c in the first round, team-y from 15 June, both on Tuesdays at 08:00
    kenji = program / "out" / "calendars" / "members" / "kenji-sato.ics"
    lines = khal_list(tmp_path / "kenji", kenji, "America/Los_Angeles")
    held = [line for line in lines if "CANCELLED" not in line]
    assert [line[:16] for line in held] == [f"{d:%Y-%m-%d} 08:00" for d in SAMPLE_DATES]
    assert sum("(team-y)" in line for line in held) == 6
    assert sum("(team-c)" in line and "CANCELLED" in line for line in lines) == 6
    # the whole program: never one member twice at once in what khal holds
    files = ics_files(program)
    assert assert_never_twice_at_once(files) == 132


@pytest.mark.skipif(shutil.which("calcurse") is None, reason="calcurse is not installed (apt)")
def test_calcurse_shows_one_meeting_at_a_time_across_two_rounds(
    program: Path, tmp_path: Path
) -> None:
    export(program)
    add_round_b(program)
    export(program)
    kenji = program / "out" / "calendars" / "members" / "kenji-sato.ics"
    # calcurse keeps no STATUS: a cancelled meeting is the one whose title says so
    lines = calcurse_list(tmp_path / "kenji", kenji, "America/Los_Angeles")
    held = [line for line in lines if " Cancelled: " not in line]
    assert [line[:16] for line in held] == [f"{d:%Y-%m-%d} 08:00" for d in SAMPLE_DATES]
    assert [line.endswith("(team-y)") for line in held] == [False] * 6 + [True] * 6
    assert len(lines) == 18


@pytest.mark.skipif(_khal() is None, reason="khal is not installed (pip install khal)")
def test_itip_files_parse_with_icalendar_and_import_into_khal(
    program: Path, tmp_path: Path
) -> None:
    import icalendar

    run("calendar", program, "--method", "request", "--now", NOW)
    set_member(program, "grace@leedaughterslaw.example.com", "    left: 2027-01-20\n")
    (program / "rounds" / "test.yaml").write_text(
        ROUND.split("  - id: team-c")[0], encoding="utf-8"
    )
    result = run("calendar", program, "--method", "request", "--now", NOW)
    assert result.exit_code == 0, result.stderr
    files = sorted((program / "out" / "calendars" / "invites").rglob("*.ics"))
    assert len(files) > 40
    for path in files:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        (event,) = calendar.walk("VEVENT")
        assert calendar["METHOD"] in ("REQUEST", "CANCEL")
        assert "ORGANIZER" in event, path
        assert attendee_emails(event), path
    request = program / "out" / "calendars" / "invites" / "team-b" / "session-05.ics"
    lines = khal_list(tmp_path / "r", request, "America/Los_Angeles")
    assert [line[:16] for line in lines] == ["2027-05-12 18:30"]
    cancel = program / "out" / "calendars" / "invites" / "team-c" / "session-05.cancel.ics"
    lines = khal_list(tmp_path / "c", cancel, "America/Los_Angeles")
    assert len(lines) == 1
    assert "CANCELLED" in lines[0]


def test_a_longer_meeting_lists_the_open_time_the_handout_shows(program: Path) -> None:
    """A 4-hour meeting whose session agenda fills 3h30: the event says 240 minutes and ends
    with the same "Open time and wrap-up" block as the handout, not "Agenda (210 minutes)"."""
    config = program / "program.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("duration: 3h30m", "duration: 4h"), encoding="utf-8")
    files = export(program)
    description = events(files["program.ics"])[0]["DESCRIPTION"]
    assert "Agenda (240 minutes):" in description
    assert description.endswith("11:30  Open time and wrap-up (30 min)") or (
        "\\n11:30  Open time and wrap-up (30 min)" in description
    )


def test_check_names_the_calendar_state_file() -> None:
    """`peerkit check` looks for the calendar state by name before importing the package."""
    from peerkit.calendar.state import STATE_FILE
    from peerkit.check import CALENDAR_STATE

    assert CALENDAR_STATE == STATE_FILE
