"""What a person reads: capacity counted in mentees, names beside ids, explain, wording."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from peerkit.cli import app

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def mentoring(root: Path, members: list[dict[str, Any]], matching: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yaml").write_text(
        "name: Acme mentoring\ntimezone: America/New_York\nstart: 2027-01-04\nend: 2027-06-30\n"
        "format: mentoring\ncapacity: 2\n"
        "meetings: {cadence: monthly, day: second Tuesday, time: '10:00', duration: 45m}\n"
        f"matching:\n  seed: 3\n{matching}",
        encoding="utf-8",
    )
    (root / "members.yaml").write_text(
        yaml.safe_dump({"members": members}, sort_keys=False), encoding="utf-8"
    )
    return root


def person(member_id: str, name: str, role: str, **fields: Any) -> dict[str, Any]:
    return {"id": member_id, "name": name, "role": role, **fields}


STAFF = [
    person("E1001", "Grace Hopper", "mentor", capacity=2, offers=["leadership"]),
    person("E1002", "Alan Turing", "mentor", capacity=3, offers=["hiring"]),
    person("E2001", "Ada Byrne", "mentee", goals=["leadership"]),
    person("E2002", "Linus Park", "mentee", goals=["hiring"]),
    person("E2003", "Maya Chen", "mentee", goals=["leadership"]),
    person("E2004", "Omar Haddad", "mentee", goals=["hiring"]),
]


# --- capacity counts mentees ------------------------------------------------------------


def test_check_counts_mentees_in_one_hand_edited_match(tmp_path: Path) -> None:
    root = mentoring(tmp_path / "p", STAFF)
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text(
        "round: r1\nmatches:\n"
        "  - id: match-01\n    members: [E1001, E2001, E2002, E2003]\n"
        "  - id: match-02\n    members: [E1002, E2004]\n",
        encoding="utf-8",
    )
    result = run("check", str(root))
    assert result.exit_code == 1, result.output
    assert (
        "r1.yaml:3:5: error[over-capacity]: mentor Grace Hopper (E1001) has capacity 2 but is "
        "given 3 mentee(s) in round r1: Ada Byrne (E2001), Linus Park (E2002), Maya Chen (E2003)"
    ) in result.stderr
    assert "E1002" not in result.stderr  # one mentee of three: within capacity
    assert "matched-twice" not in result.stderr


def test_check_counts_mentees_over_several_matches(tmp_path: Path) -> None:
    root = mentoring(tmp_path / "p", STAFF)
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text(
        "round: r1\nmatches:\n"
        "  - id: match-01\n    members: [E1001, E2001, E2002]\n"
        "  - id: match-02\n    members: [E1001, E2003]\n"
        "  - id: match-03\n    members: [E1002, E2004]\n",
        encoding="utf-8",
    )
    result = run("check", str(root))
    assert result.exit_code == 1
    # the error sits at the match that goes over (match-02), not the first
    assert "r1.yaml:5:5: error[over-capacity]: mentor Grace Hopper (E1001) has capacity 2" in (
        result.stderr
    )
    assert "(this match match-02 takes them over)" in result.stderr
    assert "raise `capacity` for E1001 in members.yaml" in result.stderr


def test_capacity_full_is_no_error(tmp_path: Path) -> None:
    root = mentoring(tmp_path / "p", STAFF)
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text(
        "round: r1\nmatches:\n"
        "  - id: match-01\n    members: [E1001, E2001, E2003]\n"
        "  - id: match-02\n    members: [E1002, E2002, E2004]\n",
        encoding="utf-8",
    )
    result = run("check", str(root))
    assert "over-capacity" not in result.stderr, result.stderr


def test_a_pin_over_capacity_is_an_error_at_the_pin(tmp_path: Path) -> None:
    root = mentoring(tmp_path / "p", STAFF, "  pins:\n    - [E1001, E2001, E2002, E2003]\n")
    result = run("check", str(root))
    assert result.exit_code == 1
    assert (
        "program.yaml:11:7: error[over-capacity]: matching.pins: the pin gives mentor "
        "Grace Hopper (E1001) 3 mentee(s) (Ada Byrne (E2001), Linus Park (E2002), "
        "Maya Chen (E2003)), but their capacity is 2"
    ) in result.stderr


def test_a_pin_counts_its_mentees_against_the_capacity_left(tmp_path: Path) -> None:
    """A pin of two mentees with a capacity-3 mentor leaves one place, not two."""
    staff = [
        *STAFF,
        person("E2005", "Zoe Ito", "mentee", goals=["hiring"]),
        person("E2006", "Ivan Petrov", "mentee", goals=["hiring"]),
    ]
    root = mentoring(tmp_path / "p", staff, "  pins:\n    - [E1002, E2002, E2004]\n")
    result = run("match", str(root), "--round", "r1")
    assert result.exit_code == 0, result.output
    text = (root / "rounds" / "r1.yaml").read_text(encoding="utf-8")
    got = yaml.safe_load(text)
    given = [m for match in got["matches"] if "E1002" in match["members"] for m in match["members"]]
    assert len([m for m in given if m.startswith("E2")]) == 3
    assert {"E2002", "E2004"} <= set(given)
    assert len(got["unmatched"]) == 1  # 6 mentees, 5 places
    assert run("check", str(root)).exit_code == 0


def test_explain_lists_every_match_and_the_load(tmp_path: Path) -> None:
    root = mentoring(tmp_path / "p", STAFF)
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text(
        "round: r1\nmatches:\n"
        "  - id: match-01\n    members: [E1002, E2002]\n"
        "  - id: match-02\n    members: [E1001, E2001]\n"
        "  - id: match-03\n    members: [E1002, E2004]\n"
        "  - id: match-04\n    members: [E1001, E2003]\n",
        encoding="utf-8",
    )
    result = run("explain", str(root), "E1002", "--round", "r1")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Alan Turing (E1002) is in match-01 with Linus Park (E2002) (round r1)" in out
    assert "Alan Turing (E1002) is in match-03 with Omar Haddad (E2004) (round r1)" in out
    assert "capacity 3 mentee(s), 2 taken in round r1" in out
    alternatives = out.partition("best feasible alternatives")[2]
    assert "E2002" not in alternatives
    assert "E2004" not in alternatives
    assert "Ada Byrne (E2001)" in alternatives
    data = json.loads(
        run("explain", str(root), "E1002", "--round", "r1", "--format", "json").stdout
    )
    assert [m["id"] for m in data["matches"]] == ["match-01", "match-03"]
    assert {p["b"] for p in data["pairs"]} == {"E2002", "E2004"}
    assert not {p["b"] for p in data["alternatives"]} & {"E2002", "E2004"}


# --- names beside ids -------------------------------------------------------------------


def test_match_table_and_round_file_show_names_and_local_times(tmp_path: Path) -> None:
    staff = [
        person("E1001", "Grace Hopper", "mentor", capacity=2, offers=["leadership"]),
        person(
            "E1002",
            "Ravi Rao",
            "mentor",
            capacity=1,
            offers=["hiring"],
            timezone="Asia/Kolkata",
        ),
        person("E2001", "Ada Byrne", "mentee", goals=["leadership"]),
        person("E2002", "Bea Lima", "mentee", goals=["hiring"], timezone="America/Sao_Paulo"),
    ]
    root = mentoring(tmp_path / "p", staff)
    made = run("match", str(root), "--round", "r1")
    assert made.exit_code == 0, made.output
    table = made.stdout
    for label in ("Grace Hopper (E1001)", "Ada Byrne (E2001)", "Ravi Rao (E1002)"):
        assert f"│ {label} " in table, table  # one member a line in the members cell
    text = (root / "rounds" / "r1.yaml").read_text(encoding="utf-8")
    assert "    # Grace Hopper (E1001): Tue 10:00 EST\n    # Ada Byrne (E2001): Tue 10:00 EST" in (
        text
    )
    # Ravi in Bangalore and Bea in São Paulo: a time inside both their days, zones named
    assert "# Ravi Rao (E1002): Tue " in text
    assert "IST\n" in text
    assert "BRT\n" in text
    assert "-03" not in text
    got = yaml.safe_load(text)  # the comments leave the data as it was
    assert {tuple(m["members"]) for m in got["matches"]} == {
        ("E1001", "E2001"),
        ("E1002", "E2002"),
    }


def test_level_phrases_say_whose_level_is_whose(tmp_path: Path) -> None:
    staff = [
        person("E1001", "Grace Hopper", "mentor", levels={"knowledge": 5}),
        person("E2001", "Ada Byrne", "mentee", levels={"knowledge": 2}),
    ]
    root = mentoring(tmp_path / "p", staff)
    result = run("explain", str(root), "E2001", "E1001")
    assert result.exit_code == 0, result.output
    assert "complementary levels (mentor knowledge 5, mentee 2)" in result.output
    assert "Ada Byrne (E2001) with Grace Hopper (E1001)" in result.output


def test_a_mentor_below_the_mentee_is_not_called_complementary(tmp_path: Path) -> None:
    """Mentoring counts a level only where the mentor is above: one below is not named,
    and a pair with no level above scores 0 for levels and says nothing of them."""
    staff = [
        person("E1001", "Grace Hopper", "mentor", levels={"knowledge": 2, "experience": 5}),
        person("E2001", "Ada Byrne", "mentee", levels={"knowledge": 4, "experience": 1}),
        person("E1002", "Lin Wu", "mentor", levels={"knowledge": 1, "experience": 1}),
    ]
    root = mentoring(tmp_path / "p", staff)
    above = run("explain", str(root), "E2001", "E1001")
    assert above.exit_code == 0, above.output
    assert "complementary levels (mentor experience 5, mentee 1)" in above.output
    assert "mentor knowledge" not in above.output
    below = run("explain", str(root), "E2001", "E1002")
    assert below.exit_code == 0, below.output
    assert re.search(r"levels\s+0\.00\s*\n", below.output), below.output
    assert "complementary levels" not in below.output


# --- wording that fits the format ------------------------------------------------------


def test_one_to_one_defaults_speak_of_the_two_of_you(tmp_path: Path) -> None:
    root = mentoring(tmp_path / "p", STAFF)
    assert run("match", str(root), "--round", "r1").exit_code == 0
    made = run("agenda", str(root), "-s", "2", "--as", "md", "--as", "html")
    assert made.exit_code == 0, made.output
    md = (root / "out/agenda/session-02/match-01.md").read_text(encoding="utf-8")
    html = (root / "out/agenda/session-02/match-01.html").read_text(encoding="utf-8")
    assert "One real challenge: questions first, then advice" in md
    assert "What is said between the two of you stays there." in md
    for text in (md, html):
        assert "hot seat" not in text.lower()
        assert "the team" not in text.lower()
        assert "this group" not in text.lower()
    assert "You and your mentor, and our commitments" in html
    survey = run("survey", str(root), "checkin", "--as", "md")
    assert survey.exit_code == 0, survey.output
    written = "\n".join(p.read_text(encoding="utf-8") for p in (root / "out").rglob("*checkin*.md"))
    assert "We both came prepared and took part." in written
    assert "Everyone came prepared" not in written


def test_groups_keep_the_team_wording(tmp_path: Path) -> None:
    from peerkit.agenda import ground_rules

    assert "this group" in ground_rules("groups")["kickoff"][0][1]
    assert "the two of you" in ground_rules("pairs")["regular"][0][1]
    assert "your mentor" in ground_rules("mentoring")["kickoff"][-1][1]
