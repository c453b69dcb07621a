"""A whole program folder → Folder: program.yaml, the roster and the round files, then every
member id mentioned anywhere checked against the roster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from peerkit.load.members import ROSTER_FILES, load_roster
from peerkit.load.program import load_program
from peerkit.load.reader import Reader
from peerkit.load.rounds import date_rounds, load_rounds
from peerkit.model import Folder, Location, Problem, Program, Round
from peerkit.roster import member_reference_hint, outside_managers
from peerkit.validate import suggest


def _check_refs(
    reader: Reader,
    ids: set[str],
    refs: Iterable[tuple[str, Location, str]],
    hint_ids: Sequence[str],
) -> None:
    folded = {member_id.casefold(): member_id for member_id in hint_ids}
    for ref, loc, what in refs:
        if ref and ref not in ids:
            hint = member_reference_hint(ref, folded) or suggest(
                ref, hint_ids, "use a member id from the roster"
            )
            reader.report(loc, "unknown-member", f"{what}: no member has the id '{ref}'", hint)


def check_references(folder: Folder, reader: Reader) -> None:
    """Every member id mentioned anywhere (avoid, pins, rounds) exists; a manager may be
    someone outside the program (said once)."""
    ids = set(folder.members_by_id)
    known = sorted(ids)
    kept_apart = "manager" in folder.program.matching.rules.not_same
    outside_managers(folder.members, reader.problems, kept_apart)
    refs = [*_member_refs(folder, reader), *_pin_refs(folder.program)]
    _check_refs(reader, ids, refs, known)
    roster_failed = any(
        p.severity == "error" and p.source is not None and p.source.file == folder.roster_file
        for p in reader.problems
    )
    for round_ in folder.rounds:
        _check_round_members(folder, round_, reader, ids, roster_failed)


Ref = tuple[str, Location, str]  # (member id, where it is written, what names it)


def _member_refs(folder: Folder, reader: Reader) -> list[Ref]:
    """Members' `avoid:` lists (and a member who avoids or manages themselves)."""
    refs: list[Ref] = []
    for member in folder.members:
        refs.extend(
            (other, member.source_of("avoid"), f"{member.id}: avoid") for other in member.avoid
        )
        if member.manager == member.id:
            reader.report(member.source_of("manager"), "value", f"{member.id} is their own manager")
        if member.id in member.avoid:
            reader.report(
                member.source_of("avoid"),
                "value",
                f"{member.id}: avoid lists {member.id} themselves",
                f"take {member.id} out of their own `avoid:` list",
            )
    return refs


def _pin_refs(program: Program) -> list[Ref]:
    refs: list[Ref] = []
    for index, pin in enumerate(program.matching.pins):
        loc = program.source_of(f"matching.pins.{index}")
        refs.extend((member_id, loc, "matching.pins") for member_id in pin)
    return refs


def _check_round_members(
    folder: Folder, round_: Round, reader: Reader, ids: set[str], roster_failed: bool
) -> None:
    """A round's members who are not on the roster: most often someone who left."""
    missing = [
        (match, gone)
        for match in round_.matches
        for gone in match.members
        if gone and gone not in ids
    ]
    if roster_failed and missing:
        # a roster that did not load whole says nothing about who left: one note, not
        # one error per member of every round
        reader.report(
            Location(round_.file),
            "unknown-member",
            f"{len(missing)} member(s) of round {round_.name} are not in "
            f"{folder.roster_file}, which has errors",
            f"fix the errors in {folder.roster_file} first",
            "warning",
        )
        return
    folded = {member_id.casefold(): member_id for member_id in sorted(ids)}
    for match, gone in missing:
        case_hint = member_reference_hint(gone, folded)
        if case_hint:  # a hand edit that wrote the id in another case
            reader.report(
                match.source or Location(round_.file),
                "unknown-member",
                f"match {match.id}: no member has the id '{gone}'",
                f"{case_hint} in {round_.file}",
            )
            continue
        # A round names members as they were when it was made: an id missing now
        # is most often someone taken off the roster, not a typo.
        reader.report(
            match.source or Location(round_.file),
            "unknown-member",
            f"match {match.id}: '{gone}' is no longer on the roster ({folder.roster_file})",
            f"if they left, put them back in {folder.roster_file} with `left: DATE` "
            f"(their meetings stop then); otherwise delete '{gone}' from {match.id} in "
            f"{round_.file}, or re-match the round with "
            f"`peerkit match {folder.root} --round {round_.name} --force`",
        )


def load_folder(root: Path) -> tuple[Folder | None, list[Problem]]:
    """Read and validate a program folder; the Folder is None when it cannot be used at all."""
    reader = Reader()
    if not root.is_dir():
        reader.report(
            Location(str(root)),
            "missing-folder",
            f"{root} is not a folder",
            "give the path of a program folder, or run `peerkit init DIR` to make one",
        )
        return None, reader.problems
    program = load_program(root, reader)
    members = load_roster(root, program, reader)
    rounds = load_rounds(root, reader)
    if program is None:
        return None, reader.problems
    rounds = date_rounds(rounds, program, reader)
    roster = next((name for name in ROSTER_FILES if (root / name).is_file()), "members.yaml")
    folder = Folder(root, program, members, rounds, roster)
    check_references(folder, reader)
    return folder, reader.problems


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.sort_key())
