"""One run of a sweep, executed in a worker process (a local pool's or a Ray worker's).

A job carries everything the run needs as plain data, so a fresh process (forked from a clean
server, or started by Ray on another machine) trains it with nothing shared with other runs.
Whatever happens, the worker returns a :class:`RunResult`; it never raises.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.store import record
from seqlab.store.relay import relayable
from seqlab.store.status import RunStatus
from seqlab.sweep.interrupt import interrupt_while

if TYPE_CHECKING:
    from multiprocessing.queues import SimpleQueue
    from multiprocessing.synchronize import Event

    from mlflow import MlflowClient


@dataclass(frozen=True)
class RunJob:
    """A run to train, as plain data.

    :param index: the run's position in the sweep plan.
    :param label: how the sweep names it.
    :param spec_data: the run's nested spec data, validated again by the worker.
    :param spec_hash: the hash of the validated spec (the resume key).
    :param sweep: the sweep's name, recorded as the run's sweep tag.
    :param size: the suite size the sweep ran (``quick``, ``full``), recorded as a tag, or ``None``.
    :param suite_yaml: the suite the sweep ran, recorded as an artifact of the run
        (:data:`seqlab.store.record.SUITE_ARTIFACT`), or ``""``.
    :param suite_hash: its hash, recorded as a tag (:data:`seqlab.store.record.TAG_SUITE_HASH`).
    :param git_commit: the commit checked out where the sweep was launched (``""``: none),
        found once by the launcher and recorded on every run.
    :param experiment: the MLflow experiment to record in.
    :param experiment_id: its id (the launcher has made sure it exists).
    :param tracking_uri: the MLflow store, a tracking server for remote workers.
    :param threads: torch threads for the run (its share of the cores).
    :param workdir: folder to run in (a local sweep's working directory), or ``None``.
    :param plugins: ``(name, module)`` of plugins registered by hand in the launching process.
    :param python_path: import path entries the launching process had, added when present.
    :param store_relay: the launcher's store relay, which makes the run's store calls
        (:mod:`seqlab.store.relay`; a local sweep's), or ``None``: the worker opens the store.
    :param locks: the store's lock folder, as the launcher found it (a local sweep's), or
        ``None``: the worker finds it (:func:`seqlab.store.locks.lock_dir`).
    """

    index: int
    label: str
    spec_data: dict[str, Any]
    spec_hash: str
    sweep: str
    experiment: str
    experiment_id: str
    tracking_uri: str
    threads: int
    workdir: str | None = None
    plugins: tuple[tuple[str, str], ...] = ()
    python_path: tuple[str, ...] = ()
    size: str | None = None
    suite_yaml: str = ""
    suite_hash: str = ""
    git_commit: str = ""
    store_relay: tuple[str, bytes] | None = None
    locks: str | None = None


@dataclass(frozen=True)
class RunResult:
    """How a run ended.

    :param index: the run's position in the sweep plan.
    :param status: ``FINISHED``, ``FAILED``, ``KILLED``, ``NOT_STARTED``, or ``SKIPPED`` when
        another process was training the same spec.
    :param run_id: its MLflow run, if one was created.
    :param seconds: wall time in the worker.
    :param metrics: the last value of each recorded metric (finished runs).
    :param reason: why it did not finish.
    """

    index: int
    status: RunStatus
    run_id: str | None = None
    seconds: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    reason: str | None = None

    @property
    def diverged(self) -> bool:
        """Whether training stopped on a NaN/Inf loss or gradient."""
        return self.metrics.get(record.DIVERGED, 0.0) >= 1.0


_stop: Event | None = None
_started: SimpleQueue[int] | None = None
_in_job = False


def init_local_worker(stop: Event, started: SimpleQueue[int]) -> None:
    """Prepare a local pool worker: Ctrl-C is the launcher's to handle; SIGTERM stops a run.

    :param stop: set by the launcher when the sweep stops; a job not yet begun then skips.
    :param started: where the worker says which job it begins (for when a worker dies).
    """
    global _stop, _started
    _stop, _started = stop, started
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, interrupt_while(lambda: _in_job))  # the job ends KILLED


def run_job(job: RunJob) -> RunResult:
    """Train one run of a sweep and say how it ended; never raises.

    An interrupted run ends KILLED in MLflow (the runner sees to it; a run interrupted before
    the runner took charge is closed here), so nothing is left RUNNING.
    """
    global _in_job
    _in_job = True
    started = time.time()
    try:
        if _stop is not None and _stop.is_set():
            return RunResult(job.index, RunStatus.NOT_STARTED, reason="the sweep was stopped first")
        if _started is not None:
            _started.put(job.index)
        return _train(job, started)
    except KeyboardInterrupt as exc:
        close_runs_left_running(job, started, RunStatus.KILLED, "the sweep was stopped")
        seconds = time.time() - started
        return RunResult(job.index, RunStatus.KILLED, None, seconds, reason=f"stopped ({exc})")
    finally:
        _in_job = False


def _prepare_process(job: RunJob) -> None:
    """Give this process the launcher's store, folder, import path and torch threads."""
    import warnings

    import torch

    from seqlab.store import tracking
    from seqlab.store.relay import relay_to

    for chatter in (DeprecationWarning, FutureWarning):  # libraries' notices, once per run
        warnings.filterwarnings("ignore", category=chatter)
    os.environ["MLFLOW_TRACKING_URI"] = job.tracking_uri
    relay_to(job.store_relay, tracking.open_store)
    if job.workdir and os.path.isdir(job.workdir):
        os.chdir(job.workdir)
    sys.path.extend(entry for entry in job.python_path if entry not in sys.path)
    torch.set_num_threads(job.threads)


def _register_plugins(plugins: tuple[tuple[str, str], ...]) -> None:
    """Register the plugins the launcher had registered by hand."""
    import importlib

    from seqlab.registry.plugin_manager import load_plugins, pm

    load_plugins()
    for name, module in plugins:
        if not pm.has_plugin(name):
            pm.register(importlib.import_module(module), name=name)


def _train(job: RunJob, started: float) -> RunResult:
    """Validate the spec again in this process and train it with the runner."""
    from seqlab.registry.components import build_registry
    from seqlab.run.runner import RunError, train
    from seqlab.spec import resolve_spec
    from seqlab.store import tracking
    from seqlab.store.locks import lock_dir
    from seqlab.sweep.spec_locks import LOCKED, finished_meanwhile, lock_spec

    try:
        _prepare_process(job)
        locks = Path(job.locks) if job.locks else lock_dir(job.tracking_uri)
        with lock_spec(locks, job.experiment, job.spec_hash) as mine:
            if not mine:
                reason = "another process is training it now (another sweep, or an orphaned worker)"
                return RunResult(job.index, LOCKED, None, time.time() - started, reason=reason)
            if finished_meanwhile(tracking.open_client(), job.experiment_id, job.spec_hash):
                reason = "another sweep finished it meanwhile"
                return RunResult(job.index, LOCKED, None, time.time() - started, reason=reason)
            _register_plugins(job.plugins)
            registry = build_registry()
            spec = resolve_spec(job.spec_data, registry)
            tags = {record.TAG_SWEEP: job.sweep, record.TAG_GIT_COMMIT: job.git_commit}
            if job.size:
                tags[record.TAG_SWEEP_SIZE] = job.size
            if job.suite_hash:
                tags[record.TAG_SUITE_HASH] = job.suite_hash
            suite = {record.SUITE_ARTIFACT: job.suite_yaml} if job.suite_yaml else {}
            outcome = train(spec, registry, experiment=job.experiment, progress=False,
                            experiment_id=job.experiment_id,
                            extra_tags=tags, extra_artifacts=suite)
    except RunError as exc:
        return RunResult(job.index, exc.status, exc.run_id, time.time() - started, reason=str(exc))
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        return RunResult(job.index, RunStatus.FAILED, None, time.time() - started, reason=reason)
    return RunResult(
        job.index, RunStatus.FINISHED, outcome.run_id, time.time() - started, dict(outcome.metrics)
    )


def close_runs_left_running(job: RunJob, since: float, status: RunStatus, reason: str) -> None:
    """End any run of this job started after ``since`` and still RUNNING, as ``status``.

    For runs the runner could not close: interrupted before it took charge, or in a worker
    process that died.
    """
    from seqlab.store.relay import relayed_client

    client = relayed_client()
    if client is None:
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=job.tracking_uri)
    _end_runs_left_running(client, job.experiment, job.spec_hash, since, status, reason)


@relayable()
def _end_runs_left_running(
    client: MlflowClient, experiment: str, spec_hash: str, since: float, status: RunStatus,
    reason: str,
) -> None:
    """End the RUNNING runs of ``spec_hash`` in ``experiment`` started after ``since``."""
    from seqlab.store.operations import end_run

    found = client.get_experiment_by_name(experiment)
    if found is None:
        return
    runs = client.search_runs(
        [found.experiment_id],
        filter_string=(
            f"tags.`{record.TAG_SPEC_HASH}` = '{spec_hash}'"
            f" and attributes.status = '{RunStatus.RUNNING}'"
            f" and attributes.start_time >= {int(since * 1000)}"
        ),
    )
    for run in runs:
        end_run(client, run.info.run_id, status, reason)
