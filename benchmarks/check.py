"""`peerkit check` of a large roster, run as a user runs it, beside a plain load of the file.

    python benchmarks/check.py                 # 10,000 members, CSV and YAML, best of 3
    python benchmarks/check.py --members 50000 --runs 1

Goals (issue 15): members.yaml <= 2 s and members.csv <= 1 s whole command; the anchor is
`anchors/roster_load.py` (yaml.CSafeLoader, csv.DictReader) on the same file. Then the
check a coordinator runs after matching: a mentoring roster (members.csv) with the round
`peerkit match` made of it (6,666 matches at 10,000 members), beside the anchor loading
both files (no goal is set for it).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
from pathlib import Path

from harness import PYTHON, ROOT, best, peerkit, ratio
from match_mentoring import write_folder

PROGRAM = """\
name: Benchmark
timezone: Europe/Berlin
start: 2027-01-01
end: 2027-12-31
format: pairs
matching:
  rules: {not_same: [department], differ_in_one_of: [knowledge, experience, authority]}
"""
TOPICS = [f"topic {i}" for i in range(40)]
GOALS = {"csv": 1.0, "yaml": 2.0}


def write_roster(root: Path, count: int, kind: str) -> Path:
    rng = random.Random(1)
    if kind == "csv":
        lines = ["id,name,email,department,languages,knowledge,experience,goals,offers"]
        for i in range(count):
            goals = ";".join(rng.sample(TOPICS, 3))
            offers = ";".join(rng.sample(TOPICS, 3))
            lines.append(
                f"m{i},Member {i},m{i}@example.org,dept {i % 50},en;de,"
                f"{rng.randint(1, 5)},{rng.randint(1, 5)},{goals},{offers}"
            )
        path = root / "members.csv"
    else:
        lines = ["members:"]
        for i in range(count):
            lines.append(
                f"  - {{id: m{i}, name: Member {i}, email: m{i}@example.org, "
                f"department: dept {i % 50}, languages: [en, de], "
                f"levels: {{knowledge: {rng.randint(1, 5)}}}, goals: {rng.sample(TOPICS, 3)}}}"
            )
        path = root / "members.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    # peerkit's bytecode, as a wheel install has it (see match_mentoring.byte_compile)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "peerkit")], check=True)
    anchor_script = Path(__file__).resolve().parent / "anchors" / "roster_load.py"
    print(f"{args.members:,} members; best of {args.runs}")
    for kind in ("csv", "yaml"):
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            (root / "program.yaml").write_text(PROGRAM, encoding="utf-8")
            roster = write_roster(root, args.members, kind)
            ours = best(peerkit("check", root), args.runs)
            anchor = best([PYTHON, str(anchor_script), str(roster)], args.runs)
            print(ours.line(f"peerkit check, members.{kind}"))
            print(anchor.line(f"plain load, members.{kind}"))
            print(ratio("ratio", ours, anchor))
            print(f"{'goal':<34}{ours.wall:7.2f} s of <= {GOALS[kind]:g} s whole command")
    with tempfile.TemporaryDirectory() as temp:
        root = write_folder(Path(temp) / "mentoring", args.members, spread=True)
        subprocess.run(peerkit("match", root, "--round", "2027"), check=True, capture_output=True)
        ours = best(peerkit("check", root), args.runs)
        files = [str(root / "members.csv"), str(root / "rounds" / "2027.yaml")]
        anchor = best([PYTHON, str(anchor_script), *files], args.runs)
        print(ours.line("peerkit check, csv and a round"))
        print(anchor.line("plain load, csv and the round"))
        print(ratio("ratio", ours, anchor))


if __name__ == "__main__":
    main()
