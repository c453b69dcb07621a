"""Languages as members write them (`English`, `EN`, `en-US`, `Deutsch`) → ISO 639-1 codes,
from the names in the shipped languages.yaml."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from pathlib import Path

from peerkit.model import Problem
from peerkit.source.node import Node
from peerkit.source.yaml_tree import parse_yaml
from peerkit.validate import closest, suggest

_LIST_SEPARATORS = re.compile(r"[,;/|]")


@cache
def language_names() -> Mapping[str, str]:
    """Every word peerkit knows for a language (lower case) → its ISO 639-1 code."""
    problems: list[Problem] = []
    path = Path(__file__).parent.parent / "languages.yaml"
    node = parse_yaml(path.read_text(encoding="utf-8"), "peerkit/languages.yaml", problems)
    if node is None or problems or not isinstance(node.value, dict):  # pragma: no cover
        msg = f"shipped languages.yaml is broken: {problems}"
        raise RuntimeError(msg)
    names: dict[str, str] = {}
    for code, words in node.value.items():
        names[code] = code
        for word in words.value if isinstance(words.value, list) else []:
            names.setdefault(str(word.value).casefold(), code)
    return names


@lru_cache(maxsize=4096)  # a roster writes a few languages many times
def language_code(text: str) -> str | None:
    """`English`, `EN`, `en-US`, `eng`, `Deutsch`, `中文` → the ISO 639-1 code (None if unknown)."""
    names = language_names()
    word = " ".join(re.sub(r"\(.*?\)", " ", text).split()).casefold()
    if word in names:
        return names[word]
    primary = re.split(r"[-_\s]", word, maxsplit=1)[0]
    if primary in names and re.fullmatch(r"[a-z]{2,3}([-_][a-z0-9]{2,8})+", word):
        return names[primary]  # a tag with a region or script: en-US, pt_BR, zh-Hans
    return None


def language_codes(
    written: Iterable[str], node: Node | None, problems: list[Problem]
) -> tuple[str, ...]:
    """A member's languages as ISO 639-1 codes, in order, once each; `,` and `;` both
    separate. An unknown one is a warning with a suggestion, and is kept as written."""
    codes: list[str] = []
    for item in written:
        for part in _LIST_SEPARATORS.split(item):
            text = part.strip()
            if not text:
                continue
            code = language_code(text)
            if code is None:
                code = text.casefold()
                hint = suggest(
                    code,
                    language_names(),
                    "write an ISO 639-1 code such as en, de or pt, or the language's name",
                )
                close = closest(code, language_names())
                if close is not None:
                    hint = f"did you mean '{close}' ({language_names()[close]})?"
                problems.append(
                    Problem(
                        node.loc if node is not None else None,
                        "language",
                        f"languages: '{text[:40]}' is not a language peerkit knows; it only "
                        "matches members who wrote the same",
                        hint,
                        "warning",
                    )
                )
            if code not in codes:
                codes.append(code)
    return tuple(codes)
