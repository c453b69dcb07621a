"""What the report says, before anything is drawn: the goals and the numbers that speak to
them, participation, the tally and attendance, and the notes; `gather` reads and tallies
what the loader found in responses/ and attendance.csv.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from peerkit.attendance import AttendanceSummary
from peerkit.model import Folder, Problem
from peerkit.tally.results import QuestionStats, SurveyTally, Tally, too_few
from peerkit.tally.risk import active_members

GOAL_KEYWORDS_FILE = Path(__file__).parent.parent / "goal_keywords.yaml"


@dataclass(frozen=True)
class GoalKeywords:
    """What a goal's words point to (kept in goal_keywords.yaml beside defaults.yaml)."""

    measures: Mapping[str, frozenset[str]]  # measure → the words that name it
    stopwords: frozenset[str]  # too common to link a goal to a question


@functools.cache
def goal_keywords() -> GoalKeywords:
    """The shipped goal keywords, read once."""
    import yaml

    data = yaml.safe_load(GOAL_KEYWORDS_FILE.read_text(encoding="utf-8"))
    measures = {str(name): frozenset(map(str, words)) for name, words in data["measures"].items()}
    return GoalKeywords(measures, frozenset(map(str, data["stopwords"])))


@dataclass(frozen=True)
class GoalEvidence:
    goal: str
    evidence: tuple[str, ...]  # the numbers that speak to the goal
    measures: tuple[str, ...] = ()  # what the goal's words point to: attendance, progress, …


@dataclass(frozen=True)
class Participation:
    members: int  # members active on the report's date (as_of)
    matched: int  # of those, the ones in a match of the round
    matches: int
    unmatched: int
    round: str
    surveys: dict[str, int | None]  # survey → respondents (None when withheld)
    left: int = 0  # members who had left the program by as_of


@dataclass(frozen=True)
class Report:
    """Everything the report shows; `--format json` is this, as it is."""

    program: str
    organization: str
    contact: str
    period: str
    as_of: str
    goals: tuple[GoalEvidence, ...]
    participation: Participation
    tally: Tally
    attendance: AttendanceSummary | None
    anonymous_surveys: tuple[str, ...]
    notes: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = field(default=(), compare=False)


# --- gathering ------------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    found = {w for w in re.findall(r"[a-z]+", text.casefold()) if len(w) >= 4}
    return found - goal_keywords().stopwords


def _measures(text: str) -> set[str]:
    words = set(re.findall(r"[a-z]+", text.casefold()))
    return {name for name, keys in goal_keywords().measures.items() if words & keys}


def _attendance_evidence(attendance: AttendanceSummary | None) -> str:
    if attendance is None or attendance.rate is None:
        return "attendance rate (attendance.csv): no attendance recorded yet"
    steady = sum(m.rate is not None and m.rate >= 75 for m in attendance.matches)
    return (
        f"attendance rate (attendance.csv): {attendance.rate:.0f}% of member-meetings present; "
        f"{steady} of {len(attendance.matches)} matches at 75% or more over "
        f"{len(attendance.sessions)} meeting date(s)"
    )


def _question_evidence(survey: SurveyTally, question: QuestionStats, minimum: int) -> str:
    # "…since last month: mean 4.19", never "…since last month.: mean 4.19"
    text = question.text.strip().rstrip(".:;").rstrip()
    where = f"{survey.survey} · {text}" + (" —" if text.endswith(("?", "!")) else ":")
    if question.suppressed:
        return f"{where} {too_few(minimum)}"
    if question.type == "nps" and question.nps is not None:
        return f"{where} NPS {question.nps:+.1f} ({question.promoters} promoters of {question.n})"
    if question.mean is not None:
        return (
            f"{where} mean {question.mean:.2f} of 5, {question.top2_box:.0f}% agree "
            f"(n={question.n})"
        )
    if question.counts and question.n:
        top = sorted(question.counts.items(), key=lambda item: -item[1])[:3]
        return f"{where} " + ", ".join(f"{k} {v}" for k, v in top) + f" (n={question.n})"
    return ""


def _evidence_for(goal: str, tally: Tally, attendance: AttendanceSummary | None) -> tuple[str, ...]:
    """The numbers that speak to a goal, each naming the measure it comes from.

    A goal and a question meet on a measure (attendance, recommending, feedback, progress,
    usefulness: see goal_keywords.yaml); a goal that names none of them, on a word they share.
    """
    words = _words(goal)
    wanted = _measures(goal)
    found: list[str] = []
    if "attendance" in wanted:
        found.append(_attendance_evidence(attendance))
    for survey in tally.surveys:
        for question in survey.questions:
            if question.type not in ("likert5", "nps", "choice", "multi"):
                continue
            about = _measures(f"{question.text} {question.id.replace('_', ' ')}")
            if question.type == "nps":
                about.add("recommend")
            shared = not wanted and words & (_words(question.text) | set(question.id.split("_")))
            if not (wanted & about or shared):
                continue
            if question.type in ("choice", "multi") and not wanted & about:
                continue  # a choice question only on a named measure (how often we meet)
            text = _question_evidence(survey, question, tally.min_group_size)
            if text:
                found.append(text)
    return tuple(found)


def later_data_note(latest: dt.date | None, as_of: dt.date) -> str:
    """A note when the data runs past the "as of" date (`--now` earlier than the answers)."""
    if latest is None or latest <= as_of:
        return ""
    return (
        f"--now {as_of.isoformat()} is before the latest data ({latest.isoformat()}); "
        f"the report is as of {as_of.isoformat()}, and counts what was recorded after it too."
    )


def latest_date(exports: Sequence[object], attendance: AttendanceSummary | None) -> dt.date | None:
    """The latest date in the data: answers submitted and meetings recorded."""
    from peerkit.model import Export

    dates: list[dt.date] = []
    for export in exports:
        assert isinstance(export, Export)
        dates.extend(r.submitted.date() for r in export.responses if r.submitted is not None)
    if attendance is not None:
        dates.extend(s.date for s in attendance.sessions)
    return max(dates, default=None)


def build_report(
    folder: Folder,
    tally: Tally,
    attendance: AttendanceSummary | None,
    now: dt.datetime | None = None,
    problems: Sequence[Problem] = (),
    as_of: dt.date | None = None,
    notes_before: Sequence[str] = (),
) -> Report:
    """The report's content from a tally and the attendance (nothing rendered yet).

    `as_of` is the one "as of" day (`gather` takes it from timeline.as_of: `--now`, else
    today in the program's timezone); without it, the tally's, else that of `now`.
    """
    from peerkit.tally.risk import round_in_effect
    from peerkit.timeline import as_of_day

    program = folder.program
    if as_of is None and tally.as_of:
        as_of = dt.date.fromisoformat(tally.as_of)
    day = as_of if as_of is not None else as_of_day(program, now)
    round_ = folder.round(tally.round) if tally.round else round_in_effect(folder, day)
    as_of = day
    active = active_members(folder, as_of)
    left = sum(1 for m in folder.members if m.active and m.left is not None and m.left <= day)
    matched = {m for match in (round_.matches if round_ else ()) for m in match.members} & active
    notes = list(notes_before)
    anonymous = tuple(s.survey for s in tally.surveys if s.anonymous)
    for survey in tally.surveys:
        if survey.anonymous:
            notes.append(
                f"'{survey.title}' is anonymous: no name or e-mail is kept, and no number is "
                f"shown for {too_few(tally.min_group_size)}."
            )
        if survey.note:
            notes.append(f"{survey.title}: {survey.note}.")
    if not tally.surveys:
        notes.append("No survey responses yet: put the exports in responses/.")
    if attendance is None:
        notes.append(
            "No attendance yet: `peerkit attendance sheet --session N` prints a sign-in sheet."
        )
    return Report(
        program=program.name,
        organization=program.organization,
        contact=" ".join(x for x in (program.contact.name, program.contact.email) if x),
        period=f"{program.start.isoformat()} – {program.end.isoformat()}",
        as_of=as_of.isoformat() if as_of else "",
        goals=tuple(
            GoalEvidence(g, _evidence_for(g, tally, attendance), tuple(sorted(_measures(g))))
            for g in program.goals
        ),
        participation=Participation(
            members=len(active),
            matched=len(matched),
            matches=len(round_.matches) if round_ else 0,
            unmatched=len(round_.unmatched) if round_ else 0,
            round=round_.name if round_ else "",
            surveys={s.survey: s.respondents for s in tally.surveys},
            left=left,
        ),
        tally=tally,
        attendance=attendance,
        anonymous_surveys=anonymous,
        notes=tuple(notes),
        problems=tuple(problems),
    )


@dataclass(frozen=True)
class Inputs:
    """Responses and attendance read from the folder, with what went wrong reading them;
    `report` is the report made from them (`tally`, `report` and `build` all start here)."""

    folder: Folder = field(repr=False, compare=False)
    tally: Tally
    attendance: AttendanceSummary | None
    problems: tuple[Problem, ...]
    exports: int
    as_of: dt.date | None = None  # the date the data runs to (or --now, when later)
    notes: tuple[str, ...] = ()
    now: dt.datetime | None = None

    @functools.cached_property
    def report(self) -> Report:
        """The report's content from these inputs, made on first use (a tally never needs it)."""
        return build_report(
            self.folder,
            self.tally,
            self.attendance,
            self.now,
            self.problems,
            self.as_of,
            self.notes,
        )


def gather(
    folder: Folder,
    paths: Sequence[Path] | None = None,
    survey: str | None = None,
    overrides: Mapping[str, str] | None = None,
    *,
    names: bool = True,
    progress: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
    session: int | None = None,
    round_name: str | None = None,
) -> Inputs:
    """Tally the responses and attendance the loader read into `folder` (at-risk includes
    attendance), as of `now` (else today in the program's timezone).

    Only FILES, `--survey`, `--map`, `--session` or `--round` make the exports be read
    again, differently; `progress` is told, in words, what is being read.
    """
    from peerkit.attendance import (
        attendance_reasons,
        load_attendance,
        read_attendance,
        summarize_attendance,
    )
    from peerkit.repeats import fold_repeats
    from peerkit.responses import load_responses, read_responses
    from peerkit.tally import tally_folder
    from peerkit.tally.risk import round_in_effect
    from peerkit.timeline import as_of_day

    if paths is None and survey is None and not overrides and session is None and not round_name:
        if progress is not None:
            progress("reading responses/")
        read = load_responses(folder)
        exports, problems = list(read.exports), list(read.problems)
    else:
        exports, problems = read_responses(
            folder,
            paths,
            survey,
            overrides,
            progress=progress,
            session=session,
            round_name=round_name,
        )
    if progress is not None:
        progress("reading attendance.csv and tallying")
    if round_name is None:
        attendance = load_attendance(folder)
        records, more = list(attendance.records), list(attendance.problems)
    else:
        records, more = read_attendance(folder, round_name)
    problems = fold_repeats([*problems, *more])
    summary = summarize_attendance(folder, records) if records else None
    as_of = as_of_day(folder.program, now)
    round_ = round_in_effect(folder, as_of, round_name)
    reasons = attendance_reasons(summary, round_) if summary is not None else None
    note = later_data_note(latest_date(exports, summary), as_of)
    tally = tally_folder(
        folder,
        exports,
        names=names,
        attendance_reasons=reasons,
        as_of=as_of,
        round_name=round_name,
    )
    ordered = sorted(problems, key=lambda p: p.sort_key())
    notes = (note,) if note else ()
    return Inputs(folder, tally, summary, tuple(ordered), len(exports), as_of, notes, now)


def data_problems(folder: Folder) -> list[Problem]:
    """What is wrong in responses/ and attendance.csv, as located warnings (nothing rendered),
    repeats folded ("and 220 more like this").

    `peerkit check` shows them: a coordinator hears of an answer off the scale before the
    report leaves it out.
    """
    from peerkit.attendance import load_attendance
    from peerkit.repeats import fold_repeats
    from peerkit.responses import load_responses

    problems = [*load_responses(folder).problems, *load_attendance(folder).problems]
    # a file that cannot be read at all stays an error: tally and build would stop on it
    unreadable = {"xlsx", "csv", "binary", "unreadable", "too-large", "duplicate-column"}
    return [
        p if p.code in unreadable else dataclasses.replace(p, severity="warning")
        for p in fold_repeats(problems)
    ]
