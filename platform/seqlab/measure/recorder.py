"""The Lightning callback that records a run's metrics in MLflow, cheaply.

Training losses are averaged on the training side over each logging interval and values are
written in batches (one ``log_batch`` call every few seconds and at the end), because every
MLflow call costs milliseconds locally and tens of milliseconds against a server.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl

from seqlab.store import record
from seqlab.messages import clipped

if TYPE_CHECKING:
    import torch
    from mlflow import MlflowClient

    from seqlab.store.operations import Value
    from seqlab.store.status import RunStatus

FLUSH_SECONDS = 5.0
"""Write buffered values at most this often while training."""

RETRY_SECONDS = 30.0
"""After the store failed to take a write, wait this long before trying again while training."""


def json_number(value: float) -> float | None:
    """A float any JSON reader accepts: 6 significant digits, non-finite as ``null``."""
    return float(f"{value:.6g}") if math.isfinite(value) else None


class MlflowRecorder(pl.Callback):
    """Buffer training and validation values and write them to one MLflow run.

    It records the training loss and the training sequences seen so far at each logging
    interval. Measurement callbacks queue their values with :meth:`add`; those that work per logging
    interval subscribe to :attr:`interval_listeners`, called as ``listener(step, mean_loss)``
    each time an interval's mean training loss is recorded.

    :param client: the MLflow client.
    :param run_id: the run to write to.
    :param log_every: average the training loss over this many (optimizer) steps.
    """

    def __init__(self, client: MlflowClient, run_id: str, log_every: int) -> None:
        self.client = client
        self.run_id = run_id
        self.log_every = log_every
        self.latest: dict[str, float] = {}
        self.last_validation_step: int | None = None
        self.exception: BaseException | None = None
        self.interval_listeners: list[Callable[[int, float], None]] = []
        self._next_log_step = log_every
        self._buffer: list[Value] = []
        self._artifacts: dict[str, Any] = {}
        self._last_flush = time.monotonic()
        self.store_error: BaseException | None = None
        self._loss_sum: torch.Tensor | None = None
        self._loss_count = 0
        self.sequences = 0
        """Training sequences seen so far (batch sizes summed)."""
        self._trainer: pl.Trainer | None = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Keep the trainer, whose step :attr:`step` reads."""
        self._trainer = trainer

    @property
    def step(self) -> int:
        """The optimizer step training has reached (0 before training)."""
        return self._trainer.global_step if self._trainer is not None else 0

    def add(self, key: str, value: float, step: int) -> None:
        """Queue one value for writing and keep it as the latest of its key."""
        self._buffer.append((key, float(value), int(time.time() * 1000), int(step)))
        self.latest[key] = float(value)

    def write_json(self, artifact: str, content: Any) -> None:
        """Write (or rewrite) a JSON artifact of the run with the buffered values: at their next
        write (every :data:`FLUSH_SECONDS` while training) and at the end at the latest."""
        self._artifacts[artifact] = content
        self._flush_if_due()

    def flush(self) -> None:
        """Write every queued value and artifact now, in one store operation; each stays
        queued until it is written.

        :raises Exception: what the store raised; nothing queued is lost.
        """
        from seqlab.store.operations import log_values

        log_values(self.client, self.run_id, list(self._buffer), None, self._texts())
        self._written()

    def end_run(
        self, status: RunStatus, reason: str | None, tags: Mapping[str, str] | None
    ) -> None:
        """End the run as ``status`` with every queued value and artifact, in one store
        operation (:func:`seqlab.store.operations.end_run`).

        :raises Exception: what the store raised; nothing queued is lost.
        """
        from seqlab.store.operations import end_run

        values, texts = list(self._buffer), self._texts()
        end_run(self.client, self.run_id, status, reason, tags, values, texts)
        self._written()

    def unsent(self) -> tuple[list[Value], dict[str, Any]]:
        """The values and artifacts not written yet."""
        return list(self._buffer), dict(self._artifacts)

    def _texts(self) -> dict[str, str]:
        """The queued JSON artifacts as the texts to write."""
        return {artifact: json.dumps(content) for artifact, content in self._artifacts.items()}

    def _written(self) -> None:
        """Forget what was queued: the store has it."""
        self._buffer.clear()
        self._artifacts.clear()
        self._last_flush = time.monotonic()
        self.store_error = None

    def _flush_if_due(self) -> None:
        """Flush when due; while training, a store that does not answer is retried later."""
        wait = RETRY_SECONDS if self.store_error is not None else FLUSH_SECONDS
        if time.monotonic() - self._last_flush < wait:
            return
        try:
            self.flush()
        except Exception as exc:  # the store is unreachable or full: keep everything, go on
            self._last_flush = time.monotonic()
            if self.store_error is None:
                from seqlab.store.unsent import full_or

                what = full_or(exc, "the store did not take this run's values")
                sys.stderr.write(
                    f"seqlab: {what} ({clipped(str(exc), 200)}); this run's values are kept"
                    f" and retried every {RETRY_SECONDS:.0f} s while training\n"
                )
            self.store_error = exc

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        """Add the batch's loss to the interval's sum and its sequences to the count; record
        the mean and the count at interval ends.

        An interval ends at the first batch whose end reaches the next multiple of
        ``log_every`` optimizer steps (a TBPTT batch may make several).
        """
        self.sequences += int(batch["x"].shape[0])
        loss = outputs["loss"] if isinstance(outputs, Mapping) else outputs
        if loss is not None:
            loss = loss.detach()
            self._loss_sum = loss if self._loss_sum is None else self._loss_sum + loss
            self._loss_count += 1
        step = trainer.global_step
        if step >= self._next_log_step:
            self._next_log_step = (step // self.log_every + 1) * self.log_every
            self._record_train_loss(step)
            self._flush_if_due()

    def _record_train_loss(self, step: int) -> None:
        """Record the interval's mean loss and the sequences seen, and tell the listeners."""
        if self._loss_sum is None:
            return
        mean_loss = float(self._loss_sum) / self._loss_count
        self.add(record.TRAIN_LOSS, mean_loss, step)
        self.add(record.TRAIN_SEQUENCES, self.sequences, step)
        self._loss_sum, self._loss_count = None, 0
        for listener in self.interval_listeners:
            listener(step, mean_loss)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Record the last, partial interval."""
        self._record_train_loss(trainer.global_step)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Record the validation means the system computed."""
        if trainer.sanity_checking:
            return
        step = trainer.global_step
        for name, value in getattr(pl_module, "validation_metrics", {}).items():
            self.add(record.validation_metric(name), value, step)
        self.last_validation_step = step
        self._flush_if_due()

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        """Remember what stopped training (Lightning turns Ctrl-C into SystemExit)."""
        self.exception = exception
