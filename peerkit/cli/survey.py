"""`peerkit survey`: a survey as printable HTML/PDF, Markdown, a CSV template and an XLSForm."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from peerkit.cli.common import (
    DryRunOpt,
    FormatOpt,
    Paper,
    PaperOpt,
    TextJson,
    deprecated,
    err,
    handle_errors,
    hold_lock,
    load_checked,
    out,
    print_json,
)
from peerkit.errors import UsageError


class FormFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    md = "md"
    csv = "csv"
    xlsform = "xlsform"


def _folder_and_name(first: str | None, second: str | None) -> tuple[Path, str | None]:
    """`survey NAME`, `survey DIR NAME` or `survey DIR`: a lone word that is a program
    folder is the folder, anything else a survey name in the current folder."""
    if second is not None:
        return Path(first or "."), second
    if first is None:
        return Path(), None
    if (Path(first) / "program.yaml").is_file() or Path(first).is_dir():
        return Path(first), None
    return Path(), first


@handle_errors
def survey_command(
    first: Annotated[
        str | None,
        typer.Argument(
            metavar="DIR",
            help="The program folder (default: the current folder). "
            "A lone word that is not a folder is taken as NAME.",
            show_default=False,
        ),
    ] = None,
    second: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME",
            help="The survey's name in program.yaml (default: every survey).",
            show_default=False,
        ),
    ] = None,
    file_as: Annotated[
        list[FormFormat] | None,
        typer.Option(
            "--as",
            help="Files to write: html, pdf, md, csv or xlsform; repeat for several "
            "(default: all).",
        ),
    ] = None,
    paper: PaperOpt = Paper.a4,
    dry_run: DryRunOpt = False,
    format: FormatOpt = TextJson.text,
    as_json: Annotated[bool, typer.Option("--json", hidden=True)] = False,
) -> None:
    """Write a survey's forms to out/surveys/: a printable form (NAME.html, NAME.pdf), a
    Markdown list to paste into any form builder (NAME.md), a CSV response template whose
    header is the question ids (NAME.csv), and an XLSForm for KoboToolbox, ODK or Enketo
    (NAME-xlsform.xlsx).

    Example: peerkit survey sample-program checkin --as xlsform
    """
    from peerkit.survey import SURVEY_FORMATS, render_surveys
    from peerkit.write import write_files

    if as_json:
        deprecated("--json", "--format json")
        format = TextJson.json
    folder, name = _folder_and_name(first, second)
    if not folder.is_dir():
        msg = f"{folder} is not a folder"
        raise UsageError(msg, "usage: peerkit survey [DIR] [NAME], e.g. peerkit survey . checkin")
    if not dry_run:
        hold_lock(folder)
    loaded = load_checked(folder)
    formats = [f.value for f in file_as] if file_as else list(SURVEY_FORMATS)
    with err.status("rendering survey forms…"):
        result = render_surveys(loaded, name, formats=formats, paper=paper.value)
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    if not dry_run:
        write_files(folder, result.files)
    if format is TextJson.json:
        print_json({"surveys": result.surveys, "files": sorted(result.files), "dry_run": dry_run})
        return
    verb = "would write" if dry_run else "wrote"
    for file in sorted(result.files):
        out.print(f"{verb} {folder / file}", markup=False)
    err.print(
        f"[green]done:[/] {', '.join(result.surveys)}: {len(result.files)} file(s) "
        f"{'would be written' if dry_run else 'written'}"
    )
