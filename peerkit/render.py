"""Templates → text. Shipped templates live in the top-level `templates/` folder (package
data); a program's own `templates/` overrides any of them by file name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from peerkit.errors import PeerkitError


def shipped_templates() -> Path:
    """The shipped templates: inside the installed package, or beside it in a checkout."""
    installed = Path(__file__).resolve().parent / "templates"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "templates"


class TemplateError(PeerkitError):
    """A template could not be rendered; the message names the template file and line."""


def environment(program_root: Path | None, *, html: bool) -> Any:
    """A Jinja environment: StrictUndefined, autoescape for HTML, program overrides first."""
    import jinja2

    folders = [str(shipped_templates())]
    if program_root is not None and (program_root / "templates").is_dir():
        folders.insert(0, str(program_root / "templates"))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder) for folder in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(env: Any, name: str, context: Mapping[str, object]) -> str:
    """Render one template; any template error becomes a TemplateError naming file and line."""
    import jinja2

    try:
        template = env.get_template(name)
        text: str = template.render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        msg = f"{where}:{exc.lineno}: template error: {exc.message}"
        raise TemplateError(msg, "fix the template, or delete it to use the shipped one") from None
    except jinja2.TemplateNotFound as exc:
        msg = f"template not found: {exc.name}"
        raise TemplateError(msg) from None
    except jinja2.UndefinedError as exc:
        msg = f"{_failing_template(exc, env, name)}: template error: {exc.message}"
        raise TemplateError(msg, "use only the names listed in the template's context") from None
    return text


def _failing_template(exc: BaseException, env: Any, name: str) -> str:
    """file:line of the template frame where rendering failed."""
    import traceback

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".j2", ".html", ".md", ".txt", ".ics", ".css")):
            return f"{frame.filename}:{frame.lineno}"
    return name
