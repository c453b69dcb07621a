"""The package's layers only point down, and no module imports itself back.

Every import of a peerkit module counts, at the top of a file or inside a function (a lazy
import is still a dependency); only `if TYPE_CHECKING:` blocks, which never run, are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "peerkit"

# Highest first: a module may import its own layer's modules and any layer below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("peerkit.__main__", "peerkit.cli"),
    ("peerkit.build",),
    # the whole folder validated: every reader below runs (only the CLI calls it)
    ("peerkit.check",),
    # output stages: what `build` runs and the commands write
    (
        "peerkit.calendar",
        "peerkit.agenda",
        "peerkit.survey",
        "peerkit.report",
        "peerkit.signin",
        "peerkit.outbox",
        "peerkit.send",
    ),
    # the calendar's rooms: the export, its iTIP messages, which file holds what, what an
    # event says, which events there are, what was sent before (calendars.yaml)
    ("peerkit.calendar.export",),
    ("peerkit.calendar.invitations",),
    ("peerkit.calendar.layout", "peerkit.calendar.body"),
    ("peerkit.calendar.events",),
    ("peerkit.calendar.state",),
    # the report's rooms: what it says, its charts, its data, its page, its build stage
    ("peerkit.report.step",),
    ("peerkit.report.page",),
    ("peerkit.report.charts", "peerkit.report.data"),
    ("peerkit.report.content",),
    # what the stages are made from
    (
        "peerkit.match",
        "peerkit.tally",
        "peerkit.responses",
        "peerkit.attendance",
    ),
    # the tally's rooms: who is asked and which matches are at risk, the numbers, the results
    ("peerkit.tally.risk",),
    ("peerkit.tally.numbers",),
    ("peerkit.tally.results",),
    # the responses' rooms, each on those below: the Folder-facing entry (peerkit.responses),
    # the row reader, who/which match/which session, the column mapping, the export formats,
    # answer values
    ("peerkit.responses.rows",),
    ("peerkit.responses.resolve", "peerkit.responses.columns"),
    ("peerkit.responses.read", "peerkit.responses.values"),
    # the one date → session rule and the choosers every stage uses
    ("peerkit.timeline",),
    # the loader's rooms: the whole folder, the files, the parts of program.yaml, one file's values
    ("peerkit.load", "peerkit.load.folder"),
    ("peerkit.load.program", "peerkit.load.rounds"),
    (
        "peerkit.load.members",
        "peerkit.load.meetings",
        "peerkit.load.matching",
        "peerkit.load.sessions",
        "peerkit.load.mail",
    ),
    # the roster's rooms: an export's header, the `roster:` mapping and the whole roster's
    # checks, its dates and languages
    ("peerkit.load.reader", "peerkit.roster", "peerkit.roster.header"),
    ("peerkit.roster.columns", "peerkit.roster.people"),
    ("peerkit.roster.dates", "peerkit.roster.languages"),
    # what the loader is built on: reading files, and the meetings a cadence makes
    ("peerkit.source", "peerkit.schedule"),
    # the reading rooms: YAML made a tree and tables made records, on the checks and sheets
    # they read with, on decoding bytes, on the located value tree
    ("peerkit.source.yaml_tree", "peerkit.source.grid"),
    ("peerkit.source.yaml_guards", "peerkit.source.tables", "peerkit.source.written_yaml"),
    ("peerkit.source.decode",),
    ("peerkit.source.node",),
    # leaf helpers
    (
        "peerkit",
        "peerkit.model",
        "peerkit.repeats",
        "peerkit.errors",
        "peerkit.validate",
        "peerkit.output",
        "peerkit.text",
        "peerkit.tables",
        "peerkit.hours",
        "peerkit.jsontext",
        "peerkit.write",
        "peerkit.pdf",
        "peerkit.render",
        "peerkit.ics",
        "peerkit.mime",
    ),
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _owner(name: str) -> str:
    """The module a dotted name lives in (`peerkit.match.make.x` → `peerkit.match.make`)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(module: str) -> set[str]:
    """Every peerkit module `module` imports, wherever in the file."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(_owner(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else _owner(base))
    return {name for name in found if name.startswith("peerkit") and name != module}


GRAPH = {module: imports_of(module) for module in MODULES}


def layer_of(module: str) -> int:
    """The layer's index (0 = the top); a submodule is in its package's layer."""
    name = module
    while name != "peerkit" or module == "peerkit":
        for index, layer in enumerate(LAYERS):
            if name in layer:
                return index
        name = name.rpartition(".")[0]
        if not name:
            break
    raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_imports_only_point_down() -> None:
    upward = sorted(
        (module, imported)
        for module, imports in GRAPH.items()
        for imported in imports
        if layer_of(imported) < layer_of(module)
    )
    assert upward == [], "upward imports (importer, imported)"


def _cycles() -> list[list[str]]:
    """Each import cycle once, as the modules on it."""
    edges = {module: sorted(imports) for module, imports in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, []):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles() -> None:
    assert _cycles() == []


def test_the_leaf_helpers_import_no_layer_above() -> None:
    leaves = LAYERS[-1]
    for module in ("peerkit.validate", "peerkit.output", "peerkit.text", "peerkit.tables"):
        assert module in leaves
        assert all(layer_of(i) == len(LAYERS) - 1 for i in GRAPH[module]), module
