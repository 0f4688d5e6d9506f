"""The Task of the ``parity`` plugin (imported only when a task is built)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seqlab import Batch, Split, Task


class ParityTask(Task):
    """Random bits in, the parity of their sum out, read at the last step."""

    input_size = 1
    output_size = 2
    readout = "last"
    metric = "accuracy"
    higher_is_better = True
    baseline = 0.5
    solved_threshold = 0.95
    optimum = 1.0

    def __init__(self, length: int) -> None:
        self.length = length

    def sample(self, batch_size: int, generator: torch.Generator, split: Split = "train") -> Batch:
        """``x`` (batch, length, 1) bits as floats, ``y`` (batch,) the parity as a class.

        Fresh sequences for either split: every draw is new, so ``split`` changes nothing.
        """
        bits = torch.randint(0, 2, (batch_size, self.length), generator=generator)
        return {"x": bits.float().unsqueeze(-1), "y": bits.sum(dim=1) % 2}

    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Cross-entropy of the two classes; ``prediction`` is (batch, 2)."""
        return F.cross_entropy(prediction, batch["y"])

    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``accuracy``: the share of sequences whose parity is right."""
        return {"accuracy": (prediction.argmax(dim=-1) == batch["y"]).float().mean()}
