"""One process at a time on a database: ``run`` and ``restore`` hold an advisory lock on ``<db>.lock``.

``flock`` locks belong to the open file and vanish with the process, so a crashed bot never leaves a
stale lock behind (the file itself stays; it is never deleted, which would race with a new holder).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no lock (the documented deployments are Linux)
    fcntl = None  # type: ignore[assignment]


class DatabaseInUse(Exception):
    """Another process holds the database; the message names it."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def exclusive(database: Path, holder: str) -> Iterator[None]:
    """Hold the database's lock for the block, or raise ``DatabaseInUse`` at once (never wait)."""
    if fcntl is None or str(database) == ":memory:":
        yield
        return
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            current = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise DatabaseInUse(
                f"{database} is in use by {current}: stop it first (systemctl stop consultation-bot)."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder} (pid {os.getpid()})".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
