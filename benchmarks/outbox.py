"""How long `peerkit outbox` takes for a 10,000-member program of pairs: an introduction to
every member (text, HTML and the pair's calendar), beside an anchor in the same run: the
mail merge a coordinator would script instead, one `email.message.EmailMessage` per member
with a text body from an f-string and nothing attached.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from benchmarks.calendars import make_folder
from peerkit.load.folder import load_folder
from peerkit.outbox import render_outbox


def anchor(folder_members: list[tuple[str, str]]) -> int:
    size = 0
    for name, address in folder_members:
        message = EmailMessage()
        message["From"] = "Coordinator <coordinator@example.org>"
        message["To"] = f"{name} <{address}>"
        message["Subject"] = "Benchmark Mentoring: meet your match"
        message.set_content(f"Dear {name},\n\nwelcome to the program!\n")
        size += len(message.as_bytes())
    return size


def main() -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        make_folder(root)
        folder, problems = load_folder(root)
        assert folder is not None, problems
        start = time.perf_counter()
        size = anchor([(m.name, m.email) for m in folder.members])
        anchored = time.perf_counter() - start
        print(f"anchor: plain EmailMessage mail merge   {anchored:6.2f} s ({size / 1e6:.0f} MB)")
        start = time.perf_counter()
        result = render_outbox(folder, now=now)
        took = time.perf_counter() - start
        size = sum(len(data) for data in result.files.values())
        print(
            f"peerkit outbox (text+HTML+calendar)    {took:6.2f} s ({size / 1e6:.0f} MB, "
            f"{len(result.messages):,} messages): {took / anchored:.1f}x the anchor"
        )


if __name__ == "__main__":
    main()
