"""The Task interface: what a task plugin's ``build(params)`` returns.

A task generates batches on the fly (deterministic for a given ``torch.Generator``), turns the
model's predictions into a loss, and scores them with its own metric. Its attributes tell the
platform how to read predictions out and how to compare scores across tasks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch

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
    - ``baseline``: the metric a model without memory or input reaches (chance level);
    - ``solved_threshold``: the metric value from which the task counts as solved;
    - ``optimum``: the metric's best possible value (0 for an error, 1 for an accuracy), so
      that ``(baseline - metric) / (baseline - optimum)`` puts every task on one scale.
    """

    input_size: int
    output_size: int
    readout: Literal["last", "all"] = "last"
    metric: str
    higher_is_better: bool
    baseline: float
    solved_threshold: float
    optimum: float

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
