"""A rough estimate of how long a sweep takes on CPU, before running it (``seqlab suites``).

A documented cost model, not a measurement of this machine. A run costs a fixed start and end
(``RUN_OVERHEAD_S``: its process, the store, the final report), a fixed cost per validation
(``VALIDATION_S``: the probes) plus its validation batches, and per optimizer step a fixed
``STEP_S`` plus, per time step, its model's overhead and a FLOP term. The constants come from
short runs timed on the busy 2-core development machine (one-step and 200-step runs of a small
LSTM, whose CPU time differed by 0.2 s; a sweep of one-step runs, 6-8 s a run at a load of
about 5, so about 3 s quiet) and agree within 25% with the LSTM step times in
docs/benchmarks.md (about 10 ms per step at hidden 64, length 50, batch 32, and 75 ms at hidden
128, length 100, batch 64); they were not checked against a whole suite on a quiet machine.
Expect it within about a factor of two on a similar, quiet CPU; a busy machine is slower, a GPU
faster, and a plugin's model is costed as an LSTM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seqlab.sweep.suite import SweepPlan

RUN_OVERHEAD_S = 3.0
"""Seconds every run costs besides its steps: its process, model build, store, final report."""

STEP_S = 1.0e-3
"""Seconds every optimizer step costs whatever its length (the training loop's bookkeeping)."""

VALIDATION_S = 0.4
"""Seconds every validation costs besides its batches (gradient-flow and state probes)."""

FLOP_S = 1.5e-10
"""Seconds per unit of ``batch x hidden^2 x gate blocks`` at one time step (forward+backward)."""

VALIDATION_SHARE = 1 / 3
"""A validation batch costs this share of a training batch (forward only)."""

DEFAULT_LENGTH = 64
"""Time steps assumed for a task without a ``length`` setting (digits: 8 rows or 64 pixels)."""


@dataclass(frozen=True)
class ModelCost:
    """How a model family's step cost grows.

    :param per_time_step_s: fixed seconds per time step (kernel calls, autograd bookkeeping).
    :param gate_blocks: weight blocks per layer (rnn 1, gru 3, lstm 4).
    """

    per_time_step_s: float
    gate_blocks: int


MODEL_COSTS: dict[str, ModelCost] = {
    "rnn": ModelCost(5.0e-5, 1),
    "gru": ModelCost(1.3e-4, 3),
    "lstm": ModelCost(5.0e-5, 4),
    "window": ModelCost(1.0e-5, 1),
    "tcn": ModelCost(3.3e-5, 3),
}
"""Built-in models; any other model is costed as ``lstm``. The LSTM's level is the step times
in docs/benchmarks.md; the others' overheads are refitted to recorded runs
(``benchmarks/cost_model.py`` over the cost and tbptt evidence sweeps, 2 December 2026) so that
their measured/estimated step-time ratios match the LSTM's: torch's CPU GRU step costs about
1.5x its LSTM step at h = 64, the tcn's about 2.4x what its size alone predicts."""

UNFUSED_FACTOR = 5.0
"""An unfused (step-by-step) LSTM cell pays this many times the fused per-time-step overhead."""


def _unfused(settings: dict[str, Any]) -> bool:
    """Whether an LSTM setting needs the step-by-step cell (a variant, peepholes, cell=unfused)."""
    return (
        settings.get("model.cell") == "unfused"
        or settings.get("model.variant", "full") != "full"
        or bool(settings.get("model.peepholes"))
    )


def run_seconds(settings: dict[str, Any]) -> float:
    """Estimated seconds one run takes, from its resolved settings under dotted keys.

    :param settings: ``RunSpec.flat()``: ``model``, ``model.hidden_size``, ``task.length``,
        ``strategy``, ``strategy.k2``, ``trainer.*``...
    """
    cost = MODEL_COSTS.get(settings["model"], MODEL_COSTS["lstm"])
    per_time_step = cost.per_time_step_s * (UNFUSED_FACTOR if _unfused(settings) else 1.0)
    hidden = int(settings.get("model.hidden_size") or 64)
    layers = int(settings.get("model.num_layers") or 1)
    batch = int(settings["trainer.batch_size"])
    length = int(settings.get("task.length") or DEFAULT_LENGTH)
    directions = 2 if settings["strategy"] == "bidirectional" else 1
    window = settings.get("strategy.k2") or settings.get("strategy.k1") or length
    step_cost = directions * layers * (per_time_step + FLOP_S * batch * hidden**2 * cost.gate_blocks)
    steps = int(settings["trainer.max_steps"])
    validations = steps // int(settings["trainer.val_every"]) + 1
    if settings.get("trainer.budget") == "sequences" and settings["strategy"] == "tbptt":
        steps *= math.ceil(length / int(settings.get("strategy.k1") or length))  # updates per batch
    val_batches = validations * math.ceil(int(settings["trainer.val_size"]) / batch)
    return (
        RUN_OVERHEAD_S
        + steps * (STEP_S + min(int(window), length) * step_cost)
        + validations * VALIDATION_S
        + val_batches * length * step_cost * VALIDATION_SHARE
    )


def sweep_seconds(plan: SweepPlan, workers: int) -> float:
    """Estimated wall seconds of a plan's runnable runs, ``workers`` at a time."""
    total = sum(run_seconds(run.spec.flat()) for run in plan.runnable if run.spec is not None)
    return total / max(1, workers)


def format_duration(seconds: float) -> str:
    """A duration for people, rounded: ``40 s``, ``3 min``, ``2.5 h``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
