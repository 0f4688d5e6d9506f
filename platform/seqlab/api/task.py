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

Batch = dict[str, "torch.Tensor"]
"""A batch: ``x`` (batch, time, input_size) float inputs, ``y`` targets, optionally ``lengths``
(batch,) for variable-length sequences padded at the end."""


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
    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        """Generate one batch, drawing all randomness from ``generator``."""

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


def select_rows(batch: Batch, rows: torch.Tensor) -> Batch:
    """The sequences ``rows`` (an index tensor) of ``batch``: every entry is cut along dim 0."""
    return {key: value[rows] for key, value in batch.items()}


def is_validation(generator: torch.Generator) -> bool:
    """Whether ``generator`` is the validation set's (seeded with ``VALIDATION_SEED``).

    Tasks drawing from a finite pool (a fixed trajectory, a bundled data set) use it to keep
    a held-out part of the pool for validation.
    """
    from seqlab.run.data import VALIDATION_SEED

    return generator.initial_seed() == VALIDATION_SEED
