"""`peerkit match` on a 10,000-member mentoring roster (members.csv) beside an OR-Tools anchor.

    python benchmarks/match_mentoring.py [--members 10000] [--times 1] [--capacity 3]
                                         [--topics 12] [--keep DIR]

Both read the same generated members.csv (a third mentors, capacity 2 or --capacity; 3 goals, 3
offers and 2 obstacles of 40 topics or --topics, levels 1-5, six timezones, 20 departments with
`not_same: [department]`, diversity on industry). peerkit runs as a user runs it, in a
subprocess, writing rounds/bench.yaml: with the defaults (`matching.spread`, the
availability term) and, for the same objective as the anchor, with `spread: false` and
`weights: {availability: 0}` (its total must equal the anchor's). The anchor
(benchmarks/anchors/match_mentoring_ortools.py) scores with numpy and solves a min-cost
flow on each mentee's 50 best mentors, with no proof, no spread and no round file.
Printed: wall and CPU seconds, peak memory, the ratio, each one's total score, and
whether peerkit proved its round optimal. Goal: <= 6 s, <= 500 MB, <= 1.5 x the anchor.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent)  # harness, not the stdlib's namesakes

from harness import PYTHON, ROOT, Run, best, peerkit, ratio  # noqa: E402

TOPICS = [f"topic {k}" for k in range(40)]
ZONES = [
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
]
ANCHOR = ROOT / "benchmarks" / "anchors" / "match_mentoring_ortools.py"


def write_folder(
    root: Path,
    count: int,
    spread: bool,
    seed: int = 1,
    fmt: str = "mentoring",
    capacity: int = 2,
    availability: bool = True,
    topics: int = len(TOPICS),
) -> Path:
    """A program of `count` members (a third mentors in mentoring) with members.csv;
    `availability=False`: without the availability term (weight 0), as the anchor scores;
    `topics`: how many distinct goals, offers and obstacles there are."""
    rng = random.Random(seed)
    vocabulary = [f"topic {k}" for k in range(topics)]
    root.mkdir(parents=True, exist_ok=True)

    def role(k: int) -> str:
        if fmt != "mentoring":
            return "peer"
        return "mentor" if k % 3 == 0 else "mentee"

    (root / "program.yaml").write_text(
        "name: Benchmark\ntimezone: UTC\nstart: 2027-01-01\nend: 2027-12-31\n"
        f"format: {fmt}\ncapacity: {capacity}\n"
        f"matching:\n  seed: 1\n  spread: {'true' if spread else 'false'}\n"
        + ("" if availability else "  weights: {availability: 0}\n")
        + "  rules:\n    not_same: [department]\n  diversity: [industry]\n",
        encoding="utf-8",
    )
    lines = [
        "id,name,role,department,timezone,goals,offers,obstacles,"
        "knowledge,experience,authority,industry"
    ]
    for k in range(count):
        lines.append(
            f"m{k:05d},Member {k},{role(k)},"
            f"dept{rng.randrange(20)},{rng.choice(ZONES)},"
            f"{';'.join(rng.sample(vocabulary, 3))},{';'.join(rng.sample(vocabulary, 3))},"
            f"{';'.join(rng.sample(vocabulary, 2))},{rng.randint(1, 5)},{rng.randint(1, 5)},"
            f"{rng.randint(1, 5)},industry{rng.randrange(10)}"
        )
    (root / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def byte_compile() -> None:
    """Write peerkit's bytecode, as installing a wheel does: an editable install under
    PYTHONDONTWRITEBYTECODE would compile every module on every run, which no user pays."""
    import subprocess

    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "peerkit")], check=True)


def run_peerkit(folder: Path) -> tuple[Run, dict[str, object]]:
    """One run of `peerkit match` from no round file, and the summary it wrote."""
    import yaml

    shutil.rmtree(folder / "rounds", ignore_errors=True)
    ran = best(peerkit("match", folder, "--round", "bench"), 1)
    text = (folder / "rounds" / "bench.yaml").read_text(encoding="utf-8")
    summary: dict[str, object] = yaml.safe_load(text)["summary"]
    return ran, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument(
        "--times",
        type=int,
        default=3,
        help="runs each, taken in turns (a slow spell of the machine slows all three); "
        "the fastest counts",
    )
    parser.add_argument(
        "--capacity", type=int, default=2, help="mentees per mentor (3: spread has work to do)"
    )
    parser.add_argument(
        "--topics",
        type=int,
        default=len(TOPICS),
        help="distinct topics (12: many ties, the proof adds pairs and solves again; 8 with "
        "--capacity 3: every mentee likes the same mentors, and with spread the others get "
        "their own best mentees; 200: sets past one word of bits)",
    )
    parser.add_argument(
        "--keep", type=Path, help="write the generated folders here and keep them (to profile)"
    )
    args = parser.parse_args()
    byte_compile()
    with tempfile.TemporaryDirectory() as tmp:
        if args.keep:
            tmp = str(args.keep)
        shape = {"capacity": args.capacity, "topics": args.topics}
        spread = write_folder(Path(tmp) / "spread", args.members, True, **shape)
        plain = write_folder(Path(tmp) / "plain", args.members, False, availability=False, **shape)
        argv = [PYTHON, str(ANCHOR), str(plain / "members.csv"), "--capacity", str(args.capacity)]
        out = Path(tmp) / "anchor.json"
        anchor_result = _anchor_output(argv, out)
        anchors, spreads, plains = [], [], []
        for _ in range(args.times):
            anchors.append(best(argv, 1))
            spreads.append(run_peerkit(spread))
            plains.append(run_peerkit(plain))
        anchor = min(anchors, key=lambda r: r.wall)
        ours, summary = min(spreads, key=lambda r: r[0].wall)
        ours_plain, summary_plain = min(plains, key=lambda r: r[0].wall)
    print(f"\nmentoring, {args.members} members from members.csv (capacity {args.capacity})")
    print(anchor.line("anchor: OR-Tools flow, 50 best"))
    print(ours.line("peerkit match (defaults)"))
    print(ours_plain.line("peerkit match (same objective)"))
    print(ratio("peerkit (defaults) / anchor", ours, anchor, 1.5))
    print(ratio("peerkit (same objective) / anchor", ours_plain, anchor, 1.5))
    print(
        f"{'total score':<34}anchor {anchor_result['total']}, "
        f"peerkit, same objective {summary_plain['total']} "
        f"(optimal: {str(summary_plain['optimal']).lower()}), "
        f"peerkit, defaults {summary['total']} (optimal: {str(summary['optimal']).lower()})"
    )
    print(
        f"{'mentees matched':<34}anchor {anchor_result['matched']}, "
        f"peerkit {summary_plain['matched']} members"
    )
    print(
        f"{'mentor loads (mentees: mentors)':<34}defaults {summary['mentor_loads']}, "
        f"same objective {summary_plain['mentor_loads']}"
    )
    goal_ok = ours.wall <= 6 and ours.peak_mb <= 500
    print(f"{'goal (<= 6 s, <= 500 MB)':<34}{'met' if goal_ok else 'NOT met'}")


def _anchor_output(argv: list[str], out: Path) -> dict[str, object]:
    import subprocess

    text = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    out.write_text(text, encoding="utf-8")
    result: dict[str, object] = json.loads(text)
    return result


if __name__ == "__main__":
    main()
