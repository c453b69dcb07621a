"""`python -m peerkit`, and the `peerkit` command itself.

The entry point lives here, outside `peerkit.cli`, so that Ctrl-C while the CLI's
libraries are still being imported ends like any other interrupt: exit 130 and one
line, not a traceback.
"""

import sys


def main() -> None:
    try:
        from peerkit.cli import main as run

        run()
    except KeyboardInterrupt:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: still one line
        sys.stderr.write("interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
