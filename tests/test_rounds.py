"""Round files over a program's life: locks, members who leave, explain, mentors' times."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from peerkit.load.folder import load_folder
from peerkit.model import Problem
from tests.test_match import make_program, person, run


def lock(path: Path, match_id: str) -> None:
    """Mark a match `locked: true` by hand, as a coordinator would."""
    text = path.read_text(encoding="utf-8")
    assert f"  - id: {match_id}\n" in text
    path.write_text(
        text.replace(f"  - id: {match_id}\n", f"  - id: {match_id}\n    locked: true\n"),
        encoding="utf-8",
    )


def varied(count: int) -> list[dict[str, Any]]:
    """Members whose pairs score differently (so a mixed-up total shows)."""
    topics = ["pricing", "hiring", "export", "cash", "growth", "sales"]
    return [
        person(
            f"p{k}",
            goals=topics[k % 6 : k % 6 + 1 + k % 3],
            offers=topics[(k * 5) % 6 : (k * 5) % 6 + 2],
            levels={"knowledge": 1 + k % 5, "experience": 1 + (k * 3) % 5, "authority": 3},
        )
        for k in range(count)
    ]


# --- 1. the round total adds up, locked matches included ------------------------------


@pytest.mark.parametrize(("fmt", "count"), [("pairs", 9), ("groups", 12)])
def test_total_is_the_sum_of_the_written_matches_with_a_lock(
    tmp_path: Path, fmt: str, count: int
) -> None:
    extra = "group_size: {min: 3, max: 4}\n" if fmt == "groups" else ""
    root = make_program(tmp_path / "p", varied(count), fmt, extra=extra)
    assert run("match", str(root), "--round", "r1").exit_code == 0
    path = root / "rounds" / "r1.yaml"
    first = yaml.safe_load(path.read_text())["matches"]
    lock(path, first[-1]["id"])  # the last id: kept matches come first inside the engine
    redo = run("match", str(root), "--round", "r1", "--force", "--format", "json")
    assert redo.exit_code == 0, redo.output
    data = json.loads(redo.stdout)
    matches = data["matches"]
    assert [m["locked"] for m in matches].count(True) == 1
    weight = {"pairs": lambda m: 1, "groups": lambda m: len(m["members"])}[fmt]
    total = sum(m["score"] * weight(m) for m in matches)
    summary = data["summary"]
    assert summary["total"] == pytest.approx(total, abs=0.0005 * (len(matches) * 6 + 1))
    assert summary["mean_score"] == pytest.approx(
        sum(m["score"] for m in matches) / len(matches), abs=0.001
    )
    assert summary["bound"] >= summary["total"]
    written = yaml.safe_load(path.read_text())["summary"]
    assert written["total"] == summary["total"]


def mentoring_program(root: Path, capacity: int, pins: str = "") -> Path:
    """Two mentors of `capacity` mentees and four mentees, matched once into round r1."""
    members = [
        *(person(f"m{k}", role="mentor", capacity=capacity, goals=["sales"]) for k in range(2)),
        *(person(f"e{k}", role="mentee", goals=["sales"]) for k in range(4)),
    ]
    root = make_program(root, members, "mentoring", pins)
    assert run("match", str(root), "--round", "r1").exit_code == 0
    return root


def lock_all_of(path: Path, member: str) -> list[str]:
    """Lock every match of `member` in the round file; their ids."""
    ids = [m["id"] for m in yaml.safe_load(path.read_text())["matches"] if member in m["members"]]
    for match_id in ids:
        lock(path, match_id)
    return ids


def test_a_mentors_locked_matches_are_all_kept(tmp_path: Path) -> None:
    root = mentoring_program(tmp_path / "p", capacity=2)
    path = root / "rounds" / "r1.yaml"
    ids = lock_all_of(path, "m0")
    assert len(ids) == 2  # both of her mentees
    before = {m["id"]: m["members"] for m in yaml.safe_load(path.read_text())["matches"]}
    redo = run("match", str(root), "--round", "r1", "--force", "--seed", "3")
    assert redo.exit_code == 0, redo.output
    assert "not kept" not in redo.output
    after = {m["id"]: m for m in yaml.safe_load(path.read_text())["matches"]}
    assert [(after[i]["members"], after[i].get("locked")) for i in ids] == [
        (before[i], True) for i in ids
    ]
    assert yaml.safe_load(path.read_text())["summary"]["locked"] == 2


def test_locked_matches_beyond_a_mentors_capacity_say_which_is_not_kept(tmp_path: Path) -> None:
    root = mentoring_program(tmp_path / "p", capacity=2)
    path = root / "rounds" / "r1.yaml"
    ids = lock_all_of(path, "m0")
    text = (root / "members.yaml").read_text().replace("capacity: 2", "capacity: 1", 1)
    (root / "members.yaml").write_text(text)  # m0 now takes one mentee
    redo = run("match", str(root), "--round", "r1", "--force")
    assert redo.exit_code == 0, redo.output
    said = " ".join(redo.output.split())
    assert (
        f"locked match {ids[1]} is not kept: m0 is already in locked match {ids[0]} "
        "(capacity 1); its members are matched again (lock fewer of their matches in "
        "rounds/r1.yaml)"
    ) in said
    data = yaml.safe_load(path.read_text())
    assert [m["id"] for m in data["matches"] if m.get("locked")] == [ids[0]]
    assert sum("m0" in m["members"] for m in data["matches"]) == 1


def test_two_locked_pairs_sharing_a_member_keep_the_first(tmp_path: Path) -> None:
    root = make_program(tmp_path / "p", varied(6))
    assert run("match", str(root), "--round", "r1").exit_code == 0
    path = root / "rounds" / "r1.yaml"
    first, second = yaml.safe_load(path.read_text())["matches"][:2]
    text = path.read_text().replace(  # the coordinator moves a member into both
        f"members: {first['members']}".replace("'", ""),
        f"members: [{first['members'][0]}, {second['members'][0]}]",
    )
    path.write_text(text)
    lock(path, first["id"])
    lock(path, second["id"])
    redo = run("match", str(root), "--round", "r1", "--force")
    assert redo.exit_code == 0, redo.output
    said = " ".join(redo.output.split())
    assert (
        f"locked match {second['id']} is not kept: {second['members'][0]} is already in "
        f"locked match {first['id']} (one match each)"
    ) in said
    data = yaml.safe_load(path.read_text())
    assert [m["id"] for m in data["matches"] if m.get("locked")] == [first["id"]]


def test_a_pin_with_a_mentor_who_has_room_beside_a_locked_match_is_kept(tmp_path: Path) -> None:
    root = mentoring_program(tmp_path / "p", capacity=2)
    path = root / "rounds" / "r1.yaml"
    matches = yaml.safe_load(path.read_text())["matches"]
    mine = [m for m in matches if "m0" in m["members"]]
    lock(path, mine[0]["id"])
    mentee = next(e for e in ("e0", "e1", "e2", "e3") if e not in mine[0]["members"])
    program = root / "program.yaml"
    program.write_text(program.read_text() + f"  pins:\n    - [m0, {mentee}]\n")
    redo = run("match", str(root), "--round", "r1", "--force")
    assert redo.exit_code == 0, redo.output
    assert f"pin m0, {mentee}" not in redo.output  # no note: it is applied
    data = yaml.safe_load(path.read_text())
    m0 = sorted(tuple(m["members"]) for m in data["matches"] if "m0" in m["members"])
    assert m0 == sorted([tuple(mine[0]["members"]), ("m0", mentee)])


# --- 2. members who leave, members taken off the roster --------------------------------


def two_rounds(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    root = make_program(tmp_path / "p", [person(f"p{k}", goals=["same"]) for k in range(6)])
    assert run("match", str(root), "--round", "r1").exit_code == 0
    assert run("match", str(root), "--round", "r2", "--start", "2027-04-01").exit_code == 0
    first = yaml.safe_load((root / "rounds" / "r1.yaml").read_text())["matches"][0]
    return root, first


def set_roster(root: Path, member_id: str, **fields: Any) -> None:
    path = root / "members.yaml"
    data = yaml.safe_load(path.read_text())
    for member in data["members"]:
        if member["id"] == member_id:
            member.update(fields)
    data["members"] = [m for m in data["members"] if m.get("id")]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_member_who_left_is_a_warning_and_force_rematch_fills_the_gap(tmp_path: Path) -> None:
    root, first = two_rounds(tmp_path)
    gone, partner = first["members"]
    set_roster(root, gone, left="2026-12-15")  # before the program start: not in any meeting
    check = run("check", str(root))
    assert check.exit_code == 0, check.stderr
    assert "error" not in check.stderr.replace("0 error(s)", "")
    assert (
        f"warning[member-left]: match {first['id']}: {gone} left on 2026-12-15, before round "
        f"r1 began (2027-01-01), so {partner} has nobody to meet in {first['id']}"
    ) in check.stderr
    assert f"re-match this round with `peerkit match {root} --round r1 --force`" in check.stderr
    assert "their meetings stop after 2026-12-15" in check.stderr
    # the hint works: r1 is made again without them, though r2 still has them
    redo = run("match", str(root), "--round", "r1", "--force")
    assert redo.exit_code == 0, redo.stderr
    again = yaml.safe_load((root / "rounds" / "r1.yaml").read_text())
    assert gone not in [m for match in again["matches"] for m in match["members"]]
    assert "rounds/r2.yaml" in redo.stderr  # still reported, as a warning


def test_member_leaving_mid_program_gets_a_hint_that_works(tmp_path: Path) -> None:
    root, first = two_rounds(tmp_path)
    gone, partner = first["members"]
    set_roster(root, gone, left="2027-03-01")
    check = run("check", str(root))
    assert check.exit_code == 0, check.stderr
    assert f"{gone} leaves on 2027-03-01, after round r1 began (2027-01-01)" in check.stderr
    # re-matching would include them again (active at the start): no such advice
    assert "--round r1 --force" not in check.stderr
    assert f"move {partner} into another match in rounds/r1.yaml by hand" in check.stderr


def test_the_start_dates_the_round(tmp_path: Path) -> None:
    root, first = two_rounds(tmp_path)
    gone = first["members"][0]
    set_roster(root, gone, left="2027-03-01")
    check = run("check", str(root))
    assert "before round r2 began (2027-04-01)" in check.stderr
    assert "after round r1 began (2027-01-01)" in check.stderr


def test_member_taken_off_the_roster_says_so(tmp_path: Path) -> None:
    root, first = two_rounds(tmp_path)
    gone = first["members"][0]
    set_roster(root, gone, id="")
    check = run("check", str(root))
    assert check.exit_code == 1
    assert f"match {first['id']}: '{gone}' is no longer on the roster (members.yaml)" in (
        check.stderr
    )
    assert "did you mean" not in check.stderr
    assert "put them back in members.yaml with `left: DATE`" in check.stderr
    assert f"peerkit match {root} --round r1 --force" in check.stderr
    # re-matching r1 is not blocked by the stale id in r1 (replaced) or in r2 (history)
    redo = run("match", str(root), "--round", "r1", "--force")
    assert redo.exit_code == 0, redo.stderr
    assert "rounds/r2.yaml" in redo.stderr
    assert "(not blocking a match)" in redo.stderr
    assert "rounds/r1.yaml:" not in redo.stderr


def test_a_broken_round_file_blocks_no_other_round(tmp_path: Path) -> None:
    root, first = two_rounds(tmp_path)
    path = root / "rounds" / "r2.yaml"
    data = yaml.safe_load(path.read_text())
    # a hand edit that repeats r1's first pair in r2: an error in r2 for `check`
    text = path.read_text().replace(
        f"members: {json.dumps(data['matches'][0]['members']).replace(chr(34), '')}",
        f"members: [{', '.join(first['members'])}]",
        1,
    )
    path.write_text(text)
    assert run("check", str(root)).exit_code == 1
    for name, start in (("r1", []), ("r3", ["--start", "2027-05-01"])):
        made = run("match", str(root), "--round", name, *start, "--force")
        assert made.exit_code == 0, made.stderr
        assert "warning[match-rule]" in made.stderr
    # and the round being replaced is not checked at all (not even checked, then hidden:
    # verifying a round of 10,000 members took a third of a second of `match --force`)
    from peerkit.check import check_folder

    def rule_files(problems: list[Problem]) -> list[str]:
        return [p.source.file for p in problems if p.code == "match-rule" and p.source]

    assert rule_files(check_folder(root)[1]) == ["rounds/r2.yaml"]
    assert rule_files(check_folder(root, replacing="rounds/r2.yaml")[1]) == []
    redo = run("match", str(root), "--round", "r2", "--force")
    assert redo.exit_code == 0, redo.stderr
    assert "match-rule" not in redo.stderr


def test_the_default_round_being_replaced_is_not_checked_either(sample: Path) -> None:
    """`peerkit match --force` without --round replaces the program's first round (its
    start year): what is wrong in that file is not said, as with `--round 2027`."""
    path = sample / "rounds" / "2027.yaml"
    data = yaml.safe_load(path.read_text())
    first, second = data["matches"][0]["members"][0], data["matches"][1]["members"][0]
    path.write_text(path.read_text().replace(f"[{second},", f"[{first},", 1))
    assert "matched-twice" in run("check", str(sample)).stderr
    for argv in ([], ["--round", "2027"]):
        redo = run("match", str(sample), *argv, "--force", "--dry-run")
        assert redo.exit_code == 0, redo.stderr
        assert "rounds/2027.yaml:" not in redo.stderr
        assert "would write" in redo.stderr


# --- 3, 4. explain: the folder alone, and what it says about two members --------------


def explain_folder(tmp_path: Path) -> Path:
    members = [
        person("ana", organization="X", goals=["pricing"]),
        person("ben", organization="X", goals=["export"]),
        person("cho", organization="Y", offers=["pricing"]),
        person("dan", organization="Z"),
    ]
    root = make_program(tmp_path / "p", members, matching="  rules: {not_same: [organization]}\n")
    assert run("match", str(root), "--round", "r1").exit_code == 0
    return root


def test_explain_with_only_a_folder_asks_for_a_member(tmp_path: Path) -> None:
    root = explain_folder(tmp_path)
    alone = run("explain", str(root))
    assert alone.exit_code == 2
    assert "give a member id" in alone.stderr
    assert "program.yaml" not in alone.stderr
    # an existing folder is the folder, so the member id after it is the member
    one = run("explain", str(root), "ana")
    assert one.exit_code == 0, one.stderr
    assert "ana is in match-01 with cho (round r1)" in one.stdout


def test_explain_says_matched_together_may_be_or_may_not_be(tmp_path: Path) -> None:
    root = explain_folder(tmp_path)
    together = run("explain", str(root), "ana", "cho")
    assert together.exit_code == 0, together.stderr
    assert "ana with cho: score" in together.stdout
    assert "matched together in round r1 (match-01)" in together.stdout
    assert "may be matched" not in together.stdout
    could = run("explain", str(root), "ana", "dan")
    assert "— may be matched" in could.stdout
    assert "ana and dan are not matched together in r1" in could.stdout
    never = run("explain", str(root), "ana", "ben")
    assert "may not be matched: not the same organization" in never.stdout
    data = json.loads(run("explain", str(root), "ana", "cho", "--format", "json").stdout)
    assert data["pairs"][0]["matched_in"] == "match-01"
    member = json.loads(run("explain", str(root), "cho", "--format", "json").stdout)
    assert member["pairs"][0]["matched_in"] == "match-01"


# --- 5. a mentor's matches meet one after the other ------------------------------------


def mentoring_folder(tmp_path: Path) -> Path:
    members = [
        person("m1", role="mentor", capacity=3, offers=["pricing", "hiring", "export"]),
        person("m2", role="mentor", capacity=1, offers=["cash"]),
    ] + [
        person(f"e{k}", role="mentee", goals=[goal])
        for k, goal in enumerate(["pricing", "hiring", "export", "cash"])
    ]
    return make_program(tmp_path / "p", members, "mentoring")


def test_a_mentors_matches_are_staggered_and_calendars_follow(tmp_path: Path) -> None:
    root = mentoring_folder(tmp_path)
    made = run("match", str(root), "--round", "r1")
    assert made.exit_code == 0, made.stderr
    assert "2 match(es) of members with several matches" in made.stderr
    text = (root / "rounds" / "r1.yaml").read_text()
    assert "# Members in several matches (a mentor with several mentees) meet them" in text
    data = yaml.safe_load(text)
    times = {tuple(m["members"]): m.get("time") for m in data["matches"]}
    assert times == {
        ("m1", "e0"): "09:00",  # meetings.time; every match records its slot
        ("m1", "e1"): "10:00",  # + 1h (meetings.duration)
        ("m1", "e2"): "11:00",
        ("m2", "e3"): "09:00",
    }
    assert data["summary"]["staggered"] == 2
    check = run("check", str(root))
    assert check.exit_code == 0
    assert "same-time" not in check.stderr
    calendar = run("calendar", str(root), "--now", "2026-12-01")
    assert calendar.exit_code == 0, calendar.stderr
    ics = (root / "out" / "calendars" / "members" / "m1.ics").read_text()
    assert "DTSTART:20270112T090000Z" in ics  # UTC is written with Z
    assert "DTSTART:20270112T100000Z" in ics  # UTC is written with Z
    assert "DTSTART:20270112T110000Z" in ics  # UTC is written with Z


def test_a_locked_match_keeps_its_time_and_the_others_fit_around_it(tmp_path: Path) -> None:
    root = mentoring_folder(tmp_path)
    assert run("match", str(root), "--round", "r1").exit_code == 0
    path = root / "rounds" / "r1.yaml"
    lock(path, "match-03")  # m1 with e2 at 11:00
    text = path.read_text().replace('time: "11:00"', 'time: "09:00"')
    path.write_text(text)
    redo = run("match", str(root), "--round", "r1", "--force")
    assert redo.exit_code == 0, redo.stderr
    data = yaml.safe_load(path.read_text())
    times = {tuple(m["members"]): m.get("time") for m in data["matches"]}
    assert times[("m1", "e2")] == "09:00"
    assert sorted(str(times[("m1", e)]) for e in ("e0", "e1")) == ["10:00", "11:00"]


def test_check_warns_when_a_mentor_meets_two_mentees_at_once(tmp_path: Path) -> None:
    root = mentoring_folder(tmp_path)
    (root / "rounds").mkdir()
    (root / "rounds" / "r1.yaml").write_text(
        "round: r1\nmatches:\n"
        "  - id: match-01\n    members: [m1, e0]\n"
        "  - id: match-02\n    members: [m1, e1]\n"
        "  - id: match-03\n    members: [m2, e3]\n"
    )
    check = run("check", str(root))
    assert check.exit_code == 0
    assert (
        "r1.yaml:5:5: warning[same-time]: m1's matches match-01, match-02 all meet at 09:00 "
        "UTC (second Tuesday)"
    ) in check.stderr
    assert (
        "hint: set `time: '10:00'` on match-02 (UTC): inside everyone's hours and "
        "availability, clear of their other matches (in rounds/r1.yaml)"
    ) in check.stderr


# --- 6. rounds are periods: --start, date order, --fill --------------------------------


def same_goals(count: int) -> list[dict[str, Any]]:
    return [person(f"p{k}", goals=["same"]) for k in range(count)]


def pairs_in(root: Path, name: str) -> dict[str, tuple[str, ...]]:
    data = yaml.safe_load((root / "rounds" / f"{name}.yaml").read_text())
    return {m["id"]: tuple(m["members"]) for m in data["matches"]}


def assert_checks(root: Path) -> str:
    check = run("check", str(root))
    assert check.exit_code == 0, check.stderr
    assert "error[" not in check.stderr
    assert "match-rule" not in check.stderr
    return str(check.stderr)


def test_a_later_round_needs_start_and_the_hint_names_the_last_meeting(tmp_path: Path) -> None:
    root = make_program(tmp_path / "p", same_goals(6))
    first = run("match", str(root), "--round", "r1")
    assert first.exit_code == 0, first.stderr
    assert "round r1 (from 2027-01-01):" in first.stdout
    text = (root / "rounds" / "r1.yaml").read_text()
    assert "\nstart: 2027-01-01\n" in text
    assert "# It runs from 2027-01-01 (`start:`) until the next round starts" in text
    # monthly on the second Tuesday until 2027-06-30: the last meeting is on 2027-06-08
    later = run("match", str(root), "--round", "r2")
    assert later.exit_code == 2
    assert "round r2 needs --start" in later.stderr
    assert "round r1 meets last on 2027-06-08; start the new one after it: --start 2027-06-09" in (
        later.stderr
    )
    for start, words in (
        ("2027-07-01", "outside the program (2027-01-01 to 2027-06-30)"),
        ("2026-12-31", "outside the program"),
        ("2027-01-01", "on or before the start of round r1 (2027-01-01)"),
        ("April 1", "'April 1' is not a date"),
    ):
        bad = run("match", str(root), "--round", "r2", "--start", start)
        assert bad.exit_code == 2, (start, bad.output)
        assert words in bad.stderr
        assert "Traceback" not in bad.output
    assert not (root / "rounds" / "r2.yaml").exists()
    made = run("match", str(root), "--round", "r2", "--start", "2027-04-01", "--format", "json")
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["start"] == "2027-04-01"
    assert "\nstart: 2027-04-01\n" in (root / "rounds" / "r2.yaml").read_text()
    # a re-match keeps its start (and an `end:` the coordinator wrote) unless --start is given
    path = root / "rounds" / "r2.yaml"
    path.write_text(
        path.read_text().replace("start: 2027-04-01\n", "start: 2027-04-01\nend: 2027-05-31\n")
    )
    redo = run("match", str(root), "--round", "r2", "--force")
    assert redo.exit_code == 0, redo.stderr
    assert "\nstart: 2027-04-01\nend: 2027-05-31\n" in path.read_text()
    moved = run("match", str(root), "--round", "r2", "--force", "--start", "2027-03-01")
    assert moved.exit_code == 0, moved.stderr
    assert "\nstart: 2027-03-01\nend: 2027-05-31\n" in path.read_text()
    # the first round may not move onto or past the second
    past = run("match", str(root), "--round", "r1", "--force", "--start", "2027-03-01")
    assert past.exit_code == 2
    assert "on or after the start of round r2 (2027-03-01)" in past.stderr
    assert_checks(root)


def test_no_repeat_looks_at_earlier_rounds_by_date_not_by_name(tmp_path: Path) -> None:
    root = make_program(tmp_path / "p", same_goals(6))
    assert run("match", str(root), "--round", "spring-2027").exit_code == 0
    spring = pairs_in(root, "spring-2027")
    # "fall" sorts before "spring", but starts later: it is the later round
    fall = run("match", str(root), "--round", "fall-2027", "--start", "2027-04-01")
    assert fall.exit_code == 0, fall.stderr
    later = pairs_in(root, "fall-2027")
    assert len(later) == 3
    assert not {frozenset(p) for p in spring.values()} & {frozenset(p) for p in later.values()}
    # re-making spring is not held back by fall (a later round), and says fall repeats now
    redo = run("match", str(root), "--round", "spring-2027", "--force")
    assert redo.exit_code == 0, redo.stderr
    assert pairs_in(root, "spring-2027") == spring
    folder, _ = load_folder(root)
    assert folder is not None
    assert [r.name for r in folder.rounds] == ["spring-2027", "fall-2027"]
    assert "round fall-2027" not in redo.stderr  # no pair of fall repeats spring
    assert_checks(root)
    # spring made again around a pair of fall: fall (later) does not hold it back, and the
    # note says fall now repeats it
    x, y = later["match-01"]
    (root / "rounds" / "spring-2027.yaml").write_text(
        f"round: spring-2027\nmatches:\n  - id: match-01\n    members: [{x}, {y}]\n"
        "    locked: true\n"
    )
    again = run("match", str(root), "--round", "spring-2027", "--force")
    assert again.exit_code == 0, again.stderr
    assert pairs_in(root, "spring-2027")["match-01"] == (x, y)
    assert "although it breaks" not in (root / "rounds" / "spring-2027.yaml").read_text()
    assert (
        "round fall-2027 (from 2027-04-01) now repeats a pair of this round in 1 match(es) "
        "(match-01)"
    ) in " ".join(again.stderr.split())
    check = run("check", str(root))
    assert "fall-2027.yaml" in check.stderr
    assert "not matched in an earlier round" in check.stderr
    assert "spring-2027.yaml:" not in check.stderr


def test_a_member_on_a_pause_at_the_start_is_not_matched(tmp_path: Path) -> None:
    members = same_goals(6)
    members[4]["pause"] = {"from": "2027-03-20", "until": "2027-05-31"}
    members[5]["pause"] = {"from": "2027-03-20", "until": "2027-05-31"}
    root = make_program(tmp_path / "p", members)
    made = run("match", str(root), "--round", "r1", "--format", "json")
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["summary"]["matched"] == 6  # not paused on 2027-01-01
    later = run("match", str(root), "--round", "r2", "--start", "2027-04-01", "--format", "json")
    assert later.exit_code == 0, later.stderr
    data = json.loads(later.stdout)
    matched = {m for match in data["matches"] for m in match["members"]}
    assert matched == {"p0", "p1", "p2", "p3"}
    assert data["summary"]["inactive"] == 2
    assert data["unmatched"] == []
    why = run("explain", str(root), "p4", "--round", "r2")
    assert why.exit_code == 0, why.stderr
    assert (
        "p4 is unmatched in round r2: on a pause from 2027-03-20 until 2027-05-31 when it starts"
    ) in " ".join(why.stdout.split())
    # put by hand into r2, a member on a pause is a warning that says when they are back
    path = root / "rounds" / "r2.yaml"
    first = data["matches"][0]
    path.write_text(
        path.read_text().replace(
            f"members: [{', '.join(first['members'])}]",
            f"members: [{', '.join(first['members'])}, p4]",
            1,
        )
    )
    check = run("check", str(root))
    assert (
        f"warning[paused-matched]: match {first['id']}: p4 is on a pause until 2027-05-31 "
        "when round r2 begins (2027-04-01); they meet in it from 2027-06-01"
    ) in check.stderr


def fill_folder(tmp_path: Path) -> Path:
    """A spring round of four pairs, then: p0 leaves, p4 pauses, p10 comes back from a
    pause that covered the spring start, and p8, p9, p11 join."""
    members = same_goals(8)
    root = make_program(tmp_path / "p", members)
    assert run("match", str(root), "--round", "spring").exit_code == 0
    assert pairs_in(root, "spring") == {
        "match-01": ("p0", "p7"),
        "match-02": ("p1", "p6"),
        "match-03": ("p2", "p5"),
        "match-04": ("p3", "p4"),
    }
    set_roster(root, "p0", left="2027-03-01")
    set_roster(root, "p2", pause={"from": "2027-02-01", "until": "2027-03-15"})
    set_roster(root, "p4", pause={"from": "2027-03-20", "until": "2027-05-31"})
    data = yaml.safe_load((root / "members.yaml").read_text())
    data["members"] += [
        person("p8", goals=["same"]),
        person("p9", goals=["same"]),
        person("p10", goals=["same"], pause={"from": "2026-12-01", "until": "2027-02-28"}),
        person("p11", goals=["same"]),
    ]
    (root / "members.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def test_fill_keeps_whole_matches_and_matches_the_others(tmp_path: Path) -> None:
    root = fill_folder(tmp_path)
    before = run("check", str(root))
    assert f"`peerkit match {root} --round NEW --start 2027-03-01 --fill`" in before.stderr
    made = run("match", str(root), "--round", "summer", "--start", "2027-04-01", "--fill")
    assert made.exit_code == 0, made.stderr
    summer = pairs_in(root, "summer")
    # kept as they were: p1-p6, and p2-p5 (p2 is back from a pause by 2027-04-01)
    assert summer["match-02"] == ("p1", "p6")
    assert summer["match-03"] == ("p2", "p5")
    new = {k: v for k, v in summer.items() if k not in ("match-02", "match-03")}
    assert sorted(new) == ["match-05", "match-06", "match-07"]  # never an id of spring
    fresh = {m for pair in new.values() for m in pair}
    # orphaned p7 (p0 left) and p3 (p4 paused), returned p10, joined p8, p9, p11
    assert fresh == {"p3", "p7", "p8", "p9", "p10", "p11"}
    assert {frozenset(p) for p in new.values()}.isdisjoint({frozenset({"p3", "p4"})})
    text = (root / "rounds" / "summer.yaml").read_text()
    data = yaml.safe_load(text)
    assert [m["id"] for m in data["matches"] if m.get("locked")] == ["match-02", "match-03"]
    assert data["summary"]["changes"] == {
        "from": "spring",
        "kept": 2,
        "new": 3,
        "grown": [],
        "ended": ["match-01", "match-04"],
        "left": ["p0"],
        "paused": ["p4"],
        "joined": ["p11", "p8", "p9"],
        "returned": ["p10", "p2"],
        "orphaned": ["p3", "p7"],
        "unmatched": [],
    }
    back = load_folder(root)[0]
    assert back is not None
    changes = back.round("summer").summary.changes  # type: ignore[union-attr]
    assert changes is not None
    assert changes.as_dict() == data["summary"]["changes"]  # read back as written
    assert "# Made with --fill: it takes over from round spring on 2027-04-01." in text
    # longest-waiting first: p10 and p7 since 2027-03-01, p3 since 2027-03-20, then the new
    assert "p10 (returned, 31 days), p7 (orphaned, 31 days), p3 (orphaned, 12 days), p11" in (
        " ".join(line.lstrip("# ") for line in text.splitlines())
    )
    assert (
        "changes from round spring: kept 2 match(es); 3 new match(es); ended: match-01, "
        "match-04; left: p0; paused: p4; joined: p11, p8, p9; returned: p10, p2; orphaned: "
        "p3, p7; nobody is left unmatched"
    ) in made.stdout.replace("\n", " ")
    stderr = assert_checks(root)
    assert "summer.yaml" not in stderr  # kept matches are no repeats of spring
    assert "p7 has nobody to meet in match-01" in stderr
    assert "(round summer takes over on 2027-04-01)" in stderr
    assert "--fill`" not in stderr
    # the second run: re-made with --force, the same round
    again = run("match", str(root), "--round", "summer", "--fill", "--force")
    assert again.exit_code == 0, again.stderr
    assert (root / "rounds" / "summer.yaml").read_text() == text


def test_fill_without_a_round_before_is_a_usage_error(tmp_path: Path) -> None:
    root = make_program(tmp_path / "p", same_goals(4))
    result = run("match", str(root), "--round", "r1", "--fill")
    assert result.exit_code == 2
    assert "--fill: there is no round before 2027-01-01" in result.stderr


def test_fill_gives_a_short_place_to_the_longest_waiting(tmp_path: Path) -> None:
    members = [
        person("m1", role="mentor", capacity=1, offers=["cash"]),
        person("m2", role="mentor", capacity=1, offers=["export"]),
        person("m3", role="mentor", capacity=1, offers=["hiring"]),
        person("e1", role="mentee", goals=["cash"]),
        person("e2", role="mentee", goals=["export"]),
        person("e3", role="mentee", goals=["hiring"]),
    ]
    root = make_program(tmp_path / "p", members, "mentoring")
    assert run("match", str(root), "--round", "r1").exit_code == 0
    assert sorted(pairs_in(root, "r1").values()) == [("m1", "e1"), ("m2", "e2"), ("m3", "e3")]
    set_roster(root, "m1", left="2027-02-01")  # e1 waits from 2027-02-01
    set_roster(root, "e2", left="2027-03-01")  # m2 has room again
    data = yaml.safe_load((root / "members.yaml").read_text())
    data["members"].append(person("e4", role="mentee", goals=["export"]))  # m2's best fit
    (root / "members.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    made = run(
        "match", str(root), "--round", "r2", "--start", "2027-04-01", "--fill", "--format", "json"
    )
    assert made.exit_code == 0, made.stderr
    result = json.loads(made.stdout)
    matches = {m["id"]: tuple(m["members"]) for m in result["matches"]}
    assert matches == {"match-03": ("m3", "e3"), "match-04": ("m2", "e1")}
    assert result["unmatched"] == [
        {
            "member": "e4",
            "reason": "waiting since 2027-04-01; the place went to e1, waiting longer (since "
            "2027-02-01): the longest-waiting are matched first",
        }
    ]
    changes = result["changes"]
    assert (changes["kept"], changes["new"], changes["left"]) == (1, 1, ["e2", "m1"])
    assert changes["orphaned"] == ["e1", "m2"]
    assert changes["joined"] == ["e4"]
    assert changes["unmatched"] == ["e4"]
    assert_checks(root)


def test_fill_seats_a_joiner_in_a_kept_team(tmp_path: Path) -> None:
    members = same_goals(8)
    root = make_program(tmp_path / "p", members, "groups", extra="group_size: {min: 3, max: 5}\n")
    assert run("match", str(root), "--round", "r1").exit_code == 0
    teams = pairs_in(root, "r1")
    assert sorted(len(t) for t in teams.values()) == [4, 4]
    first, second = sorted(teams)
    gone = teams[first][0]
    set_roster(root, gone, left="2027-02-15")  # first team goes on with three
    data = yaml.safe_load((root / "members.yaml").read_text())
    data["members"].append(person("new", goals=["same"]))
    (root / "members.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    made = run(
        "match", str(root), "--round", "r2", "--start", "2027-03-01", "--fill", "--format", "json"
    )
    assert made.exit_code == 0, made.stderr
    result = json.loads(made.stdout)
    after = {m["id"]: set(m["members"]) for m in result["matches"]}
    assert set(after) == {first, second}
    assert after[second] == set(teams[second])
    assert after[first] == (set(teams[first]) - {gone}) | {"new"}
    assert result["changes"]["grown"] == [first]
    assert any("new joins kept match" in note for note in result["notes"])
    assert_checks(root)
