"""Before a run is built: will it fit in memory? A lower bound, so only what cannot fit is refused.

The bound counts what every strategy must hold at once: the model's weights with their
gradients and the two Adam moments (16 bytes a parameter, counted on PyTorch's ``meta`` device,
which allocates nothing), one training batch of inputs and the fixed validation set's inputs.
Activations kept for backpropagation come on top and depend on the strategy, so they are left
out: a run under the bound may still run out of memory, a run over it certainly does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import torch

    from seqlab.api.task import Task
    from seqlab.spec import RunSpec

BYTES_PER_PARAMETER = 16
"""float32 weight, gradient and Adam's two moments."""


@dataclass(frozen=True)
class MemoryEstimate:
    """The least memory a run needs, by part, in bytes."""

    parameters: int
    optimizer_state: int
    training_batch: int
    validation_set: int

    @property
    def total(self) -> int:
        """The lower bound in bytes."""
        return self.optimizer_state + self.training_batch + self.validation_set

    def describe(self) -> str:
        """The bound and its parts, for a one-line message."""
        return (
            f"at least {gib(self.total)} ({self.parameters:,} parameters with gradients and Adam "
            f"state {gib(self.optimizer_state)}, a training batch {gib(self.training_batch)}, "
            f"the validation set {gib(self.validation_set)})"
        )


def gib(size: float) -> str:
    """A byte count in GiB, to two decimals."""
    return f"{size / 2**30:.2f} GiB"


def estimate_memory(
    spec: RunSpec, task: Task, build_model: Callable[[], torch.nn.Module]
) -> MemoryEstimate:
    """The lower bound of a run's memory, without allocating the model.

    :param spec: the run.
    :param task: its built task (one sequence is sampled to learn the length).
    :param build_model: builds the run's model; called under the ``meta`` device.
    """
    import torch

    with torch.device("meta"):
        parameters = sum(p.numel() for p in build_model().parameters())
    sample = task.sample(1, torch.Generator().manual_seed(0))
    steps_by_features = sample["x"][0].numel()  # one sequence: time x input features
    per_sequence = steps_by_features * sample["x"].element_size()
    return MemoryEstimate(
        parameters=parameters,
        optimizer_state=parameters * BYTES_PER_PARAMETER,
        training_batch=per_sequence * spec.trainer.batch_size,
        validation_set=per_sequence * spec.trainer.val_size,
    )


def available_memory() -> int | None:
    """Memory the system can give this process now (Linux ``MemAvailable``), or ``None``."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def refusal(estimate: MemoryEstimate) -> str | None:
    """Why the run cannot fit in this machine's memory, or ``None`` when it may."""
    available = available_memory()
    if available is None or estimate.total <= available:
        return None
    return (
        f"this run needs {estimate.describe()}, more than the {gib(available)} this machine "
        "has available; make the model, batch, sequences or validation set smaller"
    )
