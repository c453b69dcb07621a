"""Agenda handouts: `peerkit agenda` on the sample program and on hostile folders."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from peerkit.agenda import render_agenda
from peerkit.load.folder import load_folder
from peerkit.model import Folder
from peerkit.text import escape_markdown
from tests.conftest import assert_golden, run, write_folder

GOLDEN = Path(__file__).parent / "golden" / "agenda"

# A round `peerkit match` made for the sample program, frozen here so the goldens do not
# move when matching improves.
SAMPLE_ROUND = """\
round: fixture
matches:
  - id: match-01
    members: [aaron-blake, dev-patel, gus-anderson, kenji-sato, quinn-harper]
  - id: match-02
    members: [ana-ruiz, bianca-romano, fatima-al-sayed, tara-nguyen, vera-lindqvist]
  - id: match-03
    members: [ben-okafor, eli-goldberg, ivan-horvat, priya-raman, yusuf-demir]
  - id: match-04
    members: [carla-jensen, elena-petrova, imani-brooks, owen-gallagher, xiomara-reyes]
  - id: match-05
    members: [chris-ortega, grace-lee, hana-kimura, laura-fitzgerald, umar-siddiqui]
  - id: match-06
    members: [dana-kowalski, frank-muller, hector-alvarez, julia-santos, marcus-bell, zoe-lukasiewicz]
  - id: match-07
    members: [jon-whitcomb, nadia-haddad, rosa-delgado, sam-whitfield, will-carter]
"""


def with_round(root: Path, text: str = SAMPLE_ROUND, name: str = "fixture") -> Path:
    """Replace the folder's rounds/ with one round file."""
    shutil.rmtree(root / "rounds", ignore_errors=True)
    (root / "rounds").mkdir()
    (root / "rounds" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def sample_round(sample: Path) -> Path:
    """The sample program with a fixed round of seven teams."""
    return with_round(sample)


def loaded(root: Path) -> Folder:
    folder, problems = load_folder(root)
    assert folder is not None, problems
    return folder


def golden(name: str, data: bytes) -> None:
    assert_golden(GOLDEN / name, data)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def pdf_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed; .ci/run installs it")
    return path


# --- the sample program -----------------------------------------------------------------


def test_golden_markdown_and_html_for_the_sample(sample_round: Path) -> None:
    for session in ("1", "2", "12"):
        result = run("agenda", sample_round, "--session", session, "--as", "md", "--as", "html")
        assert result.exit_code == 0, result.output
    out = sample_round / "out" / "agenda"
    golden("session-01-match-06.md", (out / "session-01" / "match-06.md").read_bytes())
    golden("session-01-match-06.html", (out / "session-01" / "match-06.html").read_bytes())
    golden("session-02-match-01.md", (out / "session-02" / "match-01.md").read_bytes())
    golden("session-12-match-07.md", (out / "session-12" / "match-07.md").read_bytes())


def test_every_session_renders_with_times_adding_up(sample_round: Path) -> None:
    folder = loaded(sample_round)
    for number in range(1, len(folder.program.sessions) + 1):
        made = render_agenda(folder, str(number), formats=("md", "html"))
        assert made.session == number
        md = made.files[f"out/agenda/session-{number:02d}/match-02.md"].decode()
        rows = re.findall(r"^\| (\d\d:\d\d)–(\d\d:\d\d) \| (\d+) \|", md, flags=re.MULTILINE)
        assert rows, md
        # every block starts where the last ended, lasts its minutes, and the last one ends
        # when the meeting does (08:00 + 3h30m)
        assert rows[0][0] == "08:00"
        assert rows[-1][1] == "11:30"
        for (start, end, minutes), following in zip(rows, [*rows[1:], None], strict=True):
            assert _minutes(start) + int(minutes) == _minutes(end)
            if following is not None:
                assert following[0] == end
        assert sum(int(m) for _, _, m in rows) == 210


def test_handout_content_for_the_kickoff(sample_round: Path) -> None:
    result = run("agenda", sample_round, "--session", "1", "--only", "match-01", "--as", "md")
    assert result.exit_code == 0, result.output
    md = (sample_round / "out/agenda/session-01/match-01.md").read_text(encoding="utf-8")
    assert "Tuesday 12 January 2027, 08:00–11:30 PST" in md
    assert "Alliance boardroom, 150 NW Oregon Ave, Suite 2" in md
    assert "<https://meet.example.org/high-desert-peer-teams>" in md
    # Dev Patel lives in America/Boise: one hour ahead of the program's clock
    assert "| Dev Patel | Patel Accounting | finance | 09:00–12:30 MST |" in md
    assert "| Kenji Sato | Sato Engineering | engineering |  |" in md
    for rule in ("Expectations", "Boundaries", "Confidentiality", "Honest feedback"):
        assert f"**{rule}.**" in md
    assert "## Commitments until Tuesday 9 February 2027" in md
    assert "- Dev Patel:" in md
    assert list((sample_round / "out/agenda/session-01").iterdir()) == [
        sample_round / "out/agenda/session-01/match-01.md"
    ]


def test_closing_session_celebrates_and_evaluates(sample_round: Path) -> None:
    folder = loaded(sample_round)
    md = render_agenda(folder, "12", formats=("md",), only="match-03").files
    text = md["out/agenda/session-12/match-03.md"].decode()
    assert "**Celebrate progress.**" in text
    assert "**Evaluate honestly.**" in text
    assert "this is the program's last meeting" in text
    # the closing agenda is 190 minutes of a 210-minute meeting: open time fills the rest
    assert "| 11:10–11:30 | 20 | Open time and wrap-up |" in text


def test_moved_meeting_says_so(sample_round: Path) -> None:
    folder = loaded(sample_round)
    text = render_agenda(folder, "10", formats=("md",), only="match-01").files
    md = text["out/agenda/session-10/match-01.md"].decode()
    assert "Tuesday 16 November 2027" in md
    assert "moved from Tuesday 9 November 2027" in md


def test_notes_and_private_fields_never_printed(sample_round: Path) -> None:
    members = (sample_round / "members.yaml").read_text(encoding="utf-8")
    secret = re.search(r"notes: (.+)", members)
    assert secret is not None
    result = run("agenda", sample_round, "--session", "1", "--as", "md", "--as", "html")
    assert result.exit_code == 0, result.output
    for path in (sample_round / "out").rglob("*"):
        if path.is_file():
            assert secret.group(1) not in path.read_text(encoding="utf-8")


def test_pdf_has_a_page_per_match_and_every_name(sample_round: Path) -> None:
    pdftotext, pdfinfo = pdf_tool("pdftotext"), pdf_tool("pdfinfo")
    folder = loaded(sample_round)
    round_ = folder.round()
    assert round_ is not None
    for paper, size in (("a4", "595.276 x 841.89"), ("letter", "612 x 792")):
        result = run("agenda", sample_round, "-s", "1", "--as", "pdf", "--paper", paper)
        assert result.exit_code == 0, result.output
        pdf = sample_round / "out/agenda/session-01/handouts.pdf"
        info = subprocess.run([pdfinfo, pdf], capture_output=True, text=True, check=True).stdout
        assert re.search(r"Pages:\s+7\b", info), info
        assert size in info
        for index, match in enumerate(round_.matches, start=1):
            page = subprocess.run(
                [pdftotext, "-f", str(index), "-l", str(index), pdf, "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert match.id.upper() in page.upper()
            for member_id in match.members:
                member = folder.member(member_id)
                assert member is not None
                assert member.name in page, (member.name, index)


def test_output_is_deterministic(sample_round: Path) -> None:
    folder = loaded(sample_round)
    first = render_agenda(folder, "2", only="match-01")
    second = render_agenda(folder, "2", only="match-01")
    assert first.files == second.files
    assert sorted(first.files) == [
        "out/agenda/session-02/handouts-match-01.pdf",
        "out/agenda/session-02/match-01.html",
        "out/agenda/session-02/match-01.md",
    ]


# --- choosing the session, the round and the match ---------------------------------------


def test_session_next_after_now(sample_round: Path) -> None:
    result = run("agenda", sample_round, "--now", "2027-03-01", "--as", "md", "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"session": 3' in result.stdout
    # on the day of a meeting, after it started, the next one is the following month's
    result = run(
        "agenda", sample_round, "--now", "2027-03-09T20:00:00Z", "--as", "md", "--format", "json"
    )
    assert '"session": 4' in result.stdout
    result = run("agenda", sample_round, "--now", "2028-02-01", "--as", "md")
    assert result.exit_code == 1
    assert "there is no meeting after" in result.stderr
    assert "2028-01-11" in result.stderr


def test_bad_session_is_a_usage_error(sample_round: Path) -> None:
    result = run("agenda", sample_round, "--session", "13")
    assert result.exit_code == 2
    assert "there is no session 13; the program has 12 meeting(s)" in result.stderr
    result = run("agenda", sample_round, "--session", "first")
    assert result.exit_code == 2
    assert "'first' is not a session number or 'next'" in result.stderr


def test_no_round_says_run_match(sample: Path) -> None:
    shutil.rmtree(sample / "rounds", ignore_errors=True)
    result = run("agenda", sample, "--session", "1")
    assert result.exit_code == 1
    assert "there is no round file in rounds/" in result.stderr
    assert "peerkit match" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_round_and_match(sample_round: Path) -> None:
    # a name that is not there is a usage error (exit 2), as an unknown --survey is
    result = run("agenda", sample_round, "-s", "1", "--round", "fixtur")
    assert result.exit_code == 2
    assert "there is no round 'fixtur'" in result.stderr
    assert "did you mean 'fixture'?" in result.stderr
    result = run("agenda", sample_round, "-s", "1", "--only", "team-8")
    assert result.exit_code == 2
    assert "has no match or member 'team-8'" in result.stderr


def test_only_a_member_gives_their_match(sample_round: Path) -> None:
    result = run("agenda", sample_round, "-s", "1", "--only", "zoe-lukasiewicz", "--as", "md")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("out/agenda/session-01/match-06.md")


def test_dry_run_writes_nothing(sample_round: Path) -> None:
    result = run("agenda", sample_round, "-s", "1", "--as", "md", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would write" in result.stdout
    assert not (sample_round / "out").exists()


def test_build_writes_handouts_for_the_next_session(sample_round: Path) -> None:
    result = run("build", sample_round, "--now", "2027-04-20", "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "out/agenda/session-05/handouts.pdf" in result.stdout
    assert "out/agenda/session-05/match-07.md" in result.stdout


# --- hostile and unusual folders ----------------------------------------------------------

HOSTILE_PROGRAM = """\
name: "Night <b>owls</b> {{ 7*7 }}"
timezone: America/New_York
start: 2027-03-01
end: 2027-05-31
format: pairs
meetings: {cadence: monthly, day: first Monday, time: "18:00", duration: 1h,
           location: "Room | 4 <i>", video: "https://x.example/a?b=1&c=<2>"}
sessions:
  - title: "Kickoff <script>x()</script>"
    kind: kickoff
    agenda:
      - {title: "Hello *world*", minutes: 20}
      - {title: "{{ 7*7 }}", minutes: 20}
"""

HOSTILE_MEMBERS = """\
members:
  - {id: evil, name: "<script>alert(1)</script>", organization: "a|b *c*", timezone: Asia/Tokyo}
  - {id: jinja, name: "{{ 7*7 }}", organization: "{% raw %}"}
  - {id: ok1, name: Zoë Łukasiewicz}
  - {id: ok2, name: Ola Nordmann}
"""

HOSTILE_ROUND = """\
round: r1
matches:
  - {id: "../../etc/passwd", members: [evil, jinja]}
  - {id: pair-2, members: [ok1, ok2]}
"""


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    root = write_folder(
        tmp_path / "hostile", {"program.yaml": HOSTILE_PROGRAM, "members.yaml": HOSTILE_MEMBERS}
    )
    return with_round(root, HOSTILE_ROUND, "r1")


def test_hostile_values_print_as_text(hostile: Path) -> None:
    from markdown_it import MarkdownIt

    result = run("agenda", hostile, "-s", "1", "--as", "md", "--as", "html")
    assert result.exit_code == 0, result.output
    folder = hostile / "out/agenda/session-01"
    # the match id cannot climb out of out/agenda/
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "all.html",
        "etc-passwd.html",
        "etc-passwd.md",
        "pair-2.html",
        "pair-2.md",
    ]
    html = (folder / "etc-passwd.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html
    assert "49" not in html
    assert "Night &lt;b&gt;owls&lt;/b&gt;" in html
    assert "Kickoff &lt;script&gt;x()&lt;/script&gt;" in html
    md = (folder / "etc-passwd.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert "<script>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "{{ 7*7 }}" in rendered
    assert "a|b *c*" in rendered  # stays in its cell, no emphasis
    assert "<em>" not in rendered
    # Tokyo is 14 hours ahead of New York in March: the next morning there
    assert "| Tue 2 Mar, 08:00–09:00 JST |" in md


def test_hostile_values_in_the_pdf(hostile: Path) -> None:
    pdftotext = pdf_tool("pdftotext")
    result = run("agenda", hostile, "-s", "1", "--as", "pdf")
    assert result.exit_code == 0, result.output
    text = subprocess.run(
        [pdftotext, hostile / "out/agenda/session-01/handouts.pdf", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "<script>alert(1)</script>" in text
    assert "{{ 7*7 }}" in text
    assert "Zoë Łukasiewicz" in text


def test_escape_markdown() -> None:
    assert escape_markdown("a_b") == "a_b"
    assert escape_markdown("_a_") == "\\_a\\_"
    assert escape_markdown("x | y") == "x \\| y"
    assert escape_markdown("line\nbreak") == "line break"


# --- templates: override and errors ------------------------------------------------------------


def test_program_template_overrides_the_shipped_one(sample_round: Path) -> None:
    write_folder(
        sample_round,
        {
            "templates/agenda.md.j2": (
                "{{ handout.match.id }}: {{ handout.members | map(attribute='name') | join(', ') }}\n"
            )
        },
    )
    result = run("agenda", sample_round, "-s", "1", "--only", "match-02", "--as", "md")
    assert result.exit_code == 0, result.output
    text = (sample_round / "out/agenda/session-01/match-02.md").read_text(encoding="utf-8")
    assert (
        text == "match-02: Ana Ruiz, Bianca Romano, Fatima Al-Sayed, Tara Nguyen, Vera Lindqvist\n"
    )


def test_broken_template_names_file_and_line(sample_round: Path) -> None:
    write_folder(sample_round, {"templates/agenda.md.j2": "# {{ program.name }}\n\n{% for x %}\n"})
    result = run("agenda", sample_round, "-s", "1", "--as", "md")
    assert result.exit_code == 1
    assert re.search(r"agenda\.md\.j2:3: template error", result.stderr), result.stderr
    assert "Traceback" not in result.output
    assert not (sample_round / "out").exists()


def test_undefined_name_in_template_names_file_and_line(sample_round: Path) -> None:
    write_folder(sample_round, {"templates/agenda.html.j2": "<p>\n{{ handouts[0].nope }}</p>\n"})
    result = run("agenda", sample_round, "-s", "1", "--as", "html")
    assert result.exit_code == 1
    assert re.search(r"agenda\.html\.j2:2: template error: .*nope", result.stderr), result.stderr


def test_a_dot_on_a_dict_finds_what_jinja_finds() -> None:
    import jinja2

    from peerkit.render import environment

    ours = environment(None, html=False)
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined)
    source = "{{ d.title }} {{ d.items | default('') is callable }} {{ d.keys()|list }}"
    context = {"d": {"title": "Kickoff", "items": 3, "keys": "k"}}
    assert ours.from_string(source).render(context) == plain.from_string(source).render(context)
    assert ours.from_string(source).render(context) == "Kickoff True ['title', 'items', 'keys']"
    with pytest.raises(jinja2.UndefinedError, match="nope"):
        ours.from_string("{{ d.nope }}").render(context)


def test_a_dot_on_an_object_finds_what_jinja_finds() -> None:
    """An attribute first, else an item, else undefined: as Jinja's own getattr."""
    import jinja2

    from peerkit.render import environment

    class Box:
        title = "Wins"

        def __getitem__(self, key: str) -> str:
            if key in ("extra", "title"):
                return f"item {key}"
            raise KeyError(key)

    ours = environment(None, html=True)
    plain = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    source = "{{ b.title }} / {{ b.extra }} / {{ b['title'] }} / {{ n.real }}"
    context = {"b": Box(), "n": 3}
    assert ours.from_string(source).render(context) == plain.from_string(source).render(context)
    assert ours.from_string(source).render(context) == "Wins / item extra / item title / 3"
    with pytest.raises(jinja2.UndefinedError, match="nope"):
        ours.from_string("{{ b.nope }}").render(context)


def test_a_member_who_left_is_not_on_later_handouts(sample_round: Path) -> None:
    folder = loaded(sample_round)
    first = render_agenda(folder, "1", formats=("md",), only="match-03").files
    third = render_agenda(folder, "3", formats=("md",), only="match-03").files
    assert "Ivan Horvat" in first["out/agenda/session-01/match-03.md"].decode()
    assert "Ivan Horvat" not in third["out/agenda/session-03/match-03.md"].decode()


def test_only_writes_its_own_pdf_and_keeps_the_combined_one(sample_round: Path) -> None:
    """`--only` prints handouts-MATCH.pdf beside handouts.pdf; all.html stays every match's."""
    assert run("agenda", sample_round, "-s", "1", "--as", "pdf", "--as", "html").exit_code == 0
    session = sample_round / "out/agenda/session-01"
    combined = (session / "handouts.pdf").read_bytes()
    every = (session / "all.html").read_text(encoding="utf-8")
    result = run(
        "agenda", sample_round, "-s", "1", "--only", "match-03", "--as", "pdf", "--as", "html"
    )
    assert result.exit_code == 0, result.output
    assert (session / "handouts.pdf").read_bytes() == combined
    assert (session / "all.html").read_text(encoding="utf-8") == every
    assert 'id="match-07"' in every
    one = session / "handouts-match-03.pdf"
    assert f"wrote {one}" in result.stdout
    assert "handouts.pdf" not in result.stdout
    text = subprocess.run(
        ["pdftotext", "-layout", str(one), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "MATCH-03" in text
    assert "Yusuf Demir" in text
    assert "MATCH-07" not in text
    # a member id picks their match, and names the file after it
    assert (
        run("agenda", sample_round, "-s", "1", "--only", "rosa-delgado", "--as", "pdf").exit_code
        == 0
    )
    assert (session / "handouts-match-07.pdf").exists()
    assert (session / "handouts.pdf").read_bytes() == combined
