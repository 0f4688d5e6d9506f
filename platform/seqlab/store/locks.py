"""Locks that keep processes on one machine from stepping on each other in a store.

Two uses: creating a fresh SQLite store (MLflow's schema migration is not safe against a second
process opening the file meanwhile), and claiming a spec while it trains, so two sweeps never
train it twice. They are ``flock`` locks on small files: the kernel releases them when the
holder exits, however it exits, so a killed process never leaves a claim behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def lock_dir(tracking_uri: str) -> Path:
    """The folder of a store's lock files: beside an SQLite database, else in the user's cache.

    :param tracking_uri: the store.
    :returns: the folder (created if missing).
    """
    from seqlab.store.sqlite import database_file

    database = database_file(tracking_uri)
    if database is not None:
        folder = database.resolve().parent / ".seqlab-locks"
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        digest = hashlib.sha256(tracking_uri.encode()).hexdigest()[:16]
        folder = Path(cache) / "seqlab" / "locks" / digest
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def held(path: Path, wait: bool) -> Iterator[bool]:
    """Hold an exclusive lock on ``path`` for the ``with`` block.

    :param path: the lock file (created if missing).
    :param wait: wait for the lock, or give up at once when another process holds it.
    :returns: (as the ``with`` value) whether this process holds the lock.
    """
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)
