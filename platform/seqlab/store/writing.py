"""Writes to the store that a stop signal must not cut in two.

A Ctrl-C or SIGTERM becomes a KeyboardInterrupt wherever the main thread is. Raised between
an SQL statement and its commit, it leaves the SQLite connection holding the database's write
lock (the interrupted cursor lives on in the exception's traceback), so every later write,
the run's own ending included, waits for the lock and fails ("database is locked"). Code that
writes the store marks the write with :func:`uninterrupted`; a stop-signal handler that finds
one in progress (:func:`in_progress`) records the signal and raises it after the write
(:class:`seqlab.run.interruption.StopSignals`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_depth = 0
"""How many :func:`uninterrupted` blocks the process is inside (they nest)."""


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Mark the block as a store write that a stop signal waits for."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1


def in_progress() -> bool:
    """Whether a store write marked with :func:`uninterrupted` is under way."""
    return _depth > 0
