"""Helpers of the measurement tests: throwaway plugins and a tiny run.

The plugins: a linear recurrence whose gradients are known, a task it can be probed on, an
easily solved task with a profile, and a manually optimized strategy that clips its own
gradients; register them with ``registered_plugin(measure_plugins)`` from the conftest.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

from seqlab import Params, hookimpl
from seqlab.api.params import NoParams
from seqlab.registry.components import build_registry
from seqlab.run.runner import RunOutcome, train
from seqlab.spec import load_spec
from seqlab.api.strategy import RunParts, SequenceSystem
from seqlab.api.task import Batch, Task
from seqlab_plugins.tasks.adding import AddingTask


class LinearRecurrenceParams(Params):
    """``h_t = a h_{t-1} + sum(x_t)``, starting from h = 0."""

    a: float = Field(0.5, description="the recurrence's weight a")
    learn_a: bool = Field(False, description="train a as a parameter")


class LinearRecurrence(nn.Module):
    """A scalar linear recurrence: the gradient of h_T with respect to x_t is a^(T-t)."""

    output_size = 1

    def __init__(self, a: float, learn_a: bool) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor(a), requires_grad=learn_a)

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None,
                lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Unroll over time; outputs (batch, time, 1)."""
        h = torch.zeros(x.shape[0], device=x.device) if state is None else state
        outputs = []
        for t in range(x.shape[1]):
            h = self.a * h + x[:, t].sum(-1)
            outputs.append(h)
        return torch.stack(outputs, 1).unsqueeze(-1), h


def build_linear_recurrence(params: LinearRecurrenceParams, input_size: int) -> nn.Module:
    """A scalar linear recurrence with a known gradient decay a^(T-t)."""
    return LinearRecurrence(params.a, params.learn_a)


class MeanOutputParams(Params):
    """Parameters of ``mean_output``."""

    length: int = Field(10, ge=1, description="sequence length")


class MeanOutputTask(Task):
    """Inputs are Gaussian noise; the loss is the mean prediction (no target)."""

    input_size = 1
    output_size = 1
    readout = "last"
    metric = "mean"
    higher_is_better = False
    baseline = 0.0
    solved_threshold = -1e9
    optimum = -1.0

    def __init__(self, length: int) -> None:
        self.length = length

    def sample(self, batch_size: int, generator: torch.Generator, split: str = "train") -> Batch:
        """Noise inputs and dummy targets."""
        x = torch.randn(batch_size, self.length, 1, generator=generator)
        return {"x": x, "y": torch.zeros(batch_size, 1)}

    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """The mean prediction."""
        return prediction.mean()

    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``mean``: the mean prediction."""
        return {"mean": prediction.mean()}


def build_mean_output(params: MeanOutputParams) -> Task:
    """The mean prediction as loss: dloss/dx_t follows the model's recurrence alone."""
    return MeanOutputTask(params.length)


class EasyAddingTask(AddingTask):
    """The adding problem with a threshold any model reaches, and a profile over positions."""

    solved_threshold = 100.0

    def profile(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``mark_rate_by_position``: the share of sequences marked at each position."""
        return {"mark_rate_by_position": batch["x"][..., 1].mean(0)}


class EasyAddingParams(Params):
    """Parameters of ``easy_adding``."""

    length: int = Field(8, ge=2, description="sequence length")


def build_easy_adding(params: EasyAddingParams) -> Task:
    """Adding, solved at once, with a per-position profile."""
    return EasyAddingTask(params.length)


def build_manual_bptt(params: NoParams, parts: RunParts) -> SequenceSystem:
    """Full BPTT under manual optimization, clipping with ``clip_gradients`` as TBPTT does."""

    class ManualBPTT(SequenceSystem):
        def __init__(self, parts: RunParts) -> None:
            super().__init__(parts)
            self.automatic_optimization = False

        def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
            optimizer = self.optimizers()
            optimizer.zero_grad()
            loss = self.task.loss(self.predict(batch), batch)
            self.manual_backward(loss)
            if self.settings.grad_clip is not None:
                self.clip_gradients(optimizer, gradient_clip_val=self.settings.grad_clip,
                                    gradient_clip_algorithm="norm")
            optimizer.step()
            return loss.detach()

    return ManualBPTT(parts)


@hookimpl
def register_models(register) -> None:  # type: ignore[no-untyped-def]
    """Register ``linear_recurrence``."""
    register("linear_recurrence", build_linear_recurrence, LinearRecurrenceParams)


@hookimpl
def register_tasks(register) -> None:  # type: ignore[no-untyped-def]
    """Register ``mean_output`` and ``easy_adding``."""
    register("mean_output", build_mean_output, MeanOutputParams)
    register("easy_adding", build_easy_adding, EasyAddingParams)


@hookimpl
def register_strategies(register) -> None:  # type: ignore[no-untyped-def]
    """Register ``manual_bptt``."""
    register("manual_bptt", build_manual_bptt, NoParams)


def train_tiny(*overrides: str) -> RunOutcome:
    """Train the conftest's tiny run with ``overrides`` in this process, without progress bar.

    A component replaced by an override loses the tiny run's parameters for the old one.
    """
    from conftest import TINY_RUN

    replaced = {item.partition("=")[0] for item in overrides if "." not in item.partition("=")[0]}
    base = [item for item in TINY_RUN if item.partition("=")[0].partition(".")[0] not in replaced]
    registry = build_registry()
    return train(load_spec([*base, *overrides], None, registry), registry, progress=False)
