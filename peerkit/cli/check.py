"""`peerkit check`: validate every file of a program folder."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from peerkit.cli.common import (
    DirArg,
    NowOpt,
    err,
    handle_errors,
    out,
    parse_now,
    print_as_of,
    print_json,
    print_problems,
    problems_data,
)


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


def _github(root: Path, problems: list[object]) -> str:
    from peerkit.cli.common import shown_path
    from peerkit.model import Problem

    lines = []
    for problem in problems:
        assert isinstance(problem, Problem)
        loc = problem.source
        parts = []
        if loc is not None:
            parts.append(f"file={shown_path(root, loc.file)}")
            if loc.line:
                parts.append(f"line={loc.line},col={loc.col or 1}")
        parts.append(f"title={problem.code}")
        message = problem.message + (f" ({problem.hint})" if problem.hint else "")
        message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        lines.append(f"::{problem.severity} {','.join(parts)}::{message}")
    return "\n".join(lines)


@handle_errors
def check_command(
    folder: DirArg = Path(),
    format: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="text, json or github annotations.")
    ] = CheckFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    now: NowOpt = None,
) -> None:
    """Validate every file and report all problems at once.

    Each problem is printed as `file:line:col: error[code]: message` with a hint.
    Exit 0 when the folder is fine (warnings allowed unless --strict), 1 when not.

    Example: peerkit check sample-program --format json
    """
    from peerkit.check import check_folder, has_errors

    loaded, problems = check_folder(folder, data=True)
    if format is CheckFormat.json:
        print_json(problems_data(folder, problems))
    elif format is CheckFormat.github:
        if problems:
            out.print(_github(folder, list(problems)), markup=False)
    else:
        if loaded is not None:
            print_as_of(loaded, parse_now(now))
        print_problems(folder, problems)
        if loaded is not None and not has_errors(problems):
            program = loaded.program
            err.print(
                f"[green]ok:[/] {program.name}: {len(loaded.members)} members, "
                f"{len(program.sessions)} sessions, {len(loaded.rounds)} round(s)"
            )
    if loaded is None or has_errors(problems, strict):
        raise typer.Exit(1)
