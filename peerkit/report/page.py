"""The report page (HTML, and PDF through WeasyPrint), the tally's own page, and the files
of both under out/report/ and out/tally/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from peerkit.jsontext import json_text
from peerkit.model import Folder, Problem
from peerkit.report.charts import all_charts
from peerkit.report.content import Report
from peerkit.report.data import report_json, report_rows, tally_rows
from peerkit.tables import csv_bytes
from peerkit.tally.results import Tally, too_few

AT_RISK_SHOWN = 15  # matches listed on the page; JSON and CSV keep every one


def report_html(
    folder: Folder,
    report: Report,
    *,
    for_print: bool = False,
    charts: Mapping[str, str] | None = None,
) -> str:
    """The report page; charts are inline SVG, so the page needs no network and no files
    (`charts`: the report's `all_charts`, when they are made already)."""
    from markupsafe import Markup

    from peerkit.render import environment, render_template

    made = all_charts(report) if charts is None else charts
    svgs = {key: Markup(svg) for key, svg in made.items()}
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
    charts = all_charts(report) if "html" in formats or "pdf" in formats else {}
    if "html" in formats:
        page = report_html(folder, report, charts=charts)
        files["out/report/report.html"] = page.encode("utf-8")
    if "json" in formats:
        files["out/report/report.json"] = report_json(report)
    if "csv" in formats:
        files["out/report/report.csv"] = csv_bytes(report_rows(report))
    if "pdf" in formats:
        from peerkit.pdf import glyph_problems, html_to_pdf

        html = report_html(folder, report, for_print=True, charts=charts)
        if problems is not None:
            problems.extend(glyph_problems(html, folder.members))
        moment = folder.program.start
        files["out/report/report.pdf"] = html_to_pdf(html, folder.root, paper, moment=moment)
    return files


def tally_html(folder: Folder, tally: Tally) -> str:
    """The tally's own page: per-question statistics, by session and by match, at-risk
    matches; the numbers only, where the report tells them against the program's goals."""
    from peerkit.render import environment, render_template

    env = environment(folder.root, html=True)
    context = {
        "program": folder.program.name,
        "tally": tally,
        "too_few": too_few(tally.min_group_size),
    }
    return render_template(env, "tally.html.j2", context)


def tally_files(
    folder: Folder, tally: Tally, data: Mapping[str, object] | None = None
) -> dict[str, bytes]:
    """out/tally/tally.{json,csv,html}; `data`: `tally.as_dict()`, when the caller made it."""
    text = json_text(tally.as_dict() if data is None else data)
    return {
        "out/tally/tally.json": (text + "\n").encode("utf-8"),
        "out/tally/tally.csv": csv_bytes(tally_rows(tally)),
        "out/tally/tally.html": tally_html(folder, tally).encode("utf-8"),
    }
