"""The anchor for `peerkit match` (pairs): rustworkx's maximum-weight matching on each
member's best partners, scored by peerkit's own library (the same candidate graph).

    python benchmarks/anchors/match_pairs_rustworkx.py FOLDER [--partners 10]

It loads the folder, scores every pair in blocks, keeps each member's `--partners` best
feasible partners (peerkit's blossom graph at 10,000 members is the 10 best) and runs
rustworkx.max_weight_matching (most pairs first). No bound, no trio, no round file:
it prints the pairs and the total score on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent.parent)

import numpy as np  # noqa: E402
import rustworkx as rx  # noqa: E402

from peerkit.load.folder import load_folder  # noqa: E402
from peerkit.match.pool import build_pool  # noqa: E402
from peerkit.match.solve import scored_pairs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--partners", type=int, default=10)
    args = parser.parse_args()
    folder, problems = load_folder(Path(args.folder))
    assert folder is not None, problems
    pool = build_pool(folder, list(folder.members), "anchor")
    everyone = np.arange(pool.size)
    scored = scored_pairs(pool, everyone, everyone, directed=False, keep=args.partners)
    lo = np.minimum(scored.rows, scored.cols)
    hi = np.maximum(scored.rows, scored.cols)
    _, first = np.unique(lo * pool.size + hi, return_index=True)
    lo, hi, score = lo[first], hi[first], scored.scores[first]
    graph = rx.PyGraph()
    graph.add_nodes_from(range(pool.size))
    weight = np.rint(score * 1000).astype(np.int64)
    graph.extend_from_weighted_edge_list(
        list(zip(lo.tolist(), hi.tolist(), weight.tolist(), strict=True))
    )
    matched = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=int)
    lookup = dict(zip(zip(lo.tolist(), hi.tolist(), strict=True), score.tolist(), strict=True))
    total = sum(lookup[(min(a, b), max(a, b))] for a, b in matched)
    json.dump({"pairs": len(matched), "total": round(total, 3)}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
