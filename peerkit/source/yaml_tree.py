"""YAML text → a located Node tree. Nothing read is ever evaluated: scalars stay the text
that was written (`no` stays "no", `2027-13-40` stays a string) until `load` coerces them
against the schema, so a wrong value becomes a Problem with its line instead of a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from peerkit.model import Location, Problem
from peerkit.source.decode import decode_text, read_bytes
from peerkit.source.node import NO_KEYS, Node, problem_at
from peerkit.source.yaml_guards import (
    MAX_ALIAS_EXPANSION,
    MAX_YAML_DEPTH,
    check_tabs,
    expanded_size,
    too_deep,
    unique_size,
)

MAX_YAML_BYTES = 10 * 1024 * 1024
NULLS = frozenset({"", "~", "null", "Null", "NULL"})


class _TooDeep(Exception):
    """The first node nested deeper than MAX_YAML_DEPTH, found while converting."""

    def __init__(self, node: yaml.Node) -> None:
        self.node = node


def _convert(
    node: yaml.Node,
    rel: str,
    memo: dict[int, Node] | None,
    problems: list[Problem] | None = None,
    depth: int = 1,
) -> Node:
    """A composed YAML node as a Node tree, depth-first in file order, as `too_deep`
    walks it: a node nested too deep raises _TooDeep with the node `too_deep` finds.
    `memo` (for a file with aliases) converts a shared node once."""
    if depth > MAX_YAML_DEPTH:
        raise _TooDeep(node)
    if memo is not None and id(node) in memo:
        return memo[id(node)]
    if isinstance(node, _SCALAR):
        result = _scalar(node, rel)
    elif isinstance(node, _SEQUENCE):
        items = [
            _scalar(item, rel)
            if type(item) is _SCALAR and memo is None and depth < MAX_YAML_DEPTH
            else _convert(item, rel, memo, problems, depth + 1)
            for item in node.value
        ]
        mark = node.start_mark
        result = Node(items, None, NO_KEYS, rel, mark.line + 1, mark.column + 1)
    else:
        result = _convert_mapping(node, rel, memo, problems, depth)
    if memo is not None:
        memo[id(node)] = result
    return result


_SCALAR, _SEQUENCE = yaml.ScalarNode, yaml.SequenceNode


def _scalar(node: yaml.ScalarNode, rel: str) -> Node:
    text = str(node.value)
    mark = node.start_mark
    value = None if node.style is None and text in NULLS else text
    return Node(value, None, NO_KEYS, rel, mark.line + 1, mark.column + 1)


def _convert_mapping(
    node: yaml.Node,
    rel: str,
    memo: dict[int, Node] | None,
    problems: list[Problem] | None,
    depth: int,
) -> Node:
    mapping: dict[str, Node] = {}
    key_at: dict[str, tuple[int, int]] = {}
    merged: list[Node] = []
    shared = memo is not None
    for key_node, value_node in node.value:
        if depth >= MAX_YAML_DEPTH:
            raise _TooDeep(key_node)
        scalar_key = isinstance(key_node, _SCALAR)
        if not scalar_key:
            deep = too_deep(key_node, depth + 1)
            if deep is not None:
                raise _TooDeep(deep)
        key = str(key_node.value) if scalar_key else ""
        if type(value_node) is _SCALAR and not shared:
            converted = _scalar(value_node, rel)
        else:
            converted = _convert(value_node, rel, memo, problems, depth + 1)
        if key == "<<" and scalar_key and key_node.style is None:
            merged.extend(converted.value if isinstance(converted.value, list) else [converted])
            continue
        mark = key_node.start_mark
        if key in key_at and problems is not None:
            problems.append(_duplicate_key(rel, mark, key, key_at[key][0]))
            continue
        mapping[key] = converted
        key_at[key] = (mark.line + 1, mark.column + 1)
    if merged:
        _merge_bases(merged, mapping, key_at)
    mark = node.start_mark
    return Node(mapping, None, NO_KEYS, rel, mark.line + 1, mark.column + 1, key_at)


def _duplicate_key(rel: str, mark: yaml.Mark, key: str, first_line: int) -> Problem:
    shown = key if len(key) <= 60 else key[:57] + "..."
    return problem_at(
        rel,
        mark.line + 1,
        mark.column + 1,
        "duplicate-key",
        f"the key '{shown}' is given twice here (first on line {first_line}); "
        "only one value can count",
        "delete one of the two, or merge their values",
    )


def _merge_bases(
    merged: list[Node], mapping: dict[str, Node], key_at: dict[str, tuple[int, int]]
) -> None:
    """`<<: *base` keys: each key the mapping does not write itself, from the first base
    that has it, with where that base wrote it."""
    for base in merged:
        if isinstance(base.value, dict):
            for key, value_node in base.value.items():
                mapping.setdefault(key, value_node)
                if key not in key_at:
                    loc = base.keys.get(key, base.loc)
                    key_at[key] = (loc.line, loc.col)


_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """A safe loader that leaves every scalar untyped: `load` coerces against the schema."""

    def resolve(self, kind: type[yaml.Node], value: object, implicit: object) -> str:
        if kind is yaml.ScalarNode:
            return "tag:yaml.org,2002:str"
        if kind is yaml.SequenceNode:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"


def _too_deep_problem(rel: str, node: yaml.Node) -> Problem:
    return problem_at(
        rel,
        node.start_mark.line + 1,
        node.start_mark.column + 1,
        "yaml-depth",
        f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep here",
        "write the values flatter; no peerkit file needs such nesting",
    )


def parse_yaml(text: str, rel: str, problems: list[Problem]) -> Node | None:
    """YAML text to a Node tree; syntax errors, tabs and alias bombs become Problems."""
    if check_tabs(text, rel, problems):
        return None
    try:
        root = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError) as exc:
        problems.append(_unreadable(text, rel, exc))
        return None
    if root is None:
        return Node(None, Location(rel, 1, 1))
    if "*" not in text:
        return _plain_tree(root, rel, problems)
    return _shared_tree(root, rel, problems)


def _unreadable(text: str, rel: str, exc: yaml.YAMLError | RecursionError) -> Problem:
    """Why `text` could not be composed, at the line and column the reader stopped on."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = str(exc.problem or exc.context or "invalid YAML").strip()
        return problem_at(
            rel,
            line,
            col,
            "yaml-syntax",
            f"YAML syntax error: {message}",
            "check the indentation and quoting on this line and the one above",
        )
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        return problem_at(
            rel,
            line,
            col,
            "yaml-syntax",
            f"the file holds the control character U+{char:04X}, which YAML does not allow",
            "delete it (it is invisible in most editors), or retype the value",
        )
    if isinstance(exc, RecursionError):
        return _nested_too_deeply(rel)
    first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
    return problem_at(rel, 1, 1, "yaml-syntax", f"YAML could not be read: {first}")


def _nested_too_deeply(rel: str) -> Problem:
    return problem_at(rel, 1, 1, "yaml-depth", "the YAML is nested too deeply")


def _plain_tree(root: yaml.Node, rel: str, problems: list[Problem]) -> Node | None:
    """A document without aliases: no node is shared, so the depth is checked while
    converting (and what was said of the part converted is taken back when it is too deep)."""
    reported = len(problems)
    try:
        return _convert(root, rel, None, problems)
    except _TooDeep as exc:
        del problems[reported:]
        problems.append(_too_deep_problem(rel, exc.node))
    except RecursionError:
        problems.append(_nested_too_deeply(rel))
    return None


def _shared_tree(root: yaml.Node, rel: str, problems: list[Problem]) -> Node | None:
    """A document with aliases: its depth and its expansion are checked first, then each
    shared node is converted once."""
    deep = too_deep(root)
    if deep is not None:
        problems.append(_too_deep_problem(rel, deep))
        return None
    try:
        if expanded_size(root) > MAX_ALIAS_EXPANSION * unique_size(root) + 10_000:
            problems.append(
                problem_at(
                    rel,
                    1,
                    1,
                    "yaml-aliases",
                    "anchors and aliases expand this file to far more values than it contains",
                    "write the values out instead of nesting aliases inside aliases",
                )
            )
            return None
        return _convert(root, rel, {}, problems)
    except RecursionError:
        problems.append(_nested_too_deeply(rel))
        return None


def read_yaml(path: Path, rel: str, problems: list[Problem], written: bool = False) -> Node | None:
    """Read a YAML file into a Node tree, or None with the reason in `problems`.
    `written`: a file peerkit writes (a round file), read straight from its lines when
    they are as written (`peerkit.source.written_yaml`)."""
    data = read_bytes(path, rel, problems, MAX_YAML_BYTES)
    if data is None:
        return None
    text = decode_text(data, rel, problems, legacy_ok=False)
    if text is None:
        return None
    if written:
        from peerkit.source.written_yaml import written_tree

        tree = written_tree(text, rel)
        if tree is not None:
            return tree
    return parse_yaml(text, rel, problems)
