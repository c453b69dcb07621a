"""What only the whole roster shows: one person entered twice, ids that differ only in case,
and managers outside the program."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from peerkit.model import Member, Problem

# A member id: any stable code of letters, digits, `-`, `_` and `.` (`E1001`, `ana-r`).
MEMBER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _row(member: Member) -> str:
    loc = member.source
    return f"{loc.file}:{loc.line}" if loc.line else loc.file


def same_people(members: Sequence[Member], problems: list[Problem]) -> None:
    """One person entered twice: ids that differ only in case, the same email (in any case),
    or the same name in the same organization. Each is an error naming both rows (the first
    found of the three, per member)."""
    by_id: dict[str, Member] = {}
    by_email: dict[str, Member] = {}
    by_name: dict[tuple[str, str], Member] = {}
    for member in members:
        problem = (
            _same_id(member, by_id) or _same_email(member, by_email) or _same_name(member, by_name)
        )
        if problem is not None:
            problems.append(problem)


def _same_id(member: Member, by_id: dict[str, Member]) -> Problem | None:
    other = by_id.setdefault(member.id.casefold(), member)
    if other is member or other.id == member.id:
        return None
    return Problem(
        member.source_of("id"),
        "duplicate-id",
        f"member ids '{member.id}' ({_row(member)}) and '{other.id}' "
        f"({_row(other)}) differ only in case",
        "ids keep their case but must differ in more than case (file names and "
        "lookups ignore it): if it is one person, delete one row; if two, give "
        "one of them another id",
    )


def _same_email(member: Member, by_email: dict[str, Member]) -> Problem | None:
    email = member.email.casefold()
    if not email:
        return None
    other = by_email.setdefault(email, member)
    if other is member:
        return None
    return Problem(
        member.source_of("email"),
        "duplicate-person",
        f"{member.id} ({_row(member)}) has the same email as {other.id} "
        f"({_row(other)}): {member.email}",
        "one person is entered twice: delete one of the rows (keep the id "
        "rounds already use); if they are two people, fix the email",
    )


def _same_name(member: Member, by_name: dict[tuple[str, str], Member]) -> Problem | None:
    name = " ".join(member.name.split()).casefold()
    if not name:
        return None
    key = (name, " ".join(member.organization.split()).casefold())
    other = by_name.setdefault(key, member)
    if other is member:
        return None
    org = f" in {member.organization}" if member.organization else ""
    both_emails = member.email and other.email
    return Problem(
        member.source_of("name"),
        "duplicate-person",
        f"{member.id} ({_row(member)}) and {other.id} ({_row(other)}) are both "
        f"'{member.name}'{org}" + (", with different emails" if both_emails else ""),
        "if they are one person, delete one of the rows; if they are two, nothing "
        "is wrong (add the department, or a middle initial, to tell them apart)"
        if both_emails
        else "one person is entered twice: delete one of the rows (keep the id rounds "
        "already use); if they are two people, give each an email",
        "warning" if both_emails else "error",
    )


def member_reference_hint(ref: str, ids: Mapping[str, str]) -> str:
    """The hint for an id that is no member's: the id in its stored case, when only the case
    differs (`ids` maps folded ids to stored ones); empty otherwise."""
    stored = ids.get(ref.casefold())
    if stored is None or stored == ref:
        return ""
    return f"ids keep their case: write '{stored}'"


def outside_managers(
    members: Sequence[Member], problems: list[Problem], kept_apart: bool = False
) -> None:
    """Managers named in the roster who are not members: fine (a participants-only roster),
    said once. One who is a member written in another case is an error, since "not their own
    manager" would then not apply."""
    ids = {m.id for m in members}
    folded = {m.id.casefold(): m.id for m in members}
    outside: dict[str, list[Member]] = {}
    for member in members:
        manager = member.manager
        if not manager or manager in ids:
            continue
        hint = member_reference_hint(manager, folded)
        if hint:
            problems.append(
                Problem(
                    member.source_of("manager"),
                    "unknown-member",
                    f"{member.id}: manager '{manager}' is no member's id, but "
                    f"'{folded[manager.casefold()]}' is",
                    hint,
                )
            )
            continue
        outside.setdefault(manager, []).append(member)
    if outside:
        problems.append(_outside_warning(outside, kept_apart))


def _outside_warning(outside: Mapping[str, list[Member]], kept_apart: bool) -> Problem:
    """The one warning naming the managers outside the program, most named first."""
    names = sorted(outside, key=lambda name: (-len(outside[name]), name))
    shown = ", ".join(f"{name} ({len(outside[name])})" for name in names[:10])
    if len(names) > 10:
        shown += f" and {len(names) - 10} more"
    first = min((m for group in outside.values() for m in group), key=lambda m: m.source)
    return Problem(
        first.source_of("manager"),
        "outside-manager",
        f"{len(names)} manager(s) named in the roster are not members: {shown}; "
        + (
            "`not_same: [manager]` still keeps apart members who share one"
            if kept_apart
            else "members who share one may be matched (unless matching.rules.not_same "
            "lists manager)"
        ),
        "nothing to do for a roster of participants only; if one of them should be a "
        "member, check the id in the manager column",
        "warning",
    )
