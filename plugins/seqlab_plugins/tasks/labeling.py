"""The ``labeling`` task: sequence labeling whose labels depend on context on both sides.

Every step carries a symbol (one of A) and a pointer, "back" or "ahead". Its label is the
symbol d steps back or d steps ahead, as the pointer says (a pointer always points inside the
sequence; where both are possible each is drawn with probability 1/2). A causal model cannot
know a symbol it has not yet seen, so on "ahead" steps it is at chance, 1/A: its accuracy is
capped near (1 + 1/A) / 2, while a bidirectional model can label every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from seqlab import Params, hookimpl
from seqlab.api.baselines import Predictor, class_frequency_predictor
from seqlab.api.task import Batch, Split, Task

if TYPE_CHECKING:
    import torch

    from seqlab.api.register import RegisterTask


class LabelingParams(Params):
    """Parameters of the ``labeling`` task."""

    length: int = Field(50, ge=2, le=100_000, description="sequence length T")
    distance: int = Field(5, ge=1, le=50_000, description="d: how far back or ahead a label looks")
    alphabet: int = Field(4, ge=2, le=256, description="A: distinct symbols (chance 1/A)")

    @model_validator(mode="after")
    def _every_step_can_point_somewhere(self) -> LabelingParams:
        if self.length < 2 * self.distance:
            raise ValueError(
                f"length={self.length} must be at least 2 * distance = {2 * self.distance}, "
                "so that every step has a symbol d steps back or ahead"
            )
        return self


@hookimpl
def register_tasks(register: RegisterTask) -> None:
    """Register ``labeling``."""
    register("labeling", build_labeling, LabelingParams, causal=False)


def build_labeling(params: LabelingParams) -> Task:
    """Sequence labeling: each label is the symbol d steps back or ahead (accuracy per step)."""
    return LabelingTask(params.length, params.distance, params.alphabet)


class LabelingTask(Task):
    """Label every step with the symbol ``distance`` steps back or ahead, as it points."""

    readout = "all"
    metric = "accuracy"
    higher_is_better = True
    optimum = 1.0
    solved_threshold = 0.99
    time_keys = ("x", "y", "ahead")

    def __init__(self, length: int, distance: int, alphabet: int = 4) -> None:
        self.length = length
        self.distance = distance
        self.alphabet = alphabet
        self.input_size = alphabet + 2
        self.output_size = alphabet
        self.baseline = 1.0 / alphabet

    def sample(self, batch_size: int, generator: torch.Generator, split: Split = "train") -> Batch:
        """Inputs: one-hot symbol and pointer (back, ahead); ``y`` the label per step;
        ``ahead`` 1.0 where the deciding context lies in the future."""
        import torch
        import torch.nn.functional as F

        steps, d = self.length, self.distance
        symbols = torch.randint(0, self.alphabet, (batch_size, steps), generator=generator)
        coin = torch.rand(batch_size, steps, generator=generator) < 0.5
        position = torch.arange(steps)
        can_look_back = position >= d
        can_look_ahead = position + d < steps
        ahead = torch.where(can_look_back & can_look_ahead, coin, can_look_ahead.expand_as(coin))
        source = torch.where(ahead, position + d, position - d)
        labels = symbols.gather(1, source)
        pointer = F.one_hot(ahead.long(), 2).float()
        x = torch.cat([F.one_hot(symbols, self.alphabet).float(), pointer], dim=-1)
        return {"x": x, "y": labels, "ahead": ahead.float()}

    def naive_predictors(self, validation: Sequence[Batch]) -> dict[str, Predictor]:
        """``majority``: the validation set's most frequent class, always (its frequencies as
        logits)."""
        return {"majority": class_frequency_predictor(validation, self.output_size)}

    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Cross-entropy per step, averaged over every step."""
        import torch.nn.functional as F

        return F.cross_entropy(prediction.flatten(0, 1), batch["y"].flatten())

    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``accuracy`` over all steps, ``accuracy_past`` on steps labeled from the past,
        ``accuracy_future`` on steps labeled from the future."""
        hits = (prediction.argmax(-1) == batch["y"]).float()
        ahead = batch["ahead"]
        return {
            "accuracy": hits.mean(),
            "accuracy_past": (hits * (1 - ahead)).sum() / (1 - ahead).sum(),
            "accuracy_future": (hits * ahead).sum() / ahead.sum(),
        }

    def profile(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``accuracy_by_position``: (T,), the accuracy at each step."""
        return {"accuracy_by_position": (prediction.argmax(-1) == batch["y"]).float().mean(0)}
