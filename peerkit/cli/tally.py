"""`peerkit tally`: survey exports → statistics, per match and session, at-risk matches."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from peerkit.cli.common import (
    ANSWERS_AND_ATTENDANCE,
    DirArg,
    DryRunOpt,
    NowOpt,
    collector_paused,
    err,
    handle_errors,
    hold_lock,
    keep_until_exit,
    load_checked,
    out,
    parse_now,
    print_json,
    print_problems,
    reading_status,
    write_out,
)
from peerkit.errors import DataError, UsageError
from peerkit.validate import suggest

if TYPE_CHECKING:
    from peerkit.tally.results import AtRisk, QuestionStats, SurveyTally


class TallyFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"
    html = "html"


FilesArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Export files to read (default: every file in responses/).", show_default=False
    ),
]
SurveyOpt = Annotated[
    str | None,
    typer.Option("--survey", help="The survey the exports answer (default: from the columns)."),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        "-m",
        help="Map a column to a question: --map 'Column header=question_id' (repeatable; "
        "'Column header=' leaves the column out).",
    ),
]
TallyRoundOpt = Annotated[
    str | None,
    typer.Option(
        "--round",
        "-r",
        help="Read every answer against this round's matches (default: the round in effect "
        "on each answer's date).",
    ),
]
TallySessionOpt = Annotated[
    int | None,
    typer.Option(
        "--session",
        "-s",
        help="The session every answer is for (default: the export's session column, its "
        "NAME-session-NN file name, else each answer's timestamp).",
        show_default=False,
    ),
]
NoNamesOpt = Annotated[
    bool, typer.Option("--no-names", help="List comments without who wrote them.")
]


def parse_map_options(values: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """`--map 'Column header=question_id'` options to a dict; malformed ones come back apart."""
    mapping: dict[str, str] = {}
    bad = []
    for value in values:
        column, sep, question = value.rpartition("=")
        if not sep or not column.strip():
            bad.append(value)
            continue
        mapping[column.strip()] = question.strip()
    return mapping, bad


def parse_overrides(values: list[str] | None) -> dict[str, str]:
    mapping, bad = parse_map_options(values or [])
    if bad:
        msg = f"--map '{bad[0]}' is not COLUMN=QUESTION_ID"
        raise UsageError(msg, "write e.g. --map 'How useful was it?=useful'")
    return mapping


def check_survey(name: str | None, surveys: list[str]) -> None:
    if name is not None and name not in surveys:
        hint = suggest(name, surveys, f"the surveys are: {', '.join(surveys)}")
        msg = f"--survey: the program has no survey '{name}'"
        raise UsageError(msg, hint)


def _fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{suffix}"


def print_tally(tally: object) -> None:
    """The tally as tables on stdout: each survey, then the matches at risk."""
    from peerkit.tally.results import Tally

    assert isinstance(tally, Tally)
    for survey in tally.surveys:
        _print_survey(survey)
    if tally.at_risk:
        _print_at_risk(tally.at_risk)
    elif tally.surveys:
        out.print("[green]No match at risk.[/]")


QUESTION_COLUMNS = (
    ("question", "left"),
    ("type", "left"),
    ("n", "right"),
    ("missing", "right"),
    ("mean", "right"),
    ("median", "right"),
    ("top-2", "right"),
    ("NPS / counts", "left"),
)


def _print_survey(survey: SurveyTally) -> None:
    """Where a survey's answers came from, a row per question, and its trend by session."""
    from rich.table import Table

    kind = "anonymous" if survey.anonymous else "identified"
    count = "withheld" if survey.respondents is None else str(survey.respondents)
    out.print(f"[bold]{escape(survey.title)}[/] ({survey.survey}, {kind}): {count} response(s)")
    for source in survey.files:
        out.print(f"  from {escape(source.file)} ({source.tool}, {source.rows} row(s))")
    if survey.note:
        out.print(f"  [yellow]{escape(survey.note)}[/]")
    table = Table(show_edge=False, pad_edge=False)
    for name, justify in QUESTION_COLUMNS:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for q in survey.questions:
        table.add_row(*_question_row(q))
    out.print(table)
    if len(survey.by_session) > 1:
        trend = ", ".join(
            f"S{g.key} {g.note if g.suppressed else _fmt(g.health)}" for g in survey.by_session
        )
        out.print(f"  by session (mean of all answers): {escape(trend)}")
    out.print()


def _question_row(q: QuestionStats) -> tuple[str, ...]:
    if q.suppressed:
        return (q.id, q.type, "", "", "", "", "", escape(q.note))
    extra = ""
    if q.nps is not None:
        extra = f"{q.nps:+.1f} ({q.promoters}/{q.passives}/{q.detractors})"
    elif q.counts:
        extra = ", ".join(f"{k} {v}" for k, v in q.counts.items())
    elif q.comments:
        extra = f"{len(q.comments)} comment(s)"
    return (
        q.id,
        q.type,
        str(q.n),
        str(q.missing),
        _fmt(q.mean),
        _fmt(q.median, 1),
        _fmt(q.top2_box, 1, "%"),
        escape(extra),
    )


def _print_at_risk(at_risk: Sequence[AtRisk]) -> None:
    from peerkit.report.page import AT_RISK_SHOWN

    out.print(f"[bold red]At risk[/] ({len(at_risk)} match(es), worst first):")
    for risk in at_risk[:AT_RISK_SHOWN]:
        out.print(f"  {escape(risk.match)} ({escape(', '.join(risk.members))})")
        for reason in risk.reasons:
            out.print(f"    - {escape(reason)}")
    rest = len(at_risk) - AT_RISK_SHOWN
    if rest > 0:
        out.print(f"  … and {rest} more with fewer signals (--format json lists every one)")


@handle_errors
def tally_command(
    folder: DirArg = Path(),
    files: FilesArg = None,
    survey: SurveyOpt = None,
    map: MapOpt = None,
    format: Annotated[
        TallyFormat, typer.Option("--format", "-f", help="text, json, csv or html on stdout.")
    ] = TallyFormat.text,
    no_names: NoNamesOpt = False,
    round: TallyRoundOpt = None,
    session: TallySessionOpt = None,
    now: NowOpt = None,
    dry_run: DryRunOpt = False,
) -> None:
    """Tally survey exports: per-question statistics, NPS, per match and session, at-risk matches.

    Reads every export in responses/ (or the FILES given) as downloaded from Google Forms,
    Microsoft Forms, SurveyMonkey, Qualtrics, KoboToolbox/ODK or a plain CSV/XLSX, and writes
    out/tally/tally.json, tally.csv and tally.html. Each answer is for (respondent, match,
    session): the session comes from --session, a session column, a NAME-session-NN file
    name, else the answer's timestamp; the match from its match column, checked against the
    round in effect on its date. At-risk matches are judged as of --now (default: today).

    Example: peerkit tally sample-program --survey checkin --format json
    """
    with collector_paused():
        _tally(folder, files, survey, map, format, no_names, round, session, now, dry_run)


def _tally(
    folder: Path,
    files: list[Path] | None,
    survey: str | None,
    map: list[str] | None,
    format: TallyFormat,
    no_names: bool,
    round: str | None,
    session: int | None,
    now: str | None,
    dry_run: bool,
) -> None:
    from peerkit.model import has_errors
    from peerkit.report import gather, tally_files
    from peerkit.timeline import as_of, choose_round, choose_session
    from peerkit.write import write_files

    overrides = parse_overrides(map)
    if not dry_run:
        hold_lock(folder)
    moment = parse_now(now)
    loaded = load_checked(folder, now=moment)
    check_survey(survey, list(loaded.program.surveys))
    if round is not None:
        choose_round(loaded, round)  # an unknown name is a usage error, with a suggestion
    if session is not None:
        choose_session(loaded.program, str(session), as_of(loaded.program, moment))
    with reading_status() as status:
        inputs = gather(
            loaded,
            files or None,
            survey,
            overrides,
            names=not no_names,
            progress=status,
            now=moment,
            session=session,
            round_name=round,
        )
    if has_errors(inputs.problems):
        raise DataError(inputs.problems)
    print_problems(folder, inputs.problems, ANSWERS_AND_ATTENDANCE)
    if not inputs.tally.surveys:
        where = "the files given" if files else f"{folder / 'responses'}"
        err.print(f"no survey responses found in {escape(where)}")
        if format is TallyFormat.json:
            print_json(inputs.tally.as_dict())
        raise typer.Exit(0 if not files else 1)
    data = inputs.tally.as_dict()
    made = tally_files(loaded, inputs.tally, data)
    if format is TallyFormat.json:
        print_json({**data, "problems": [p.as_dict() for p in inputs.problems]})
    elif format is TallyFormat.csv:
        write_out(made["out/tally/tally.csv"].decode("utf-8-sig"))
    elif format is TallyFormat.html:
        write_out(made["out/tally/tally.html"].decode("utf-8"))
    else:
        print_tally(inputs.tally)
    if not dry_run:
        write_files(folder, made)
    verb = "would write" if dry_run else "wrote"
    for name in sorted(made):
        err.print(f"{verb} {escape(str(folder / name))}")
    keep_until_exit(loaded, inputs, made, data)
