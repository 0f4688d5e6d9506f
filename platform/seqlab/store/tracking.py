"""The MLflow store: where runs go, and how a run is opened and closed.

By default an embedded store under ``./mlruns`` (an SQLite database and an artifact folder),
no server needed; ``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_NAME`` point elsewhere, a
remote ``mlflow server`` included.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.store import record
from seqlab.store.operations import create_run, end_run
from seqlab.store.status import RunStatus

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mlflow import MlflowClient

    from seqlab.spec import RunSpec

DEFAULT_STORE_DIR = Path("mlruns")
DEFAULT_EXPERIMENT = "seqlab"


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the SQLite database ``./mlruns/mlflow.db``."""
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    return f"sqlite:///{(DEFAULT_STORE_DIR / 'mlflow.db').resolve()}"


def experiment_name(explicit: str | None = None, default: str = DEFAULT_EXPERIMENT) -> str:
    """The experiment to record in: the explicit one, ``MLFLOW_EXPERIMENT_NAME``, or ``default``."""
    return explicit or os.environ.get("MLFLOW_EXPERIMENT_NAME") or default


STORE_TIMEOUT_VARIABLE = "SEQLAB_STORE_TIMEOUT"
DEFAULT_STORE_TIMEOUT = 60
"""Seconds a call to a tracking server is retried before seqlab gives up on it."""


def bound_store_retries() -> int:
    """Bound MLflow's HTTP retries to about ``$SEQLAB_STORE_TIMEOUT`` seconds (default 60).

    MLflow retries a failing request for about 4 minutes by default, and pays that again for
    every call. MLflow's own ``MLFLOW_HTTP_REQUEST_*`` variables, when set, still win.

    :returns: the bound in seconds.
    """
    try:
        bound = max(6, int(os.environ.get(STORE_TIMEOUT_VARIABLE, DEFAULT_STORE_TIMEOUT)))
    except ValueError:
        bound = DEFAULT_STORE_TIMEOUT
    retries = 3  # urllib3 sleeps 0, 2b, 4b between attempts: 6b in all
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(retries))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", str(max(1, bound // 12)))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0.5")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(max(1, bound // (2 * (retries + 1)))))
    return bound


def open_client() -> MlflowClient:
    """The store of this process: in a local sweep's worker, the launcher's client
    (:mod:`seqlab.store.relay`), else :func:`open_store`."""
    from typing import cast

    from seqlab.store.relay import relayed_client

    relayed = relayed_client()
    return cast("MlflowClient", relayed) if relayed is not None else open_store()


def open_store() -> MlflowClient:
    """An MLflow client on :func:`tracking_uri`, with bounded retries, opened in this process.

    Runs of this store that ended while it did not answer get their kept values written and
    are closed here (:func:`seqlab.store.unsent.recover_unsent`).
    """
    from mlflow import MlflowClient

    from seqlab.store.unsent import recover_unsent

    bound_store_retries()
    _drop_reports_of_reraised_errors()
    uri = tracking_uri()
    if uri.startswith("sqlite:"):
        client = _open_sqlite_store(uri)
    else:
        client = MlflowClient(tracking_uri=uri)
    recover_unsent(client, uri)
    return client


def _reraised_error_report(log_record: logging.LogRecord) -> bool:
    """Whether a log record is not MLflow's traceback of a database error it raises again."""
    return not str(log_record.msg).startswith("SQLAlchemy database error. The following exception is caught")


def _drop_reports_of_reraised_errors() -> None:
    """Keep MLflow from printing a traceback for each database error it raises again (a full
    disk gave one per write): seqlab says what failed, once, in one line."""
    database_log = logging.getLogger("mlflow.store.db.utils")
    if _reraised_error_report not in database_log.filters:
        database_log.addFilter(_reraised_error_report)


class StoreError(RuntimeError):
    """A store seqlab cannot write to; the message is one line."""


def _open_sqlite_store(uri: str) -> MlflowClient:
    """A client on an SQLite store, created (schema and migrations) by one process at a time,
    in write-ahead-log mode with commits that do not wait for the disk
    (:mod:`seqlab.store.sqlite`).

    :raises StoreError: at once, when the database or its folder cannot be written, or the
        database cannot be created or opened (a full disk, a file that is not a database).
    """
    from mlflow import MlflowClient

    from seqlab.store.locks import held, lock_dir
    from seqlab.store.sqlite import close_connections_at_exit, database_file, use_write_ahead_log

    path = database_file(uri)
    if path is not None:
        folder = path.parent
        if not folder.exists() and folder == DEFAULT_STORE_DIR.resolve():
            try:
                folder.mkdir()
            except OSError as exc:
                raise StoreError(f"cannot create the store folder {folder}: {exc.strerror}") from None
        writable = os.access(path, os.W_OK) if path.exists() else os.access(folder, os.W_OK)
        if not folder.is_dir() or not writable or not os.access(folder, os.W_OK):
            raise StoreError(
                f"the store {uri} cannot be written: {folder} is not a writable folder "
                "(set MLFLOW_TRACKING_URI to a store you can write)"
            )
    with held(lock_dir(uri) / "create-store", wait=True):
        if path is not None:
            use_write_ahead_log(str(path))
        try:
            client = MlflowClient(tracking_uri=uri)  # creates or migrates the schema
        except Exception as exc:
            from seqlab.messages import clipped
            from seqlab.store.unsent import full_or

            problem = full_or(exc, "it cannot be opened", holding="it")
            raise StoreError(
                f"the store {uri} cannot be used: {problem} ({clipped(f'{type(exc).__name__}: {exc}', 200)})"
            ) from None
    close_connections_at_exit(client)
    return client


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
    client: MlflowClient, experiment_id: str, spec: RunSpec, tags: dict[str, str],
    artifacts: Mapping[str, str] | None = None,
) -> str:
    """Create the MLflow run of ``spec``: its name, params, tags and spec artifact
    (:func:`seqlab.store.operations.create_run`).

    :param tags: the run's tags; the commit checked out here (:func:`git_commit`) is added
        unless they name one (``""``: none).
    :param artifacts: more text artifacts, by file name (a sweep's suite).
    :returns: the new run's id.
    :raises seqlab.store.operations.RunStartError: when the run was created but its params or
        artifacts could not be written (what creating it raised, when it was not, is raised as
        it is).
    """
    run_name = f"{spec.model.name}-{spec.task.name}-{spec.strategy.name}-s{spec.seed}"
    all_tags = {record.TAG_RUN_NAME: run_name, record.TAG_SPEC_HASH: spec.spec_hash(), **tags}
    commit = all_tags.pop(record.TAG_GIT_COMMIT, None)
    commit = git_commit() if commit is None else commit
    if commit:
        all_tags[record.TAG_GIT_COMMIT] = commit
    params = {key: _param_value(value) for key, value in spec.flat().items()}
    texts = {record.SPEC_ARTIFACT: spec.to_yaml(), **(artifacts or {})}
    return create_run(client, experiment_id, run_name, all_tags, params, texts)


def _param_value(value: Any) -> str:
    """MLflow stores params as strings; ``None`` becomes ``null`` as in YAML."""
    return "null" if value is None else str(value)


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
    sweep calls this before it resumes. Runs trained on other hosts, runs without a
    :data:`seqlab.store.record.TAG_PROCESS` tag, and runs whose values wait in an unsent file
    (their store stopped taking writes, a full disk included: :mod:`seqlab.store.unsent`
    closes them) are left alone.

    :returns: the ids of the runs it closed.
    """
    from seqlab.store.unsent import pending_unsent

    host = socket.gethostname()
    closed = []
    waiting = pending_unsent(tracking_uri())  # ended on purpose: closed when their values are written
    for run in client.search_runs([experiment_id], filter_string=f"attributes.status = '{RunStatus.RUNNING}'"):
        if run.info.run_id in waiting:
            continue
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
    to migrate a fresh database. An SQLite store is in write-ahead-log mode once opened
    (readers no longer block the writer; :mod:`seqlab.store.sqlite`), and MLflow's sessions
    already wait up to 20 s for a lock (``PRAGMA busy_timeout``) instead of failing
    "database is locked".
    """
    return ensure_experiment(open_client(), experiment)


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
