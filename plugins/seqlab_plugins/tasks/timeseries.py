"""The ``timeseries`` task: forecasting the chaotic Mackey-Glass series (Mackey & Glass 1977),
a classic benchmark since Lapedes & Farber (1987).

dx/dt = 0.2 x(t - 17) / (1 + x(t - 17)^10) - 0.1 x(t), integrated by Euler steps of 0.1 time
units from a constant history of 1.2, the first 1000 time units dropped, then sampled every
time unit and normalized to zero mean and unit variance. Sequences are windows of that fixed
trajectory: training windows from its first 80%, validation windows from the last 20%. At
every step the model predicts the value ``task.horizon`` steps ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, hookimpl
from seqlab.api.baselines import Predictor, constant_predictor, mean_target
from seqlab.api.task import Batch, Split, Task

if TYPE_CHECKING:
    import torch

    from seqlab.api.register import RegisterTask

DELAY, BETA, GAMMA, POWER = 17.0, 0.2, 0.1, 10
EULER_STEP = 0.1
SUBSTEPS = 10
"""Euler steps per sample: one sample per time unit."""
WASHOUT = 1000
SAMPLES = 20_000
TRAINING_FRACTION = 0.8


class TimeseriesParams(Params):
    """Parameters of the ``timeseries`` task."""

    length: int = Field(100, ge=1, le=3000, description="steps per sequence (time units)")
    horizon: int = Field(1, ge=1, le=500, description="predict this many steps ahead")


@hookimpl
def register_tasks(register: RegisterTask) -> None:
    """Register ``timeseries``."""
    register("timeseries", build_timeseries, TimeseriesParams, causal=True)


def build_timeseries(params: TimeseriesParams) -> Task:
    """Mackey-Glass forecasting, every step h ahead (normalized RMSE; chance 1)."""
    return MackeyGlassTask(params.length, params.horizon)


@lru_cache(maxsize=1)
def mackey_glass(samples: int = SAMPLES) -> tuple[float, ...]:
    """The Mackey-Glass trajectory (tau = 17) after the washout, one value per time unit."""
    lag = round(DELAY / EULER_STEP)
    history = [1.2] * (lag + 1)
    values = []
    for step in range((WASHOUT + samples) * SUBSTEPS):
        x, delayed = history[-1], history[-1 - lag]
        history.append(x + EULER_STEP * (BETA * delayed / (1 + delayed**POWER) - GAMMA * x))
        if len(history) > 2 * lag:
            del history[:lag]
        if step % SUBSTEPS == SUBSTEPS - 1 and step >= WASHOUT * SUBSTEPS:
            values.append(history[-1])
    return tuple(values)


class MackeyGlassTask(Task):
    """Windows of ``length`` steps; at each step, predict the value ``horizon`` steps later."""

    input_size = 1
    output_size = 1
    readout = "all"
    metric = "nrmse"
    higher_is_better = False
    baseline = 1.0
    """Predicting the series' mean gives RMSE = its standard deviation (the naive predictors,
    the validation part's mean and persistence, are scored instead)."""
    solved_threshold = 0.05
    optimum = 0.0
    time_keys = ("x", "y")

    def __init__(self, length: int, horizon: int) -> None:
        import torch

        self.length = length
        self.horizon = horizon
        series = torch.tensor(mackey_glass(), dtype=torch.float64)
        self.series = ((series - series.mean()) / series.std(correction=0)).float()
        """The trajectory normalized to zero mean and unit variance."""

    def sample(self, batch_size: int, generator: torch.Generator, split: Split = "train") -> Batch:
        """``x`` (batch, T, 1) series values, ``y`` (batch, T, 1) the values h steps later."""
        import torch

        boundary = int(len(self.series) * TRAINING_FRACTION)
        low, high = (boundary, len(self.series)) if split == "validation" else (0, boundary)
        span = self.length + self.horizon
        starts = torch.randint(low, high - span + 1, (batch_size,), generator=generator)
        index = starts[:, None] + torch.arange(span)
        windows = self.series[index].unsqueeze(-1)
        return {"x": windows[:, : self.length], "y": windows[:, self.horizon :]}

    def naive_predictors(self, validation: Sequence[Batch]) -> dict[str, Predictor]:
        """``mean``: the validation set's mean target; ``persistence``: the value seen last,
        repeated ``horizon`` steps ahead."""
        return {"mean": constant_predictor(mean_target(validation)), "persistence": persistence}

    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Mean squared error over every step."""
        import torch.nn.functional as F

        return F.mse_loss(prediction, batch["y"])

    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``nrmse``: root mean squared error over the series' standard deviation (1)."""
        return {"nrmse": self.loss(prediction, batch).sqrt()}


def persistence(batch: Batch) -> torch.Tensor:
    """Persistence: at each step, predict the value just seen (``x``) for the step ahead."""
    return batch["x"]
