"""Spec locks: a spec being trained belongs to one process, so two sweeps never train it twice.

A worker locks ``(experiment, spec hash)`` before it starts the run and holds the lock until
the run has ended; another sweep's worker that finds the lock held skips the run and says so.
Spec locks are lock files released by the kernel when their process ends (:mod:`seqlab.store.locks`),
so the orphaned workers of a killed launcher keep theirs while they train, and no lock
outlives its process. They protect sweeps on one machine; across machines, resuming skips what
has FINISHED.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from seqlab.store.locks import held
from seqlab.store.relay import relayable

if TYPE_CHECKING:
    from pathlib import Path

    from mlflow import MlflowClient

LOCKED = "SKIPPED"
"""Status of a run another process was training when this sweep reached it."""


@contextmanager
def lock_spec(folder: Path, experiment: str, spec_hash: str) -> Iterator[bool]:
    """Lock a spec of an experiment for the ``with`` block, without waiting.

    :param folder: the store's lock folder (:func:`seqlab.store.locks.lock_dir`).
    :returns: (as the ``with`` value) ``True`` when this process holds the lock, ``False``
        when another process is training that spec.
    """
    name = hashlib.sha256(f"{experiment}\0{spec_hash}".encode()).hexdigest()[:24]
    with held(folder / f"spec-{name}", wait=False) as mine:
        yield mine


@relayable()
def finished_meanwhile(client: MlflowClient, experiment_id: str, spec_hash: str) -> bool:
    """Whether a FINISHED run of the spec exists (another sweep ended it after this one planned).
    """
    from seqlab.store import record

    runs = client.search_runs(
        [experiment_id],
        filter_string=(
            f"tags.`{record.TAG_SPEC_HASH}` = '{spec_hash}' and attributes.status = 'FINISHED'"
        ),
        max_results=1,
    )
    return bool(runs)
