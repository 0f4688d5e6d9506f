"""The ``copy`` task: the copy-memory problem (Hochreiter & Schmidhuber 1997; in the form of
Arjovsky, Shah & Bengio 2016).

The input holds S symbols drawn from an alphabet of A, then T - 1 blanks, a delimiter and S
more blanks (T + 2S steps). The target is blank everywhere except the last S steps, where the
S symbols must be recalled in order, T steps after they were seen. A memoryless strategy
(blanks, then guessing) scores S ln(A) / (T + 2S) cross-entropy per step in expectation; the
normalized score counts from its version fitted on the validation set (each position's symbol
frequencies there: ``memoryless``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, hookimpl
from seqlab.api.baselines import Predictor, class_frequency_predictor
from seqlab.api.task import Batch, Split, Task

if TYPE_CHECKING:
    import torch

    from seqlab.api.register import RegisterTask

BLANK = 0
"""Input and target category of a blank step; symbols are 1..A, the delimiter A + 1."""


class CopyParams(Params):
    """Parameters of the ``copy`` task."""

    length: int = Field(100, ge=1, le=100_000, description="delay T between seeing and recalling")
    symbols: int = Field(10, ge=1, le=1000, description="S: symbols to remember and recall")
    alphabet: int = Field(8, ge=2, le=256, description="A: distinct symbols")


@hookimpl
def register_tasks(register: RegisterTask) -> None:
    """Register ``copy``."""
    register("copy", build_copy, CopyParams, causal=False)


def build_copy(params: CopyParams) -> Task:
    """Copy memory: recall S symbols after a delay T (cross-entropy; baseline S ln A/(T+2S))."""
    return CopyTask(params.length, params.symbols, params.alphabet)


class CopyTask(Task):
    """The copy-memory problem with delay ``length``."""

    readout = "all"
    metric = "cross_entropy"
    higher_is_better = False
    optimum = 0.0
    time_keys = ("x", "y")

    def __init__(self, length: int, symbols: int = 10, alphabet: int = 8) -> None:
        self.length = length
        self.symbols = symbols
        self.alphabet = alphabet
        self.steps = length + 2 * symbols
        self.input_size = alphabet + 2
        self.output_size = alphabet + 1
        self.baseline = symbols * math.log(alphabet) / self.steps
        # solved: 0.1 nats per recalled symbol, about 90% probability on the right one
        self.solved_threshold = symbols * 0.1 / self.steps

    def sample(self, batch_size: int, generator: torch.Generator, split: Split = "train") -> Batch:
        """One-hot inputs (batch, T + 2S, A + 2) and target categories (batch, T + 2S)."""
        import torch
        import torch.nn.functional as F

        shown = torch.randint(1, self.alphabet + 1, (batch_size, self.symbols), generator=generator)
        inputs = torch.full((batch_size, self.steps), BLANK, dtype=torch.long)
        inputs[:, : self.symbols] = shown
        inputs[:, self.length + self.symbols - 1] = self.alphabet + 1
        target = torch.full((batch_size, self.steps), BLANK, dtype=torch.long)
        target[:, -self.symbols :] = shown
        return {"x": F.one_hot(inputs, self.input_size).float(), "y": target}

    def naive_predictors(self, validation: Sequence[Batch]) -> dict[str, Predictor]:
        """``memoryless``: each position's target frequencies on the validation set (blanks
        where blanks are due, the symbols' frequencies at the recall steps)."""
        return {
            "memoryless": class_frequency_predictor(validation, self.output_size, per_position=True)
        }

    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Cross-entropy per step (nats), averaged over every step, as Arjovsky et al."""
        import torch.nn.functional as F

        return F.cross_entropy(prediction.flatten(0, 1), batch["y"].flatten())

    def _recall_hits(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Whether each recalled symbol is right: (batch, S)."""
        recall = slice(-self.symbols, None)
        return (prediction[:, recall].argmax(-1) == batch["y"][:, recall]).float()

    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``cross_entropy`` per step and ``accuracy`` on the recalled symbols (chance 1/A)."""
        return {
            "cross_entropy": self.loss(prediction, batch),
            "accuracy": self._recall_hits(prediction, batch).mean(),
        }

    def profile(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``accuracy_by_recalled_position``: (S,), the k-th recalled symbol's accuracy."""
        return {"accuracy_by_recalled_position": self._recall_hits(prediction, batch).mean(0)}
