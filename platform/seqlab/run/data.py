"""Training and validation data drawn from a task's generator.

Training batches come from a generator seeded by the run's seed; the validation set is fixed
by its own seed, the same for every run of a task, so runs compare on identical data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch.utils.data import DataLoader

    from seqlab.api.task import Batch, Task

VALIDATION_SEED = 2**40 + 7
"""Seeds the validation set; beyond the range of run seeds, so the two never coincide."""

VALIDATION_BATCH_SIZE = 256


def training_loader(task: Task, batch_size: int, seed: int) -> DataLoader:
    """An endless loader of whole batches generated from ``seed``."""
    import torch
    from torch.utils.data import DataLoader, IterableDataset

    class TrainingBatches(IterableDataset):
        def __iter__(self) -> Iterator[Batch]:
            generator = torch.Generator().manual_seed(seed)
            while True:
                yield task.sample(batch_size, generator, split="train")

    return DataLoader(TrainingBatches(), batch_size=None)


def validation_loader(task: Task, size: int) -> DataLoader:
    """The task's fixed validation set of ``size`` sequences, in batches of at most 256."""
    import torch
    from torch.utils.data import DataLoader

    generator = torch.Generator().manual_seed(VALIDATION_SEED)
    sizes = [VALIDATION_BATCH_SIZE] * (size // VALIDATION_BATCH_SIZE)
    if size % VALIDATION_BATCH_SIZE:
        sizes.append(size % VALIDATION_BATCH_SIZE)
    batches = [task.sample(n, generator, split="validation") for n in sizes]
    return DataLoader(batches, batch_size=None)
