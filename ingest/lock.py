"""One writer at a time: the index's lock file."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from app.errors import IndexLocked


class IndexLock:
    """An exclusive, non-blocking ``flock`` on ``<index>/.lock``; the kernel drops it if the
    process dies, so a killed ingest never leaves the index locked."""

    def __init__(self, index_dir: Path):
        self.path = index_dir / ".lock"
        self.fh = None

    def __enter__(self) -> "IndexLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            self.fh.close()
            raise IndexLocked(
                f"the index at {self.path.parent} is being written by {holder}; one writer at a time — "
                "wait for it to finish, or use a Chroma server (store 'chroma-http') for several processes"
            ) from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()
