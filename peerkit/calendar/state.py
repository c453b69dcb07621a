"""`calendars.yaml`: what each member's calendar was last sent (UIDs, SEQUENCE, CANCELLED).

Written by `peerkit calendar` a line per event so a coordinator can review it in git, and
read back fast by a line reader that agrees with the YAML parser (which reads anything
edited by hand).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from peerkit.model import Location, Problem

STATE_FILE = "calendars.yaml"


@dataclass(frozen=True)
class EventRecord:
    """One event as it was last exported."""

    start: str  # ISO date-time with offset
    end: str
    sequence: int
    status: Literal["confirmed", "cancelled"]
    hash: str
    stamp: str = ""  # the --now it last changed at, if one was given
    uid: str = ""  # kept so an event keeps its UID whatever the program is called later
    session: int = 0  # the session it held


@dataclass(frozen=True)
class MatchRecord:
    members: tuple[str, ...]
    former: tuple[str, ...]  # members who were in the match once: they get cancellations
    # each meeting by the date it was planned for (ISO), which a skip or a move elsewhere
    # does not change
    events: Mapping[str, EventRecord] = field(default_factory=dict)
    # a state file from before events were keyed by date: by session number, UIDs not kept
    sessions: Mapping[int, EventRecord] = field(default_factory=dict)


@dataclass
class State:
    """`calendars.yaml`: the program id UIDs hang on, and every event of every round."""

    program: str = ""
    rounds: dict[str, dict[str, MatchRecord]] = field(default_factory=dict)


def read_state(root: Path) -> tuple[State, list[Problem]]:
    """`calendars.yaml` from the program folder (empty when absent), or why it is unusable."""
    import yaml

    path = root / STATE_FILE
    where = Location(STATE_FILE)
    hint = (
        f"restore it from git, or delete {STATE_FILE} to start over "
        "(every event is then sent again as new, and vanished ones are not cancelled)"
    )
    if not path.is_file():
        if not path.is_symlink() and not path.exists():
            return State(), []
        # a dangling or looping link, or a folder: taking it as absent would resend everything
        what = "a link that leads to no file" if path.is_symlink() else "not a file"
        return State(), [Problem(where, "calendar-state", f"{STATE_FILE} is {what}", hint)]
    try:
        text = path.read_text(encoding="utf-8")
        try:
            fast = _parse_state_lines(text)
        except ValueError:  # a bad escape in a hand-edited line: the YAML parser says where
            fast = None
        if fast is not None:
            return fast, []
        data = yaml.load(text, Loader=_loader())
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        message = f"{STATE_FILE} cannot be read: {(str(exc).splitlines() or ['?'])[0]}"
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = Location(STATE_FILE, mark.line + 1, mark.column + 1)
        return State(), [Problem(where, "calendar-state", message, hint)]
    try:
        return _parse_state(data), []
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        message = f"{STATE_FILE} is not what `peerkit calendar` wrote ({exc})"
        return State(), [Problem(where, "calendar-state", message, hint)]


_Q = r'"(?:[^"\\]|\\.)*"'
_STATE_PROGRAM = re.compile(rf"program: ({_Q})")
_STATE_ROUND = re.compile(rf"  ({_Q}):")
_STATE_MATCH = re.compile(rf"    ({_Q}):")
_STATE_LIST = re.compile(r"      (members|former): (\[.*\])")
_STATE_EVENT = re.compile(
    rf'        "(\d{{4}}-\d\d-\d\d)": \{{session: (\d+), uid: ({_Q}), start: ({_Q}), '
    rf"end: ({_Q}), sequence: (\d+), status: (confirmed|cancelled), hash: ({_Q})"
    rf"(?:, stamp: ({_Q}))?\}}"
)
_STATE_SESSION = re.compile(  # the format before events were keyed by date
    rf"        (\d+): \{{start: ({_Q}), end: ({_Q}), sequence: (\d+), "
    rf"status: (confirmed|cancelled), hash: ({_Q})(?:, stamp: ({_Q}))?\}}"
)


def _unquote(token: str) -> str:
    return token[1:-1] if "\\" not in token else str(json.loads(token))


def _line_record(
    number: str, uid: str, start: str, end: str, sequence: str, status: str, digest: str, stamp: str
) -> EventRecord:
    """One event line of the fast reader (both state formats) as its record."""
    return EventRecord(
        _unquote(start),
        _unquote(end),
        int(sequence),
        "confirmed" if status == "confirmed" else "cancelled",
        _unquote(digest),
        _unquote(stamp) if stamp else "",
        uid,
        int(number),
    )


def _parse_state_lines(text: str) -> State | None:
    """The state file exactly as `state_text` writes it, fast; None if it looks otherwise
    (edited by hand), and then the YAML parser reads it."""
    state = State()
    round_: dict[str, MatchRecord] | None = None
    match_id = ""
    lists: dict[str, tuple[str, ...]] = {}
    events: dict[str, EventRecord] = {}
    sessions: dict[int, EventRecord] = {}
    skip = ("rounds:", "rounds: {}", "      events:", "      sessions:")

    def close() -> None:
        if round_ is not None and match_id:
            round_[match_id] = MatchRecord(
                lists.get("members", ()), lists.get("former", ()), events, sessions
            )

    for line in text.splitlines():
        if not line or line.startswith("#") or line in skip:
            continue
        if found := _STATE_EVENT.fullmatch(line):
            planned, number, uid, *fields = found.groups()
            events[planned] = _line_record(number, _unquote(uid), *fields)
        elif found := _STATE_SESSION.fullmatch(line):
            number, *fields = found.groups()
            sessions[int(number)] = _line_record(number, "", *fields)
        elif found := _STATE_LIST.fullmatch(line):
            lists[found.group(1)] = tuple(str(item) for item in json.loads(found.group(2)))
        elif found := _STATE_MATCH.fullmatch(line):
            close()
            match_id, lists, events, sessions = json.loads(found.group(1)), {}, {}, {}
        elif found := _STATE_ROUND.fullmatch(line):
            close()
            match_id = ""
            round_ = state.rounds.setdefault(json.loads(found.group(1)), {})
        elif (found := _STATE_PROGRAM.fullmatch(line)) and round_ is None:
            state.program = json.loads(found.group(1))
        else:
            return None
    close()
    return state


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _record(match_id: str, key: object, item: Any) -> EventRecord:
    status = str(item["status"])
    if status not in ("confirmed", "cancelled"):
        msg = f"match {match_id} event {key}: unknown status {status!r}"
        raise ValueError(msg)
    return EventRecord(
        start=str(item["start"]),
        end=str(item["end"]),
        sequence=int(item["sequence"]),
        status="confirmed" if status == "confirmed" else "cancelled",
        hash=str(item["hash"]),
        stamp=str(item.get("stamp") or ""),
        uid=str(item.get("uid") or ""),
        session=int(item.get("session") or (key if isinstance(key, int) else 0)),
    )


def _parse_state(data: Any) -> State:
    if data is None:
        return State()
    if not isinstance(data, dict) or not isinstance(data.get("rounds", {}), dict):
        msg = "expected a mapping with `rounds`"
        raise ValueError(msg)
    state = State(program=str(data.get("program") or ""))
    for round_name, matches in (data.get("rounds") or {}).items():
        records: dict[str, MatchRecord] = {}
        for match_id, entry in (matches or {}).items():
            events = {}
            for planned, item in (entry.get("events") or {}).items():
                day = planned if isinstance(planned, dt.date) else dt.date.fromisoformat(planned)
                events[day.isoformat()] = _record(match_id, planned, item)
            sessions = {
                int(number): _record(match_id, int(number), item)
                for number, item in (entry.get("sessions") or {}).items()
            }
            records[str(match_id)] = MatchRecord(
                members=tuple(str(m) for m in entry.get("members") or ()),
                former=tuple(str(m) for m in entry.get("former") or ()),
                events=events,
                sessions=sessions,
            )
        state.rounds[str(round_name)] = records
    return state


# printable ASCII but `"` and `\\`: what json.dumps writes as it is between quotes
_PLAIN = re.compile(r"[ !#-\[\]-~]*")


def _quoted(text: str) -> str:
    """`json.dumps(text)`, quicker for the plain ids, dates and hashes the state is made of
    (a JSON string is a valid YAML double-quoted scalar)."""
    return f'"{text}"' if _PLAIN.fullmatch(text) else json.dumps(text)


def state_text(state: State) -> bytes:
    """The state as YAML a coordinator can review in git: a line per event, sorted."""
    q = _quoted
    lines = [
        "# Written by `peerkit calendar`: each event as it was last exported, so that a",
        "# re-export raises SEQUENCE for changed meetings and cancels vanished ones. Events",
        "# are keyed by the date they were planned for; `program` is the id their UIDs hang on.",
        "# Commit it with the program. Deleting it makes every event new again.",
    ]
    if state.program:
        lines.append(f"program: {q(state.program)}")
    lines.append("rounds:" if state.rounds else "rounds: {}")
    for round_name in sorted(state.rounds):
        lines.append(f"  {q(round_name)}:")
        for match_id in sorted(state.rounds[round_name]):
            record = state.rounds[round_name][match_id]
            lines.append(f"    {q(match_id)}:")
            lines.append(f"      members: [{', '.join(q(m) for m in record.members)}]")
            if record.former:
                lines.append(f"      former: [{', '.join(q(m) for m in record.former)}]")
            lines.append("      events:")
            for planned in sorted(record.events):
                item = record.events[planned]
                stamp = f", stamp: {q(item.stamp)}" if item.stamp else ""
                lines.append(
                    f"        {q(planned)}: {{session: {item.session}, uid: {q(item.uid)}, "
                    f"start: {q(item.start)}, end: {q(item.end)}, sequence: {item.sequence}, "
                    f"status: {item.status}, hash: {q(item.hash)}{stamp}}}"
                )
    return ("\n".join(lines) + "\n").encode("utf-8")


def recorded_state(state: State, new: State, only: str | None, sent: set[tuple[str, str]]) -> State:
    """The state to save: the new one, or with `--only` the old state with only the
    (round, match) pairs whose events were written (`sent`) brought up to date, since
    nobody else received anything."""
    if only is None:
        return new
    rounds = {origin: dict(matches) for origin, matches in state.rounds.items()}
    for origin, match_id in sorted(sent):
        record = new.rounds.get(origin, {}).get(match_id)
        if record is not None:
            rounds.setdefault(origin, {})[match_id] = record
    return State(new.program, rounds)
