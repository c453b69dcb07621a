"""The report's charts: matplotlib figures as inline SVG (no network, deterministic bytes),
each with a title and labelled axes, and a text alternative for screen readers.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from peerkit.attendance import AttendanceSummary
from peerkit.report.content import Report
from peerkit.tally.results import QuestionStats, SurveyTally

PALETTE = ("#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac")  # 1 … 5, red to blue
NPS_COLORS = ("#b2182b", "#d9d9d9", "#2166ac")
ACCENT = "#2f6f8f"


def _svg(figure: Any, axes: Any, key: str, alt: str) -> str:
    """A matplotlib figure as an inline <svg> element (deterministic: no date, fixed ids),
    named for screen readers by `alt`; its title and axis labels carry ids (KEY-title,
    KEY-xlabel, KEY-ylabel) that the browser tests look for."""
    import html
    import re

    import matplotlib.pyplot as plt

    slug = "chart-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")
    axes.title.set_gid(f"{slug}-title")
    axes.xaxis.label.set_gid(f"{slug}-xlabel")
    axes.yaxis.label.set_gid(f"{slug}-ylabel")
    buffer = io.StringIO()
    figure.savefig(
        buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight"
    )
    plt.close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # Natural size, shrunk to fit the page (never stretched): text keeps one size everywhere.
    label = html.escape(alt, quote=True)
    text = text.replace(
        "<svg ", f'<svg class="chart" id="{slug}" role="img" aria-label="{label}" ', 1
    )
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


def likert_chart(questions: Sequence[QuestionStats], key: str = "likert") -> str:
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
    axes.set_ylabel("question")
    axes.set_title("How members answered each question", fontsize=10.5)
    axes.legend(
        [plt.Rectangle((0, 0), 1, 1, color=c) for c in PALETTE],
        labels,
        ncol=5,
        loc="upper center",
        bbox_to_anchor=(0.4, -0.35 if len(shown) < 3 else -0.12 - 0.6 / len(shown)),
        frameon=False,
        fontsize=8,
    )
    alt = (
        "How members answered each question, as shares from strongly disagree to strongly agree: "
        + "; ".join(f"{q.text} {q.top2_box or 0:.0f}% agree" for q in shown)
    )
    return _svg(figure, axes, key, alt)


def nps_chart(question: QuestionStats, key: str = "nps") -> str:
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
    axes.set_xlabel("% of answers")
    axes.set_ylabel("all", rotation=0, ha="right", va="center")
    axes.set_title("Detractors, passives and promoters", fontsize=10.5)
    axes.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.9), frameon=False, fontsize=8.5)
    alt = (
        f"{question.text}: "
        + ", ".join(f"{count} {label}" for label, count in parts)
        + f" of {question.n} answers"
    )
    return _svg(figure, axes, key, alt)


def trend_chart(survey: SurveyTally, key: str = "trend") -> str:
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
    axes.set_xlabel("session")
    axes.set_ylabel("mean score (1–5)")
    axes.set_title("Mean score by session", fontsize=10.5)
    # the dashed line says what it is: in the legend, and on the axis where it starts
    axes.axhline(4, color="#56636f", linewidth=0.8, linestyle="--", label="4 = agree")
    axes.set_yticks([1, 2, 3, 4, 5], ["1", "2", "3", "4 = agree", "5"])
    axes.grid(axis="y", color="#eef3f6")
    axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8.5)
    first, last = sessions[0], sessions[-1]
    moves = []
    for qid, points in sorted(series.items()):
        values = dict(points)
        if first in values and last in values:
            moves.append(f"{qid.replace('_', ' ')} {values[first]:.1f} to {values[last]:.1f}")
    alt = f"Mean score by session, S{first} to S{last} (4 = agree): " + "; ".join(moves)
    return _svg(figure, axes, key, alt)


def attendance_chart(summary: AttendanceSummary, key: str = "attendance") -> str:
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
    axes.set_xlabel("meeting")
    axes.set_title("Attendance at each meeting", fontsize=10.5)
    alt = "Attendance at each meeting: " + ", ".join(
        f"{s.date:%d %b %Y} {rate:.0f}%" for s, rate in zip(sessions, rates, strict=True)
    )
    return _svg(figure, axes, key, alt)


def choice_chart(question: QuestionStats, key: str = "choice") -> str:
    """A bar per answer of a choice or multi question, with its count."""
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
    axes.set_ylabel("answer")
    axes.set_title("How many chose each answer", fontsize=10.5)
    axes.xaxis.get_major_locator().set_params(integer=True)
    alt = f"{question.text}: " + ", ".join(f"{k} {v}" for k, v in items)
    return _svg(figure, axes, key, alt)


def all_charts(report: Report) -> dict[str, str]:
    """Every chart of the report as inline SVG, keyed by what it shows."""
    made: dict[str, str] = {}
    for survey in report.tally.surveys:
        key = f"{survey.survey}:likert"
        made[key] = likert_chart(survey.questions, key)
        key = f"{survey.survey}:trend"
        made[key] = trend_chart(survey, key)
        for question in survey.questions:
            key = f"{survey.survey}:{question.id}"
            if question.type == "nps" and not question.suppressed:
                made[key] = nps_chart(question, key)
            if question.type in ("choice", "multi") and not question.suppressed:
                made[key] = choice_chart(question, key)
    if report.attendance is not None:
        made["attendance"] = attendance_chart(report.attendance, "attendance")
    return {key: svg for key, svg in made.items() if svg}
