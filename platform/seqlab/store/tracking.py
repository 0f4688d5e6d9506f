"""The MLflow store: where runs go, and how a run is opened and closed.

By default an embedded store under ``./mlruns`` (an SQLite database and an artifact folder),
no server needed; ``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_NAME`` point elsewhere, a
remote ``mlflow server`` included.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.store import record
from seqlab.store.status import RunStatus

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from seqlab.spec import RunSpec

DEFAULT_STORE_DIR = Path("mlruns")
DEFAULT_EXPERIMENT = "seqlab"


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the SQLite database ``./mlruns/mlflow.db``."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    DEFAULT_STORE_DIR.mkdir(exist_ok=True)
    return f"sqlite:///{(DEFAULT_STORE_DIR / 'mlflow.db').resolve()}"


def experiment_name(explicit: str | None = None, default: str = DEFAULT_EXPERIMENT) -> str:
    """The experiment to record in: the explicit one, ``MLFLOW_EXPERIMENT_NAME``, or ``default``."""
    return explicit or os.environ.get("MLFLOW_EXPERIMENT_NAME") or default


def open_client() -> MlflowClient:
    """An MLflow client on :func:`tracking_uri`."""
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri())


def ensure_experiment(client: MlflowClient, name: str) -> str:
    """The id of experiment ``name``, created if missing (safe when another process races)."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if "MLFLOW_TRACKING_URI" not in os.environ:
        location = (DEFAULT_STORE_DIR / "artifacts").resolve().as_uri()
    try:
        return client.create_experiment(name, artifact_location=location)
    except MlflowException:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def git_commit() -> str | None:
    """The commit checked out in the current folder, if it is a git work tree."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def start_run(
    client: MlflowClient, experiment_id: str, spec: RunSpec, tags: dict[str, str]
) -> str:
    """Create the MLflow run of ``spec``: params, tags and the spec artifact in few calls.

    :returns: the new run's id.
    """
    from mlflow.entities import Param

    run_name = f"{spec.model.name}-{spec.task.name}-{spec.strategy.name}-s{spec.seed}"
    all_tags = {record.TAG_RUN_NAME: run_name, record.TAG_SPEC_HASH: spec.spec_hash(), **tags}
    commit = git_commit()
    if commit:
        all_tags[record.TAG_GIT_COMMIT] = commit
    run = client.create_run(experiment_id, tags=all_tags, run_name=run_name)
    run_id = run.info.run_id
    params = [Param(key, _param_value(value)) for key, value in spec.flat().items()]
    for start in range(0, len(params), 100):
        client.log_batch(run_id, params=params[start : start + 100])
    client.log_text(run_id, spec.to_yaml(), record.SPEC_ARTIFACT)
    return run_id


def _param_value(value: Any) -> str:
    """MLflow stores params as strings; ``None`` becomes ``null`` as in YAML."""
    return "null" if value is None else str(value)


def end_run(
    client: MlflowClient, run_id: str, status: RunStatus, reason: str | None = None
) -> None:
    """Close a run as FINISHED, FAILED or KILLED, with the reason in a tag."""
    if reason:
        client.set_tag(run_id, record.TAG_END_REASON, reason[:5000])
    client.set_terminated(run_id, status=status)


def process_identity(pid: int | None = None) -> str | None:
    """``host:pid:start`` of a process (default: this one), or ``None`` if it does not exist
    (or has ended and is a zombie).

    ``start`` is the process's start time in clock ticks since boot (Linux ``/proc``), so a
    pid reused by a later process has another identity; elsewhere it is ``?``.
    """
    pid = os.getpid() if pid is None else pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        state, start = fields[0], fields[19]  # fields 3 and 22 of proc(5)
        if state in ("Z", "X"):  # a zombie has ended; only its exit status is left
            return None
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except OSError:
            pass  # exists, owned by someone else
        start = "?"
    return f"{socket.gethostname()}:{pid}:{start}"


def close_orphaned_runs(client: MlflowClient, experiment_id: str) -> list[str]:
    """End as KILLED the RUNNING runs whose training process on this host no longer exists.

    A process killed outright (SIGKILL, the out-of-memory killer) cannot close its run; a
    sweep calls this before it resumes. Runs trained on other hosts, and runs without a
    :data:`seqlab.store.record.TAG_PROCESS` tag, are left alone.

    :returns: the ids of the runs it closed.
    """
    host = socket.gethostname()
    closed = []
    for run in client.search_runs([experiment_id], filter_string=f"attributes.status = '{RunStatus.RUNNING}'"):
        identity = run.data.tags.get(record.TAG_PROCESS, "")
        parts = identity.rsplit(":", 2)
        if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
            continue
        if process_identity(int(parts[1])) == identity:
            continue
        end_run(
            client, run.info.run_id, RunStatus.KILLED,
            f"its process (pid {parts[1]} on {host}) ended without closing the run "
            "(killed outright, e.g. SIGKILL or out of memory)",
        )
        closed.append(run.info.run_id)
    return closed


def prepare_for_concurrent_runs(experiment: str) -> str:
    """Make the store ready for many processes writing at once; returns the experiment's id.

    The schema and the experiment are created here, once, so that parallel workers never race
    to migrate a fresh database. An SQLite store is switched to write-ahead logging (readers
    no longer block the writer; the mode persists in the file), and MLflow's sessions already
    wait up to 20 s for a lock (``PRAGMA busy_timeout``) instead of failing "database is locked".
    """
    import sqlite3

    from sqlalchemy.engine import make_url

    uri = tracking_uri()
    client = open_client()
    experiment_id = ensure_experiment(client, experiment)
    if uri.startswith("sqlite:"):
        database = make_url(uri).database
        if database and database != ":memory:":
            connection = sqlite3.connect(database, timeout=30)
            try:
                connection.execute("PRAGMA journal_mode=WAL")
            finally:
                connection.close()
    return experiment_id


def finished_spec_hashes(experiment_id: str) -> set[str]:
    """The spec hashes of the FINISHED runs of an experiment (what a resumed sweep skips)."""
    client = open_client()
    hashes: set[str] = set()
    page_token = None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string=f"attributes.status = '{RunStatus.FINISHED}'",
            max_results=1000,
            page_token=page_token,
        )
        hashes.update(
            run.data.tags[record.TAG_SPEC_HASH]
            for run in page
            if record.TAG_SPEC_HASH in run.data.tags
        )
        page_token = page.token
        if not page_token:
            return hashes
