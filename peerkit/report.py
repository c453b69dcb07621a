"""Program health on one page: goals, participation, attendance, survey results with charts,
at-risk matches and comments. HTML (charts as inline SVG, no network), PDF, JSON with the
same numbers, and CSV whose cells a spreadsheet shows but never runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peerkit.attendance import AttendanceSummary
from peerkit.model import Folder, Problem
from peerkit.output import BuildOptions, Output
from peerkit.tables import csv_bytes
from peerkit.tally import QuestionStats, SurveyTally, Tally, active_members, too_few

PALETTE = ("#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac")  # 1 … 5, red to blue
NPS_COLORS = ("#b2182b", "#d9d9d9", "#2166ac")
ACCENT = "#2f6f8f"
AT_RISK_SHOWN = 15  # matches listed on the page; JSON and CSV keep every one
STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "that",
        "with",
        "from",
        "this",
        "they",
        "their",
        "them",
        "what",
        "each",
        "every",
        "have",
        "more",
        "than",
        "make",
        "makes",
        "members",
        "member",
        "program",
        "peer",
        "peers",
        "team",
        "teams",
        "give",
        "gave",
        "least",
        "would",
        # Who is in a match says nothing about what a goal measures.
        "mentor",
        "mentors",
        "mentee",
        "mentees",
        "mentoring",
        "pair",
        "pairs",
        "match",
        "matches",
        "your",
        "about",
    ]
)
# A goal names what it measures in many words; each set leads to one measure.
MEASURES: Mapping[str, frozenset[str]] = {
    "attendance": frozenset(
        [
            "attend",
            "attends",
            "attended",
            "attending",
            "attendance",
            "meet",
            "meets",
            "meeting",
            "meetings",
            "present",
            "presence",
            "show",
            "shows",
            "turn",
        ]
    ),
    "recommend": frozenset(
        ["recommend", "recommends", "recommended", "nps", "promoter", "promoters"]
    ),
    "feedback": frozenset(["feedback", "honest", "honesty", "candid"]),
    "progress": frozenset(
        [
            "progress",
            "goal",
            "goals",
            "objective",
            "objectives",
            "achieve",
            "achieved",
            "reach",
            "commitments",
        ]
    ),
    "useful": frozenset(["useful", "value", "valuable", "helpful", "worthwhile"]),
}


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
    return {w for w in re.findall(r"[a-z]+", text.casefold()) if len(w) >= 4} - STOPWORDS


def _measures(text: str) -> set[str]:
    words = set(re.findall(r"[a-z]+", text.casefold()))
    return {name for name, keys in MEASURES.items() if words & keys}


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
    where = f"{survey.survey} · {question.text}"
    if question.suppressed:
        return f"{where}: {too_few(minimum)}"
    if question.type == "nps" and question.nps is not None:
        return f"{where}: NPS {question.nps:+.1f} ({question.promoters} promoters of {question.n})"
    if question.mean is not None:
        return (
            f"{where}: mean {question.mean:.2f} of 5, {question.top2_box:.0f}% agree "
            f"(n={question.n})"
        )
    if question.counts and question.n:
        top = sorted(question.counts.items(), key=lambda item: -item[1])[:3]
        return f"{where}: " + ", ".join(f"{k} {v}" for k, v in top) + f" (n={question.n})"
    return ""


def _evidence_for(goal: str, tally: Tally, attendance: AttendanceSummary | None) -> tuple[str, ...]:
    """The numbers that speak to a goal, each naming the measure it comes from.

    A goal and a question meet on a measure (attendance, recommending, feedback, progress,
    usefulness: see MEASURES); a goal that names none of them, on a word they share.
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
    from peerkit.tally import round_in_effect
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
        notes.append("No attendance yet: `peerkit attendance --session N` prints a sign-in sheet.")
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


# --- JSON and CSV ---------------------------------------------------------------------------


def report_dict(report: Report) -> dict[str, object]:
    """The report as plain data (dates as ISO text)."""
    data = dataclasses.asdict(report)
    data["problems"] = [p.as_dict() for p in report.problems]
    return data


def report_json(report: Report) -> bytes:
    text = json.dumps(
        report_dict(report), indent=2, ensure_ascii=False, sort_keys=True, default=str
    )
    return (text + "\n").encode("utf-8")


CSV_HEADER = (
    "section",
    "survey",
    "scope",
    "item",
    "text",
    "n",
    "missing",
    "mean",
    "median",
    "top2_box",
    "nps",
    "promoters",
    "passives",
    "detractors",
    "value",
    "note",
)


def _row(**values: object) -> list[object]:
    """One CSV row from values named by column; the other cells stay empty."""
    return [values.get(name, "") for name in CSV_HEADER]


def _question_row(survey: SurveyTally, scope: str, q: QuestionStats) -> list[object]:
    value = ""
    if q.counts:
        value = "; ".join(f"{k}: {v}" for k, v in q.counts.items())
    elif q.distribution:
        value = "; ".join(f"{k}: {v}" for k, v in q.distribution.items())
    elif q.comments:
        value = f"{len(q.comments)} comment(s)"
    return _row(
        section="survey",
        survey=survey.survey,
        scope=scope,
        item=q.id,
        text=q.text,
        n=q.n,
        missing=q.missing,
        mean=q.mean,
        median=q.median,
        top2_box=q.top2_box,
        nps=q.nps,
        promoters=q.promoters,
        passives=q.passives,
        detractors=q.detractors,
        value=value,
        note=q.note,
    )


def tally_rows(tally: Tally) -> list[list[object]]:
    """The tally as spreadsheet rows (questions, groups, comments, at-risk matches)."""
    rows: list[list[object]] = [list(CSV_HEADER)]
    for survey in tally.surveys:
        rows.extend(_question_row(survey, "all", q) for q in survey.questions)
        for group in (*survey.by_session, *survey.by_match):
            where = {"section": "group", "survey": survey.survey, "scope": group.label}
            rows.append(
                _row(
                    **where,
                    item="health",
                    text="mean of every likert answer",
                    n=group.respondents,
                    mean=group.health,
                    note=group.note,
                )
            )
            rows.extend(
                _row(**where, item=qid, mean=score, note=group.note)
                for qid, score in group.scores.items()
            )
        for q in survey.questions:
            for comment in q.comments:
                who = ", ".join(x for x in (comment.member, comment.match) if x)
                rows.append(
                    _row(
                        section="comment",
                        survey=survey.survey,
                        scope=who,
                        item=q.id,
                        text=comment.text,
                    )
                )
    for risk in tally.at_risk:
        rows.append(
            _row(
                section="at-risk",
                scope=risk.match,
                item=", ".join(risk.members),
                text="; ".join(risk.reasons),
            )
        )
    return rows


def report_rows(report: Report) -> list[list[object]]:
    """The tally's rows, then attendance per member and match, then the goals."""
    rows = tally_rows(report.tally)
    if report.attendance is not None:
        for member in report.attendance.members:
            rows.append(
                _row(
                    section="attendance",
                    scope=member.match,
                    item=member.member,
                    text=member.name,
                    n=member.present + member.absent + member.excused,
                    missing=member.absent,
                    value=member.rate,
                    note="missed two in a row" if member.two_in_a_row else "",
                )
            )
        for match in report.attendance.matches:
            rows.append(
                _row(
                    section="attendance",
                    scope="match",
                    item=match.match,
                    text=", ".join(match.members),
                    n=match.meetings,
                    missing=match.absent,
                    value=match.rate,
                )
            )
    for goal in report.goals:
        rows.append(_row(section="goal", text=goal.goal, value="; ".join(goal.evidence)))
    return rows


# --- charts ---------------------------------------------------------------------------------


def _svg(figure: Any) -> str:
    """A matplotlib figure as an inline <svg> element (deterministic: no date, fixed ids)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(
        buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight"
    )
    plt.close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # Natural size, shrunk to fit the page (never stretched): text keeps one size everywhere.
    text = text.replace("<svg ", '<svg class="chart" ', 1)
    return text


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.hashsalt": "peerkit",
            "svg.fonttype": "none",
            "font.family": "DejaVu Sans",
            "font.size": 9.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": "#9aa7b3",
            "axes.labelcolor": "#1d2733",
            "xtick.color": "#56636f",
            "ytick.color": "#1d2733",
        }
    )
    return plt


def _wrap(text: str, width: int = 38) -> str:
    import textwrap

    lines = textwrap.wrap(text, width)
    if len(lines) > 2:
        lines = [*lines[:1], lines[1][: width - 1] + "…"]
    return "\n".join(lines)


def likert_chart(questions: Sequence[QuestionStats]) -> str:
    """Stacked bars: the share of each answer, one bar per likert question."""
    plt = _pyplot()
    shown = [q for q in questions if q.type == "likert5" and q.n]
    if not shown:
        return ""
    figure, axes = plt.subplots(figsize=(7.0, 0.5 * len(shown) + 0.9))
    labels = list(shown[0].distribution)
    for row, question in enumerate(reversed(shown)):
        total = sum(question.distribution.values()) or 1
        left = 0.0
        for index, count in enumerate(question.distribution.values()):
            width = 100 * count / total
            axes.barh(row, width, left=left, color=PALETTE[index], height=0.62, edgecolor="white")
            if width >= 7:
                axes.text(
                    left + width / 2,
                    row,
                    f"{width:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color="white" if index in (0, 4) else "#1d2733",
                )
            left += width
    axes.set_yticks(range(len(shown)), [_wrap(q.text) for q in reversed(shown)])
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of answers")
    axes.legend(
        [plt.Rectangle((0, 0), 1, 1, color=c) for c in PALETTE],
        labels,
        ncol=5,
        loc="upper center",
        bbox_to_anchor=(0.4, -0.35 if len(shown) < 3 else -0.12 - 0.6 / len(shown)),
        frameon=False,
        fontsize=8,
    )
    return _svg(figure)


def nps_chart(question: QuestionStats) -> str:
    """One bar split into detractors, passives and promoters."""
    plt = _pyplot()
    if not question.n or question.promoters is None:
        return ""
    figure, axes = plt.subplots(figsize=(9.2, 0.9))
    parts = [
        ("detractors (0–6)", question.detractors or 0),
        ("passives (7–8)", question.passives or 0),
        ("promoters (9–10)", question.promoters or 0),
    ]
    left = 0.0
    for (label, count), color in zip(parts, NPS_COLORS, strict=True):
        width = 100 * count / question.n
        axes.barh(0, width, left=left, color=color, height=0.6, edgecolor="white", label=label)
        if width >= 8:
            axes.text(
                left + width / 2,
                0,
                f"{width:.0f}%",
                ha="center",
                va="center",
                fontsize=9,
                color="white" if color != "#d9d9d9" else "#1d2733",
            )
        left += width
    axes.set_xlim(0, 100)
    axes.set_yticks([])
    axes.spines["left"].set_visible(False)
    axes.legend(
        ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.45), frameon=False, fontsize=8.5
    )
    return _svg(figure)


def trend_chart(survey: SurveyTally) -> str:
    """Mean of each likert question per session: is the program getting better?"""
    plt = _pyplot()
    likert = {q.id: q.text for q in survey.questions if q.type == "likert5"}
    series: dict[str, list[tuple[int, float]]] = {}
    for point in survey.trend:
        if point.question in likert and point.value is not None:
            series.setdefault(point.question, []).append((point.session, point.value))
    sessions = sorted({s for points in series.values() for s, _ in points})
    if len(sessions) < 2:
        return ""
    figure, axes = plt.subplots(figsize=(8.0, 2.8))
    colors = ("#2166ac", "#ef8a62", "#1b9e77", "#7570b3", "#b2182b", "#66a61e", "#a6761d")
    for index, (qid, points) in enumerate(sorted(series.items())):
        xs, ys = zip(*points, strict=True)
        axes.plot(
            xs,
            ys,
            marker="o",
            linewidth=2,
            color=colors[index % len(colors)],
            label=qid.replace("_", " "),
        )
    axes.set_ylim(1, 5.2)
    axes.set_xticks(sessions, [f"S{s}" for s in sessions])
    axes.set_ylabel("mean of 5")
    axes.axhline(4, color="#9aa7b3", linewidth=0.8, linestyle="--")
    axes.grid(axis="y", color="#eef3f6")
    axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8.5)
    return _svg(figure)


def attendance_chart(summary: AttendanceSummary) -> str:
    """Attendance rate per meeting."""
    plt = _pyplot()
    sessions = [s for s in summary.sessions if s.rate is not None]
    if not sessions:
        return ""
    figure, axes = plt.subplots(figsize=(9.2, 2.0))
    labels = [f"S{s.session}\n{s.date:%b %d}" if s.session else f"{s.date:%b %d}" for s in sessions]
    rates = [s.rate or 0.0 for s in sessions]
    bars = axes.bar(range(len(sessions)), rates, color=ACCENT, width=0.6)
    for bar, rate in zip(bars, rates, strict=True):
        axes.text(
            bar.get_x() + bar.get_width() / 2, rate + 1.5, f"{rate:.0f}%", ha="center", fontsize=8.5
        )
    axes.set_xticks(range(len(sessions)), labels, fontsize=8.5)
    axes.set_ylim(0, 110)
    axes.set_ylabel("% present")
    return _svg(figure)


def choice_chart(question: QuestionStats) -> str:
    plt = _pyplot()
    if not question.counts or not question.n:
        return ""
    items = list(question.counts.items())
    figure, axes = plt.subplots(figsize=(8.4, 0.34 * len(items) + 0.5))
    ys = range(len(items))
    axes.barh(list(ys), [v for _, v in reversed(items)], color=ACCENT, height=0.6)
    axes.set_yticks(list(ys), [_wrap(k, 30) for k, _ in reversed(items)])
    for y, (_, value) in zip(ys, reversed(items), strict=True):
        axes.text(value, y, f" {value}", va="center", fontsize=8.5)
    axes.set_xlabel("answers")
    axes.xaxis.get_major_locator().set_params(integer=True)
    return _svg(figure)


def charts(report: Report) -> dict[str, str]:
    """Every chart of the report as inline SVG, keyed by what it shows."""
    made: dict[str, str] = {}
    for survey in report.tally.surveys:
        made[f"{survey.survey}:likert"] = likert_chart(survey.questions)
        made[f"{survey.survey}:trend"] = trend_chart(survey)
        for question in survey.questions:
            if question.type == "nps" and not question.suppressed:
                made[f"{survey.survey}:{question.id}"] = nps_chart(question)
            if question.type in ("choice", "multi") and not question.suppressed:
                made[f"{survey.survey}:{question.id}"] = choice_chart(question)
    if report.attendance is not None:
        made["attendance"] = attendance_chart(report.attendance)
    return {key: svg for key, svg in made.items() if svg}


# --- HTML and PDF ---------------------------------------------------------------------------


def report_html(folder: Folder, report: Report, *, for_print: bool = False) -> str:
    """The report page; charts are inline SVG, so the page needs no network and no files."""
    from markupsafe import Markup

    from peerkit.render import environment, render_template

    svgs = {key: Markup(svg) for key, svg in charts(report).items()}
    env = environment(folder.root, html=True)
    return render_template(
        env,
        "report.html.j2",
        {
            "report": report,
            "charts": svgs,
            "min_group_size": report.tally.min_group_size,
            "too_few": too_few(report.tally.min_group_size),
            "for_print": for_print,
            "at_risk_shown": AT_RISK_SHOWN,
        },
    )


def report_files(
    folder: Folder,
    report: Report,
    formats: Sequence[str] = ("html", "json", "csv", "pdf"),
    paper: str = "A4",
    problems: list[Problem] | None = None,
) -> dict[str, bytes]:
    """out/report/report.{html,json,csv,pdf}: the formats asked for; names the PDF cannot
    print (no installed font has them) are added to `problems`."""
    files: dict[str, bytes] = {}
    if "html" in formats:
        files["out/report/report.html"] = report_html(folder, report).encode("utf-8")
    if "json" in formats:
        files["out/report/report.json"] = report_json(report)
    if "csv" in formats:
        files["out/report/report.csv"] = csv_bytes(report_rows(report))
    if "pdf" in formats:
        from peerkit.pdf import glyph_problems, html_to_pdf

        html = report_html(folder, report, for_print=True)
        if problems is not None:
            problems.extend(glyph_problems(html, folder.members))
        moment = folder.program.start
        files["out/report/report.pdf"] = html_to_pdf(html, folder.root, paper, moment=moment)
    return files


def tally_files(folder: Folder, tally: Tally, report: Report) -> dict[str, bytes]:
    """out/tally/tally.{json,csv,html}."""
    data = json.dumps(tally.as_dict(), indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return {
        "out/tally/tally.json": (data + "\n").encode("utf-8"),
        "out/tally/tally.csv": csv_bytes(tally_rows(tally)),
        "out/tally/tally.html": report_html(folder, report).encode("utf-8"),
    }


# --- putting it together --------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """Responses and attendance read from the folder, with what went wrong reading them."""

    tally: Tally
    attendance: AttendanceSummary | None
    problems: tuple[Problem, ...]
    exports: int
    as_of: dt.date | None = None  # the date the data runs to (or --now, when later)
    notes: tuple[str, ...] = ()


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
    from peerkit.responses import fold_repeats, load_responses, read_responses
    from peerkit.tally import round_in_effect, tally_folder
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
    return Inputs(tally, summary, tuple(ordered), len(exports), as_of, (note,) if note else ())


def data_problems(folder: Folder) -> list[Problem]:
    """What is wrong in responses/ and attendance.csv, as located warnings (nothing rendered),
    repeats folded ("and 220 more like this").

    `peerkit check` shows them: a coordinator hears of an answer off the scale before the
    report leaves it out.
    """
    from peerkit.attendance import load_attendance
    from peerkit.responses import fold_repeats, load_responses

    problems = [*load_responses(folder).problems, *load_attendance(folder).problems]
    # a file that cannot be read at all stays an error: tally and build would stop on it
    unreadable = {"xlsx", "csv", "binary", "unreadable", "too-large", "duplicate-column"}
    return [
        p if p.code in unreadable else dataclasses.replace(p, severity="warning")
        for p in fold_repeats(problems)
    ]


# --- build steps ----------------------------------------------------------------------------


def report_step(folder: Folder, options: BuildOptions) -> Output:
    """`peerkit build`: out/tally/ when responses/ has exports, and out/report/ when there
    are responses or attendance; the exports are read and tallied once for both."""

    from peerkit.attendance import load_attendance
    from peerkit.responses import load_responses

    result = Output()
    # read once for the whole build: no second look at the files
    responses, attendance_read = load_responses(folder), load_attendance(folder)
    exports = responses.exports or responses.problems
    attendance = attendance_read.records or attendance_read.problems
    if not exports and not attendance:
        result.notes.append("no survey exports and no attendance.csv yet; skipped")
        return result
    inputs = gather(folder, now=options.now)
    result.problems.extend(inputs.problems)
    report = build_report(
        folder,
        inputs.tally,
        inputs.attendance,
        options.now,
        inputs.problems,
        inputs.as_of,
        inputs.notes,
    )
    if exports:
        result.files.update(tally_files(folder, inputs.tally, report))
        for survey in inputs.tally.surveys:
            count = "withheld" if survey.respondents is None else survey.respondents
            result.notes.append(
                f"{survey.survey}: {count} response(s) from {len(survey.files)} file(s)"
            )
    else:
        result.notes.append("no survey exports in responses/; no tally")
    result.files.update(report_files(folder, report, problems=result.problems))
    result.notes.append(f"{len(inputs.tally.at_risk)} match(es) need attention")
    return result
