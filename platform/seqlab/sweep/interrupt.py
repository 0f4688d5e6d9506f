"""How a sweep's launcher treats Ctrl-C and SIGTERM: the first stops the sweep, cleanly."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


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
