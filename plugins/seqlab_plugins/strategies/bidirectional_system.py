"""The LightningModule of the ``bidirectional`` strategy."""

from __future__ import annotations

import torch

from seqlab.api.strategy import RunParts, SequenceSystem, last_valid_step
from seqlab.api.task import Batch


def reversal_index(steps: int, lengths: torch.Tensor | None, batch_size: int) -> torch.Tensor:
    """Time indices (batch, steps) reversing each sequence's valid part, padding left in place.

    Applying it twice gives the identity.
    """
    positions = torch.arange(steps).expand(batch_size, steps)
    if lengths is None:
        return positions.flip(1)
    lengths = lengths.cpu().long()[:, None]
    return torch.where(positions < lengths, lengths - 1 - positions, positions)


def _gather_time(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    index = index.to(values.device)[:, :, None].expand(-1, -1, values.shape[2])
    return values.gather(1, index)


class Bidirectional(SequenceSystem):
    """Features at step t: the forward model's after reading x[0..t] beside the backward
    model's after reading x[t..end] (within each sequence's length)."""

    def __init__(self, parts: RunParts) -> None:
        super().__init__(parts, feature_size=2 * parts.model.output_size)
        self.backward_model = parts.new_model()

    def features(self, batch: Batch) -> torch.Tensor:
        """(batch, time, 2 * model.output_size): forward and backward features per step."""
        x, lengths = batch["x"], batch.get("lengths")
        forward, _ = self.model(x, lengths=lengths)
        index = reversal_index(x.shape[1], lengths, x.shape[0])
        backward, _ = self.backward_model(_gather_time(x, index), lengths=lengths)
        return torch.cat([forward, _gather_time(backward, index)], dim=-1)

    def readout(self, features: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Per step as usual; for a single prediction, the forward features at the last valid
        step beside the backward features at the first step (each has read everything)."""
        if self.task.readout != "last":
            return super().readout(features, batch)
        width = self.model.output_size
        forward = last_valid_step(features[..., :width], batch.get("lengths"))
        return self.head(torch.cat([forward, features[:, 0, width:]], dim=-1))
