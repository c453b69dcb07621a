"""The numbers: a scale question's distribution, mean, median, top-2-box or NPS; a group's
health (the mean of all its likert5 answers) and scores, summed from one array per question."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from peerkit.model import LIKERT5_LABELS, Question, Response, Survey
from peerkit.tally.results import Comment, GroupStats, QuestionStats, too_few

if TYPE_CHECKING:
    import numpy as np


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value + 0.0, digits)


def scale_stats(values: Sequence[int], question: Question, missing: int = 0) -> QuestionStats:
    """Distribution, mean, median, top-2-box (likert5) or NPS (nps) of scale answers."""
    return counted_stats(Counter(values), question, missing)


def _median(counter: Mapping[int, int], n: int) -> float:
    """The median of `n` answers counted by value (as statistics.median of the answers)."""

    def kth(k: int) -> int:  # the k-th smallest answer, from 0
        seen = 0
        for value in sorted(counter):
            seen += counter[value]
            if k < seen:
                return value
        raise AssertionError(k)

    if n % 2:
        return float(kth(n // 2))
    return (kth(n // 2 - 1) + kth(n // 2)) / 2


def counted_stats(
    counter: Mapping[int, int], question: Question, missing: int = 0
) -> QuestionStats:
    """`scale_stats` of answers counted by value (value → how many gave it)."""
    if question.type == "likert5":
        labels = question.options if len(question.options) == 5 else LIKERT5_LABELS
        distribution = {labels[i - 1]: counter.get(i, 0) for i in range(1, 6)}
    else:
        distribution = {str(i): counter.get(i, 0) for i in range(11)}
    n = sum(counter.values())
    # the sum of whole answers is exact, so this is statistics.fmean's mean
    mean = sum(value * many for value, many in counter.items()) / n if n else None
    stats = QuestionStats(
        question.id,
        question.text,
        question.type,
        n,
        missing,
        distribution,
        mean=rounded(mean),
        median=rounded(_median(counter, n), 1) if n else None,
    )
    if question.type == "likert5":
        top = counter.get(4, 0) + counter.get(5, 0)
        return replace(stats, top2_box=rounded(100 * top / n, 1) if n else None)
    promoters = counter.get(9, 0) + counter.get(10, 0)
    detractors = sum(counter.get(i, 0) for i in range(7))
    return replace(
        stats,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
        nps=rounded(100 * (promoters - detractors) / n, 1) if n else None,
    )


def question_stats(
    question: Question,
    responses: Sequence[Response],
    names: Mapping[str, str],
    *,
    anonymous: bool,
) -> QuestionStats:
    """One question over a set of responses (no privacy rule applied here)."""
    given = [r for r in responses if question.id in r.answers]
    n, missing = len(given), len(responses) - len(given)
    if question.type in ("likert5", "nps"):
        values = [v for r in given if isinstance(v := r.answers[question.id], int)]
        return scale_stats(values, question, missing)
    base = QuestionStats(question.id, question.text, question.type, n, missing)
    if question.type in ("choice", "multi"):
        counts: Counter[str] = Counter(dict.fromkeys(question.options, 0))
        for response in given:
            value = response.answers[question.id]
            if isinstance(value, str):
                counts[value] += 1
            elif isinstance(value, tuple):
                counts.update(value)
        ordered = {o: counts[o] for o in question.options}
        ordered.update({k: v for k, v in sorted(counts.items()) if k not in ordered})
        return replace(base, counts=ordered)
    comments = []
    for response in given:
        text = str(response.answers[question.id])
        if anonymous:
            comments.append(Comment(question.id, text))
        else:
            who = names.get(response.respondent, "")
            comments.append(Comment(question.id, text, who, response.match_id, response.session))
    # Anonymous comments in alphabetical order: the order of answers can give people away.
    # Identified ones newest first: the latest session is what the coordinator acts on.
    comments.sort(key=lambda c: (c.text.casefold(),) if anonymous else (-(c.session or 0), c.match))
    return replace(base, comments=tuple(comments))


def withheld_stats(question: Question, min_group_size: int) -> QuestionStats:
    note = too_few(min_group_size)
    return QuestionStats(
        question.id, question.text, question.type, None, None, suppressed=True, note=note
    )


Totals = dict[int, tuple[int, int]]  # id(response) → (sum, count) of its likert5 answers


def likert_totals(responses: Iterable[Response], survey: Survey) -> Totals:
    likert = {q.id for q in survey.questions if q.type == "likert5"}
    totals: Totals = {}
    for response in responses:
        total = count = 0
        for qid, value in response.answers.items():
            if qid in likert and isinstance(value, int):
                total += value
                count += 1
        totals[id(response)] = (total, count)
    return totals


def health_of(
    responses: Sequence[Response], survey: Survey, totals: Totals | None = None
) -> float | None:
    """The mean of every likert5 answer in `responses`."""
    if totals is None:
        totals = likert_totals(responses, survey)
    total = count = 0
    for response in responses:
        part, many = totals[id(response)]
        total += part
        count += many
    return rounded(total / count) if count else None


GroupScores = tuple[float | None, dict[str, float | None], dict[str, int]]


class Scale:
    """A survey's scale answers (likert5, nps) as one array per question, an entry per
    response (-1: no answer), so that a group's scores are sums over its entries rather than
    a pass over its responses for each question."""

    def __init__(self, responses: Sequence[Response], survey: Survey) -> None:
        import numpy as np

        self.questions = [q for q in survey.questions if q.type in ("likert5", "nps")]
        answers = [r.answers for r in responses]
        self.values = {
            q.id: np.array(
                [v if isinstance(v := a.get(q.id), int) else -1 for a in answers], dtype=np.int64
            ).reshape(len(answers))
            for q in self.questions
        }

    def stats(self, question: Question, responses: int) -> QuestionStats:
        """`question_stats` of a scale question, from its array."""
        import numpy as np

        values = self.values[question.id]
        counts = np.bincount(values[values >= 0], minlength=11).tolist()
        counter = {value: many for value, many in enumerate(counts) if many}
        return counted_stats(counter, question, responses - sum(counts))

    def totals(self, responses: Sequence[Response]) -> Totals:
        """Each response's likert5 sum and count (`likert_totals`), from the arrays."""
        import numpy as np

        likert = [self.values[q.id] for q in self.questions if q.type == "likert5"]
        if not likert:
            return dict.fromkeys(map(id, responses), (0, 0))
        stack = np.vstack(likert)
        given = stack >= 0
        sums = np.where(given, stack, 0).sum(axis=0).tolist()
        counts = given.sum(axis=0).tolist()
        return dict(zip(map(id, responses), zip(sums, counts, strict=True), strict=True))

    def by_group(self, keys: Sequence[object], groups: Sequence[object]) -> list[GroupScores]:
        """Each group's health (the mean of all its likert5 answers), scores (mean; NPS
        for nps) and answer counts by question; `keys` says each response's group."""
        import numpy as np

        index = {group: i for i, group in enumerate(groups)}
        codes = np.fromiter((index.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        return self.scores(codes, len(groups))

    def scores(self, codes: np.ndarray, size: int) -> list[GroupScores]:
        import numpy as np

        total = np.zeros(size, dtype=np.int64)
        count = np.zeros(size, dtype=np.int64)
        sums: dict[str, tuple[list[int], list[int], list[int]]] = {}
        for question in self.questions:
            values = self.values[question.id]
            given = (codes >= 0) & (values >= 0)
            where, got = codes[given], values[given]
            n = np.bincount(where, minlength=size)
            if question.type == "likert5":
                part = np.bincount(where, weights=got, minlength=size).astype(np.int64)
                total += part
                count += n
                sums[question.id] = (n.tolist(), part.tolist(), [])
            else:
                promoters = np.bincount(where[got >= 9], minlength=size)
                detractors = np.bincount(where[got <= 6], minlength=size)
                sums[question.id] = (n.tolist(), promoters.tolist(), detractors.tolist())
        totals, counts = total.tolist(), count.tolist()
        found: list[GroupScores] = []
        for g in range(size):
            scores: dict[str, float | None] = {}
            answered: dict[str, int] = {}
            for question in self.questions:
                many, first, second = sums[question.id]
                k = answered[question.id] = many[g]
                if not k:
                    scores[question.id] = None
                elif question.type == "nps":
                    scores[question.id] = rounded(100 * (first[g] - second[g]) / k, 1)
                else:
                    scores[question.id] = rounded(first[g] / k)
            health = rounded(totals[g] / counts[g]) if counts[g] else None
            found.append((health, scores, answered))
        return found


def match_groups(
    scale: Scale,
    responses: Sequence[Response],
    keys: Sequence[tuple[str, str]],
    by_key: Mapping[tuple[str, str], Sequence[Response]],
    several_rounds: bool,
) -> tuple[GroupStats, ...]:
    """Each (round, match)'s scores, and its health in the latest session it answered."""
    import numpy as np

    index = {key: i for i, key in enumerate(keys)}
    codes = np.fromiter(
        (index.get((r.round, r.match_id), -1) if r.match_id else -1 for r in responses),
        dtype=np.int64,
        count=len(responses),
    )
    sessions = np.fromiter(
        (-1 if r.session is None else r.session for r in responses),
        dtype=np.int64,
        count=len(responses),
    )
    dated = (codes >= 0) & (sessions >= 0)
    last = np.full(max(1, len(keys)), -1, dtype=np.int64)
    np.maximum.at(last, codes[dated], sessions[dated])
    latest_codes = np.where(dated & (sessions == last[np.maximum(codes, 0)]), codes, -1)
    scores = scale.scores(codes, len(keys))
    latest = scale.scores(latest_codes, len(keys))
    groups = []
    for i, (round_name, match_id) in enumerate(keys):
        label = f"{match_id} ({round_name})" if several_rounds and round_name else match_id
        health, means, _ = scores[i]
        group = GroupStats(match_id, label, len(by_key[(round_name, match_id)]), health, means)
        if last[i] >= 0:
            group = replace(group, latest=latest[i][0], latest_session=int(last[i]))
        groups.append(replace(group, round=round_name))
    return tuple(groups)
