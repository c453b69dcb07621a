"""`python -m peerkit`, and the `peerkit` command itself.

The entry point lives here, outside `peerkit.cli`, so that Ctrl-C while the CLI's
libraries are still being imported ends like any other interrupt: exit 130 and one
line, not a traceback. SIGTERM unwinds the same way (exit 143), so that a command
stopped while writing puts the folder back as it was and leaves no file behind.
"""

import gc
import os
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import FrameType

_terminated: list[int] = []

# A command is one short run that makes millions of small objects (answers, cells, values
# read from YAML) and frees few of them before it ends. With the collector's default
# thresholds (700, 10, 10) it walked them over and over: a quarter of `peerkit tally` of
# 100,000 rows. Collections stay on, only less often; memory is the same.
GC_THRESHOLDS = (200_000, 50, 1000)


# numpy's OpenBLAS starts a thread per core for every product. peerkit's products are
# many small blocks (a few hundred rows by a few thousand): the threads cost more than
# they save -- mentoring at 10,000 spent a third more CPU and ran longer on 2 cores.
# One BLAS thread, unless the user asked for more.
BLAS_THREADS = "1"


# A stop that lands while a finaliser (`__del__`) runs is tried again this much later.
RETRY_SECONDS = 0.02


def _stop(signum: int, frame: "FrameType | None") -> None:
    """Ctrl-C and SIGTERM: a KeyboardInterrupt where the command is. Not inside a finaliser
    (WeasyPrint frees its fonts in `__del__`, as the collector finds them): Python prints an
    exception raised there as "Exception ignored", with a traceback, and drops it, so the
    command went on to the end. The signal comes again once the finaliser has returned."""
    if _in_finaliser(frame):
        import _thread
        import threading

        again = threading.Timer(RETRY_SECONDS, _thread.interrupt_main, (signum,))
        again.daemon = True  # a process already on its way out does not wait for it
        again.start()
        return
    if signum == signal.SIGTERM:
        _terminated.append(signum)
    raise KeyboardInterrupt


def _in_finaliser(frame: "FrameType | None") -> bool:
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _end_now(code: int) -> None:
    """End the process with `code` once its output is flushed, without tearing down the
    interpreter: freeing a big command's millions of objects one by one (and the collector's
    last pass over them) took a tenth of a second at 10,000 members, after the command was
    done. Every file is closed by then. Returns when the output cannot be flushed (a pipe
    closed early), and the interpreter ends as usual."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


def main() -> None:
    try:
        gc.set_threshold(*GC_THRESHOLDS)
        os.environ.setdefault("OPENBLAS_NUM_THREADS", BLAS_THREADS)
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        from peerkit.cli import main as run

        run()
    except KeyboardInterrupt:
        for stop in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop, signal.SIG_IGN)  # a second Ctrl-C: still one line
        sys.stderr.write("interrupted\n")
        sys.exit(143 if _terminated else 130)
    except SystemExit as exc:
        if exc.code == 130 and _terminated:
            sys.exit(143)
        if exc.code is None or isinstance(exc.code, int):
            _end_now(exc.code or 0)
        raise


if __name__ == "__main__":
    main()
