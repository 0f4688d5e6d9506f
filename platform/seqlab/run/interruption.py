"""Ctrl-C and SIGTERM while a run trains: the run stops and ends KILLED, it never trains on.

Python raises a signal's KeyboardInterrupt wherever the main thread happens to be. Raised inside
a finalizer (a weakref callback or ``__del__``, such as SQLAlchemy's class registry being
garbage-collected), it is printed as "Exception ignored" and lost, and training would go on.
Raised inside a store write, it would leave the store locked (:mod:`seqlab.store.writing`).
:class:`StopSignals` remembers the signal, holds it while the store is written, and raises it
again at the next batch.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytorch_lightning as pl

from seqlab.store import writing


class StopSignals(pl.Callback):
    """Turn SIGTERM and Ctrl-C into KeyboardInterrupt while installed, surely and once."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._held = False

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Handle SIGTERM, and SIGINT unless it is ignored (a sweep's worker process leaves
        Ctrl-C to its launcher), while the block runs; only the main thread can."""
        signals = [signal.SIGTERM]
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signals.append(signal.SIGINT)
        try:
            previous = {sig: signal.signal(sig, self._interrupt) for sig in signals}
        except ValueError:  # not the main thread: leave signals alone
            yield
            return
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _interrupt(self, signum: int, frame: Any) -> None:
        """Interrupt at the first signal, unless the store is being written: then the next
        batch, or :meth:`raise_if_received`, raises it, and a second signal during that write
        (a tracking server that does not answer holds it up to ``$SEQLAB_STORE_TIMEOUT``)
        raises at once. Any other second signal does not disturb recording the stop."""
        if self.received is None:
            self.received = signum
            self._held = writing.in_progress()
            if not self._held:
                self._raise()
        elif self._held and writing.in_progress():
            self._raise()

    def raise_if_received(self) -> None:
        """Stop here if a signal came whose KeyboardInterrupt was held or lost."""
        if self.received is not None:
            self._held = False
            self._raise()

    def _raise(self) -> None:
        """The run side's one raiser: the signal received, as KeyboardInterrupt."""
        raise KeyboardInterrupt(f"signal {self.received}")

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        """Stop here if a signal came whose KeyboardInterrupt was held or lost."""
        self.raise_if_received()

    def on_validation_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        """Stop here if a signal came whose KeyboardInterrupt was held or lost."""
        self.raise_if_received()
