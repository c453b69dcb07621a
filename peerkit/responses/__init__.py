"""Survey exports → Responses: Google Forms, Microsoft Forms, SurveyMonkey, Qualtrics,
KoboToolbox/ODK and plain CSV/XLSX, as downloaded, without any editing by the coordinator.

Columns map to a survey's questions by id, then by question text (tolerant of small edits
and of the tools' own decorations), then by the coordinator's `--map COLUMN=QUESTION`.
Anything that does not fit is a warning with file, row and column, never a crash.

Each answer belongs to (respondent, match, session). The session comes from `--session`, a
session column, the `NAME-session-NN` file name, else the answer's timestamp (the last
meeting of its match on or before it: peerkit.timeline); the match from its match column,
checked against the respondent's matches in the round in effect on its date. This is the
input stage: `load_responses` reads responses/ once per loaded folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from peerkit.model import Export, Folder, Location, Problem, Response, Responses, Survey
from peerkit.repeats import fold_repeats
from peerkit.responses.columns import choose_survey
from peerkit.responses.read import detect_tool, export_files, stripped_rows
from peerkit.responses.resolve import ReadContext
from peerkit.responses.rows import read_rows
from peerkit.responses.values import short, warn
from peerkit.source import read_table


def read_export(
    path: Path,
    rel: str,
    surveys: Mapping[str, Survey],
    context: ReadContext,
    problems: list[Problem],
    overrides: Mapping[str, str] | None = None,
) -> Export | None:
    """One export file: detect the tool, choose the survey, map columns, read every row."""
    table = read_table(path, rel, problems)
    if table is None:
        return None
    rows = stripped_rows(table)
    if not rows:
        warn(problems, Location(rel), "empty", "the export has no rows; it is skipped")
        return None
    grid = detect_tool(rows, rel)
    survey, columns, why = choose_survey(grid, surveys, overrides or {})
    if survey is None:
        problems.append(
            Problem(
                Location(rel, 1, 1),
                "unknown-survey",
                f"cannot tell which survey this export answers: {why}",
                f"name it with --survey ({', '.join(sorted(surveys))}), or map columns with "
                "--map 'Column header=question_id'",
                "warning",
            )
        )
        return None
    for column in columns:
        if column.role == "unmapped":
            warn(
                problems,
                Location(rel, grid.header_line, column.index + 1),
                "unmapped-column",
                f"column '{short(column.header)}' is not a question of the survey "
                f"'{survey.name}'; it is left out",
                f"if it is one, add --map '{short(column.header, 40)}=QUESTION_ID' "
                f"(ids: {', '.join(q.id for q in survey.questions)})",
            )
    if grid.skipped:
        warn(
            problems,
            Location(rel),
            "preview",
            f"{grid.skipped} survey preview, test or spam response(s) left out",
        )
    responses = read_rows(grid, survey, columns, context, problems)
    if not responses:
        warn(
            problems,
            Location(rel),
            "no-answers",
            f"the export has the columns of '{survey.name}' but no answers yet",
        )
    return Export(rel, grid.tool, survey.name, tuple(columns), tuple(responses))


def read_responses(
    folder: Folder,
    paths: Sequence[Path] | None = None,
    survey: str | None = None,
    overrides: Mapping[str, str] | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    session: int | None = None,
    round_name: str | None = None,
) -> tuple[list[Export], list[Problem]]:
    """Read every export (those given, or all of `responses/`) against the program's surveys.

    Each answer belongs to (respondent, match, session): `session` (`--session`) and
    `round_name` (`--round`) override what the export and the answer's date say. Repeated
    problems of one kind in one file are folded ("and 220 more like this").
    """
    problems: list[Problem] = []
    surveys = folder.program.surveys
    if survey is not None:
        surveys = {survey: surveys[survey]}
    context = ReadContext.of(folder, round_name, session)
    exports = []
    for path in paths if paths is not None else export_files(folder.root):
        rel = _relative(path, folder.root)
        if not path.is_file():
            problems.append(
                Problem(Location(rel), "missing-file", "there is no such file", "check the path")
            )
            continue
        if progress is not None:
            progress(f"reading {rel}")
        export = read_export(path, rel, surveys, context, problems, overrides)
        if export is not None:
            exports.append(export)
    return _without_repeats(exports, problems), fold_repeats(problems)


def load_responses(folder: Folder) -> Responses:
    """The input stage: every export in responses/ read against the program's surveys, with
    its problems; read once per loaded folder, on first use."""
    found = folder.read_once.get("responses")
    if not isinstance(found, Responses):
        exports, problems = read_responses(folder)
        found = folder.read_once["responses"] = Responses(tuple(exports), tuple(problems))
    return found


def _when(response: Response) -> str:
    return response.submitted.isoformat() if response.submitted else ""


def _without_repeats(exports: list[Export], problems: list[Problem]) -> list[Export]:
    """A member who answered one survey twice for one match and session counts once: the
    later answer. A mentor answering once for each of their matches is no repeat."""
    latest: dict[tuple[str, str, str, str, int], Response] = {}
    for export in exports:
        for response in export.responses:
            if response.respondent and response.session is not None:
                key = (
                    response.survey,
                    response.respondent,
                    response.round,
                    response.match_id,
                    response.session,
                )
                earlier = latest.get(key)
                if earlier is not None and _when(response) < _when(earlier):
                    response, earlier = earlier, response
                if earlier is not None:
                    match = f" for {response.match_id}" if response.match_id else ""
                    warn(
                        problems,
                        earlier.source,
                        "repeat-answer",
                        f"{response.respondent} answered {response.survey} for session "
                        f"{response.session} again{match} ({Path(response.source.file).name} line "
                        f"{response.source.line}); the later answer counts",
                        "delete one of the two rows if this is not what you want",
                    )
                latest[key] = response
    kept = {id(r) for r in latest.values()}
    return [
        replace(
            export,
            responses=tuple(
                r
                for r in export.responses
                if not (r.respondent and r.session is not None) or id(r) in kept
            ),
        )
        for export in exports
    ]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
