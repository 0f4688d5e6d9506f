"""How a sweep treats Ctrl-C and SIGTERM: the first stops the sweep, cleanly.

The launcher turns both into KeyboardInterrupt while the sweep runs; a local worker process
turns SIGTERM into one only while it trains a job. Both raise through :func:`_interrupt`.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _interrupt(signum: int, frame: Any) -> None:
    """The sweep side's one raiser: a stop signal, as KeyboardInterrupt."""
    raise KeyboardInterrupt(f"signal {signum}")


def interrupt_while(active: Callable[[], bool]) -> Callable[[int, Any], None]:
    """A signal handler interrupting only while ``active()`` holds (a worker process between
    jobs has nothing to stop)."""

    def handler(signum: int, frame: Any) -> None:
        if active():
            _interrupt(signum, frame)

    return handler


@contextmanager
def _handled(handler: Any) -> Iterator[None]:
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """Turn Ctrl-C and SIGTERM into KeyboardInterrupt while the sweep runs."""
    with _handled(_interrupt):
        yield


@contextmanager
def stop_signals_ignored() -> Iterator[None]:
    """Ignore further stop signals while in-flight runs end KILLED and are recorded."""
    with _handled(signal.SIG_IGN):
        yield
