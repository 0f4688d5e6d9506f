"""The training progress bar: Lightning's tqdm bar showing the latest recorded losses."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import TQDMProgressBar

from seqlab.store import record
from seqlab.measure.recorder import MlflowRecorder

_SHOWN_PREFIXES = (record.TRAIN_LOSS, record.validation_metric(""))


class RecordedValuesBar(TQDMProgressBar):
    """A tqdm progress bar whose postfix is the latest training loss and validation values.

    :param recorder: the run's recorder, read for the latest values.
    :param refresh_rate: redraw every this many steps (drawing costs time per step).
    """

    def __init__(self, recorder: MlflowRecorder, refresh_rate: int = 10) -> None:
        super().__init__(refresh_rate=refresh_rate)
        self.recorder = recorder

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, Any]:
        """The values to show beside the bar."""
        return {
            key: f"{value:.4g}"
            for key, value in self.recorder.latest.items()
            if key.startswith(_SHOWN_PREFIXES)
        }
