"""What every command shares: consoles, options, error handling, problem printing.

Rich lives only in the CLI layer. Results go to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from peerkit.errors import DataError, PeerkitError, UsageError

if TYPE_CHECKING:  # imported by `peerkit --help`: the model only where a command runs
    from peerkit.model import Folder, Problem

P = ParamSpec("P")
R = TypeVar("R")

# emoji=False: text prints as written (a member called `Sam :fire: Lee` is not given a
# flame), and the emoji table is not loaded on the first note
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

DirArg = Annotated[
    Path,
    typer.Argument(help="The program folder (default: the current folder).", show_default=False),
]
RoundOpt = Annotated[
    str | None,
    typer.Option(
        "--round", "-r", help="Round name (default: the round in effect on the date in question)."
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be written; write nothing.")
]
# One spelling and one meaning for each option that several commands have.
SessionOpt = Annotated[
    str | None,
    typer.Option(
        "--session",
        "-s",
        help="Session number (1 = the first meeting), or 'next': the first meeting after --now.",
        show_default=False,
    ),
]


def parse_now(value: str | None) -> dt.datetime | None:
    """`--now 2027-03-01T09:00` (or a date): the moment the command judges from and stamps
    outputs with. A bare date is that day in the program's timezone (timeline.as_of)."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        msg = f"--now: '{value}' is not a date or date-time"
        raise UsageError(msg, "write e.g. 2027-03-01 or 2027-03-01T09:00:00Z") from None
    if moment.tzinfo is None:
        from peerkit.timeline import DAY_START

        # A bare date is that day where the program runs (timeline.as_of), else UTC.
        moment = moment.replace(tzinfo=DAY_START if len(value.strip()) == 10 else dt.UTC)
    return moment


NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="The moment to judge from and stamp outputs with (ISO date, or date-time in UTC "
        "unless it has an offset); default: now.",
    ),
]


class TextJson(StrEnum):
    text = "text"
    json = "json"


FormatOpt = Annotated[
    TextJson,
    typer.Option("--format", "-f", help="How stdout is printed: text, or json for scripts."),
]


class Paper(StrEnum):
    a4 = "a4"
    letter = "letter"


PaperOpt = Annotated[Paper, typer.Option("--paper", help="Paper size of the PDF.")]


def print_json(data: object) -> None:
    """JSON on stdout, written the same way by every command: straight to stdout, not
    through Rich (a large result is megabytes); json escapes C0 itself, C1 and bidi
    controls are escaped here."""
    from peerkit.jsontext import json_text

    text = json_text(data)
    if not text.isascii() and _UNSAFE_IN_JSON.search(text):
        text = text.translate(_JSON_CONTROLS)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def write_out(text: str) -> None:
    """A result file's text (CSV, HTML) on stdout as it is; control characters shown as
    escapes when stdout is a terminal."""
    sys.stdout.write(shown(text) if sys.stdout.isatty() else text)
    sys.stdout.flush()


def deprecated(old: str, new: str) -> None:
    """An option kept for a release under its old name: say what to write instead."""
    err.print(f"note: {old} is deprecated; use {new}", markup=False)


def shown_path(root: Path, file: str) -> str:
    """A problem's file as the coordinator can open it from where they typed the command."""
    if not file or Path(file).is_absolute() or str(root) in ("", "."):
        return file
    inside = root / file
    # a file given on the command line from outside the folder keeps the path it was given
    return str(inside) if inside.exists() or not Path(file).exists() else file


# Control characters (C0, DEL, C1) and bidirectional overrides from a value would reach the
# terminal raw and could retitle, clear or reorder it: they are shown as escapes instead.
_CONTROLS = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in [
        *range(0x00, 0x09),
        *range(0x0A, 0x20),
        *range(0x7F, 0xA0),
        *range(0x200E, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
}


# In JSON, C0 is escaped by json itself; the rest must be \\u escapes to stay valid JSON.
_JSON_CONTROLS = {code: f"\\u{code:04x}" for code in _CONTROLS if code >= 0x7F}
_UNSAFE_IN_JSON = re.compile("[" + "".join(re.escape(chr(c)) for c in _JSON_CONTROLS) + "]")


def shown(text: str) -> str:
    """Text safe for a terminal: control and escape characters written as `\\x1b`."""
    return text.translate(_CONTROLS)


def problem_line(root: Path, problem: Problem) -> str:
    loc = problem.source
    where = "peerkit"
    if loc is not None:
        where = shown_path(root, loc.file)
        if loc.line:
            where += f":{loc.line}:{loc.col or 1}"
    return shown(f"{where}: {problem.severity}[{problem.code}]: {problem.message}")


ANSWERS_AND_ATTENDANCE = "in the answers and attendance"  # a count after the folder's


def print_problems(root: Path, problems: Sequence[Problem], about: str = "") -> None:
    """Every problem on stderr, sorted, with its hint; then a count, and what it is `about`
    when the folder's own count was printed before it (`in the answers and attendance`)."""
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        err.print(f"[{style}]{escape(problem_line(root, problem))}[/]")
        if problem.hint:
            err.print(f"    [dim]hint:[/] {escape(shown(problem.hint))}")
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if problems:
        err.print(f"{errors} error(s), {warnings} warning(s)" + (f" {about}" if about else ""))


def problems_data(root: Path, problems: Sequence[Problem]) -> list[dict[str, object]]:
    """The problems as `--format json` gives them (files as the coordinator can open them)."""
    items = []
    for problem in problems:
        item = problem.as_dict()
        if isinstance(item["file"], str):
            item["file"] = shown_path(root, item["file"])
        items.append(item)
    return items


def print_as_of(folder: Folder, now: dt.datetime | None) -> None:
    """The moment the command judges from, first in its diagnostics: `as of Tue 6 Apr 2027`."""
    from peerkit.timeline import as_of, describe_as_of

    err.print(f"[dim]{describe_as_of(as_of(folder.program, now))}[/]")


def load_checked(root: Path, strict: bool = False, now: dt.datetime | None = None) -> Folder:
    """The checked folder; the "as of" line and the problems are printed, and errors (or
    warnings with strict) stop."""
    from peerkit.check import check_folder, has_errors

    folder, problems = check_folder(root)
    if folder is not None:
        print_as_of(folder, now)
    if folder is None or has_errors(problems, strict):
        raise DataError(problems)
    print_problems(root, problems)
    return folder


_interrupt_said: list[bool] = []


def say_interrupted() -> None:
    """The one line Ctrl-C ends with (once, wherever it was caught)."""
    if not _interrupt_said:
        _interrupt_said.append(True)
        err.print("interrupted", markup=False)


_command_stack: ContextVar[ExitStack | None] = ContextVar("_command_stack", default=None)


def hold_lock(folder: Path) -> None:
    """Lock the program folder until the command ends: a second command that writes is
    refused meanwhile (exit 1). Called first thing by every command that writes."""
    from peerkit.write import folder_lock

    stack = _command_stack.get()
    assert stack is not None, "hold_lock outside a command"
    stack.enter_context(folder_lock(folder))


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn PeerkitError into a message and its exit code, and Ctrl-C into exit 130."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _interrupt_said.clear()
        try:
            return _with_locks(command, *args, **kwargs)
        except DataError as exc:
            root = kwargs.get("folder")
            print_problems(root if isinstance(root, Path) else Path(), exc.problems)
            raise typer.Exit(exc.exit_code) from None
        except PeerkitError as exc:
            err.print(f"[red]error:[/] {escape(shown(exc.message))}")
            if exc.hint:
                err.print(f"    [dim]hint:[/] {escape(shown(exc.hint))}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            say_interrupted()
            raise typer.Exit(130) from None

    return wrapper


def _with_locks(command: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run the command; the locks it took with `hold_lock` are released when it ends."""
    with ExitStack() as stack:
        token = _command_stack.set(stack)
        try:
            return command(*args, **kwargs)
        finally:
            _command_stack.reset(token)


Progress = Callable[[str, float], None]


_kept: list[object] = []


def keep_until_exit(*results: object) -> None:
    """Hold a command's big results (the loaded folder, 100,000 answers, 6,666 matches)
    until the process ends, which it does without freeing them one by one
    (`peerkit.__main__._end_now`): freeing them as the command returned took 66 ms of a
    100,000-answer tally. The command before's are let go (tests run many in one process)."""
    _kept[:] = results


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a command runs: tally and match make millions of
    small objects (rows, answers, roster cells, matches) and almost no reference cycles, and
    the collector's passes over them cost a tenth of tally and 0.1 s of a round of 10,000."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # What the command made is all in the youngest generation, which the next
            # collection would walk at once (91 ms after a 100,000-answer tally): put it in
            # the oldest, where collections that found it alive would have moved it.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


@contextmanager
def progress_bar(show: bool, title: str) -> Iterator[Progress | None]:
    """A Rich progress bar on stderr, fed by a library function's progress callback."""
    if not show:
        yield None
        return
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(title, total=1.0)

        def report(phase: str, done: float) -> None:
            bar.update(task, description=phase, completed=done)

        yield report


@contextmanager
def reading_status() -> Iterator[Callable[[str], None] | None]:
    """A live status line on stderr while exports are read (only on a terminal)."""
    if not err.is_terminal:
        yield None
        return
    with err.status("reading survey exports…") as status:
        yield lambda text: status.update(escape(text) + "…")
