"""How long `peerkit agenda` and `peerkit survey` take on a large program.

Builds a program of N members in pairs (N/2 matches) in a temporary folder and prints the
time to render one session's handouts as Markdown, HTML and the one print PDF.
Usage: python benchmarks/agenda.py [N ...]   (default: 100 1000 10000)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

PROGRAM = """\
name: Benchmark Program
timezone: Europe/Berlin
start: 2027-01-01
end: 2027-12-31
format: pairs
meetings: {cadence: monthly, day: first Wednesday, time: "17:00", duration: 1h30m}
"""
ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo")


def make_folder(root: Path, members: int) -> Path:
    lines = ["members:"]
    for n in range(members):
        zone = ZONES[n % len(ZONES)]
        lines.append(f"  - {{id: m{n:05d}, name: Zoë Łukasiewicz {n}, timezone: {zone}}}")
    matches = ["round: bench", "matches:"]
    for n in range(0, members - 1, 2):
        matches.append(f"  - {{id: pair-{n // 2:05d}, members: [m{n:05d}, m{n + 1:05d}]}}")
    (root / "program.yaml").write_text(PROGRAM, encoding="utf-8")
    (root / "members.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "rounds").mkdir()
    (root / "rounds" / "bench.yaml").write_text("\n".join(matches) + "\n", encoding="utf-8")
    return root


def main() -> None:
    from peerkit.agenda import render_agenda
    from peerkit.load.folder import load_folder
    from peerkit.survey import render_surveys

    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000, 10000]
    for size in sizes:
        with tempfile.TemporaryDirectory() as temp:
            folder, _ = load_folder(make_folder(Path(temp), size))
            assert folder is not None
            timings = []
            for formats in (("md",), ("html",), ("pdf",)):
                start = time.perf_counter()
                made = render_agenda(folder, "2", formats=formats)
                timings.append(time.perf_counter() - start)
            pdf = made.files["out/agenda/session-02/handouts.pdf"]
            start = time.perf_counter()
            render_surveys(folder)
            surveys = time.perf_counter() - start
            print(
                f"{size:>6} members, {size // 2:>5} handouts: md {timings[0]:6.2f} s, "
                f"html {timings[1]:6.2f} s, pdf {timings[2]:6.2f} s ({len(pdf) / 1e6:.1f} MB); "
                f"surveys, every format {surveys:.2f} s"
            )


if __name__ == "__main__":
    main()
