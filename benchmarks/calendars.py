"""How long `peerkit calendar` takes for a 10,000-member program of pairs with 12 sessions.

First the whole command as a user runs it, in a subprocess (start-up, load and check, the
export, 15,000 files written, the list of them printed): a first export, and a second that
reads the state file back (the usual case once a program is running); the goal is 10 s.
Then the library's parts in this process: the render (every file in memory) and the write.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from peerkit.calendar import render_calendars
from peerkit.load.folder import load_folder
from peerkit.write import write_files

MEMBERS = 10_000
PROGRAM = """\
name: Benchmark Mentoring
contact: {name: Coordinator, email: coordinator@example.org}
timezone: America/Los_Angeles
start: 2027-01-01
end: 2027-12-31
format: pairs
meetings:
  cadence: monthly
  day: first Thursday
  time: "17:30"
  duration: 1h30m
  location: "Room 4, Main building"
  video: https://meet.example.org/benchmark
  reminder: 1d
  skip: [2027-07-01]
"""


def make_folder(root: Path) -> None:
    (root / "program.yaml").write_text(PROGRAM, encoding="utf-8")
    lines = ["id,name,email"]
    lines += [f"m{i:05d},Member Ñame {i},m{i:05d}@example.org" for i in range(MEMBERS)]
    (root / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rounds = root / "rounds"
    rounds.mkdir()
    matches = ["round: bench", "matches:"]
    for index in range(0, MEMBERS, 2):
        matches.append(
            f"  - {{id: pair-{index // 2:04d}, members: [m{index:05d}, m{index + 1:05d}]}}"
        )
    (rounds / "bench.yaml").write_text("\n".join(matches) + "\n", encoding="utf-8")


GOAL = 10.0  # seconds, the whole command


def main() -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "command"
        root.mkdir()
        make_folder(root)
        print(f"peerkit calendar, {MEMBERS:,} members (goal <= {GOAL:g} s whole command)")
        for label in ("first export", "second export"):
            ran = harness.run(harness.peerkit("calendar", root, "--now", now.date().isoformat()))
            print(ran.line(f"  {label}"))
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        make_folder(root)
        start = time.perf_counter()
        folder, problems = load_folder(root)
        loaded = time.perf_counter()
        assert folder is not None, problems
        print(f"{MEMBERS:,} members, {len(folder.rounds[0].matches):,} pairs")
        print(f"load             {loaded - start:6.2f} s")
        for run in ("first export", "second export"):
            start, cpu = time.perf_counter(), time.process_time()
            result = render_calendars(folder, now=now)
            rendered = time.perf_counter()
            write_files(root, result.files)
            written = time.perf_counter()
            size = sum(len(data) for data in result.files.values())
            print(
                f"{run:<16} render {rendered - start:6.2f} s, write {written - rendered:6.2f} s, "
                f"total {written - start:6.2f} s (cpu {time.process_time() - cpu:5.2f} s): "
                f"{len(result.events):,} events, {len(result.files):,} files, {size / 1e6:.0f} MB"
            )


if __name__ == "__main__":
    main()
