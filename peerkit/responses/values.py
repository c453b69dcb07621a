"""Answer texts → values: scale numbers and labels, options, submission times; the
warnings a cell that does not fit gets. Text is compared the tolerant way (`normalize`)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from peerkit.model import (
    LIKERT5_LABELS,
    AnswerValue,
    Location,
    Problem,
    Question,
)

MAX_ANSWER_CHARS = 5000  # longer free text is kept shortened; a report is not an archive

TIME_PATTERN = re.compile(
    r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
)


# Likert labels tools write besides ours (Qualtrics and SurveyMonkey wordings).
LIKERT_WORDS = {
    "strongly disagree": 1,
    "disagree": 2,
    "somewhat disagree": 2,
    "neither agree nor disagree": 3,
    "neither agree or disagree": 3,
    "neutral": 3,
    "agree": 4,
    "somewhat agree": 4,
    "strongly agree": 5,
}
NPS_WORDS = {"not at all likely": 0, "extremely likely": 10, "not likely": 0}


def normalize(text: str) -> str:
    """Header or answer text reduced for tolerant comparison: case, accents, punctuation."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"^\s*(?:q\d+[a-z]?|\d+)\s*[.):-]\s*", "", text)  # "1. ", "Q3) "
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def slug(text: str) -> str:
    return normalize(text).replace(" ", "_")


# --- reading answer values ----------------------------------------------------------------


def option_of(question: Question, text: str) -> str:
    """The option `text` names (by label, slug or 1-based number), or ""."""
    wanted = normalize(text)
    for option in question.options:
        if normalize(option) == wanted:
            return option
    if wanted.isdigit() and 1 <= int(wanted) <= len(question.options):
        # XLSForm choices may be named by number; peerkit's are named by slug.
        return question.options[int(wanted) - 1]
    return ""


def leading_number(text: str) -> float | None:
    match = re.match(r"^\s*([-+]?\d+(?:[.,]\d+)?)(?:\s*$|\s*[-–:=(]|\s+\D)", text)
    if match is None:
        match = re.search(r"\((\d+)\)\s*$", text)  # "Agree (4)"
    if match is None:
        return None
    return float(match.group(1).replace(",", "."))


def parse_scale(text: str, question: Question) -> int | None:
    """A likert5 (1–5) or nps (0–10) answer from a number or a label; None when not on the scale."""
    number = leading_number(text)
    low, high = (1, 5) if question.type == "likert5" else (0, 10)
    if number is not None:
        return int(number) if number.is_integer() and low <= number <= high else None
    words = normalize(text)
    table = LIKERT_WORDS if question.type == "likert5" else NPS_WORDS
    if words in table:
        return table[words]
    if question.type == "likert5":
        for value, label in enumerate(LIKERT5_LABELS, start=1):
            if normalize(label) == words:
                return value
        for value, label in enumerate(question.options, start=1):
            if normalize(label) == words:
                return value
    return None


def parse_multi(text: str, question: Question) -> tuple[tuple[str, ...], list[str]]:
    """The options chosen in one cell, whatever the tool joined them with; and unknown parts."""
    rest = f" {normalize(text)} "
    chosen: list[str] = []
    names = sorted(question.options, key=lambda o: -len(normalize(o)))
    for option in names:
        for spelled in {normalize(option), slug(option)}:
            token = f" {spelled} "
            if spelled and token in rest:
                chosen.append(option)
                rest = rest.replace(token, " ")
                break
    leftover: list[str] = []
    if rest.strip():
        # Whatever is left is separated as the tools do: ", " ";" "|" newline, or spaces (Kobo).
        raw = [p.strip() for p in re.split(r"[;,|\n]", text) if p.strip()]
        known = {normalize(o) for o in question.options} | {slug(o) for o in question.options}
        for part in raw:
            if normalize(part) in known or slug(part) in known:
                continue
            if option_of(question, part):
                chosen.append(option_of(question, part))
                continue
            leftover.append(part)
    ordered = tuple(o for o in question.options if o in chosen)
    return ordered, leftover


def parse_time(text: str) -> dt.datetime | None:
    """A submission time as the tools write it (ISO, M/D/YYYY, YYYY/MM/DD, with AM/PM)."""
    text = text.strip()
    if not text:
        return None
    if text[4:5] == "-":
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo is None else moment.replace(tzinfo=None)
        except ValueError:
            pass
    match = TIME_PATTERN.match(text)
    if match is None:
        return None
    first, second_part, third, hours, minutes, seconds, half = match.groups()
    a, b, c = int(first), int(second_part), int(third)
    if a > 31:
        year, month, day = a, b, c
    else:
        year = c + 2000 if c < 100 else c
        month, day = (b, a) if a > 12 else (a, b)
    hour = int(hours) if hours else 0
    minute = int(minutes) if minutes else 0
    second = int(seconds) if seconds else 0
    if half:
        half = half.lower()
        if half == "pm" and hour < 12:
            hour += 12
        elif half == "am" and hour == 12:
            hour = 0
    try:
        return dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - as exported
    except ValueError:
        return None


def warn(problems: list[Problem], loc: Location, code: str, message: str, hint: str = "") -> None:
    problems.append(Problem(loc, code, message, hint, "warning"))


def short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_answer(
    text: str, question: Question, cell: Location, problems: list[Problem]
) -> AnswerValue | None:
    if question.type in ("likert5", "nps"):
        value = parse_scale(text, question)
        if value is None:
            scale = "1 to 5 or a label like 'Agree'" if question.type == "likert5" else "0 to 10"
            warn(
                problems,
                cell,
                "out-of-scale",
                f"{question.id}: '{short(text)}' is not on the scale; the answer is left out",
                f"answers to this question are {scale}",
            )
        return value
    if question.type == "choice":
        option = option_of(question, text)
        if not option:
            warn(
                problems,
                cell,
                "unknown-option",
                f"{question.id}: '{short(text)}' is not one of the options; counted as 'other'",
                f"the options are: {', '.join(question.options)}",
            )
            return "other"
        return option
    if question.type == "multi":
        chosen, leftover = parse_multi(text, question)
        if leftover:
            warn(
                problems,
                cell,
                "unknown-option",
                f"{question.id}: '{short('; '.join(leftover))}' is not one of the options; "
                "counted as 'other'",
                f"the options are: {', '.join(question.options)}",
            )
            chosen = (*chosen, "other")
        return chosen
    if len(text) > MAX_ANSWER_CHARS:
        warn(
            problems,
            cell,
            "long-answer",
            f"{question.id}: the answer is {len(text):,} characters; "
            f"only the first {MAX_ANSWER_CHARS:,} are kept",
        )
        text = text[:MAX_ANSWER_CHARS] + "…"
    return text
