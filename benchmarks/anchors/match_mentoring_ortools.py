"""The anchor for `peerkit match` (mentoring): what a programmer would write instead --
read members.csv, score every mentee against every mentor with numpy, keep each mentee's
50 best mentors and run OR-Tools' min-cost flow (most mentees first, then the best total).

    python benchmarks/anchors/match_mentoring_ortools.py members.csv [--capacity 2]

It scores as peerkit does with its default weights, but for availability (the benchmark's
folder sets `weights: {availability: 0}` for it), on the rosters benchmarks/ generate
(goals, offers, obstacles, three levels, timezone, department, industry): common ground
(Jaccard of goals + obstacles) x3, the mentee's goals the mentor offers x3, the mentor's
levels above the mentee's x1, timezone closeness x1, a different industry x1, and no two
members of one department. No spread, no proof of optimality, no round file: it prints
the matched count and the total score on stdout.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from ortools.graph.python import min_cost_flow

KEEP = 50
SCALE = 1_000_000
BLOCK = 2_000_000


def topics(rows: list[dict[str, str]], *columns: str) -> tuple[np.ndarray, dict[str, int]]:
    """A 0/1 matrix: row k has a 1 for each value in `columns` of member k."""
    vocabulary: dict[str, int] = {}
    cells = []
    for k, row in enumerate(rows):
        for column in columns:
            for value in row.get(column, "").split(";"):
                value = " ".join(value.casefold().split())
                if value:
                    cells.append((k, vocabulary.setdefault(value, len(vocabulary))))
    matrix = np.zeros((len(rows), max(len(vocabulary), 1)), dtype=np.float32)
    for k, v in cells:
        matrix[k, v] = 1
    return matrix, vocabulary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roster")
    parser.add_argument("--capacity", type=int, default=2)
    parser.add_argument("--day", default="2027-01-01", help="the day timezone offsets are read")
    args = parser.parse_args()

    with Path(args.roster).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ground, _ = topics(rows, "goals", "obstacles")
    goals, vocabulary = topics(rows, "goals")
    offers = np.zeros_like(goals)
    for k, row in enumerate(rows):
        for value in row.get("offers", "").split(";"):
            value = " ".join(value.casefold().split())
            if value in vocabulary:
                offers[k, vocabulary[value]] = 1
    levels = np.array(
        [[float(r["knowledge"]), float(r["experience"]), float(r["authority"])] for r in rows],
        dtype=np.float32,
    )
    noon = dt.datetime.combine(dt.date.fromisoformat(args.day), dt.time(12), tzinfo=dt.UTC)
    zones = {z: noon.astimezone(ZoneInfo(z)).utcoffset() for z in {r["timezone"] for r in rows}}
    offset = np.array(
        [zones[r["timezone"]].total_seconds() / 3600 for r in rows],  # type: ignore[union-attr]
        dtype=np.float32,
    )
    department = np.unique([r["department"] for r in rows], return_inverse=True)[1]
    industry = np.unique([r["industry"] for r in rows], return_inverse=True)[1]
    mentors = np.array([k for k, r in enumerate(rows) if r["role"] == "mentor"])
    mentees = np.array([k for k, r in enumerate(rows) if r["role"] == "mentee"])
    ground_size = ground.sum(axis=1)
    goal_size = goals.sum(axis=1)

    tails, heads, scores = [], [], []
    step = max(1, BLOCK // len(mentors))
    for start in range(0, len(mentees), step):
        e = mentees[start : start + step]
        m = mentors
        inter = ground[e] @ ground[m].T
        union = ground_size[e][:, None] + ground_size[m][None, :] - inter
        score = 3 * inter / np.maximum(union, 1)
        score += (
            3 * (goals[e] @ offers[m].T) * np.where(goal_size[e] > 0, 1 / goal_size[e], 0)[:, None]
        )
        above = np.zeros(score.shape, dtype=np.float32)
        for k in range(3):
            above += np.maximum(levels[m, k][None, :] - levels[e, k][:, None], 0)
        score += above / 12
        score += 1 - np.minimum(np.abs(offset[e][:, None] - offset[m][None, :]), 12) / 12
        score += industry[e][:, None] != industry[m][None, :]
        masked = np.where(department[e][:, None] != department[m][None, :], score, -np.inf)
        best = np.argpartition(-masked, KEEP, axis=1)[:, :KEEP]
        r = np.repeat(np.arange(len(e)), KEEP)
        c = best.ravel()
        good = np.isfinite(masked[r, c])
        tails.append(start + r[good])
        heads.append(c[good])
        scores.append(masked[r[good], c[good]])
    tail, head, score = np.concatenate(tails), np.concatenate(heads), np.concatenate(scores)

    # Nodes: source, mentees, mentors, sink.
    source, sink = 0, 1 + len(mentees) + len(mentors)
    solver = min_cost_flow.SimpleMinCostFlow()
    top = float(score.max())
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(
            [
                np.zeros(len(mentees), dtype=np.int64),
                1 + tail,
                1 + len(mentees) + np.arange(len(mentors)),
            ]
        ),
        np.concatenate(
            [1 + np.arange(len(mentees)), 1 + len(mentees) + head, np.full(len(mentors), sink)]
        ),
        np.concatenate(
            [
                np.ones(len(mentees), dtype=np.int64),
                np.ones(len(tail), dtype=np.int64),
                np.full(len(mentors), args.capacity, dtype=np.int64),
            ]
        ),
        np.concatenate(
            [
                np.zeros(len(mentees), dtype=np.int64),
                np.rint((top - score) * SCALE).astype(np.int64),
                np.zeros(len(mentors), dtype=np.int64),
            ]
        ),
    )
    solver.set_node_supply(source, len(mentees))
    solver.set_node_supply(sink, -len(mentees))
    status = solver.solve_max_flow_with_min_cost()
    assert status == solver.OPTIMAL, status
    flows = np.asarray(solver.flows(np.arange(len(mentees), len(mentees) + len(tail))))
    chosen = flows > 0
    json.dump(
        {"matched": int(chosen.sum()), "total": round(float(score[chosen].sum()), 3)},
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
