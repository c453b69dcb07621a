"""The anchor for `peerkit tally`: pandas reading one export (a Google Forms CSV, or a
Microsoft Forms workbook through `read_excel`) and working out the same statistics,
printed as JSON (or a short text) on stdout.

    python benchmarks/anchors/tally_pandas.py EXPORT.csv --meetings 2027-01-06,2027-02-03,...
        [--format json|text]

Per likert question: answers, missing, mean, median, top-2-box and the distribution; the
mean of all likert answers per session (by each answer's date: the last meeting on or
before it) and per match, each match's latest session, each member's mean in the latest
session, and the matches at risk (latest mean below 3, or a member at 2 or below).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
import pandas as pd

LABELS = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")
LOW_HEALTH = 3.0
LOW_MEMBER = 2.0


def read(export: str) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The answers as text (email, match, then the questions), each answer's day, and the
    likert scores (1-5) by question."""
    if export.endswith(".xlsx"):  # Microsoft Forms: ID, Start time, Completion time, Email, Name
        raw = pd.read_excel(export, engine="calamine")  # pandas' default from version 4
        days = pd.to_datetime(raw["Completion time"]).to_numpy("datetime64[D]")
        raw = raw.drop(columns=["ID", "Start time", "Completion time", "Name"])
        likert = [c for c in raw.columns[2:] if pd.api.types.is_numeric_dtype(raw[c])]
        scores = pd.DataFrame({c: raw[c].astype(float) for c in likert})
        return raw.astype(object).where(raw.notna(), "").astype(str), days, scores
    frame = pd.read_csv(export, dtype=str, keep_default_na=False)
    when = frame.columns[0]
    days = pd.to_datetime(frame[when], format="%m/%d/%Y %H:%M:%S").to_numpy("datetime64[D]")
    frame = frame.drop(columns=[when])
    likert = [c for c in frame.columns[2:] if frame[c].isin(LABELS).any()]
    codes = {label: float(i) for i, label in enumerate(LABELS, start=1)}
    return frame, days, pd.DataFrame({c: frame[c].map(codes) for c in likert})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--meetings", required=True, help="meeting dates, ISO, comma-separated")
    parser.add_argument("--format", choices=("json", "text"), default="json")
    args = parser.parse_args()

    frame, days, scores = read(args.export)
    email, match = frame.columns[:2]
    likert = list(scores.columns)
    comments = [c for c in frame.columns[2:] if c not in likert]

    meetings = np.array(args.meetings.split(","), dtype="datetime64[D]")
    session = np.searchsorted(meetings, days, side="right")  # 0: before the first meeting
    total = scores.sum(axis=1, skipna=True)
    count = scores.notna().sum(axis=1)
    rows = pd.DataFrame({"match": frame[match], "member": frame[email], "session": session}).assign(
        total=total, count=count
    )

    questions = []
    for column in likert:
        values = scores[column].dropna()
        distribution = values.value_counts().reindex(range(1, 6), fill_value=0)
        questions.append(
            {
                "question": column,
                "n": int(values.size),
                "missing": int(len(frame) - values.size),
                "mean": round(float(values.mean()), 2),
                "median": round(float(values.median()), 1),
                "top2_box": round(100 * float((values >= 4).mean()), 1),
                "distribution": {LABELS[i - 1]: int(v) for i, v in distribution.items()},
            }
        )
    for column in comments:
        given = frame[column].str.len() > 0
        questions.append(
            {"question": column, "n": int(given.sum()), "missing": int((~given).sum())}
        )

    def health(groups: pd.core.groupby.DataFrameGroupBy) -> pd.Series:
        sums = groups[["total", "count"]].sum()
        return (sums["total"] / sums["count"]).round(2)

    by_session = health(rows.groupby("session"))
    by_match = health(rows.groupby("match"))
    latest = rows.groupby("match")["session"].transform("max")
    last = rows[rows["session"] == latest]
    latest_health = health(last.groupby("match"))
    member_health = health(last.groupby(["match", "member"]))
    low_members = member_health[member_health <= LOW_MEMBER].reset_index()
    at_risk = sorted(
        set(latest_health[latest_health < LOW_HEALTH].index) | set(low_members["match"])
    )
    result = {
        "respondents": len(frame),
        "questions": questions,
        "by_session": {str(k): float(v) for k, v in by_session.items()},
        "by_match": [
            {"match": m, "health": float(h), "latest": float(latest_health[m])}
            for m, h in by_match.items()
        ],
        "comments": [
            {"match": m, "member": who, "text": text}
            for column in comments
            for m, who, text in zip(frame[match], frame[email], frame[column], strict=True)
            if text
        ],
        "at_risk": at_risk,
    }
    if args.format == "json":
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
        sys.stdout.write("\n")
    else:
        for q in questions:
            sys.stdout.write(f"{q['question'][:40]:<42}{q['n']:>8}{q.get('mean', '')!s:>8}\n")
        sys.stdout.write(f"at risk: {len(at_risk)} match(es)\n")


if __name__ == "__main__":
    main()
