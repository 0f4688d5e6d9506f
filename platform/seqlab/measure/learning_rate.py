"""The learning rate of a run, recorded at the start and whenever a schedule changes it."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl

from seqlab.measure.recorder import MlflowRecorder
from seqlab.store import record


class LearningRateRecorder(pl.Callback):
    """Record ``train/lr``, the first optimizer's first parameter group's learning rate, before
    the first step and before each step where it differs from the last value recorded.

    :param recorder: the run's recorder.
    """

    def __init__(self, recorder: MlflowRecorder) -> None:
        self.recorder = recorder
        self._last: float | None = None

    def _record_if_changed(self, trainer: pl.Trainer) -> None:
        if not trainer.optimizers:
            return
        rate = float(trainer.optimizers[0].param_groups[0]["lr"])
        if rate != self._last:
            self._last = rate
            self.recorder.add(record.LEARNING_RATE, rate, trainer.global_step)

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        """Record the rate this batch trains with, if it is new (the first, or a schedule's)."""
        self._record_if_changed(trainer)
