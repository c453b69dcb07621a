"""Templates → text. Shipped templates live in the top-level `templates/` folder (package
data); a program's own `templates/` overrides any of them by file name."""

from __future__ import annotations

import functools
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
    """A Jinja environment: StrictUndefined, autoescape for HTML, program overrides first.

    Environments are kept per folder list, so each template is compiled once per process
    (compiling is most of the cost of rendering); Jinja reloads a template whose file changed.
    """
    folders = [str(shipped_templates())]
    if program_root is not None and (program_root / "templates").is_dir():
        folders.insert(0, str(program_root / "templates"))
    return _environment(tuple(folders), html)


_DICT_ATTRIBUTES = frozenset(dir(dict))  # what `getattr` finds on a dict before its items


@functools.lru_cache(maxsize=32)
def _environment(folders: tuple[str, ...], html: bool) -> Any:
    import jinja2

    class Environment(jinja2.Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            """`session.title`: what Jinja would find. On a dict without the AttributeError
            it raises and catches first (a third of a handout's render); on an object
            without a second call (a tally's thousands of comments)."""
            if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            else:
                try:
                    return getattr(obj, attribute)
                except AttributeError:
                    pass
            return super().getattr(obj, attribute)

    env = Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder) for folder in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(num=num, score_class=score_class)
    return env


# Helpers every template can call. Functions, not Jinja macros: the report calls them for
# each cell of its per-match table, and a macro call costs twenty times as much.


def num(value: float | None, digits: int = 2, suffix: str = "") -> Any:
    """A number with `digits` decimals and `suffix`; a muted dash when there is none."""
    from markupsafe import Markup, escape

    if value is None:
        return Markup('<span class="na">–</span>')
    # digits, a sign, a point, or inf/nan: nothing in it to escape
    text = Markup("%.*f" % (digits, value))  # noqa: UP031
    return text + escape(suffix) if suffix else text


def score_class(value: float | None) -> str:
    """The CSS class of a 1-5 score: na, bad (below 3), fair (below 4) or good."""
    if value is None:
        return "na"
    return "bad" if value < 3 else "fair" if value < 4 else "good"


def render_template(
    env: Any, name: str, context: Mapping[str, object], loaded: dict[str, Any] | None = None
) -> str:
    """Render one template; any template error becomes a TemplateError naming file and line.
    `loaded`: the templates looked up already, by name (Jinja looks at the file's time each
    time, to reload a changed one; a run that renders thousands needs to once)."""
    import jinja2

    try:
        template = loaded.get(name) if loaded is not None else None
        if template is None:
            template = env.get_template(name)
            if loaded is not None:
                loaded[name] = template
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
    except RecursionError as exc:
        msg = f"{_failing_template(exc, env, name)}: template error: it includes itself, endlessly"
        raise TemplateError(
            msg, "remove the {% include %} or {% extends %} that leads back to this template"
        ) from None
    except jinja2.TemplateError as exc:
        msg = f"{_failing_template(exc, env, name)}: template error: {exc.message or exc}"
        raise TemplateError(msg, "fix the template, or delete it to use the shipped one") from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        # an expression that fails at render time, e.g. {{ 1/0 }} or {{ name + 1 }}
        msg = (
            f"{_failing_template(exc, env, name)}: template error: {exc.__class__.__name__}: {exc}"
        )
        raise TemplateError(msg, "fix the expression on that line of the template") from None
    return text


def _failing_template(exc: BaseException, env: Any, name: str) -> str:
    """file:line of the template frame where rendering failed."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__, limit=200)
    for frame in reversed(frames):
        if frame.filename.endswith((".j2", ".html", ".md", ".txt", ".ics", ".css")):
            return f"{frame.filename}:{frame.lineno}"
    return name
