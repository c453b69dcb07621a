"""`peerkit build` of a 10,000-member mentoring program with responses, PDFs aside.

    python benchmarks/build.py                  # 10,000 members (a third mentors, capacity 2)
    python benchmarks/build.py --members 2000

The sample program as a mentoring program with a generated roster: a first `build`
matches the round; then a year of check-in answers is written for that round (Google
Forms, one file) with its sign-in sheets (attendance.csv), and `build` runs again, as a
coordinator runs it mid-year; then once more on a copy with nothing sent yet (no out/,
no calendars.yaml): every meeting still to come is an invitation. Each build runs as a user runs it, in a subprocess, with
WeasyPrint's PDF rendering replaced by an empty file (PDFs aside, as issue 15 measures
it); the time of each stage is printed.
Goal: <= 60 s for each build with responses.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from harness import PYTHON, ROOT, run

ZONES = ("America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York")
TOPICS = [f"topic {k}" for k in range(40)]
NOW = "2027-12-01"


def make_program(root: Path, count: int, seed: int = 1) -> None:
    """The sample program as mentoring (capacity 2) with `count` generated members."""
    shutil.copytree(
        ROOT / "sample-program",
        root,
        ignore=shutil.ignore_patterns("out", "responses", "attendance.csv", "rounds", "members.*"),
    )
    program = (root / "program.yaml").read_text(encoding="utf-8")
    program = program.replace("format: groups\n", "format: mentoring\ncapacity: 2\n")
    program = program.replace("group_size: {min: 4, max: 6}\n", "")
    (root / "program.yaml").write_text(program, encoding="utf-8")
    rng = random.Random(seed)
    lines = ["id,name,email,role,organization,timezone,goals,offers,knowledge,experience,authority"]
    for k in range(count):
        role = "mentor" if k % 3 == 0 else "mentee"
        lines.append(
            f"m{k:05d},Member {k:05d},m{k:05d}@example.org,{role},Org {rng.randrange(500)},"
            f"{rng.choice(ZONES)},{';'.join(rng.sample(TOPICS, 3))},"
            f"{';'.join(rng.sample(TOPICS, 3))},{rng.randint(1, 5)},{rng.randint(1, 5)},"
            f"{rng.randint(1, 5)}"
        )
    (root / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_responses(root: Path) -> int:
    """A year of check-in answers for the round the first build made, in one export, and
    the sign-in sheets of those sessions in attendance.csv."""
    from tally import attendance_csv, google_forms, sample_rows

    from peerkit.load.folder import load_folder

    folder, problems = load_folder(root)
    assert folder is not None, problems
    rows: list[dict[str, object]] = []
    for session in range(1, 12):  # the sessions held by NOW
        rows.extend(sample_rows(folder, session))
    (root / "responses").mkdir(exist_ok=True)
    (root / "responses" / "checkin-all.csv").write_bytes(google_forms(folder, rows))
    (root / "attendance.csv").write_bytes(attendance_csv(folder, 11))
    return len(rows)


def build_run(folder: str, times_file: str) -> None:
    """In the subprocess: `peerkit build FOLDER` with PDFs replaced and stages timed."""
    import peerkit.build
    import peerkit.pdf

    def no_pdf(*_args: object, **_kwargs: object) -> bytes:
        return b"%PDF-1.7\n% left out by benchmarks/build.py\n"

    peerkit.pdf.html_to_pdf = no_pdf  # type: ignore[assignment]
    times: dict[str, tuple[float, float]] = {}  # stage → (wall, cpu) seconds

    def timed(name: str, stage: peerkit.build.Stage) -> peerkit.build.Stage:
        def run_stage(*args: object) -> object:
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return stage(*args)  # type: ignore[arg-type]
            finally:
                times[name] = (time.perf_counter() - start, time.process_time() - cpu)
                # written after each stage: a command that succeeds ends with os._exit
                Path(times_file).write_text(json.dumps(times), encoding="utf-8")

        return run_stage  # type: ignore[return-value]

    peerkit.build.STAGES = tuple((n, timed(n, s)) for n, s in peerkit.build.STAGES)
    sys.argv = ["peerkit", "build", folder, "--now", NOW]
    from peerkit.__main__ import main

    main()


def timed_build(root: Path, label: str) -> None:
    times_file = root.parent / "stage-times.json"
    result = run([PYTHON, __file__, "--run", str(root), str(times_file)])
    print(result.line(label))
    times = json.loads(times_file.read_text(encoding="utf-8"))
    wall = sum(w for w, _ in times.values())
    cpu = sum(c for _, c in times.values())
    print(
        f"  {'start-up, check, writing':<32}{result.wall - wall:7.2f} s  (cpu {result.cpu - cpu:6.2f} s)"
    )
    for name, (wall, cpu) in times.items():
        print(f"  {name:<32}{wall:7.2f} s  (cpu {cpu:6.2f} s)")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--run":
        build_run(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "program"
        make_program(root, args.members)
        print(f"{args.members:,} members, mentoring (capacity 2), PDFs aside")
        timed_build(root, "build, first (matches the round)")
        rows = write_responses(root)
        print(f"{rows:,} check-in answers written to responses/checkin-all.csv, and attendance.csv")
        fresh = Path(temp) / "fresh"
        shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("out", "calendars.yaml"))
        timed_build(root, "build, with responses")
        # the same folder as a coordinator could first hand it over: nothing sent yet, so
        # every meeting still to come is an invitation in the outbox
        timed_build(fresh, "build, with responses, nothing sent")
        print(f"{'goal':<34}each build with responses <= 60 s")


if __name__ == "__main__":
    main()
