"""`peerkit outbox`: which messages are due, what each holds, and that they parse back."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
import json
import re
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import icalendar
import pytest

from peerkit.calendar import render_calendars
from peerkit.check import check_folder
from peerkit.model import Folder
from peerkit.outbox import fill_link, render_outbox
from peerkit.timeline import DAY_START
from tests.conftest import ROOT, assert_golden, run, write_folder

BEFORE_KICKOFF = "2027-01-05"  # the sample's first meetings are on Tuesday 12 January
MEMBERS_WITH_TEAMS = 36


def loaded(root: Path) -> Folder:
    folder, problems = check_folder(root)
    assert folder is not None, problems
    assert not [p for p in problems if p.severity == "error"], problems
    return folder


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def emls(root: Path) -> list[Path]:
    return sorted((root / "out" / "outbox").rglob("*.eml"))


def at(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=DAY_START)


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` (which must be there) by `new` in a file of the folder."""
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_to_program(root: Path, text: str) -> None:
    path = root / "program.yaml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


# --- introductions ----------------------------------------------------------------------


def test_an_introduction_per_member_of_each_match(sample: Path) -> None:
    result = run("outbox", sample, "--now", BEFORE_KICKOFF)
    assert result.exit_code == 0, result.output
    files = emls(sample)
    assert len(files) == MEMBERS_WITH_TEAMS
    folder = loaded(sample)
    round_ = folder.rounds[-1]
    seen_members = set()
    for path in files:
        message = parse(path.read_bytes())
        assert message["X-Peerkit-Purpose"] == "introduction"
        assert message["From"] == "Renata Oyelaran <renata@highdesert-alliance.org>"
        assert message["Date"] == "Tue, 05 Jan 2027 00:00:00 -0800"
        member_id = path.stem
        member = folder.member(member_id)
        assert member is not None
        assert message["To"].addresses[0].addr_spec == member.email
        match = round_.match_of(member_id)
        assert match is not None
        assert path.parent.name == match.id
        seen_members.add(member_id)
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        others = [folder.member(i) for i in match.members if i != member_id]
        for other in others:
            assert other is not None
            assert other.name in text
            assert other.organization in text
            assert f"<strong>{other.name}</strong>" in html
            assert other.email not in text  # the calendar carries addresses, the letter not
        assert f"Dear {member.name}," in text
        assert match.reasons[0] in text
        assert "Tuesday 12 January 2027" in text
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "text/calendar"
        assert attachment.get_param("method") == "REQUEST"
        assert attachment.get_filename() == f"{match.id}.ics"
        calendar = icalendar.Calendar.from_ical(attachment.get_content())
        assert calendar["METHOD"] == "REQUEST"
        events = calendar.walk("VEVENT")
        assert len(events) == 12  # January 2027 to January 2028, July skipped
        attendees = {str(a).removeprefix("mailto:") for a in events[0].get("ATTENDEE")}
        assert member.email in attendees
    assert seen_members == {m for match in round_.matches for m in match.members}


def test_the_first_meeting_is_in_the_recipients_own_time(sample: Path) -> None:
    made = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    dev = next(m for m in made.messages if m.member == "dev-patel")  # America/Boise
    text = parse(dev.data).get_body(("plain",)).get_content()
    assert "Tuesday 12 January 2027, 09:00–12:30 MST (America/Boise)" in text


def test_notes_and_private_fields_never_reach_a_message(sample: Path) -> None:
    members = (sample / "members.yaml").read_text(encoding="utf-8")
    secret = re.search(r"notes: (.+)", members)
    assert secret is not None
    assert run("outbox", sample, "--now", BEFORE_KICKOFF).exit_code == 0
    for path in (sample / "out" / "outbox").rglob("*"):
        if path.is_file():
            message = parse(path.read_bytes()) if path.suffix == ".eml" else None
            parts = [path.read_bytes().decode("utf-8", "replace")]
            if message is not None:
                parts += [
                    str(part.get_content()) for part in message.walk() if not part.is_multipart()
                ]
            assert all(secret.group(1) not in part for part in parts), path


def test_a_line_break_in_a_name_or_title_never_starts_a_header(sample: Path) -> None:
    edit(sample / "members.yaml", "name: Frank Müller", 'name: "Frank\\r\\nBcc: evil@example.org"')
    edit(sample / "program.yaml", "name: ", 'name: "Peer\\nBcc: evil@example.org" #')
    made = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    franks = [m for m in made.messages if m.to == "frank@mullerbrewing.example.com"]
    assert franks
    for message in made.messages:
        parsed = parse(message.data)
        assert all("Bcc" not in part for part in parsed.walk())
        assert "\n" not in parsed["Subject"]
        if message.purpose == "introduction":
            assert parsed["Subject"].startswith("Peer Bcc: evil@example.org: meet your team")
    assert (
        parse(franks[0].data)["To"]
        == '"Frank Bcc: evil@example.org" <frank@mullerbrewing.example.com>'
    )


def test_no_introductions_once_the_match_has_met(sample: Path) -> None:
    made = render_outbox(loaded(sample), now=at("2027-01-13"))
    assert made.counts()["introduction"] == 0


def test_a_changed_team_is_introduced_again(sample: Path) -> None:
    before = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    round_file = sample / "rounds" / "2027.yaml"
    text = round_file.read_text(encoding="utf-8")
    # quinn-harper leaves match-01 (the round file edited by hand)
    text = text.replace(
        "members: [aaron-blake, dev-patel, gus-anderson, kenji-sato, quinn-harper]",
        "members: [aaron-blake, dev-patel, gus-anderson, kenji-sato]",
    )
    round_file.write_text(text, encoding="utf-8")
    after = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    ids_before = {m.member: m.message_id for m in before.messages if m.purpose == "introduction"}
    ids_after = {m.member: m.message_id for m in after.messages if m.purpose == "introduction"}
    assert "quinn-harper" not in ids_after
    # quinn was sent the team's meetings: each is cancelled for them alone
    cancelled = [m for m in after.messages if m.purpose == "cancellation"]
    assert {m.member for m in cancelled} == {"quinn-harper"}
    assert len(cancelled) == 12
    changed = {member for member in ids_after if ids_after[member] != ids_before[member]}
    moved = {"aaron-blake", "dev-patel", "gus-anderson", "kenji-sato"}
    assert changed == moved  # both teams changed; every other member keeps their message


def test_a_member_who_left_gets_only_cancellations_and_is_not_shown(sample: Path) -> None:
    edit(
        sample / "members.yaml", "  - id: dev-patel\n", "  - id: dev-patel\n    left: 2027-01-02\n"
    )
    made = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    assert {m.purpose for m in made.messages if m.member == "dev-patel"} == {"cancellation"}
    aaron = next(m for m in made.messages if m.member == "aaron-blake")
    assert "Dev Patel" not in parse(aaron.data).get_body(("plain",)).get_content()


# --- same input, same bytes -------------------------------------------------------------


def test_same_folder_and_now_give_the_same_bytes(sample: Path, tmp_path: Path) -> None:
    first = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    again = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    assert first.files == again.files
    later = render_outbox(loaded(sample), now=at("2027-01-06"))
    assert {m.message_id for m in later.messages} == {m.message_id for m in first.messages}
    assert later.files[first.messages[0].file] != first.files[first.messages[0].file]  # Date


def test_golden_introduction(sample: Path) -> None:
    made = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    name = "out/outbox/introduction/2027/match-01/dev-patel.eml"
    assert_golden(
        ROOT / "tests" / "golden" / "outbox" / "introduction-dev-patel.eml", made.files[name]
    )


# --- reminders --------------------------------------------------------------------------


def test_reminders_two_days_ahead_with_the_handout(sample: Path) -> None:
    early = render_outbox(loaded(sample), now=at("2027-01-10T15:59:00Z"))
    assert early.counts()["reminder"] == 0  # 08:00 PST on the 12th is 16:00 UTC: 2d before
    assert run("agenda", sample, "--session", "1", "--as", "html").exit_code == 0
    due = render_outbox(loaded(sample), now=at("2027-01-10T16:00:00Z"))
    assert due.counts()["reminder"] == MEMBERS_WITH_TEAMS
    reminder = next(m for m in due.messages if m.purpose == "reminder" and m.member == "ana-ruiz")
    message = parse(reminder.data)
    assert message["Subject"].startswith("Reminder: Kickoff — who we are and how we work")
    [handout] = list(message.iter_attachments())
    assert handout.get_content_type() == "text/html"
    assert handout.get_filename() == "match-02-session-01.html"
    on_disk = (sample / "out/agenda/session-01/match-02.html").read_bytes()
    assert handout.get_content().encode("utf-8") == on_disk
    # a PDF of the match's handout wins over its HTML
    (sample / "out/agenda/session-01/match-02.pdf").write_bytes(b"%PDF-1.7 test")
    again = render_outbox(loaded(sample), now=at("2027-01-10T16:00:00Z"))
    reminder = next(m for m in again.messages if m.purpose == "reminder" and m.member == "ana-ruiz")
    [handout] = list(parse(reminder.data).iter_attachments())
    assert handout.get_content_type() == "application/pdf"
    assert handout.get_content() == b"%PDF-1.7 test"
    # the meeting has begun: no reminder any more
    past = render_outbox(loaded(sample), now=at("2027-01-12T16:00:00Z"))
    assert past.counts()["reminder"] == 0


def test_remind_is_read_from_program_yaml(sample: Path) -> None:
    add_to_program(sample, "\nmail:\n  remind: 6h\n")
    made = render_outbox(loaded(sample), now=at("2027-01-10T16:00:00Z"))
    assert made.counts()["reminder"] == 0
    made = render_outbox(loaded(sample), now=at("2027-01-12T10:00:00Z"))
    assert made.counts()["reminder"] == MEMBERS_WITH_TEAMS


def test_a_wrong_remind_is_a_located_error(sample: Path) -> None:
    add_to_program(sample, "\nmail:\n  remind: soon\n")
    result = run("outbox", sample, "--now", BEFORE_KICKOFF)
    assert result.exit_code == 1
    line = len((sample / "program.yaml").read_text(encoding="utf-8").splitlines())
    assert f"program.yaml:{line}:" in result.output
    assert "error[duration]: mail.remind: 'soon' is not a duration" in result.output
    assert not (sample / "out").exists()


# --- survey requests --------------------------------------------------------------------


def test_survey_links_are_filled_and_url_encoded() -> None:
    link = "https://forms.example.org/f?entry.1={match}&entry.2={email}&s={session}"
    assert (
        fill_link(link, "team a&b", "zoë+x@example.org", 3)
        == "https://forms.example.org/f?entry.1=team%20a%26b&entry.2=zo%C3%AB%2Bx%40example.org&s=3"
    )


def test_survey_requests_after_the_session(sample: Path) -> None:
    text = (sample / "program.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    title: Monthly check-in\n",
        "    title: Monthly check-in\n"
        "    link: https://forms.example.org/checkin?match={match}&who={email}&s={session}\n",
    )
    (sample / "program.yaml").write_text(text, encoding="utf-8")
    during = render_outbox(loaded(sample), now=at("2027-01-12T18:00:00Z"))
    assert during.counts()["survey"] == 0  # 08:00–11:30 PST: still in the meeting
    after = render_outbox(loaded(sample), now=at("2027-01-12T20:00:00Z"))
    assert after.counts()["survey"] == MEMBERS_WITH_TEAMS
    ana = next(m for m in after.messages if m.purpose == "survey" and m.member == "ana-ruiz")
    link = (
        "https://forms.example.org/checkin?match=match-02&who=ana%40ruizlandscaping.example.com&s=1"
    )
    message = parse(ana.data)
    assert link in message.get_body(("plain",)).get_content()
    assert f'href="{link.replace("&", "&amp;")}"' in message.get_body(("html",)).get_content()
    assert ana.fields["link"] == link
    assert message["Subject"] == "Monthly check-in: how was session 1?"
    # until the next meeting, then the next session's request
    assert render_outbox(loaded(sample), now=at("2027-02-09T15:00:00Z")).counts()["survey"] == 36
    assert render_outbox(loaded(sample), now=at("2027-02-09T16:30:00Z")).counts()["survey"] == 0


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("https://x.example.org/?m={team}", "unknown placeholder {team}"),
        ("https://x.example.org/?m={match", "is not a placeholder"),
        ("not a link {match}", "is not a web link"),
    ],
)
def test_a_wrong_survey_link_is_a_located_error(sample: Path, link: str, message: str) -> None:
    text = (sample / "program.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    title: Monthly check-in\n", f"    title: Monthly check-in\n    link: '{link}'\n"
    )
    (sample / "program.yaml").write_text(text, encoding="utf-8")
    line = text.splitlines().index(f"    link: '{link}'") + 1
    result = run("check", sample)
    assert result.exit_code == 1
    assert f"program.yaml:{line}:11: error[survey-link]:" in result.output
    assert message in result.output


def test_an_anonymous_survey_link_cannot_say_who_answered(sample: Path) -> None:
    text = (sample / "program.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "    anonymous: true\n", "    anonymous: true\n    link: https://x.example.org/?e={email}\n"
    )
    (sample / "program.yaml").write_text(text, encoding="utf-8")
    result = run("check", sample)
    assert result.exit_code == 1
    assert "surveys.final.link: the survey is anonymous" in result.output


# --- who gets nothing, merge.csv, the manifest ------------------------------------------


def test_members_without_an_email_are_listed_once(tmp_path: Path) -> None:
    root = write_folder(
        tmp_path / "p",
        {
            "program.yaml": """\
                name: Two pairs
                contact: {name: Coord, email: coord@example.org}
                timezone: Europe/London
                start: 2027-01-01
                end: 2027-06-30
                format: pairs
                """,
            "members.yaml": """\
                members:
                  - {id: ana, name: Ana Lima, email: ana@example.org}
                  - {id: ben, name: Ben Carter}
                  - {id: cat, name: "=HYPERLINK(1)", email: cat@example.org}
                  - {id: dan, name: Dan Osei, email: dan@example.org}
                """,
            "rounds/r1.yaml": """\
                round: r1
                matches:
                  - {id: m1, members: [ana, ben]}
                  - {id: m2, members: [cat, dan]}
                """,
        },
    )
    result = run("outbox", root, "--now", "2026-12-01")
    assert result.exit_code == 0, result.output
    assert result.output.count("warning[no-email]: ben has no email address") == 1
    assert "members.yaml:3:" in result.output
    files = emls(root)
    assert [p.stem for p in files] == ["ana", "cat", "dan"]
    rows = list(csv.reader(io.StringIO((root / "out/outbox/merge.csv").read_text("utf-8-sig"))))
    assert rows[0][:3] == ["recipient", "name", "subject"]
    assert [row[0] for row in rows[1:]] == ["ana@example.org", "cat@example.org", "dan@example.org"]
    assert rows[2][1] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    manifest = json.loads((root / "out/outbox/outbox.json").read_text(encoding="utf-8"))
    assert [m["to"] for m in manifest["messages"]] == [row[0] for row in rows[1:]]
    assert all(m["message_id"].endswith("@example.org>") for m in manifest["messages"])


def test_program_templates_override_the_shipped_ones(sample: Path) -> None:
    write_folder(
        sample,
        {
            "templates/mail/introduction.txt.j2": "Hello {{ recipient.name }} of {{ match.id }}\n",
            "templates/mail/introduction.html.j2": "<p>Hi {{ recipient.name }}</p>\n",
        },
    )
    made = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    ana = parse(next(m for m in made.messages if m.member == "ana-ruiz").data)
    assert ana.get_body(("plain",)).get_content() == "Hello Ana Ruiz of match-02\r\n"
    (sample / "templates/mail/introduction.html.j2").write_text(
        "<p>{{ recipient.nmae }}</p>\n", encoding="utf-8"
    )
    result = run("outbox", sample, "--now", BEFORE_KICKOFF)
    assert result.exit_code == 1
    assert "introduction.html.j2:1: template error" in result.output


def test_html_bodies_escape_roster_values(sample: Path) -> None:
    edit(sample / "members.yaml", "organization: Ruiz Landscaping", "organization: <b>Ruiz</b>")
    made = render_outbox(loaded(sample), now=at(BEFORE_KICKOFF))
    ben = next(m for m in made.messages if m.member == "bianca-romano")
    html = parse(ben.data).get_body(("html",)).get_content()
    assert "&lt;b&gt;Ruiz&lt;/b&gt;" in html
    assert "<b>Ruiz</b>" not in html


def test_dry_run_writes_nothing_and_json_lists_messages(sample: Path) -> None:
    result = run("outbox", sample, "--now", BEFORE_KICKOFF, "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    assert not (sample / "out").exists()
    data = json.loads(result.stdout)
    assert data["counts"]["introduction"] == 36
    assert sum(data["counts"].values()) == 36
    assert len({m["message_id"] for m in data["messages"]}) == 36


def test_build_writes_the_outbox(sample: Path) -> None:
    result = run("build", sample, "--now", BEFORE_KICKOFF)
    assert result.exit_code == 0, result.output
    assert len(emls(sample)) == MEMBERS_WITH_TEAMS


# --- invitations, updates and cancellations (iTIP) --------------------------------------


def test_a_member_who_leaves_gets_a_cancellation_and_the_others_an_update(sample: Path) -> None:
    assert run("calendar", sample, "--now", BEFORE_KICKOFF).exit_code == 0  # state recorded
    quiet = render_outbox(loaded(sample), now=at("2027-02-01"))
    assert quiet.counts()["update"] == quiet.counts()["cancellation"] == 0
    edit(
        sample / "members.yaml", "  - id: dev-patel\n", "  - id: dev-patel\n    left: 2027-05-01\n"
    )
    made = render_outbox(loaded(sample), now=at("2027-02-01"))
    cancellations = [m for m in made.messages if m.purpose == "cancellation"]
    updates = [m for m in made.messages if m.purpose == "update"]
    # match-01 meets on 7 dates from May on (July skipped), to the end of the program
    assert {m.member for m in cancellations} == {"dev-patel"}
    assert {m.member for m in updates} == {
        "aaron-blake",
        "gus-anderson",
        "kenji-sato",
        "quinn-harper",
    }
    assert len(cancellations) == len(updates) // 4
    message = parse(cancellations[0].data)
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "CANCEL"
    calendar = icalendar.Calendar.from_ical(part.get_content())
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    attendees = event.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:dev@patelaccounting.example.com"]
    assert "ORGANIZER" in event
    text = message.get_body(("plain",)).get_content()
    assert "you are no longer in this meeting of match-01" in text
    update = parse(updates[0].data)
    [part] = list(update.iter_attachments())
    assert part.get_param("method") == "REQUEST"
    event = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
    assert int(event["SEQUENCE"]) >= 1
    assert "mailto:dev@patelaccounting.example.com" not in [str(a) for a in event.get("ATTENDEE")]
    # the same folder and moment, the same messages
    again = render_outbox(loaded(sample), now=at("2027-02-01"))
    assert again.files == made.files


def test_requests_are_made_only_for_meetings_not_over(sample: Path) -> None:
    # nothing sent yet, mid-year: the meetings held already need no message, and get none
    (sample / "calendars.yaml").unlink(missing_ok=True)
    now = at("2027-06-01")
    made = render_calendars(loaded(sample), None, now=now, method="request", changed_only=True)
    events = {e.uid: e for e in made.events}
    wanted = {uid for uid, e in events.items() if e.change != "unchanged" and e.end > now}
    assert {i.uid for i in made.invitations} == wanted
    assert len(wanted) > 10
    assert any(e.end <= now and e.change != "unchanged" for e in events.values())


def test_a_skipped_meeting_is_cancelled_for_everyone(sample: Path) -> None:
    assert run("calendar", sample, "--now", BEFORE_KICKOFF).exit_code == 0
    edit(
        sample / "program.yaml",
        "    - 2027-07-13          # summer break\n",
        "    - 2027-07-13\n    - 2027-08-10\n",
    )
    made = render_outbox(loaded(sample), now=at("2027-02-01"))
    cancellations = [m for m in made.messages if m.purpose == "cancellation"]
    assert len({m.fields["match"] for m in cancellations}) == 7
    everyone = {m for match in loaded(sample).rounds[-1].matches for m in match.members}
    assert everyone - {"ivan-horvat"} <= {m.member for m in cancellations} <= everyone
    message = parse(cancellations[0].data)
    [part] = list(message.iter_attachments())
    event = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"
    assert "is cancelled" in message.get_body(("plain",)).get_content()
