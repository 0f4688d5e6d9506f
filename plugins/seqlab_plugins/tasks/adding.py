"""The ``adding`` task: the adding problem of Hochreiter & Schmidhuber (1997).

Each step carries a random number in [0, 1) and a marker; exactly two steps are marked, one in
the first half and one in the second, and the target is the sum of their numbers. Predicting
the mean, 1, gives a mean squared error of 1/6 (about 0.167) in expectation: the chance
baseline. The normalized score counts from the best constant on the fixed validation set
(its mean target), whose error is that set's variance.

With ``task.min_length`` set, each sequence has its own length drawn uniformly between
``min_length`` and ``length`` (padded with zeros at the end, ``lengths`` in the batch), and its
marks lie in the halves of its own length: a variable-length task.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from seqlab import Params, hookimpl
from seqlab.api.baselines import Predictor, constant_predictor, mean_target
from seqlab.api.task import Batch, Split, Task

if TYPE_CHECKING:
    import torch

    from seqlab.api.register import RegisterTask

CHANCE_MSE = 1 / 6
"""MSE of always predicting 1: the variance of a sum of two uniforms on [0, 1)."""


class AddingParams(Params):
    """Parameters of the ``adding`` task."""

    length: int = Field(
        100, ge=2, le=100_000, description="sequence length T (marks up to T apart)"
    )
    min_length: int | None = Field(
        None,
        ge=2,
        le=100_000,
        description="shortest sequence: lengths vary uniformly in [min_length, length] "
        "(null: all T)",
    )

    @model_validator(mode="after")
    def _min_length_at_most_length(self) -> AddingParams:
        if self.min_length is not None and self.min_length > self.length:
            raise ValueError(f"min_length={self.min_length} exceeds length={self.length}")
        return self


@hookimpl
def register_tasks(register: RegisterTask) -> None:
    """Register ``adding``."""
    register("adding", build_adding, AddingParams, causal=False)


def build_adding(params: AddingParams) -> Task:
    """Adding problem: sum the two marked numbers of a long sequence (MSE; chance 0.167)."""
    return AddingTask(params.length, params.min_length)


class AddingTask(Task):
    """The adding problem at sequence length ``length``."""

    input_size = 2
    output_size = 1
    readout = "last"
    metric = "mse"
    higher_is_better = False
    baseline = CHANCE_MSE
    solved_threshold = 0.01
    optimum = 0.0

    def __init__(self, length: int, min_length: int | None = None) -> None:
        self.length = length
        self.min_length = min_length

    def sample(self, batch_size: int, generator: torch.Generator, split: Split = "train") -> Batch:
        """Numbers, two marks (one per half) and the sum of the marked numbers; with
        ``min_length``, also ``lengths`` and zeros past each sequence's end."""
        import torch

        if self.min_length is None:
            half = self.length // 2
            values = torch.rand(batch_size, self.length, generator=generator)
            first = torch.randint(0, half, (batch_size,), generator=generator)
            second = torch.randint(half, self.length, (batch_size,), generator=generator)
        else:
            lengths = torch.randint(
                self.min_length, self.length + 1, (batch_size,), generator=generator
            )
            half = lengths // 2
            values = torch.rand(batch_size, self.length, generator=generator)
            values = values * (torch.arange(self.length) < lengths[:, None])
            first = (torch.rand(batch_size, generator=generator) * half).long()
            second = half + (torch.rand(batch_size, generator=generator) * (lengths - half)).long()
        marks = torch.zeros(batch_size, self.length)
        rows = torch.arange(batch_size)
        marks[rows, first] = 1.0
        marks[rows, second] = 1.0
        target = values[rows, first] + values[rows, second]
        batch = {"x": torch.stack([values, marks], dim=-1), "y": target.unsqueeze(-1)}
        if self.min_length is not None:
            batch["lengths"] = lengths
        return batch

    def naive_predictors(self, validation: Sequence[Batch]) -> dict[str, Predictor]:
        """``mean``: the validation set's mean target, the best constant predictor."""
        return {"mean": constant_predictor(mean_target(validation))}

    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Mean squared error."""
        import torch.nn.functional as F

        return F.mse_loss(prediction, batch["y"])

    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``mse``: the mean squared error."""
        return {"mse": self.loss(prediction, batch)}
