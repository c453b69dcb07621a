"""Blocks of score rows worked on by as many threads as the machine has cores.

A block is some hundred thousand pairs scored with numpy, which lets go of the
interpreter lock while it works on arrays that large: two blocks at once take the time of
about one on a two-core machine. Results come back in the order of the blocks, so what is made of them
does not depend on which thread finished first.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)  # pragma: no cover - not Linux


def map_blocks(work: Callable[[int], T], blocks: range) -> Iterator[T]:
    """`work(block)` for each of `blocks` (a block's first row, or its number), in their
    order, a block per core at a time."""
    workers = min(len(blocks), cores())
    if workers <= 1:
        yield from map(work, blocks)
        return
    from concurrent.futures import ThreadPoolExecutor

    executor = ThreadPoolExecutor(workers, thread_name_prefix="peerkit-block")
    try:
        yield from executor.map(work, blocks)
    finally:
        # an error or Ctrl-C in the consumer: the blocks not begun are not begun
        executor.shutdown(wait=True, cancel_futures=True)
