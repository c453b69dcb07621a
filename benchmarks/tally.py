"""Tally speed: 100,000 response rows read from a Google Forms export and tallied.

    python benchmarks/tally.py              # `peerkit tally` beside pandas, 100,000 rows
    python benchmarks/tally.py --rows 20000 # a smaller run
    python benchmarks/tally.py --xlsx       # the answers as a Microsoft Forms workbook
    python benchmarks/tally.py --sample sample-program
        # (re)write the sample program's responses/ and attendance.csv for sessions 1-3
        # from its round file: Google Forms, Microsoft Forms and SurveyMonkey exports

The answers are seeded, so the sample data is the same on every run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

from peerkit.load.folder import load_folder
from peerkit.model import LIKERT5_LABELS, Folder, Match
from peerkit.schedule import meeting_dates

ROOT = Path(__file__).resolve().parent.parent
CHECKIN = ("useful", "participation", "honest_feedback", "listened", "progress")
COMMENTS = (
    "The hot seat on pricing was the most useful hour I have spent this quarter.",
    "We ran over time again; could we keep the check-in shorter?",
    "Two members were missing, which made the hot seat feel thin.",
    "I finally delegated payroll, thanks to last month's push from the team.",
    "Good session. The cash-flow template someone shared is already in use.",
    "I would like more time for the second hot seat.",
    "Honest feedback today, not all of it comfortable, all of it fair.",
    "Could we get the agenda a few days before the meeting?",
)


def fallback_matches(folder: Folder) -> list[Match]:
    """Teams of six in roster order, for a folder whose round file is not there yet."""
    ids = [m.id for m in folder.members]
    return [Match(f"team-{i // 6 + 1:02d}", tuple(ids[i : i + 6])) for i in range(0, len(ids), 6)]


def _matches(folder: Folder) -> list[Match]:
    round_ = folder.round()
    return list(round_.matches) if round_ is not None else fallback_matches(folder)


def _mood(rng: random.Random, index: int, session: int) -> float:
    """A match's mean answer: most teams settle in; the third one starts to drift away."""
    base = 3.9 + 0.15 * session
    if index == 2:
        base = 4.3 - 0.75 * (session - 1)
    return base + rng.uniform(-0.2, 0.2)


def _answer(rng: random.Random, mood: float) -> int:
    return max(1, min(5, round(rng.gauss(mood, 0.7))))


def sample_rows(folder: Folder, session: int, seed: int = 2027) -> list[dict[str, object]]:
    """One session's check-in answers: who answered, the team, a value per question."""
    rng = random.Random(seed * 100 + session)
    members = folder.members_by_id
    day = meeting_dates(folder.program.meetings, folder.program.start, folder.program.end)[
        session - 1
    ].date
    rows = []
    for index, match in enumerate(_matches(folder)):
        mood = _mood(rng, index, session)
        for position, member_id in enumerate(match.members):
            # The same member of the drifting team stops answering (and attending).
            if index == 2 and position == 1 and session >= 2:
                continue
            if rng.random() < 0.08:
                continue
            member = members[member_id]
            when = dt.datetime.combine(day, dt.time(12, 0)) + dt.timedelta(
                minutes=rng.randrange(0, 60 * 30)
            )
            answers = {q: _answer(rng, mood) for q in CHECKIN}
            if rng.random() < 0.05:
                del answers["progress"]
            comment = rng.choice(COMMENTS) if rng.random() < 0.3 else ""
            rows.append(
                {
                    "when": when,
                    "email": member.email,
                    "name": member.name,
                    "match": match.id,
                    "answers": answers,
                    "comment": comment,
                }
            )
    return rows


def _texts(folder: Folder) -> dict[str, str]:
    return {q.id: q.text for q in folder.program.surveys["checkin"].questions}


def google_forms(folder: Folder, rows: list[dict[str, object]]) -> bytes:
    """Google Forms: Timestamp, Email Address, then question texts; likert as labels."""
    texts = _texts(folder)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    ids = ["match_id", *CHECKIN, "comment"]
    writer.writerow(["Timestamp", "Email Address", *(texts[i] for i in ids)])
    for row in rows:
        answers = row["answers"]
        assert isinstance(answers, dict)
        assert isinstance(row["when"], dt.datetime)
        when = row["when"]
        writer.writerow(
            [
                f"{when.month}/{when.day}/{when.year} {when:%H:%M:%S}",
                row["email"],
                row["match"],
                *(LIKERT5_LABELS[answers[q] - 1] if q in answers else "" for q in CHECKIN),
                row["comment"],
            ]
        )
    return buffer.getvalue().encode("utf-8")


def microsoft_forms(folder: Folder, rows: list[dict[str, object]], path: Path) -> None:
    """Microsoft Forms: an XLSX with ID, Start time, Completion time, Email, Name."""
    from openpyxl import Workbook

    texts = _texts(folder)
    book = Workbook()
    sheet = book.active
    ids = ["match_id", *CHECKIN, "comment"]
    sheet.append(["ID", "Start time", "Completion time", "Email", "Name", *(texts[i] for i in ids)])
    for number, row in enumerate(rows, start=1):
        answers = row["answers"]
        assert isinstance(answers, dict)
        assert isinstance(row["when"], dt.datetime)
        sheet.append(
            [
                number,
                row["when"] - dt.timedelta(minutes=4),
                row["when"],
                row["email"],
                row["name"],
                row["match"],
                *(answers.get(q) for q in CHECKIN),
                row["comment"] or None,
            ]
        )
    # A fixed workbook date keeps the file the same on every run.
    book.properties.created = book.properties.modified = dt.datetime(2027, 3, 10)  # noqa: DTZ001
    buffer = io.BytesIO()
    book.save(buffer)
    # Zip entries carry the time they were written; fix it so the file is the same every run.
    import zipfile

    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(2027, 3, 10, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2027-03-10T00:00:00Z", data
                )
            target.writestr(entry, data)
    path.write_bytes(fixed.getvalue())


def surveymonkey(folder: Folder, rows: list[dict[str, object]]) -> bytes:
    """SurveyMonkey: two header rows (question, then 'Response'), likert as labels."""
    texts = _texts(folder)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    meta = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address"]
    meta += ["Email Address", "First Name", "Last Name", "Custom Data 1"]
    ids = ["match_id", *CHECKIN, "comment"]
    writer.writerow([*meta, *(texts[i] for i in ids)])
    writer.writerow(
        [""] * len(meta) + ["Open-Ended Response"] + ["Response"] * 5 + ["Open-Ended Response"]
    )
    for number, row in enumerate(rows, start=1):
        answers = row["answers"]
        assert isinstance(answers, dict)
        assert isinstance(row["when"], dt.datetime)
        name = str(row["name"]).split(" ", 1)
        stamp = row["when"].strftime("%m/%d/%Y %I:%M:%S %p")
        writer.writerow(
            [
                11400000000 + number,
                431000001,
                stamp,
                stamp,
                "",
                row["email"],
                name[0],
                name[-1],
                "",
                row["match"],
                *(LIKERT5_LABELS[answers[q] - 1] if q in answers else "" for q in CHECKIN),
                row["comment"],
            ]
        )
    return buffer.getvalue().encode("utf-8")


def attendance_csv(folder: Folder, sessions: int, seed: int = 2027) -> bytes:
    """Who came to sessions 1..N: mostly present, a few excused, one member drifting away."""
    rng = random.Random(seed)
    program = folder.program
    days = meeting_dates(program.meetings, program.start, program.end)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["date", "match", "member", "status"])
    for session in range(1, sessions + 1):
        for index, match in enumerate(_matches(folder)):
            for position, member_id in enumerate(match.members):
                status = "present"
                roll = rng.random()
                if (index == 2 and position == 1 and session >= 2) or roll < 0.05:
                    status = "absent"
                elif roll < 0.1:
                    status = "excused"
                writer.writerow([days[session - 1].date.isoformat(), match.id, member_id, status])
    return buffer.getvalue().encode("utf-8")


def write_sample(root: Path) -> None:
    folder, problems = load_folder(root)
    if folder is None:
        sys.exit("\n".join(str(p) for p in problems))
    if folder.round() is None:
        print("note: no round file yet; teams of six in roster order", file=sys.stderr)
    out = root / "responses"
    out.mkdir(exist_ok=True)
    (out / "checkin-session-01.csv").write_bytes(google_forms(folder, sample_rows(folder, 1)))
    microsoft_forms(folder, sample_rows(folder, 2), out / "checkin-session-02.xlsx")
    (out / "checkin-session-03.csv").write_bytes(surveymonkey(folder, sample_rows(folder, 3)))
    (root / "attendance.csv").write_bytes(attendance_csv(folder, 3))
    print(f"wrote {out}/checkin-session-0[1-3].* and {root / 'attendance.csv'}")


def large_program(root: Path, members: int) -> None:
    """The sample program with a roster of `members` and a round of teams of five."""
    shutil.copytree(
        ROOT / "sample-program",
        root,
        ignore=shutil.ignore_patterns("out", "responses", "attendance.csv", "rounds", "members.*"),
    )
    lines = ["id,name,email,organization"]
    lines += [f"m{i:05d},Member {i:05d},m{i:05d}@example.org,Org {i}" for i in range(members)]
    (root / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    teams = ["round: bench", "matches:"]
    for start in range(0, members, 5):
        ids = ", ".join(f"m{i:05d}" for i in range(start, min(start + 5, members)))
        teams += [f"  - id: team-{start // 5 + 1:04d}", f"    members: [{ids}]"]
    (root / "rounds").mkdir()
    (root / "rounds" / "bench.yaml").write_text("\n".join(teams) + "\n", encoding="utf-8")


def make_benchmark(root: Path, rows_wanted: int, xlsx: bool = False) -> tuple[Path, list[str]]:
    """10,000 members answer the check-in after each of 11 sessions, in one Google Forms
    file (or a Microsoft Forms workbook); the export and the program's meeting dates."""
    large_program(root, max(10, rows_wanted // 10))
    folder, _ = load_folder(root)
    assert folder is not None
    rows: list[dict[str, object]] = []
    for session in range(1, 12):
        rows.extend(sample_rows(folder, session))
        if len(rows) >= rows_wanted:
            break
    (root / "responses").mkdir()
    if xlsx:
        export = root / "responses" / "checkin-all.xlsx"
        microsoft_forms(folder, rows[:rows_wanted], export)
    else:
        export = root / "responses" / "checkin-all.csv"
        export.write_bytes(google_forms(folder, rows[:rows_wanted]))
    program = folder.program
    days = [m.date.isoformat() for m in meeting_dates(program.meetings, program.start, program.end)]
    return export, days


def benchmark(rows_wanted: int, runs: int, xlsx: bool = False) -> None:
    """`peerkit tally` (text, then --format json) beside pandas on the same export."""
    from harness import PYTHON, peerkit, ratio, run

    anchor_script = Path(__file__).resolve().parent / "anchors" / "tally_pandas.py"
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "program"
        export, days = make_benchmark(root, rows_wanted, xlsx)
        size = export.stat().st_size
        tool = "Microsoft Forms workbook" if xlsx else "Google Forms export"
        print(f"{rows_wanted:,} rows in one {tool} ({size / 1e6:.1f} MB); best of {runs}, in turns")
        for fmt in ("text", "json"):
            meetings = ",".join(days)
            pandas = [PYTHON, str(anchor_script), str(export), "--meetings", meetings]
            # in turns: a slow spell of the machine slows both, not one
            turns = [
                (
                    run(peerkit("tally", root, "--format", fmt, "--now", NOW)),
                    run([*pandas, "--format", fmt]),
                )
                for _ in range(runs)
            ]
            ours = min((o for o, _ in turns), key=lambda r: r.wall)
            anchor = min((a for _, a in turns), key=lambda r: r.wall)
            print(ours.line(f"peerkit tally --format {fmt}"))
            print(anchor.line(f"pandas, {fmt}"))
            print(ratio("ratio", ours, anchor, goal=5))
            print(f"{'goal':<34}{ours.wall:7.2f} s of <= 3 s whole command")


NOW = "2027-12-01"  # after the last session: every answer is in the past


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--sample", type=Path, help="write sample data into this program folder")
    parser.add_argument(
        "--xlsx", action="store_true", help="the answers as a Microsoft Forms workbook"
    )
    args = parser.parse_args()
    if args.sample:
        write_sample(args.sample)
    else:
        benchmark(args.rows, args.runs, args.xlsx)


if __name__ == "__main__":
    main()
