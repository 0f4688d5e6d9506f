"""The ``digits`` task: classify scikit-learn's bundled 8x8 handwritten digits (the UCI
optical digits test set; Alpaydin & Kaynak 1998) read as a sequence, a row or a pixel per
step: sequential MNIST (Le et al. 2015) in miniature, real data with no download.

The 1797 images are split once (fixed permutation): 1437 for training, 360 held out for
validation. Pixels are scaled to [0, 1].
"""

from __future__ import annotations

from functools import lru_cache
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from seqlab import Params, hookimpl
from seqlab.api.baselines import Predictor, class_frequency_predictor
from seqlab.api.task import Batch, Split, Task

if TYPE_CHECKING:
    import torch

    from seqlab.api.register import RegisterTask

HELD_OUT = 360
SPLIT_SEED = 0


class DigitsParams(Params):
    """Parameters of the ``digits`` task."""

    read: Literal["rows", "pixels"] = Field(
        "rows", description="rows: 8 steps of 8 pixels; pixels: 64 steps of 1 pixel"
    )


@hookimpl
def register_tasks(register: RegisterTask) -> None:
    """Register ``digits``."""
    register("digits", build_digits, DigitsParams, causal=False)


def build_digits(params: DigitsParams) -> Task:
    """Sequential 8x8 digits (scikit-learn's bundled set), by rows or pixels (accuracy)."""
    return DigitsTask(params.read)


@lru_cache(maxsize=1)
def digit_split() -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Images (n, 8, 8) in [0, 1] and labels (n,), as ``{"train": ..., "validation": ...}``."""
    import torch
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32) / 16.0
    labels = torch.tensor(digits.target, dtype=torch.long)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(SPLIT_SEED))
    train, held_out = order[:-HELD_OUT], order[-HELD_OUT:]
    return {
        "train": (images[train], labels[train]),
        "validation": (images[held_out], labels[held_out]),
    }


class DigitsTask(Task):
    """Classify an 8x8 digit read ``read`` (by rows or by pixels)."""

    output_size = 10
    readout = "last"
    metric = "accuracy"
    higher_is_better = True
    baseline = 0.1
    solved_threshold = 0.95
    optimum = 1.0

    def __init__(self, read: str) -> None:
        self.read = read
        self.length = 8 if read == "rows" else 64
        self.input_size = 8 if read == "rows" else 1

    def sample(self, batch_size: int, generator: torch.Generator, split: Split = "train") -> Batch:
        """Images drawn with replacement from the training (or held-out) part."""
        import torch

        images, labels = digit_split()[split]
        chosen = torch.randint(0, len(labels), (batch_size,), generator=generator)
        x = images[chosen].reshape(batch_size, self.length, self.input_size)
        return {"x": x, "y": labels[chosen]}

    def naive_predictors(self, validation: Sequence[Batch]) -> dict[str, Predictor]:
        """``majority``: the validation set's most frequent class, always (its frequencies as
        logits)."""
        return {"majority": class_frequency_predictor(validation, self.output_size)}

    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Cross-entropy of the class."""
        import torch.nn.functional as F

        return F.cross_entropy(prediction, batch["y"])

    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``accuracy``: the share of digits classified right (chance 0.1)."""
        return {"accuracy": (prediction.argmax(-1) == batch["y"]).float().mean()}
