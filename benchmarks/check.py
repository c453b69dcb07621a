"""How long `check` takes on large rosters (CSV and YAML), generated in a temporary folder."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from peerkit.check import check_folder

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


def write_roster(root: Path, count: int, kind: str) -> None:
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
        (root / "members.csv").write_text("\n".join(lines) + "\n")
    else:
        lines = ["members:"]
        for i in range(count):
            lines.append(
                f"  - {{id: m{i}, name: Member {i}, email: m{i}@example.org, "
                f"department: dept {i % 50}, languages: [en, de], "
                f"levels: {{knowledge: {rng.randint(1, 5)}}}, goals: {rng.sample(TOPICS, 3)}}}"
            )
        (root / "members.yaml").write_text("\n".join(lines) + "\n")


def main() -> None:
    print(f"{'roster':<8}{'members':>9}{'seconds':>10}{'problems':>10}")
    for kind in ("csv", "yaml"):
        for count in (1_000, 10_000, 50_000):
            with tempfile.TemporaryDirectory() as temp:
                root = Path(temp)
                (root / "program.yaml").write_text(PROGRAM)
                write_roster(root, count, kind)
                start = time.perf_counter()
                folder, problems = check_folder(root)
                elapsed = time.perf_counter() - start
                assert folder is not None
                print(f"{kind:<8}{len(folder.members):>9,}{elapsed:>10.2f}{len(problems):>10}")


if __name__ == "__main__":
    main()
