"""Run a sweep's jobs as Ray tasks: on a Ray cluster (``--address``) or a local Ray instance.

Ray places the runs; each task asks for ``threads`` CPUs (and optionally GPUs), runs in a fresh
worker process (``max_calls=1``) and records to the tracking server the launcher names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from seqlab.sweep.interrupt import stop_signals_ignored, stop_signals_interrupt
from seqlab.sweep.worker import RunJob, RunResult, run_job
from seqlab.store.status import RunStatus

if TYPE_CHECKING:
    from ray import ObjectRef


def _result_of(ref: ObjectRef, job: RunJob) -> RunResult:
    """A task's result; a cancelled task was stopped; a lost task failed."""
    import ray
    from ray.exceptions import TaskCancelledError

    try:
        return ray.get(ref)
    except TaskCancelledError:
        return RunResult(job.index, RunStatus.KILLED, reason="the sweep was stopped (Ray task cancelled)")
    except Exception as exc:
        reason = f"Ray task lost: {type(exc).__name__}: {exc}".replace("\n", " ")
        return RunResult(job.index, RunStatus.FAILED, reason=reason[:500])


def run_on_ray(
    jobs: Sequence[RunJob],
    address: str | None,
    threads: int,
    on_result: Callable[[RunResult], None],
    gpus_per_run: float = 0.0,
) -> bool:
    """Run the jobs as Ray tasks, calling ``on_result`` as each ends.

    Each task reserves ``threads`` CPUs and ``gpus_per_run`` GPUs. Connects to the cluster at
    ``address`` (``auto``: the one this machine belongs to), or
    starts a local Ray instance; reuses Ray when this process already initialised it.
    Ctrl-C or SIGTERM cancels the tasks: running ones get KeyboardInterrupt and end KILLED.

    :returns: whether the sweep was stopped.
    """
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(log_to_driver=False, include_dashboard=False)
    remote = ray.remote(max_calls=1, max_retries=0, num_cpus=threads, num_gpus=gpus_per_run)(
        run_job
    )
    refs = {remote.remote(job): job for job in jobs}
    waiting = list(refs)
    try:
        with stop_signals_interrupt():
            while waiting:
                done, waiting = ray.wait(waiting, num_returns=1)
                for ref in done:
                    on_result(_result_of(ref, refs[ref]))
        return False
    except KeyboardInterrupt:
        with stop_signals_ignored():
            for ref in waiting:
                ray.cancel(ref)
            for ref in waiting:
                on_result(_result_of(ref, refs[ref]))
        return True
    finally:
        if started_here:
            ray.shutdown()
