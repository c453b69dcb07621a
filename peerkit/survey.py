"""Feedback surveys as forms: printable HTML and PDF, Markdown, a CSV response template and
an XLSForm for KoboToolbox, ODK or Enketo.

Every form asks which match and which session the answers are about, and, for an identified
(not anonymous) survey, who answers (name and e-mail): `peerkit tally` then counts each answer
for its (respondent, match, session). The library returns `{relpath: bytes}`; `peerkit.write`
writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from peerkit.errors import UsageError
from peerkit.model import LIKERT5_LABELS, Folder, Program, Question, Survey
from peerkit.output import BuildOptions, Output
from peerkit.text import program_context, safe_filename
from peerkit.validate import suggest

SURVEY_FORMATS: tuple[str, ...] = ("html", "pdf", "md", "csv", "xlsform")
OUT_DIR = "out/surveys"
MATCH_QUESTION = Question(
    id="match_id", text="Your match or team (as on your handout)", type="text", required=False
)
NAME_QUESTION = Question(id="name", text="Your name", type="text", required=True)
EMAIL_QUESTION = Question(id="email", text="Your email", type="text", required=True)
SESSION_QUESTION = Question(id="session", text="Session number", type="text", required=True)
# Asked before the survey's own questions; tally reads them by these ids (and texts).
NPS_ENDS = ("Not at all likely", "Extremely likely")


@dataclass(kw_only=True)
class SurveyResult(Output):
    """Forms rendered for one or more surveys (files relative to the program folder)."""

    surveys: list[str] = field(default_factory=list)


def survey_questions(survey: Survey) -> tuple[Question, ...]:
    """The survey's questions as every form shows them: who answers (identified surveys
    only), the match and the session (unless the survey is sent after one session only)
    first, each added unless the survey has it; then the survey's own."""
    about = [] if survey.anonymous else [NAME_QUESTION, EMAIL_QUESTION]
    about.append(survey.question("match_id") or MATCH_QUESTION)
    if len(survey.after) != 1:  # a survey sent after one session only is for that one
        about.append(SESSION_QUESTION)
    own = {q.id for q in survey.questions}
    first = [q for q in about if q.id not in own or q.id == "match_id"]
    return (*first, *(q for q in survey.questions if q.id != "match_id"))


def choose_surveys(program: Program, name: str | None) -> list[Survey]:
    """The named survey, or every survey when `name` is None; a clear error otherwise."""
    if name is None:
        return [program.surveys[key] for key in sorted(program.surveys)]
    if name in program.surveys:
        return [program.surveys[name]]
    names = list(program.surveys)
    hint = suggest(name, names, f"surveys: {', '.join(names) or 'none'}")
    msg = f"program.yaml has no survey '{name}'"
    raise UsageError(msg, hint)


def option_values(question: Question) -> list[dict[str, str]]:
    """The answers a question offers as {value, label}; values are what a tool exports."""
    if question.type == "likert5":
        return [{"value": str(n), "label": label} for n, label in enumerate(LIKERT5_LABELS, 1)]
    if question.type == "nps":
        return [{"value": str(n), "label": str(n)} for n in range(11)]
    if question.type in ("choice", "multi"):
        values: list[dict[str, str]] = []
        seen: set[str] = set()
        for option in question.options:
            base = re.sub(r"[^A-Za-z0-9]+", "_", option.strip().lower()).strip("_") or "option"
            value, counter = base, 2
            while value in seen:
                value = f"{base}_{counter}"
                counter += 1
            seen.add(value)
            values.append({"value": value, "label": option})
        return values
    return []


def _sessions_text(after: Sequence[int], count: int) -> str:
    if not after:
        return ""
    if list(after) == list(range(1, count + 1)) and count > 1:
        return "after every session"
    if len(after) == 1:
        return f"after session {after[0]}"
    return "after sessions " + ", ".join(str(n) for n in after)


def survey_context(program: Program, survey: Survey) -> dict[str, Any]:
    """The context of the survey templates (documented at the top of survey.html.j2)."""
    questions = []
    for number, question in enumerate(survey_questions(survey), start=1):
        questions.append(
            {
                "number": number,
                "id": question.id,
                "text": question.text,
                "type": question.type,
                "required": question.required,
                "options": option_values(question),
                "low": NPS_ENDS[0] if question.type == "nps" else "",
                "high": NPS_ENDS[1] if question.type == "nps" else "",
            }
        )
    return {
        "program": program_context(program),
        "survey": {
            "name": survey.name,
            "title": survey.title,
            "anonymous": survey.anonymous,
            "after": list(survey.after),
            "when": _sessions_text(survey.after, len(program.sessions)),
        },
        "questions": questions,
    }


# --- CSV and XLSForm --------------------------------------------------------------------


def response_template_csv(survey: Survey) -> bytes:
    """A CSV with one header row of question ids (who, match and session first): fill one
    row per response, put it in responses/, then tally."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([q.id for q in survey_questions(survey)])
    return buffer.getvalue().encode("utf-8")


def _form_id(program: Program, survey: Survey) -> str:
    text = re.sub(r"[^a-z0-9]+", "_", f"{program.name} {survey.name}".lower()).strip("_")
    return text if text and not text[0].isdigit() else f"survey_{text}"


def xlsform_rows(
    program: Program, survey: Survey
) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """The survey, choices and settings sheets of the XLSForm, header row first."""
    survey_rows = [["type", "name", "label", "required", "hint"]]
    choice_rows = [["list_name", "name", "label"]]
    lists_done: set[str] = set()
    for question in survey_questions(survey):
        hint = ""
        list_name: str = question.type
        if question.id == "session":
            kind = "integer"
            hint = "the session this is about, as on your handout"
        elif question.type == "text":
            kind = "text"
        elif question.type in ("likert5", "nps"):
            kind = f"select_one {list_name}"
            if question.type == "nps":
                hint = f"0 = {NPS_ENDS[0].lower()}, 10 = {NPS_ENDS[1].lower()}"
        else:
            # never `likert5` or `nps`, the shared lists, even for a question of that id
            list_name = f"{question.id}_options"
            kind = f"select_{'one' if question.type == 'choice' else 'multiple'} {list_name}"
        if question.type != "text" and list_name not in lists_done:
            lists_done.add(list_name)
            choice_rows.extend(
                [list_name, option["value"], option["label"]] for option in option_values(question)
            )
        if question.id == "match_id" and not hint:
            hint = "as printed on your handout, e.g. match-01"
        if question.id == "email" and question is EMAIL_QUESTION:
            kind = "text"
            hint = "the address the program writes to you at"
        survey_rows.append(
            [kind, question.id, question.text, "yes" if question.required else "", hint]
        )
    digest = hashlib.sha256(repr((survey_rows, choice_rows)).encode()).hexdigest()[:10]
    settings_rows = [
        ["form_title", "form_id", "version"],
        [f"{program.name}: {survey.title}", _form_id(program, survey), digest],
    ]
    return survey_rows, choice_rows, settings_rows


def xlsform_xlsx(program: Program, survey: Survey, stamp: dt.datetime) -> bytes:
    """The XLSForm as .xlsx bytes, byte-identical for the same survey and stamp."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheets = zip(("survey", "choices", "settings"), xlsform_rows(program, survey), strict=True)
    for index, (title, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        assert sheet is not None
        sheet.title = title
        for row_number, row in enumerate(rows, start=1):
            for column_number, value in enumerate(row, start=1):
                if value:
                    cell = sheet.cell(row=row_number, column=column_number, value=value)
                    # a label starting with `=` stays text: openpyxl would store a formula
                    cell.data_type = "s"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column, width in zip("ABCDE", (22, 18, 60, 10, 40), strict=True):
            sheet.column_dimensions[column].width = width
    workbook.properties.creator = "peerkit"
    workbook.properties.created = stamp.replace(tzinfo=None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return stable_zip(buffer.getvalue(), stamp)


def stable_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """A zip (xlsx) with fixed entry times and modified date, so the bytes are reproducible."""
    import zipfile

    moment = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + moment.encode() + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return buffer.getvalue()


# --- rendering --------------------------------------------------------------------------


def render_surveys(
    folder: Folder,
    name: str | None = None,
    *,
    formats: Sequence[str] = SURVEY_FORMATS,
    paper: str = "a4",
) -> SurveyResult:
    """The forms of one survey (or all) in `formats`, under out/surveys/."""
    from peerkit.render import environment, render_template, shipped_templates
    from peerkit.text import escape_markdown, markdown_url

    program = folder.program
    result = SurveyResult()
    stamp = dt.datetime.combine(program.start, dt.time(0), tzinfo=dt.UTC)
    html_env = md_env = None
    for survey in choose_surveys(program, name):
        result.surveys.append(survey.name)
        if survey.question("match_id") is None:
            result.notes.append(
                f"survey '{survey.name}' has no match_id question; the forms add one first"
            )
        context = survey_context(program, survey) | {"paper": paper}
        base = f"{OUT_DIR}/{safe_filename(survey.name)}"
        if "html" in formats or "pdf" in formats:
            html_env = html_env or environment(folder.root, html=True)
            html = render_template(html_env, "survey.html.j2", context)
            if "html" in formats:
                result.files[f"{base}.html"] = html.encode("utf-8")
            if "pdf" in formats:
                from peerkit.pdf import html_to_pdf

                templates = folder.root / "templates"
                base_url = templates if templates.is_dir() else shipped_templates()
                result.files[f"{base}.pdf"] = html_to_pdf(html, base_url, paper, moment=stamp)
        if "md" in formats:
            if md_env is None:
                md_env = environment(folder.root, html=False)
                md_env.filters["md"] = escape_markdown
                md_env.filters["md_url"] = markdown_url
            text = render_template(md_env, "survey.md.j2", context)
            result.files[f"{base}.md"] = text.encode("utf-8")
        if "csv" in formats:
            result.files[f"{base}.csv"] = response_template_csv(survey)
        if "xlsform" in formats:
            result.files[f"{base}-xlsform.xlsx"] = xlsform_xlsx(program, survey, stamp)
    return result


def surveys_step(folder: Folder, options: BuildOptions) -> Output:
    """The `build` stage: every survey in every format."""

    made = render_surveys(folder)
    made.notes.insert(0, f"forms for {len(made.surveys)} survey(s): {', '.join(made.surveys)}")
    return made
