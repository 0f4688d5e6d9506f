"""Values a run measured but could not write because the store stopped answering.

A run whose tracking server (or store) is unreachable when it ends keeps what it measured in a
local JSON file instead of losing it; the next seqlab command that opens that store writes the
values into the run and closes it FAILED with the reason. ``docs/metrics.md`` documents it.

The folder is ``$SEQLAB_UNSENT_DIR``, else ``$XDG_CACHE_HOME/seqlab/unsent`` (``~/.cache``),
with one sub-folder per store (:func:`store_folder`): every seqlab command that opens a store
looks for its files, and reading every file of every store (some long gone) to find out whose
it is cost each command seconds once a few large files had piled up.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.store.status import RunStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlflow import MlflowClient

    from seqlab.store.operations import Value


def unsent_dir() -> Path:
    """Where unsent run files are kept (``$SEQLAB_UNSENT_DIR`` or the user's cache folder)."""
    explicit = os.environ.get("SEQLAB_UNSENT_DIR")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "seqlab" / "unsent"


def store_folder(tracking_uri: str) -> Path:
    """The folder holding the unsent files of the store ``tracking_uri``: named by a hash of
    the URI (a URI is no file name), beside a ``store.txt`` that says which store it is."""
    key = hashlib.sha256(tracking_uri.encode()).hexdigest()[:16]
    return unsent_dir() / key


def _files_of(tracking_uri: str) -> list[Path]:
    """The unsent files of ``tracking_uri``, oldest name first. Files an earlier seqlab kept
    in the top folder, whatever their store, are first moved into their store's folder."""
    top = unsent_dir()
    for path in sorted(top.glob("*.json")) if top.is_dir() else []:
        try:
            owner = json.loads(path.read_text())["tracking_uri"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        _prepared_folder(owner)
        path.replace(store_folder(owner) / path.name)
    folder = store_folder(tracking_uri)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _prepared_folder(tracking_uri: str) -> Path:
    """:func:`store_folder`, created with its ``store.txt`` if missing."""
    folder = store_folder(tracking_uri)
    folder.mkdir(parents=True, exist_ok=True)
    label = folder / "store.txt"
    if not label.exists():
        label.write_text(tracking_uri + "\n")
    return folder


def save_unsent(
    tracking_uri: str,
    run_id: str,
    metrics: Sequence[Value],
    artifacts: dict[str, Any],
    status: str,
    reason: str,
) -> Path:
    """Write what a run could not send to a file of its own, atomically.

    :param tracking_uri: the store the run belongs to.
    :param run_id: the run.
    :param metrics: the values not yet written (key, value, timestamp, step).
    :param artifacts: JSON artifacts not yet written, by artifact path.
    :param status: how the run ended (``FINISHED``, ``FAILED``, ``KILLED``).
    :param reason: why it could not be written (and how it ended).
    :returns: the file's path.
    """
    path = _prepared_folder(tracking_uri) / f"{run_id}.json"
    content = {
        "tracking_uri": tracking_uri,
        "run_id": run_id,
        "status": status,
        "reason": reason,
        "saved_at": time.time(),
        "metrics": [list(value) for value in metrics],
        "artifacts": artifacts,
    }
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(content))
    partial.replace(path)
    return path


def pending_unsent(tracking_uri: str) -> dict[str, Path]:
    """The runs of ``tracking_uri`` whose unsent values wait in a file, with that file.

    Such a run's process ended on purpose, its values kept: it is closed by
    :func:`recover_unsent` once the store takes writes again, never as killed outright.
    """
    return {path.stem: path for path in _files_of(tracking_uri)}  # a file is named by its run


def disk_full(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says the disk is full: ``ENOSPC``, or SQLite's
    ``database or disk is full``."""
    import errno

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if "disk is full" in str(seen) or "No space left on device" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def full_or(error: BaseException, otherwise: str, holding: str = "the store") -> str:
    """What a store's failure means, in words: ``the disk holding {holding} is full`` when
    :func:`disk_full` says so, else ``otherwise``."""
    return f"the disk holding {holding} is full" if disk_full(error) else otherwise


def recover_unsent(client: MlflowClient, tracking_uri: str) -> list[str]:
    """Write the unsent values of runs of ``tracking_uri`` and close those runs FAILED.

    Runs of other stores are left for a command against theirs; a file is removed only after
    everything in it was written. Called whenever a seqlab command opens a store.

    :returns: the ids of the runs recovered.
    """
    files = _files_of(tracking_uri)
    if not files:
        return []
    from seqlab.store.operations import end_run

    recovered = []
    for path in files:
        try:
            content = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if content.get("tracking_uri") != tracking_uri:  # another store whose URI hashes alike
            continue
        run_id = content["run_id"]
        try:
            reason = (
                f"the store did not take its last writes when the run ended {content['status']} "
                f"({content['reason']}); its values were kept in {path} and written back later"
            )
            end_run(
                client, run_id, RunStatus.FAILED, reason,
                values=[tuple(value) for value in content["metrics"]],
                artifacts={name: json.dumps(value) for name, value in content["artifacts"].items()},
            )
        except Exception:  # still unreachable: try again at the next command
            continue
        path.unlink()
        recovered.append(run_id)
    return recovered
