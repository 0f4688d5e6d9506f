"""The Lightning logger of a run: what a strategy logs with ``self.log`` reaches MLflow.

Lightning hands a logger the values a LightningModule (or a callback such as Lightning's
``LearningRateMonitor``) logs, every ``log_every_n_steps`` training steps and at the end of
each validation. This one queues them in the run's :class:`~seqlab.measure.recorder.MlflowRecorder`,
so they are batched into MLflow with every other metric, at the optimizer step the run has
reached (a strategy making several updates per batch, like ``tbptt``, counts them all).
"""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from pytorch_lightning.loggers.logger import Logger

from seqlab.measure.recorder import MlflowRecorder

LIGHTNING_ONLY_KEYS = frozenset({"epoch"})
"""Values Lightning adds to every logging call on its own; not the strategy's."""


class RecorderLogger(Logger):
    """A Lightning logger writing through the run's recorder.

    :param recorder: the run's recorder.
    """

    def __init__(self, recorder: MlflowRecorder) -> None:
        super().__init__()
        self.recorder = recorder

    @property
    def name(self) -> str:
        """The logger's name."""
        return "seqlab"

    @property
    def version(self) -> str:
        """The run is the recorder's MLflow run; no version of its own."""
        return ""

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        """Queue each logged value under the name it was logged with, at the optimizer step."""
        for key, value in metrics.items():
            if key not in LIGHTNING_ONLY_KEYS:
                self.recorder.add(key, float(value), self.recorder.step)

    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        """Nothing: the run's settings are recorded as params when it starts (its spec)."""
