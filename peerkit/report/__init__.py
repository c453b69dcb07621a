"""Program health on one page: goals, participation, attendance, survey results with charts,
at-risk matches and comments. HTML (charts as inline SVG, no network), PDF, JSON with the
same numbers, and CSV whose cells a spreadsheet shows but never runs.

content.py says what the report holds (and `gather` reads the data for it), charts.py draws,
data.py writes JSON and CSV, page.py the HTML and PDF, step.py is the `build` stage.
"""

from __future__ import annotations

from peerkit.report.content import (
    GoalEvidence,
    Inputs,
    Participation,
    Report,
    build_report,
    data_problems,
    gather,
)
from peerkit.report.data import report_dict, report_json, report_rows, tally_rows
from peerkit.report.page import AT_RISK_SHOWN, report_files, report_html, tally_files
from peerkit.report.step import report_step

__all__ = [
    "AT_RISK_SHOWN",
    "GoalEvidence",
    "Inputs",
    "Participation",
    "Report",
    "build_report",
    "data_problems",
    "gather",
    "report_dict",
    "report_files",
    "report_html",
    "report_json",
    "report_rows",
    "report_step",
    "tally_files",
    "tally_rows",
]
