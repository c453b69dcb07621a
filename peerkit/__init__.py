"""peerkit: run a peer mentoring program from plain files."""

__version__ = "0.1.0"
