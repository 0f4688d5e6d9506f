"""Launch a sweep: prepare the store, skip what is done, run the rest, collect the results."""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Literal

from seqlab.store import tracking
from seqlab.sweep.report import SweepProgress, SweepReport
from seqlab.sweep.worker import RunJob, RunResult

if TYPE_CHECKING:
    from rich.console import Console

    from seqlab.sweep.suite import SweepPlan

Executor = Literal["local", "ray"]


class SweepError(ValueError):
    """Sweep options that cannot work together; the message is one line."""


def sweep_experiment(plan: SweepPlan, explicit: str | None = None) -> str:
    """A sweep's experiment: ``--experiment``, ``MLFLOW_EXPERIMENT_NAME``, or the suite's name."""
    return tracking.experiment_name(explicit, default=plan.name)


def _hand_registered_plugins() -> tuple[tuple[str, str], ...]:
    """Plugin modules registered by hand in this process, for the workers to register too."""
    from seqlab.registry.plugin_manager import get_plugins, load_plugins, pm

    load_plugins()
    known = {info.name for info in get_plugins()}
    return tuple(
        (name, plugin.__name__)
        for name, plugin in pm.list_name_plugin()
        if name not in known and isinstance(plugin, ModuleType)
    )


def run_sweep(
    plan: SweepPlan,
    experiment: str | None = None,
    executor: Executor = "local",
    workers: int | None = None,
    threads: int | None = None,
    address: str | None = None,
    gpus_per_run: float = 0.0,
    console: Console | None = None,
) -> SweepReport:
    """Run every runnable combination of a plan that has no FINISHED run yet.

    :param plan: the expanded suite.
    :param experiment: the MLflow experiment (default: see :func:`sweep_experiment`).
    :param executor: ``local`` worker processes or ``ray`` tasks.
    :param workers: local processes at once (default: the usable cores).
    :param threads: torch threads per run (default: local, the cores / workers; Ray, 1).
    :param address: the Ray cluster to join (default: a local Ray instance).
    :param gpus_per_run: GPUs each Ray task reserves.
    :param console: where progress and status lines go.
    :raises SweepError: for options that cannot work together.
    """
    from seqlab.run.cores import usable_cores
    from seqlab.sweep.local import start_fork_server
    from seqlab.sweep.suite import recorded_suite

    uri = tracking.tracking_uri()
    if executor == "ray" and address and uri.startswith(("sqlite:", "file:", "/")):
        raise SweepError(
            f"--executor ray --address {address}: the store {uri} is local to this machine; "
            "set MLFLOW_TRACKING_URI=http://HOST:PORT of an mlflow server every node reaches"
        )
    if executor == "local":
        start_fork_server(uri)  # its imports overlap the store's preparation below
    workers = workers or usable_cores()
    if threads is None:
        threads = max(1, usable_cores() // workers) if executor == "local" else 1
    name = sweep_experiment(plan, experiment)
    try:
        experiment_id = tracking.prepare_for_concurrent_runs(name)
    except tracking.StoreError as exc:
        raise SweepError(str(exc)) from None
    orphans = tracking.close_orphaned_runs(tracking.open_client(), experiment_id)
    if orphans:
        from rich.console import Console

        (console or Console()).print(
            f"closed {len(orphans)} run(s) left RUNNING by a process that no longer exists: "
            "now KILLED, and run again below"
        )
    finished = tracking.finished_spec_hashes(experiment_id)
    runnable = plan.runnable
    already = [run for run in runnable if run.spec and run.spec.spec_hash() in finished]
    to_run = [run for run in runnable if run not in already]
    local = executor == "local"
    plugins = _hand_registered_plugins()
    suite_yaml, suite_hash = recorded_suite(plan.suite) if plan.suite else ("", "")
    jobs = [
        RunJob(
            index=run.index,
            label=run.label,
            spec_data=run.spec.to_dict(),  # type: ignore[union-attr]  # runnable: has a spec
            spec_hash=run.spec.spec_hash(),  # type: ignore[union-attr]
            sweep=plan.name,
            size=plan.size,
            suite_yaml=suite_yaml,
            suite_hash=suite_hash,
            experiment=name,
            tracking_uri=uri,
            threads=threads,
            workdir=os.getcwd() if local else None,
            plugins=plugins,
            python_path=tuple(sys.path) if local else (),
        )
        for run in to_run
    ]
    results: list[RunResult] = []
    with SweepProgress(plan, len(jobs), console) as progress:

        def on_result(result: RunResult) -> None:
            results.append(result)
            progress.show(result)

        if local:
            from seqlab.sweep.local import run_local

            stopped = run_local(jobs, workers, on_result)
        else:
            from seqlab.sweep.on_ray import run_on_ray

            stopped = run_on_ray(jobs, address, threads, on_result, gpus_per_run)
    return SweepReport(plan, name, already, results, stopped)
