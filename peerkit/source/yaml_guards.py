"""What a composed YAML document is checked for before it becomes a tree: tabs in the
indentation, nesting deeper than MAX_YAML_DEPTH, and aliases that expand it far beyond its size."""

from __future__ import annotations

import yaml

from peerkit.model import Problem
from peerkit.source.node import problem_at

MAX_YAML_DEPTH = 64
# An anchor/alias graph may expand to at most this many times its own size.
MAX_ALIAS_EXPANSION = 10


def check_tabs(text: str, rel: str, problems: list[Problem]) -> bool:
    found = False
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(
                problem_at(
                    rel,
                    number,
                    indent.index("\t") + 1,
                    "tab",
                    "a tab is used for indentation; YAML allows only spaces",
                    "replace the tab with spaces",
                )
            )
            found = True
    return found


def expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded (memoised, no recursion)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if children_done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def unique_size(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
    return len(seen)


def too_deep(root: yaml.Node, start: int = 1) -> yaml.Node | None:
    """The first node nested deeper than MAX_YAML_DEPTH (iterative: no recursion limit);
    `root` is at depth `start`."""
    stack: list[tuple[yaml.Node, int]] = [(root, start)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if depth > MAX_YAML_DEPTH:
            return node
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            stack.extend((n, depth + 1) for pair in reversed(node.value) for n in reversed(pair))
    return None
