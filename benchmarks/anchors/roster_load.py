"""The anchor for `peerkit check`: a roster file read by the fastest plain loader, no checks.

    python benchmarks/anchors/roster_load.py members.yaml   # yaml.load with CSafeLoader
    python benchmarks/anchors/roster_load.py members.csv    # csv.DictReader
    python benchmarks/anchors/roster_load.py members.csv rounds/2027.yaml  # and a round

Prints how many members (and matches) it read.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import yaml


def main() -> None:
    path = Path(sys.argv[1])
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as file:
            members = list(csv.DictReader(file))
    else:
        members = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["members"]
    matches = [
        match
        for round_file in sys.argv[2:]
        for match in yaml.load(
            Path(round_file).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader
        )["matches"]
    ]
    sys.stdout.write(f"{len(members)} members, {len(matches)} matches\n")


if __name__ == "__main__":
    main()
