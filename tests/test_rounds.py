"""Round files over a program's life: locks, members who leave, explain, mentors' times."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_match import make_program, person, run


def lock(path: Path, match_id: str) -> None:
    """Mark a match `locked: true` by hand, as a coordinator would."""
    text = path.read_text(encoding="utf-8")
    assert f"  - id: {match_id}\n" in text
    path.write_text(
        text.replace(f"  - id: {match_id}\n", f"  - id: {match_id}\n    locked: true\n"),
        encoding="utf-8",
    )


def varied(count: int) -> list[dict[str, Any]]:
    """Members whose pairs score differently (so a mixed-up total shows)."""
    topics = ["pricing", "hiring", "export", "cash", "growth", "sales"]
    return [
        person(
            f"p{k}",
            goals=topics[k % 6 : k % 6 + 1 + k % 3],
            offers=topics[(k * 5) % 6 : (k * 5) % 6 + 2],
            levels={"knowledge": 1 + k % 5, "experience": 1 + (k * 3) % 5, "authority": 3},
        )
        for k in range(count)
    ]


# --- 1. the round total adds up, locked matches included ------------------------------


@pytest.mark.parametrize(("fmt", "count"), [("pairs", 9), ("groups", 12)])
def test_total_is_the_sum_of_the_written_matches_with_a_lock(
    tmp_path: Path, fmt: str, count: int
) -> None:
    extra = "group_size: {min: 3, max: 4}\n" if fmt == "groups" else ""
    root = make_program(tmp_path / "p", varied(count), fmt, extra=extra)
    assert run("match", str(root), "--round", "r1").exit_code == 0
    path = root / "rounds" / "r1.yaml"
    first = yaml.safe_load(path.read_text())["matches"]
    lock(path, first[-1]["id"])  # the last id: kept matches come first inside the engine
    redo = run("match", str(root), "--round", "r1", "--force", "--format", "json")
    assert redo.exit_code == 0, redo.output
    data = json.loads(redo.stdout)
    matches = data["matches"]
    assert [m["locked"] for m in matches].count(True) == 1
    weight = {"pairs": lambda m: 1, "groups": lambda m: len(m["members"])}[fmt]
    total = sum(m["score"] * weight(m) for m in matches)
    summary = data["summary"]
    assert summary["total"] == pytest.approx(total, abs=0.0005 * (len(matches) * 6 + 1))
    assert summary["mean_score"] == pytest.approx(
        sum(m["score"] for m in matches) / len(matches), abs=0.001
    )
    assert summary["bound"] >= summary["total"]
    written = yaml.safe_load(path.read_text())["summary"]
    assert written["total"] == summary["total"]
