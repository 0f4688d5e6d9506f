"""What strategies build on: the parts of a run and a LightningModule base class.

A strategy plugin's ``build(params, parts)`` receives :class:`RunParts` and returns a
LightningModule, usually a subclass of :class:`SequenceSystem`, which owns the readout head,
validation and the optimizer, so that a strategy only says how gradients flow in training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytorch_lightning as pl
import torch
from torch import nn

from seqlab.api.task import Batch, Task

if TYPE_CHECKING:
    from seqlab.spec import TrainerSettings


@dataclass
class RunParts:
    """The built pieces of a run handed to a strategy.

    :param model: the sequence model (see ``register_models``).
    :param task: the task instance.
    :param trainer: the run's trainer settings.
    :param new_model: builds another, independently initialised instance of the model
        (a bidirectional strategy reads backwards with it).
    """

    model: nn.Module
    task: Task
    trainer: TrainerSettings
    new_model: Callable[[], nn.Module]

    @property
    def output_size(self) -> int:
        """The model's ``output_size``: the width of its outputs' last axis."""
        size: int = getattr(self.model, "output_size")
        return size


def last_valid_step(features: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Select each sequence's features at its last valid position: (B, T, H) -> (B, H)."""
    if lengths is None:
        return features[:, -1]
    index = (lengths.to(features.device).long() - 1).clamp(min=0)
    return features[torch.arange(features.shape[0], device=features.device), index]


class SequenceSystem(pl.LightningModule):
    """A model, a readout head for the task, validation and an Adam optimizer.

    Trained as is, it does full backpropagation through time. Strategies override
    ``training_step`` (returning the loss, detached under manual optimization, so the
    recorder can average it) or :meth:`features` and :meth:`readout`.
    """

    def __init__(self, parts: RunParts, feature_size: int | None = None) -> None:
        """:param feature_size: width of the features :meth:`features` returns
        (default: ``parts.model.output_size``)."""
        super().__init__()
        self.model = parts.model
        self.task = parts.task
        self.settings = parts.trainer
        width = feature_size if feature_size is not None else parts.output_size
        self.head = nn.Linear(width, parts.task.output_size)
        self.validation_metrics: dict[str, float] = {}
        self.validation_profiles: dict[str, list[float]] = {}
        self._validation_sums: dict[str, torch.Tensor] = {}
        self._profile_sums: dict[str, torch.Tensor] = {}
        self._validation_count = 0

    def features(self, batch: Batch) -> torch.Tensor:
        """The model's outputs at every position, (batch, time, features)."""
        outputs: torch.Tensor = self.model(batch["x"], lengths=batch.get("lengths"))[0]
        return outputs

    def readout(self, features: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Apply the head where the task reads its predictions (last valid step, or all)."""
        if self.task.readout == "last":
            features = last_valid_step(features, batch.get("lengths"))
        prediction: torch.Tensor = self.head(features)
        return prediction

    def predict(self, batch: Batch) -> torch.Tensor:
        """The task-shaped prediction for a batch."""
        return self.readout(self.features(batch), batch)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """Full BPTT: the task's loss on the whole sequence, gradients through every step."""
        return self.task.loss(self.predict(batch), batch)

    def updates_per_batch(self, batch: Batch) -> int:
        """How many optimizer updates training on ``batch`` makes: one here.

        A strategy that makes several (``tbptt``) says how many, so that ``trainer.val_every``
        and ``trainer.max_steps`` count the same updates (under ``trainer.budget=sequences``
        both count batches instead, and this is not asked).
        """
        return 1

    def on_validation_epoch_start(self) -> None:
        """Start a fresh pass over the validation set."""
        self._validation_sums = {}
        self._profile_sums = {}
        self._validation_count = 0

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        """Accumulate the loss, the task's metrics and its profiles, weighted by batch size."""
        prediction = self.predict(batch)
        values = {"loss": self.task.loss(prediction, batch), **self.task.evaluate(prediction, batch)}
        size = batch["x"].shape[0]
        _add_weighted(self._validation_sums, values, size)
        _add_weighted(self._profile_sums, self.task.profile(prediction, batch), size)
        self._validation_count += size

    def on_validation_epoch_end(self) -> None:
        """Turn the sums into means over the whole validation set (``validation_metrics``;
        ``validation_profiles`` for a task that defines ``Task.profile``)."""
        count = max(self._validation_count, 1)
        self.validation_metrics = {
            name: float(total) / count for name, total in self._validation_sums.items()
        }
        self.validation_profiles = {
            name: (total / count).tolist() for name, total in self._profile_sums.items()
        }

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """Adam over the model and head at the run's learning rate."""
        return torch.optim.Adam(self.parameters(), lr=self.settings.lr)


def _add_weighted(sums: dict[str, torch.Tensor], values: dict[str, torch.Tensor], size: int) -> None:
    """Add each batch-mean value times the batch size to its running sum."""
    for name, value in values.items():
        total = value.detach().float() * size
        sums[name] = sums[name] + total if name in sums else total
