"""The report as data: JSON with the same numbers as the page, and CSV rows (through
peerkit.tables, whose cells a spreadsheet shows but never runs).
"""

from __future__ import annotations

from peerkit.jsontext import json_text, plain_values
from peerkit.report.content import Report
from peerkit.tally.results import QuestionStats, SurveyTally, Tally


def report_dict(report: Report) -> dict[str, object]:
    """The report as plain data (dates as ISO text)."""
    data = plain_values(report)
    assert isinstance(data, dict)
    data["problems"] = [p.as_dict() for p in report.problems]
    return data


def report_json(report: Report) -> bytes:
    text = json_text(report_dict(report))
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


_COLUMN = {name: k for k, name in enumerate(CSV_HEADER)}


def _row(**values: object) -> list[object]:
    """One CSV row from values named by column; the other cells stay empty."""
    row: list[object] = [""] * len(CSV_HEADER)
    for name, value in values.items():
        row[_COLUMN[name]] = value
    return row


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
