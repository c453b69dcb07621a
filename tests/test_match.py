"""Matching: planted rosters, hard rules, pins and locks, round files, brute-force optimality."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from peerkit.check import check_folder
from peerkit.cli import app
from peerkit.load.folder import load_folder
from peerkit.load.reader import Reader
from peerkit.load.rounds import load_round
from peerkit.match import match_round
from peerkit.match.pool import build_pool
from peerkit.match.rules import feasible_block
from peerkit.match.score import score_block
from peerkit.model import DayRule, Folder, Levels, Member, Rules
from peerkit.schedule import meetings_for

SAMPLE = Path(__file__).resolve().parent.parent / "sample-program"
runner = CliRunner()


def make_program(
    root: Path,
    members: list[dict[str, Any]],
    fmt: str = "pairs",
    matching: str = "",
    extra: str = "",
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yaml").write_text(
        "name: Test program\ntimezone: UTC\nstart: 2027-01-01\nend: 2027-06-30\n"
        f"format: {fmt}\ncapacity: 2\n{extra}"
        "meetings: {cadence: monthly, day: second Tuesday, time: '09:00', duration: 1h}\n"
        f"matching:\n  seed: 7\n{matching}",
        encoding="utf-8",
    )
    (root / "members.yaml").write_text(
        yaml.safe_dump({"members": members}, sort_keys=False), encoding="utf-8"
    )
    return root


def person(member_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": member_id, "name": member_id.title(), **fields}


def loaded(root: Path) -> Folder:
    folder, problems = check_folder(root)
    assert folder is not None, problems
    assert not [p for p in problems if p.severity == "error"], problems
    return folder


def pairs_of(result: Any) -> set[frozenset[str]]:
    return {frozenset(m.members) for m in result.matches}


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


# --- planted rosters ------------------------------------------------------------------


def test_planted_pairs_are_found(tmp_path: Path) -> None:
    members = [
        person("ana", goals=["pricing", "hiring"], obstacles=["cash"]),
        person("ben", goals=["pricing", "hiring"], obstacles=["cash"]),
        person("cho", goals=["export", "growth"], obstacles=["time"]),
        person("dan", goals=["export", "growth"], obstacles=["time"]),
    ]
    folder = loaded(make_program(tmp_path / "p", members))
    result = match_round(folder, "r1")
    assert pairs_of(result) == {frozenset({"ana", "ben"}), frozenset({"cho", "dan"})}
    assert result.summary.optimal is True
    assert result.summary.gap_percent == 0
    first = result.matches[0]
    assert first.members == ("ana", "ben")
    assert any("common ground: cash, hiring, pricing" in r for r in first.reasons)
    assert set(first.terms) == {
        "common_ground",
        "goals_offers",
        "levels",
        "timezone",
        "availability",
        "diversity",
    }


def test_names_print_as_written_without_markup_or_emoji(tmp_path: Path) -> None:
    """A name with what Rich would read as markup or an emoji code prints as it is."""
    members = [
        person("ana", name="Ana :fire: Lima", goals=["pricing"]),
        person("ben", name="Ben [bold]Carter", goals=["pricing"]),
    ]
    result = run("match", str(make_program(tmp_path / "p", members)))
    assert result.exit_code == 0, result.output
    assert "Ana :fire: Lima (ana)" in result.output
    assert "Ben [bold]Carter (ben)" in result.output


def test_best_pair_that_breaks_a_rule_is_not_made(tmp_path: Path) -> None:
    members = [
        person("ana", organization="Acme", goals=["pricing", "hiring"]),
        person("ben", organization="Acme", goals=["pricing", "hiring"]),
        person("cho", organization="Beta", goals=["pricing"]),
        person("dan", organization="Gamma", goals=["hiring"]),
    ]
    root = make_program(tmp_path / "p", members, matching="  rules: {not_same: [organization]}\n")
    result = match_round(loaded(root), "r1")
    assert frozenset({"ana", "ben"}) not in pairs_of(result)
    assert len(pairs_of(result)) == 2
    assert "not the same organization" in result.matches[0].rules


def test_every_hard_rule_excludes_its_pair(tmp_path: Path) -> None:
    members = [
        person("boss", goals=["x"], languages=["en"]),
        person("emp", manager="boss", goals=["x"], languages=["en"]),
        person("ana", goals=["x"], avoid=["emp"], languages=["en"]),
        person("far", goals=["x"], timezone="Asia/Tokyo", languages=["en"]),
        person("fr", goals=["x"], languages=["fr"]),
        person("same", goals=["x"], languages=["en"], levels={"knowledge": 3}),
        person("same2", goals=["x"], languages=["en"], levels={"knowledge": 3}),
    ]
    rules = (
        "  rules:\n    differ_in_one_of: [knowledge]\n    share_one_of: [languages]\n"
        "    max_timezone_gap: 4\n"
    )
    folder = loaded(make_program(tmp_path / "p", members, matching=rules))
    pool = build_pool(folder, folder.members, "r1")
    ok = feasible_block(pool, range(pool.size), range(pool.size))
    at = pool.index
    assert not ok[at["boss"], at["emp"]]
    assert not ok[at["emp"], at["boss"]]
    assert not ok[at["ana"], at["emp"]]
    assert not ok[at["emp"], at["ana"]]
    assert not ok[at["far"], at["ana"]]  # 9 hours apart
    assert not ok[at["fr"], at["ana"]]  # no shared language
    assert not ok[at["same"], at["same2"]]  # same knowledge level
    assert ok[at["boss"], at["ana"]]
    result = match_round(folder, "r1")
    for match in result.matches:
        idx = [at[m] for m in match.members]
        assert all(ok[i, j] for i in idx for j in idx if i != j)


def test_mentoring_respects_capacity_and_plants(tmp_path: Path) -> None:
    members = [
        person("m1", role="mentor", capacity=1, offers=["pricing"]),
        person("m2", role="mentor", capacity=2, offers=["hiring", "export"]),
        person("e1", role="mentee", goals=["pricing"]),
        person("e2", role="mentee", goals=["hiring"]),
        person("e3", role="mentee", goals=["export"]),
        person("e4", role="mentee", goals=["pricing"]),
    ]
    result = match_round(loaded(make_program(tmp_path / "p", members, "mentoring")), "r1")
    assert pairs_of(result) == {
        frozenset({"m1", "e1"}),
        frozenset({"m2", "e2"}),
        frozenset({"m2", "e3"}),
    } or pairs_of(result) == {
        frozenset({"m1", "e4"}),
        frozenset({"m2", "e2"}),
        frozenset({"m2", "e3"}),
    }
    assert all(m.members[0].startswith("m") for m in result.matches)  # mentor first
    assert [u.member for u in result.unmatched] in (["e4"], ["e1"])
    assert "capacity exhausted" in result.unmatched[0].reason


def test_mentors_per_mentee(tmp_path: Path) -> None:
    members = [
        person("m1", role="mentor", capacity=2, offers=["a"]),
        person("m2", role="mentor", capacity=2, offers=["b"]),
        person("e1", role="mentee", goals=["a", "b"]),
        person("e2", role="mentee", goals=["a", "b"]),
    ]
    root = make_program(tmp_path / "p", members, "mentoring", "  mentors_per_mentee: 2\n")
    result = match_round(loaded(root), "r1")
    assert len(result.matches) == 4
    assert {m.members for m in result.matches} == {
        ("m1", "e1"),
        ("m1", "e2"),
        ("m2", "e1"),
        ("m2", "e2"),
    }
    text = (root / "rounds").exists()
    assert not text  # the library writes nothing


def test_odd_member_joins_a_pair_as_a_trio(tmp_path: Path) -> None:
    members = [person(f"p{k}", goals=["x", f"g{k % 2}"]) for k in range(5)]
    result = match_round(loaded(make_program(tmp_path / "p", members)), "r1")
    sizes = sorted(len(m.members) for m in result.matches)
    assert sizes == [2, 3]
    assert not result.unmatched


def test_groups_are_balanced_and_keep_rules(tmp_path: Path) -> None:
    members = [
        person(f"m{k:02d}", organization=f"org{k % 5}", goals=[f"g{k % 3}"], industry=f"i{k % 4}")
        for k in range(23)
    ]
    root = make_program(
        tmp_path / "p",
        members,
        "groups",
        "  rules: {not_same: [organization]}\n  diversity: [industry]\n",
        "group_size: {min: 4, max: 6}\n",
    )
    folder = loaded(root)
    result = match_round(folder, "r1")
    sizes = sorted(len(m.members) for m in result.matches)
    assert sum(sizes) == 23
    assert max(sizes) - min(sizes) <= 1
    assert min(sizes) >= 4
    for match in result.matches:
        orgs = [folder.member(m).organization for m in match.members]  # type: ignore[union-attr]
        assert len(set(orgs)) == len(orgs)
    assert result.summary.bound >= result.summary.total


# --- the CLI, round files, pins, locks, repeats ---------------------------------------


def test_sample_program_cli(tmp_path: Path) -> None:
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root)
    shutil.rmtree(root / "rounds", ignore_errors=True)
    dry = run("match", str(root), "--round", "2027", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "36 of 36 active members matched (100.0%)" in dry.stdout
    assert not (root / "rounds").exists()
    made = run("match", str(root), "--round", "2027", "--format", "json")
    assert made.exit_code == 0, made.output
    data = json.loads(made.stdout)
    assert data["summary"]["matched"] == 36
    assert all(4 <= len(m["members"]) <= 6 for m in data["matches"])
    text = (root / "rounds" / "2027.yaml").read_text()
    assert text == (SAMPLE / "rounds" / "2027.yaml").read_text()  # committed file is current
    again = run("match", str(root), "--round", "2027")
    assert again.exit_code == 1
    assert "rounds/2027.yaml already exists" in again.stderr
    assert "--force" in again.stderr
    check = run("check", str(root))
    assert check.exit_code == 0, check.output


def test_round_file_reads_back_and_is_deterministic(tmp_path: Path) -> None:
    root = make_program(
        tmp_path / "p",
        [person(f"p{k}", goals=[f"g{k % 3}"], organization='Ö & Co: "quoted"') for k in range(8)],
    )
    folder = loaded(root)
    first = match_round(folder, "2027-q1")
    second = match_round(folder, "2027-q1")
    assert first.text == second.text
    other_seed = match_round(folder, "2027-q1", seed=99)
    assert other_seed.summary.seed == 99
    path = tmp_path / "round.yaml"
    path.write_text(first.text)
    reader = Reader()
    back = load_round(path, "rounds/2027-q1.yaml", reader)
    assert not reader.problems
    assert back is not None
    assert [(m.id, m.members) for m in back.matches] == [(m.id, m.members) for m in first.matches]
    assert back.matches[0].score == first.matches[0].score
    assert back.summary == first.summary  # the summary block reads back as it was made
    assert back.summary.format == "pairs"


def test_an_old_round_files_summary_still_reads(tmp_path: Path) -> None:
    """A round file from before a summary key existed reads with that key's default, and a
    key peerkit does not know (or no longer writes) is ignored."""
    path = tmp_path / "old.yaml"
    path.write_text(
        "round: old\n"
        "summary:\n"
        "  format: pairs\n"
        "  seed: 7\n"
        "  matched: 4\n"
        "  optimal: true\n"
        "  weights: {common_ground: 3, levels: 1}\n"
        "  retired_key: 12\n"
        "  changes:\n"
        "    from: before\n"
        "    kept: 1\n"
        "    left: [a, b]\n"
        "matches:\n"
        "  - id: match-01\n"
        "    members: [a, b]\n"
        "unmatched: []\n"
    )
    reader = Reader()
    back = load_round(path, "rounds/old.yaml", reader)
    assert not reader.problems
    assert back is not None
    summary = back.summary
    assert (summary.format, summary.seed, summary.matched, summary.optimal) == ("pairs", 7, 4, True)
    assert summary.weights == {"common_ground": 3.0, "levels": 1.0}
    assert (summary.total, summary.rules, summary.mentor_loads) == (0.0, (), None)
    assert summary.changes is not None
    assert (summary.changes.source_round, summary.changes.kept) == ("before", 1)
    assert summary.changes.left == ("a", "b")
    assert summary.changes.joined == ()
    assert "retired_key" not in summary.as_dict()


def test_pins_and_locks_survive_rematch(tmp_path: Path) -> None:
    members = [person(f"p{k}", goals=[f"g{k}"], offers=[f"g{(k + 1) % 6}"]) for k in range(6)]
    root = make_program(tmp_path / "p", members, matching="  pins:\n    - [p0, p3]\n")
    assert run("match", str(root), "--round", "r1").exit_code == 0
    path = root / "rounds" / "r1.yaml"
    data = yaml.safe_load(path.read_text())
    assert ["p0", "p3"] in [m["members"] for m in data["matches"]]
    other = next(m for m in data["matches"] if "p0" not in m["members"])
    # Lock a match by hand, as a coordinator would.
    text = path.read_text().replace(
        f"  - id: {other['id']}\n", f"  - id: {other['id']}\n    locked: true\n"
    )
    path.write_text(text)
    redo = run("match", str(root), "--round", "r1", "--force", "--seed", "3")
    assert redo.exit_code == 0, redo.output
    again = yaml.safe_load(path.read_text())
    kept = {tuple(m["members"]): m.get("locked", False) for m in again["matches"]}
    assert kept[tuple(other["members"])] is True
    assert ("p0", "p3") in kept


def test_a_kept_match_keeps_its_day_as_written(tmp_path: Path) -> None:
    members = [person(f"p{k}", goals=[f"g{k}"]) for k in range(4)]
    root = make_program(tmp_path / "p", members)
    assert run("match", str(root), "--round", "r1").exit_code == 0
    path = root / "rounds" / "r1.yaml"
    first = yaml.safe_load(path.read_text())["matches"][0]["id"]
    text = path.read_text().replace(
        f"  - id: {first}\n", f"  - id: {first}\n    locked: true\n    day: 3rd wed\n"
    )
    path.write_text(text)
    folder = loaded(root)
    assert next(m for m in folder.rounds[0].matches if m.id == first).day == DayRule(2, 3)
    redo = run("match", str(root), "--round", "r1", "--force", "--seed", "3")
    assert redo.exit_code == 0, redo.output
    again = yaml.safe_load(path.read_text())
    assert {m["id"]: m.get("day") for m in again["matches"]}[first] == "3rd wed"
    kept = next(m for m in loaded(root).rounds[0].matches if m.id == first)
    meetings = meetings_for(folder.program, kept)
    assert {(m.date.weekday(), (m.date.day - 1) // 7) for m in meetings} == {(2, 2)}


def test_second_round_repeats_nobody(tmp_path: Path) -> None:
    members = [person(f"p{k}", goals=["same"]) for k in range(6)]
    root = make_program(tmp_path / "p", members)
    assert run("match", str(root), "--round", "r1").exit_code == 0
    assert run("match", str(root), "--round", "r2", "--start", "2027-04-01").exit_code == 0
    folder = loaded(root)
    first, second = folder.rounds
    before = {frozenset(m.members) for m in first.matches}
    after = {frozenset(m.members) for m in second.matches}
    assert len(after) == 3
    assert not before & after


def test_infeasible_roster_is_a_clear_error(tmp_path: Path) -> None:
    members = [person(f"p{k}", organization="Acme") for k in range(4)]
    root = make_program(tmp_path / "p", members, matching="  rules: {not_same: [organization]}\n")
    result = run("match", str(root), "--round", "r1")
    assert result.exit_code == 1
    assert "nobody can be matched under the rules" in result.stderr
    assert "not the same organization rules out 3" in result.stderr
    assert "Traceback" not in result.output
    assert not (root / "rounds").exists()


def test_unmatched_member_gets_the_rule_that_excluded_them(tmp_path: Path) -> None:
    members = [
        person("a", organization="X"),
        person("b", organization="Y"),
        person("c", organization="Z", timezone="Asia/Tokyo"),
    ]
    rules = "  rules: {max_timezone_gap: 2}\n"
    result = match_round(loaded(make_program(tmp_path / "p", members, matching=rules)), "r1")
    assert pairs_of(result) == {frozenset({"a", "b"})}
    assert result.unmatched[0].member == "c"
    assert "no feasible partner: at most 2h apart rules out 2" in result.unmatched[0].reason


def test_inactive_members_are_left_out(tmp_path: Path) -> None:
    members = [
        person("a"),
        person("b"),
        person("gone", left="2026-12-01"),
        person("off", active=False),
    ]
    result = match_round(loaded(make_program(tmp_path / "p", members)), "r1")
    assert pairs_of(result) == {frozenset({"a", "b"})}
    assert result.summary.inactive == 2


def test_bad_round_name_is_a_usage_error(tmp_path: Path) -> None:
    root = make_program(tmp_path / "p", [person("a"), person("b")])
    result = run("match", str(root), "--round", "../x")
    assert result.exit_code == 2
    assert "cannot name a round" in result.stderr


# --- check on hand-edited round files -------------------------------------------------


def check_round(tmp_path: Path, members: list[dict[str, Any]], text: str, **program: str) -> Any:
    """`peerkit check` of a program of `members` with rounds/r1.yaml holding `text`."""
    root = make_program(tmp_path / "p", members, **program)
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text(text)
    return run("check", str(root))


def test_check_finds_hand_edits_that_break_rules(tmp_path: Path) -> None:
    members = [
        person("a", organization="X"),
        person("b", organization="X"),
        person("c", organization="Y"),
        person("d", organization="Z", active=False),
    ]
    result = check_round(
        tmp_path,
        members,
        "round: r1\nmatches:\n"
        "  - id: match-01\n    members: [a, b]\n"
        "  - id: match-02\n    members: [b, c]\n"
        "  - id: match-03\n    members: [c, d]\n",
        matching="  rules: {not_same: [organization]}\n",
    )
    assert result.exit_code == 1
    err = result.stderr
    assert (
        "r1.yaml:3:5: error[match-rule]: match match-01 breaks the rule 'not the same organization'"
        in err
    )
    assert "a and b have the same organization (X)" in err
    assert "error[matched-twice]: b is in 2 matches" in err
    assert "r1.yaml:7:5: error[inactive-matched]: match match-03: d is not active" in err


def test_check_finds_the_broken_rule_in_a_round_of_many_matches(tmp_path: Path) -> None:
    """400 pairs, their rules looked at many matches at a time: a pair of one organization
    is found wherever it is; two members of one organization in different matches are not."""
    count = 400
    broken = {0, 127, 128, 250, count - 1}  # the first, at a block's end and start, the last
    members = []
    for k in range(count):
        first, second = ("X", "X") if k in broken else (f"o{2 * k}", f"o{2 * k + 1}")
        if k in (1, 2):
            second = "Y"  # the second members of matches 2 and 3 share one: not a problem
        members += [
            person(f"p{2 * k}", organization=first),
            person(f"p{2 * k + 1}", organization=second),
        ]
    text = "round: r1\nmatches:\n" + "".join(
        f"  - id: match-{k + 1:03d}\n    members: [p{2 * k}, p{2 * k + 1}]\n" for k in range(count)
    )
    result = check_round(tmp_path, members, text, matching="  rules: {not_same: [organization]}\n")
    assert result.exit_code == 1
    found = re.findall(r"error\[match-rule\]: match (match-\d+) breaks", result.stderr)
    assert found == [f"match-{k + 1:03d}" for k in sorted(broken)]
    assert "p1 and p2" not in result.stderr


def test_check_finds_an_avoided_mentor_where_both_have_several_matches(tmp_path: Path) -> None:
    """A mentor with two mentees, avoided by one who has a second mentor: only their own
    match breaks the rule, wherever else the two of them are."""
    members = [
        person("m", role="mentor"),
        person("n", role="mentor"),
        person("e1", role="mentee", avoid=["m"]),
        person("e2", role="mentee"),
    ]
    result = check_round(
        tmp_path,
        members,
        "round: r1\nmatches:\n"
        "  - id: match-01\n    members: [m, e1]\n    time: '09:00'\n"
        "  - id: match-02\n    members: [m, e2]\n    time: '10:00'\n"
        "  - id: match-03\n    members: [n, e1]\n    time: '11:00'\n",
        fmt="mentoring",
        matching="  mentors_per_mentee: 2\n",
    )
    found = re.findall(r"match-rule\]: match (match-\d+) breaks the rule '([^']+)'", result.stderr)
    assert found == [("match-01", "not on an avoid list")]


def test_check_finds_a_mentors_overlapping_meetings(tmp_path: Path) -> None:
    """Two meetings of one mentor 30 minutes apart (an hour each) overlap; an hour apart not."""
    members = [person("m", role="mentor"), *(person(e, role="mentee") for e in ("e1", "e2", "e3"))]
    result = check_round(
        tmp_path,
        members,
        "round: r1\nmatches:\n"
        "  - id: match-01\n    members: [m, e1]\n    time: '09:00'\n"
        "  - id: match-02\n    members: [m, e2]\n    time: '09:30'\n"
        "  - id: match-03\n    members: [m, e3]\n    time: '10:30'\n",
        fmt="mentoring",
    )
    found = re.findall(r"warning\[overlap\]: (.*)", result.stderr)
    assert found == [
        "m has match-01 at 09:00 and match-02 at 09:30: the meetings overlap (60 minutes each)"
    ]


# --- explain --------------------------------------------------------------------------


def test_explain_pair_and_member(tmp_path: Path) -> None:
    members = [
        person("ana", organization="X", goals=["pricing"]),
        person("ben", organization="X", goals=["export"]),
        person("cho", organization="Y", offers=["pricing"]),
        person("dan", organization="Z"),
    ]
    root = make_program(tmp_path / "p", members, matching="  rules: {not_same: [organization]}\n")
    assert run("match", str(root), "--round", "r1").exit_code == 0
    pair = run("explain", str(root), "ana", "ben")
    assert pair.exit_code == 0, pair.output
    assert "may not be matched" in pair.stdout
    assert "ana and ben have the same organization (x)" in pair.stdout.lower()
    one = run("explain", str(root), "ana", "--format", "json")
    data = json.loads(one.stdout)
    assert data["match"]["members"] == ["ana", "cho"]
    assert data["pairs"][0]["terms"]["goals_offers"] == 1.5
    assert data["excluded"] == {"not the same organization": ["ben"]}
    assert [p["b"] for p in data["alternatives"]] == ["dan"]
    missing = run("explain", str(root), "anna")
    assert missing.exit_code == 1
    assert "did you mean 'ana'?" in missing.stderr


def test_build_makes_the_first_round(tmp_path: Path) -> None:
    root = make_program(tmp_path / "p", [person(f"p{k}") for k in range(4)])
    result = run("build", str(root), "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "rounds/2027.yaml" in json.loads(result.stdout)["files"]
    assert not (root / "rounds").exists()


# --- properties and brute force -------------------------------------------------------

TOPICS = ["pricing", "hiring", "export", "cash", "growth"]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"]


@st.composite
def rosters(draw: st.DrawFn, low: int = 2, high: int = 8) -> list[Member]:
    count = draw(st.integers(low, high))
    members = []
    for k in range(count):
        members.append(
            Member(
                id=f"m{k}",
                name=f"M{k}",
                role=draw(st.sampled_from(["mentor", "mentee"])),
                organization=draw(st.sampled_from(["a", "b", "c"])),
                timezone=draw(st.sampled_from(ZONES)),
                goals=tuple(draw(st.lists(st.sampled_from(TOPICS), max_size=3, unique=True))),
                offers=tuple(draw(st.lists(st.sampled_from(TOPICS), max_size=3, unique=True))),
                levels=Levels(draw(st.integers(1, 3)), draw(st.integers(1, 2)), None),
                capacity=draw(st.integers(1, 2)),
                active=draw(st.booleans()) or k < 2,
            )
        )
    return members


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    root = make_program(tmp_path_factory.mktemp("base"), [person("x"), person("y")])
    folder, _ = load_folder(root)
    assert folder is not None
    return folder


def with_roster(base: Folder, members: list[Member], fmt: str) -> Folder:
    rules = Rules(
        differ_in_one_of=("knowledge", "experience"),
        not_same=("organization",),
        max_timezone_gap=8,
    )
    matching = replace(base.program.matching, rules=rules)
    program = replace(base.program, format=fmt, matching=matching)  # type: ignore[arg-type]
    return replace(base, program=program, members=tuple(members))


def best_pairing(score: Any, ok: Any, n: int) -> tuple[int, float]:
    """(most pairs, best total) over every matching of n members, by brute force."""
    best = (0, 0.0)

    def walk(left: list[int], pairs: int, total: float) -> None:
        nonlocal best
        if (pairs, total) > best:
            best = (pairs, total)
        if len(left) < 2:
            return
        first, rest = left[0], left[1:]
        walk(rest, pairs, total)  # first stays unmatched
        for k, other in enumerate(rest):
            if ok[first, other]:
                walk(rest[:k] + rest[k + 1 :], pairs + 1, total + score[first, other])

    walk(list(range(n)), 0, 0.0)
    return best


def attempt(folder: Folder) -> Any:
    """The round, or None when nobody can be matched (the only failure allowed)."""
    from peerkit.errors import PeerkitError

    try:
        return match_round(folder, "r1")
    except PeerkitError as exc:
        if "nobody can be matched" not in exc.message:
            raise
        return None


def check_invariants(folder: Folder, result: Any) -> None:
    active = {m.id for m in folder.members if m.is_active_on(folder.program.start)}
    matched = [m for match in result.matches for m in match.members]
    assert set(matched) <= active
    assert set(matched) | {u.member for u in result.unmatched} == active
    pool = build_pool(folder, [m for m in folder.members if m.id in active], result.name)
    ok = feasible_block(pool, range(pool.size), range(pool.size))
    for match in result.matches:
        idx = [pool.index[m] for m in match.members]
        if folder.program.format == "mentoring":
            mentor, *mentees = idx
            assert all(ok[mentor, e] for e in mentees)
        else:
            assert all(ok[i, j] for i in idx for j in idx if i != j)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(members=rosters())
def test_pairs_are_optimal_and_keep_rules(base: Folder, members: list[Member]) -> None:
    folder = with_roster(base, members, "pairs")
    result = attempt(folder)
    if result is None:
        return
    check_invariants(folder, result)
    active = [m for m in members if m.is_active_on(folder.program.start)]
    assert len({m for match in result.matches for m in match.members}) == sum(
        len(m.members) for m in result.matches
    )
    pool = build_pool(folder, active, "r1")
    idx = range(pool.size)
    score, ok = score_block(pool, idx, idx), feasible_block(pool, idx, idx)
    pairs, total = best_pairing(score, ok, pool.size)
    two = [m for m in result.matches if len(m.members) == 2]
    trios = [m for m in result.matches if len(m.members) == 3]
    assert len(two) + len(trios) == pairs
    if not trios:
        assert sum(m.score for m in two) == pytest.approx(total, abs=1e-3 * max(pairs, 1))
    assert result.text == match_round(folder, "r1").text


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(members=rosters())
def test_mentoring_is_optimal_and_respects_capacity(base: Folder, members: list[Member]) -> None:
    folder = with_roster(base, members, "mentoring")
    result = attempt(folder)
    if result is None:
        return
    check_invariants(folder, result)
    load = {}
    for match in result.matches:
        mentor, mentee = match.members
        load[mentor] = load.get(mentor, 0) + 1
        assert folder.member(mentor).role == "mentor"  # type: ignore[union-attr]
        assert folder.member(mentee).role == "mentee"  # type: ignore[union-attr]
    for mentor, count in load.items():
        assert count <= folder.member(mentor).capacity  # type: ignore[union-attr]
    mentees = [m for match in result.matches for m in match.members[1:]]
    assert len(mentees) == len(set(mentees))
    # Brute force: every assignment of mentees to a mentor (or none) within capacity; most
    # mentees first, then (matching.spread, on by default) most mentors with one, then score.
    assert folder.program.matching.spread is True
    active = [m for m in members if m.is_active_on(folder.program.start)]
    pool = build_pool(folder, active, "r1")
    ees = [i for i, m in enumerate(pool.members) if m.role == "mentee"]
    ors = [i for i, m in enumerate(pool.members) if m.role == "mentor"]
    score = score_block(pool, ees, ors, directed=True)
    ok = feasible_block(pool, ees, ors)
    best: tuple[int, int, float] = (0, 0, 0.0)
    for choice in itertools.product([-1, *range(len(ors))], repeat=len(ees)):
        used = [c for c in choice if c >= 0]
        if any(used.count(c) > pool.members[ors[c]].capacity for c in set(used)):
            continue
        if any(c >= 0 and not ok[e, c] for e, c in enumerate(choice)):
            continue
        value = (
            len(used),
            len(set(used)),
            sum(score[e, c] for e, c in enumerate(choice) if c >= 0),
        )
        best = max(best, value)
    assert len(result.matches) == best[0]
    assert len({m.members[0] for m in result.matches}) == best[1]
    assert sum(m.score for m in result.matches) == pytest.approx(
        best[2], abs=1e-3 * max(best[0], 1)
    )


def test_groups_match_brute_force_on_small_rosters(base: Folder) -> None:
    import random

    rng = random.Random(5)
    for trial in range(4):
        members = [
            Member(
                id=f"m{k}",
                name=f"M{k}",
                goals=tuple(rng.sample(TOPICS, 2)),
                offers=tuple(rng.sample(TOPICS, 2)),
                timezone=rng.choice(ZONES[:2]),
                organization=rng.choice("abcd"),
            )
            for k in range(8)
        ]
        folder = with_roster(base, members, "groups")
        program = replace(
            folder.program, group_size=replace(folder.program.group_size, min=4, max=4)
        )
        program = replace(program, matching=replace(program.matching, rules=Rules()))
        folder = replace(folder, program=program)
        result = match_round(folder, f"r{trial}")
        pool = build_pool(folder, members, "r")
        score = score_block(pool, range(8), range(8))
        best = 0.0
        for team in itertools.combinations(range(1, 8), 3):
            first = [0, *team]
            second = [k for k in range(8) if k not in first]
            value = 0.0
            for t in (first, second):
                block = score[t][:, t]
                value += (block.sum() - block.trace()) / 3
            best = max(best, value)
        assert result.summary.total == pytest.approx(best, abs=1e-3)


# --- pairs above the all-pairs limit: proven optimal ----------------------------------


def random_roster(
    root: Path, count: int, seed: int, departments: int = 20, topics_count: int = 40
) -> Folder:
    """`count` peers with random interests, levels, timezones and departments."""
    import random

    rng = random.Random(seed)
    topics = [f"topic {k}" for k in range(topics_count)]
    zones = ["America/Chicago", "America/New_York", "Europe/London", "Europe/Berlin"]
    root.mkdir(parents=True, exist_ok=True)
    (root / "program.yaml").write_text(
        "name: Random\ntimezone: UTC\nstart: 2027-01-01\nend: 2027-12-31\nformat: pairs\n"
        "matching:\n  seed: 1\n  rules:\n    not_same: [department]\n  diversity: [industry]\n",
        encoding="utf-8",
    )
    lines = ["id,name,department,timezone,goals,offers,obstacles,knowledge,industry"]
    for k in range(count):
        lines.append(
            f"m{k:04d},Member {k},dept{min(rng.randrange(departments * 2), departments)},"
            f"{rng.choice(zones)},{';'.join(rng.sample(topics, 3))},"
            f"{';'.join(rng.sample(topics, 3))},{';'.join(rng.sample(topics, 2))},"
            f"{rng.randint(1, 5)},industry{rng.randrange(10)}"
        )
    (root / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return loaded(root)


def full_graph_pairs(pool: Any) -> tuple[int, int]:
    """(pairs, integer total) of the best matching with every feasible pair as an edge."""
    import numpy as np

    from peerkit.match.solve import SCALE, _blossom, dense_pairs

    idx = np.arange(pool.size)
    score, ok = dense_pairs(pool, idx)
    a, b = np.nonzero(np.triu(ok, 1))
    weight = np.rint(score * SCALE)
    matched = _blossom(pool.size, a, b, weight[a, b])
    return len(matched), int(sum(weight[x, y] for x, y in matched))


@pytest.mark.parametrize(
    ("count", "candidates", "departments"),
    [
        (400, 40, 20),  # the usual path: the prices prove the first matching optimal
        (400, 12, 20),  # prices miss pairs, then the pairs they cannot rule out are tried
        (401, 8, 20),  # odd: one member stays out of the proof's pairing
        (330, 40, 1),  # half the roster in one department: no proof, every pair is tried
    ],
)
def test_pairs_equal_the_full_graph_optimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int, candidates: int, departments: int
) -> None:
    import numpy as np

    from peerkit.match import solve
    from peerkit.match.solve import SCALE, solve_pairs

    monkeypatch.setattr(solve, "PAIRS_CANDIDATES", candidates)
    folder = random_roster(tmp_path, count, seed=count, departments=departments)
    pool = build_pool(folder, list(folder.members), "r1")
    solved = solve_pairs(pool, np.arange(pool.size))
    pairs, total = full_graph_pairs(pool)
    assert solved.exact
    assert len(solved.matches) == pairs
    assert sum(round(s * SCALE) for s in solved.scores) == total
    assert solved.bound == pytest.approx(sum(solved.scores))
    ok = feasible_block(pool, range(pool.size), range(pool.size))
    assert all(ok[i, j] for i, j in solved.matches)
    assert len({i for pair in solved.matches for i in pair}) == 2 * pairs


def test_pairs_without_a_proof_report_a_true_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from peerkit.match import solve
    from peerkit.match.solve import SCALE, solve_pairs

    # Four topics: many equal scores, so the prices leave too many pairs open to prove.
    monkeypatch.setattr(solve, "PAIRS_NEAR_PER_MEMBER", 2)
    monkeypatch.setattr(solve, "PAIRS_FULL_LIMIT", 0)
    folder = random_roster(tmp_path, 400, seed=3, topics_count=4)
    pool = build_pool(folder, list(folder.members), "r1")
    solved = solve_pairs(pool, np.arange(pool.size))
    pairs, total = full_graph_pairs(pool)
    assert not solved.exact
    assert len(solved.matches) == pairs
    assert sum(round(s * SCALE) for s in solved.scores) <= total
    assert solved.bound * SCALE >= total - 1e-6


def test_large_pairs_round_reports_optimal(tmp_path: Path) -> None:
    folder = random_roster(tmp_path, 350, seed=5)
    result = match_round(folder, "r1")
    again = match_round(folder, "r1")
    assert result.text == again.text
    assert sum(len(m.members) for m in result.matches) == 350
    assert result.summary.optimal is True
    assert result.summary.gap_percent == 0.0


def test_a_placed_match_keeps_every_field_but_its_time_and_people() -> None:
    from dataclasses import fields

    from peerkit.match.results import MatchResult

    match = MatchResult(
        "match-07",
        ("ana", "ben"),
        4.5,
        {"levels": 1.0},
        ("shared goals",),
        ("not same department",),
        locked=True,
        pinned=True,
        location="Room 2",
        day=DayRule(weekday=1, ordinal=2),
        time="10:00",
        raw_score=4.4999,
        people=("old line",),
    )
    placed = match.placed("11:15", ("Ana: Tue 11:15 CET", "Ben: Tue 10:15 GMT"))
    assert placed == replace(
        match, time="11:15", people=("Ana: Tue 11:15 CET", "Ben: Tue 10:15 GMT")
    )
    assert {
        f.name for f in fields(MatchResult) if getattr(placed, f.name) == getattr(match, f.name)
    } == {f.name for f in fields(MatchResult)} - {"time", "people"}


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_rules_screen_finds_the_matches_a_block_each_finds(data: st.DataObject) -> None:
    """Many matches' rules looked at in one block flag exactly the matches whose own block
    shows two members breaking a rule; members may be in several matches."""
    import numpy as np

    from peerkit.match.rules import broken_block
    from peerkit.match.verify import _breaking_rules

    folder = loaded(SAMPLE)
    pool = build_pool(folder, folder.members, "r1")
    everyone = list(range(len(pool.members)))
    groups = data.draw(
        st.lists(
            st.lists(st.sampled_from(everyone), min_size=2, max_size=6, unique=True), max_size=90
        )
    )
    expected = set()
    for k, group in enumerate(groups):
        members = np.array(group)
        broken = np.zeros((len(group), len(group)), dtype=bool)
        for mask in broken_block(pool, members, members).values():
            broken |= mask
        np.fill_diagonal(broken, False)
        if broken.any():
            expected.add(k)
    assert _breaking_rules(pool, groups) == expected


@pytest.mark.parametrize(
    ("optimal", "total", "bound", "gap", "fill", "said"),
    [
        (True, 40.0, 40.0, 0.0, False, "(proven optimal)"),
        (False, 40.0, 40.0, 0.0, False, "(the best possible: it reaches its upper bound)"),
        (False, 40.0, 40.0, 0.0, True, "(at its upper bound, with the kept matches as they are)"),
        (False, 40.0, 40.0001, 0.0, False, "(less than 0.001% below the best possible)"),
        (False, 38.0, 40.0, 5.0, False, "(at most 5.0% below the best possible)"),
    ],
)
def test_the_summary_line_says_how_good_the_round_is(
    optimal: bool, total: float, bound: float, gap: float, fill: bool, said: str
) -> None:
    """A gap that rounds to 0 is never printed as `at most 0.0% below`; a --fill round
    that reaches its bound is the best only with its kept matches as they are."""
    from peerkit.cli.match import summary_line
    from peerkit.match.results import RoundResult
    from peerkit.model import RoundChanges, RoundSummary

    changes = RoundChanges("r0", kept=7) if fill else None
    summary = RoundSummary(
        total=total, bound=bound, gap_percent=gap, optimal=optimal, changes=changes
    )
    line = summary_line(RoundResult("r1", "groups", (), (), summary, "rounds/r1.yaml"))
    assert f"total {total} {said};" in line
