"""The YAML that peerkit writes (round files), read line by line into the tree that
`parse_yaml` would make of it, in a fraction of the time.

`peerkit.match.roundfile` writes block mappings and sequences indented by spaces, keys
of letters, digits, `_`, `.` and `-`, flow sequences and mappings of scalars, and each
scalar either plain (ids, numbers, dates) or in double quotes with JSON's escapes.
`written_tree` reads exactly that and gives up (None) at anything else, such as a
comment after a value, a key in quotes, a value spread over lines or a tab: the file
is then read by the YAML reader, which says what is wrong with it. A round of 10,000
members (6,666 matches, 107,000 lines) took 0.69 s to read with PyYAML's C reader, 0.34 s
read here; `peerkit check` of that program went from 1.8 s to 1.2 s.
"""

from __future__ import annotations

import json
import re

from peerkit.source.node import NO_KEYS, Node

MAX_DEPTH = 8  # deeper than any file peerkit writes: left to the YAML reader and its limit

# a key; a plain scalar (an id, a number, a date)
_NAME, _WORD = r"[A-Za-z0-9_][A-Za-z0-9_.-]*", r"-?[A-Za-z0-9][A-Za-z0-9._+-]*"
_KEY, _PLAIN = re.compile(rf"({_NAME}):(?: |$)"), re.compile(_WORD)
# a flow sequence or mapping of plain scalars only (ids, term scores): split, not scanned
_PLAIN_LIST = re.compile(rf"\[{_WORD}(?:, {_WORD})*\]")
_PLAIN_MAP = re.compile(rf"\{{{_NAME}: {_WORD}(?:, {_NAME}: {_WORD})*\}}")
# JSON's escapes, which YAML's double quotes read alike (but for a surrogate: YAML keeps
# each half of a pair where JSON joins them); no control character
_QUOTED = re.compile(r'"(?:[^"\\\x00-\x1f\x7f]|\\["\\bfnrt]|\\u(?![dD][89abAB])[0-9a-fA-F]{4})*"')
# what YAML reads in its own way: a tab, a carriage return, its other line breaks and a
# byte order mark; a character outside what it reads at all (the reader says so)
_UNUSUAL = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


class _Other(Exception):
    """The text is not YAML as peerkit writes it."""


Line = tuple[int, str, int]  # (indent, the text after it, line number)


def written_tree(text: str, rel: str) -> Node | None:
    """The Node tree of `text` (the file `rel`), as `parse_yaml` makes it; None when the
    text is not YAML as peerkit writes it (a mapping at the top)."""
    if _UNUSUAL.search(text):
        return None
    lines: list[Line] = []
    for number, line in enumerate(text.split("\n"), start=1):
        content = line.lstrip(" ")
        if content and not content.startswith("#"):
            if content.endswith(" ") or content.startswith(("---", "...")):
                return None
            lines.append((len(line) - len(content), content, number))
    if not lines or lines[0][0] != 0 or _KEY.match(lines[0][1]) is None:
        return None
    reading = _Reading(lines, rel)
    try:
        root, end = reading.mapping(0, 0, lines[0], 1)
    except _Other:
        return None
    return root if end == len(lines) else None


class _Reading:
    def __init__(self, lines: list[Line], rel: str) -> None:
        self.lines, self.rel = lines, rel

    def block(self, k: int, depth: int) -> tuple[Node, int]:
        """The mapping or sequence starting at line k, and the line after it."""
        indent, text, _ = self.lines[k]
        if text.startswith("-"):
            return self.sequence(k, indent, depth)
        return self.mapping(k, indent, self.lines[k], depth)

    def mapping(self, k: int, indent: int, first: Line, depth: int) -> tuple[Node, int]:
        """A block mapping whose keys are at `indent`, its first key on `first` (line k,
        or what follows a sequence's `- `)."""
        if depth > MAX_DEPTH:
            raise _Other
        lines = self.lines
        values: dict[str, Node] = {}
        key_at: dict[str, tuple[int, int]] = {}
        line: Line | None = first
        while line is not None:
            _, text, number = line
            found = _KEY.match(text)
            if found is None or found.group(1) in values:
                raise _Other  # (a key given twice: the YAML reader says so)
            key = found.group(1)
            key_at[key] = (number, indent + 1)
            if found.end() < len(text):
                values[key] = self.inline(text, found.end(), number, indent, depth + 1)
                k += 1
            else:  # its value is the block below it
                if k + 1 >= len(lines) or lines[k + 1][0] <= indent:
                    raise _Other  # (an empty value: left to the YAML reader)
                values[key], k = self.block(k + 1, depth + 1)
            line = lines[k] if k < len(lines) and lines[k][0] == indent else None
            if line is not None and line[1].startswith("-"):
                raise _Other
        if k < len(lines) and lines[k][0] > indent:
            raise _Other
        return Node(values, None, NO_KEYS, self.rel, first[2], indent + 1, key_at), k

    def sequence(self, k: int, indent: int, depth: int) -> tuple[Node, int]:
        """A block sequence whose `- ` are at `indent`."""
        if depth > MAX_DEPTH:
            raise _Other
        lines = self.lines
        items: list[Node] = []
        start = lines[k][2]
        while k < len(lines) and lines[k][0] == indent and lines[k][1].startswith("-"):
            _, text, number = lines[k]
            rest = text[1:].lstrip(" ")
            if not text.startswith("- ") or not rest or rest.startswith("-"):
                raise _Other
            at = indent + len(text) - len(rest)
            if rest[0] == '"':  # (the usual item: a reason or a rule, in quotes)
                item, end = self.scalar(rest, 0, number, at)
                if end != len(rest):
                    raise _Other
                k += 1
            elif _KEY.match(rest):
                item, k = self.mapping(k, at, (at, rest, number), depth + 1)
            else:
                item = self.inline(rest, 0, number, at, depth + 1)
                k += 1
            items.append(item)
        if k < len(lines) and lines[k][0] > indent:
            raise _Other
        return Node(items, None, NO_KEYS, self.rel, start, indent + 1), k

    def inline(self, text: str, at: int, number: int, indent: int, depth: int) -> Node:
        """The value written from `text[at]` to the end of the line; `indent`: where
        `text` starts on its line."""
        if text[at] == "[" or text[at] == "{":
            node, end = self.flow(text, at, number, indent, depth)
        else:
            node, end = self.scalar(text, at, number, indent)
        if end != len(text):
            raise _Other
        return node

    def scalar(self, text: str, at: int, number: int, indent: int) -> tuple[Node, int]:
        rel = self.rel
        if text[at] == '"':
            quoted = _QUOTED.match(text, at)
            if quoted is None:
                raise _Other
            written = quoted.group()
            value = json.loads(written) if "\\" in written else written[1:-1]
            return Node(value, None, NO_KEYS, rel, number, indent + at + 1), quoted.end()
        plain = _PLAIN.match(text, at)
        if plain is None:
            raise _Other
        # (`null` too stays a text, as the YAML reader leaves it: only an empty value is
        # None, and one is left to that reader)
        return Node(plain.group(), None, NO_KEYS, rel, number, indent + at + 1), plain.end()

    def flow(self, text: str, at: int, number: int, indent: int, depth: int) -> tuple[Node, int]:
        """`[a, b]` or `{a: 1, b: 2}` of scalars, from `text[at]`."""
        if depth > MAX_DEPTH:
            raise _Other
        plain = (_PLAIN_LIST if text[at] == "[" else _PLAIN_MAP).match(text, at)
        if plain is not None and plain.end() == len(text):
            return self.plain_flow(plain.group(), number, indent + at), plain.end()
        closing = "]" if text[at] == "[" else "}"
        items: list[Node] = []
        values: dict[str, Node] = {}
        key_at: dict[str, tuple[int, int]] = {}
        k = at + 1
        while k < len(text) and text[k] != closing:
            if closing == "}":
                found = _KEY.match(text, k)
                if found is None or found.end() == len(text) or found.group(1) in values:
                    raise _Other
                key_at[found.group(1)] = (number, indent + k + 1)
                value, k = self.scalar(text, found.end(), number, indent)
                values[found.group(1)] = value
            else:
                value, k = self.scalar(text, k, number, indent)
                items.append(value)
            if text.startswith(", ", k) and not text.startswith(closing, k + 2):
                k += 2
            elif not text.startswith(closing, k):
                raise _Other
        if not text.startswith(closing, k):
            raise _Other
        if closing == "]":
            return Node(items, None, NO_KEYS, self.rel, number, indent + at + 1), k + 1
        node = Node(values, None, NO_KEYS, self.rel, number, indent + at + 1, key_at)
        return node, k + 1

    def plain_flow(self, text: str, number: int, before: int) -> Node:
        """A flow sequence or mapping of plain scalars, `text` from its bracket on, which
        follows `before` columns of its line."""
        rel = self.rel
        col = before + 2  # (1-based, after the bracket)
        if text[0] == "[":
            items = []
            for word in text[1:-1].split(", "):
                items.append(Node(word, None, NO_KEYS, rel, number, col))
                col += len(word) + 2
            return Node(items, None, NO_KEYS, rel, number, before + 1)
        values: dict[str, Node] = {}
        key_at: dict[str, tuple[int, int]] = {}
        for pair in text[1:-1].split(", "):
            key, _, word = pair.partition(": ")
            if key in values:
                raise _Other
            key_at[key] = (number, col)
            at = col + len(key) + 2
            values[key] = Node(word, None, NO_KEYS, rel, number, at)
            col = at + len(word) + 2
        return Node(values, None, NO_KEYS, rel, number, before + 1, key_at)
