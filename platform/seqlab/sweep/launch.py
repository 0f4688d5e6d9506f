"""Launch a sweep: prepare the store, skip what is done, run the rest, collect the results."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Literal

from seqlab.store import tracking
from seqlab.sweep.report import SweepProgress, SweepReport
from seqlab.sweep.worker import RunJob, RunResult

if TYPE_CHECKING:
    from rich.console import Console

    from seqlab.sweep.suite import PlannedRun, SweepPlan

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
    [report] = run_sweeps([plan], experiment, executor, workers, threads, address, gpus_per_run, console)
    return report


def run_sweeps(
    plans: Sequence[SweepPlan],
    experiment: str | None = None,
    executor: Executor = "local",
    workers: int | None = None,
    threads: int | None = None,
    address: str | None = None,
    gpus_per_run: float = 0.0,
    console: Console | None = None,
) -> list[SweepReport]:
    """Run several plans' runs together, on one set of workers: each plan's runs go to its own
    experiment (see :func:`sweep_experiment`), and a worker freed by one plan's last runs takes
    the next plan's. Parameters as for :func:`run_sweep`; one report per plan, in order.

    :raises SweepError: for options that cannot work together.
    """
    from seqlab.run.cores import usable_cores
    from seqlab.sweep.local import start_fork_server

    uri = tracking.tracking_uri()
    if executor == "ray" and address and uri.startswith(("sqlite:", "file:", "/")):
        raise SweepError(
            f"--executor ray --address {address}: the store {uri} is local to this machine; "
            "set MLFLOW_TRACKING_URI=http://HOST:PORT of an mlflow server every node reaches"
        )
    local = executor == "local"
    if local:
        start_fork_server()  # its imports overlap the store's preparation below
    workers = workers or usable_cores()
    if threads is None:
        threads = max(1, usable_cores() // workers) if local else 1
    plugins = _hand_registered_plugins()
    prepared = [_prepare(plan, experiment, uri, threads, plugins, local, console) for plan in plans]
    jobs: list[RunJob] = []
    owners: list[tuple[int, int]] = []  # a job's plan and its index in that plan
    for number, (_, _, plan_jobs) in enumerate(prepared):
        for job in plan_jobs:
            owners.append((number, job.index))
            jobs.append(replace(job, index=len(jobs)))
    results: list[list[RunResult]] = [[] for _ in plans]
    labels = [f"{plans[number].name} {job.label}" if len(plans) > 1 else job.label
              for job, (number, _) in zip(jobs, owners)]
    title = f"sweep {', '.join(plan.name for plan in plans)}"
    with SweepProgress(title, len(jobs), console) as progress:

        def on_result(result: RunResult) -> None:
            number, index = owners[result.index]
            progress.show(result, labels[result.index], index)
            results[number].append(replace(result, index=index))

        if local:
            from seqlab.sweep.local import run_local

            stopped = run_local(jobs, workers, on_result)
        else:
            from seqlab.sweep.on_ray import run_on_ray

            stopped = run_on_ray(jobs, address, threads, on_result, gpus_per_run)
    return [
        SweepReport(plan, name, already, plan_results, stopped)
        for plan, (name, already, _), plan_results in zip(plans, prepared, results)
    ]


def _prepare(
    plan: SweepPlan,
    experiment: str | None,
    uri: str,
    threads: int,
    plugins: tuple[tuple[str, str], ...],
    local: bool,
    console: Console | None,
) -> tuple[str, list[PlannedRun], list[RunJob]]:
    """A plan's experiment (made ready for concurrent runs, orphans closed), its runs already
    FINISHED there, and the jobs of the rest."""
    from seqlab.store.locks import lock_dir
    from seqlab.sweep.suite import recorded_suite

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
    done = {run.index for run in already}
    suite_yaml, suite_hash = recorded_suite(plan.suite) if plan.suite else ("", "")
    commit = tracking.git_commit() or ""
    locks = str(lock_dir(uri)) if local else None  # found once, not in every run's process
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
            git_commit=commit,
            experiment=name,
            experiment_id=experiment_id,
            tracking_uri=uri,
            threads=threads,
            workdir=os.getcwd() if local else None,
            plugins=plugins,
            python_path=tuple(sys.path) if local else (),
            locks=locks,
        )
        for run in runnable
        if run.index not in done
    ]
    return name, already, jobs
