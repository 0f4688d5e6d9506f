"""The Task interface: what a task plugin's ``build(params)`` returns.

A task generates batches on the fly (deterministic for a given ``torch.Generator``), turns the
model's predictions into a loss, and scores them with its own metric. Its attributes tell the
platform how to read predictions out and how to compare scores across tasks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch

    from seqlab.api.baselines import Predictor

Split = Literal["train", "validation"]
"""Which part of its data a task samples from: a task drawing from a finite pool (a fixed
trajectory, a bundled data set) keeps the ``validation`` part out of ``train``; a task that
generates fresh sequences may ignore it."""

Batch = dict[str, "torch.Tensor"]
"""A batch: ``x`` (batch, time, input_size) float inputs, ``y`` targets, optionally ``lengths``
(batch,) for variable-length sequences padded at the end and ``mask`` (batch, time) marking the
positions that carry a target, for a task reading out at every position; any other entries the
task needs (docs/writing-plugins.md, "The Task contract")."""


class Task(ABC):
    """Base class of every task.

    Subclasses set, usually in ``__init__``:

    - ``input_size`` / ``output_size``: features per input step / outputs per prediction;
    - ``readout``: ``"last"`` for one prediction per sequence (from the last valid step) or
      ``"all"`` for one per position;
    - ``metric``: the name of the main validation metric (a key of :meth:`evaluate`);
    - ``higher_is_better``: its direction;
    - ``baseline``: the metric a model without memory or input reaches in theory (chance
      level); the normalized score counts from it only when the task names no
      :meth:`naive_predictors`;
    - ``solved_threshold``: the metric value from which the task counts as solved;
    - ``optimum``: the metric's best possible value (0 for an error, 1 for an accuracy), so
      that ``(baseline - metric) / (baseline - optimum)`` puts every task on one scale
      (``baseline`` there being the strongest naive baseline, see :mod:`seqlab.api.baselines`);
    - ``time_keys``: the batch entries with a time axis at dimension 1 (``x``, and ``y`` and
      per-position masks for ``readout="all"``), which :meth:`window` cuts.
    """

    input_size: int
    output_size: int
    readout: Literal["last", "all"] = "last"
    metric: str
    higher_is_better: bool
    baseline: float
    solved_threshold: float
    optimum: float
    time_keys: tuple[str, ...] = ("x",)

    @abstractmethod
    def sample(self, batch_size: int, generator: torch.Generator, split: Split = "train") -> Batch:
        """Generate one batch of ``split``, drawing all randomness from ``generator``."""

    @abstractmethod
    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """The scalar training loss of ``prediction`` (the readout head's output) on ``batch``."""

    @abstractmethod
    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """Batch-mean validation metrics by name; must include :attr:`metric`."""

    def profile(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """Optional: batch-mean metrics as 1-D tensors over a task-defined axis.

        For example ``{"accuracy_by_position": (T,)}`` or ``{"accuracy_by_distance": (D,)}``
        for tasks where the dependency distance or the position matters. The default is none.
        """
        return {}

    def naive_predictors(self, validation: Sequence[Batch]) -> dict[str, Predictor]:
        """Optional: the task's naive baselines by kind, each a predictor of the readout head's
        output that does without what the task tests (e.g. ``{"mean": ...}``, the best
        constant on the validation set; ``{"persistence": ...}``, repeating the last value).

        Each is scored on the fixed validation set like a model, once per run, and the
        normalized score counts from the strongest (:mod:`seqlab.api.baselines`). A predictor
        may be fitted on ``validation`` (a constant) or on generated training data (an
        n-gram), never on anything a model could not see. The default is none: the score then
        counts from :attr:`baseline`.

        :param validation: the batches of the run's fixed validation set.
        :returns: predictors by kind (a short name recorded as ``ltd/baseline_<kind>``).
        """
        return {}

    def has_targets(self, batch: Batch) -> bool:
        """Whether ``batch`` (or a window of it) holds any target to learn from.

        True unless the batch has a ``mask`` with no position set: truncated BPTT makes no
        update for such a window (its loss would be 0/0).
        """
        return "mask" not in batch or bool(batch["mask"].any())

    def window(self, batch: Batch, start: int, stop: int) -> Batch:
        """The part of ``batch`` between positions ``start`` and ``stop`` (for TBPTT chunks).

        Entries named in :attr:`time_keys` are cut along time, ``lengths`` become the valid
        steps inside the window (0 for a sequence that ended before it), the rest is kept.
        """
        part = dict(batch)
        for key in self.time_keys:
            part[key] = batch[key][:, start:stop]
        if "lengths" in batch:
            part["lengths"] = (batch["lengths"] - start).clamp(0, stop - start)
        return part


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of ``values`` over the positions ``mask`` sets, and 0 where it sets none.

    :param values: per-position values, e.g. a loss per (sequence, step).
    :param mask: of the same shape, 1 (or True) where a position counts.
    :returns: a scalar that is never 0/0, so a window without targets gives no NaN.
    """
    weights = mask.to(values.dtype)
    return (values * weights).sum() / weights.sum().clamp(min=1)


def select_rows(batch: Batch, rows: torch.Tensor) -> Batch:
    """The sequences ``rows`` (an index tensor) of ``batch``: every entry is cut along dim 0."""
    return {key: value[rows] for key, value in batch.items()}
