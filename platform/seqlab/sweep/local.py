"""Run a sweep's jobs in local worker processes: a standard process pool, one process per run.

Workers are forked from a server process that has already imported torch, Lightning, MLflow
and seqlab's runner and loaded the plugins (``forkserver`` preloading
:mod:`seqlab.sweep.preload`), so a fresh process per run costs little, and runs never share
global state (``max_tasks_per_child=1``). :func:`start_fork_server` starts that warm-up early,
while the launcher prepares the store. The launcher makes the runs' store calls for them
(:mod:`seqlab.store.relay`): no worker opens the store, and the fork server never imports
MLflow's SQL store.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from seqlab.measure import allocator
from seqlab.sweep.interrupt import stop_signals_ignored, stop_signals_interrupt
from seqlab.store.status import RunStatus
from seqlab.sweep.worker import (
    RunJob,
    RunResult,
    close_runs_left_running,
    init_local_worker,
    run_job,
)

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.context import BaseContext
    from multiprocessing.synchronize import Event

PRELOAD = ("__main__", "seqlab.sweep.preload")
"""What the fork server imports once, so each run's process starts warm: the launcher's main
module too, as ``multiprocessing`` does by default (else every run process imports it anew)."""

STOP_GRACE_SECONDS = 120.0
"""How long a stopped sweep waits for in-flight runs to end KILLED before killing them."""
STOPPED_LATE = "the sweep was stopped and the run did not end within the grace time"


def start_fork_server() -> None:
    """Start the fork server now, if it is not running: its warm-up (seconds of imports)
    then overlaps whatever this process does before the first run starts."""
    import multiprocessing
    from multiprocessing import forkserver

    allocator.set_for_children()  # before the fork server starts: glibc reads it at start
    multiprocessing.get_context("forkserver").set_forkserver_preload(list(PRELOAD))
    forkserver.ensure_running()


LOST_WORKER = (
    "its worker process died (this run's or, killed with it, another's: out of memory?); "
    "rerun the sweep to retry"
)


def run_local(
    jobs: Sequence[RunJob], workers: int, on_result: Callable[[RunResult], None]
) -> bool:
    """Run the jobs on ``workers`` processes, calling ``on_result`` as each ends.

    Ctrl-C or SIGTERM stops the sweep: runs not started are cancelled, in-flight runs are
    sent SIGTERM and end KILLED, and their results still arrive. A worker process that dies
    (killed for memory, a crash in native code) breaks the pool: the runs it took down are
    reported failed and the runs not yet started go on in a new pool.

    :returns: whether the sweep was stopped.
    """
    import multiprocessing
    from dataclasses import replace

    from seqlab.store.relay import StoreRelay
    from seqlab.store.tracking import open_client

    start_fork_server()
    context = multiprocessing.get_context("forkserver")
    stop = context.Event()
    with StoreRelay(open_client()) as relay:
        waiting = [replace(job, store_relay=relay.address) for job in jobs]
        while waiting:
            stopped, waiting = _run_pool(waiting, workers, on_result, context, stop)
            if stopped:
                return True
    return False


def _run_pool(
    jobs: Sequence[RunJob],
    workers: int,
    on_result: Callable[[RunResult], None],
    context: BaseContext,
    stop: Event,
) -> tuple[bool, list[RunJob]]:
    """Run jobs on one process pool until done, stopped or broken.

    :returns: whether the sweep was stopped, and the jobs a broken pool never started.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures import TimeoutError as WaitedTooLong
    from concurrent.futures.process import BrokenProcessPool

    since = time.time()
    started = context.SimpleQueue()
    one_run_each = {"max_tasks_per_child": 1} if sys.version_info >= (3, 11) else {}
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=init_local_worker,
        initargs=(stop, started), **one_run_each,
    )
    futures = {pool.submit(run_job, job): job for job in jobs}
    waiting = set(futures)
    never_started: list[RunJob] = []
    began: set[int] = set()
    try:
        with stop_signals_interrupt():
            for future in as_completed(futures):
                waiting.discard(future)
                job = futures[future]
                if isinstance(future.exception(), BrokenProcessPool):
                    while not started.empty():
                        began.add(started.get())
                    if job.index not in began:
                        never_started.append(job)
                        continue
                    close_runs_left_running(job, since, RunStatus.FAILED, LOST_WORKER)
                    on_result(RunResult(job.index, RunStatus.FAILED, reason=LOST_WORKER))
                    continue
                on_result(_result_of(future, job))
        return False, sorted(never_started, key=lambda job: job.index)
    except KeyboardInterrupt:
        with stop_signals_ignored():
            _stop_runs(waiting, stop)
            try:
                for future in as_completed(waiting, timeout=STOP_GRACE_SECONDS):
                    waiting.discard(future)
                    on_result(_result_of(future, futures[future]))
            except WaitedTooLong:
                for child in multiprocessing.active_children():
                    child.kill()
                for future in sorted(waiting, key=lambda f: futures[f].index):
                    job = futures[future]
                    close_runs_left_running(job, since, RunStatus.KILLED, STOPPED_LATE)
                    on_result(RunResult(job.index, RunStatus.KILLED, reason=STOPPED_LATE))
        return True, []
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result_of(future: Future[RunResult], job: RunJob) -> RunResult:
    """A finished future's result; a cancelled one did not start; a lost worker failed it."""
    if future.cancelled():
        return RunResult(job.index, RunStatus.NOT_STARTED, reason="the sweep was stopped first")
    error = future.exception()
    if error is not None:
        return RunResult(job.index, RunStatus.FAILED, reason=f"{LOST_WORKER}: {error}")
    return future.result()


def _stop_runs(waiting: set[Future[RunResult]], stop: Event) -> None:
    """Cancel the runs not started and ask every worker to end its run (SIGTERM).

    The pool is left running until its in-flight runs have reported: shutting it down now
    (``shutdown(wait=False)``) breaks its manager thread under ``max_tasks_per_child=1`` as
    each worker exits, and the in-flight results never arrive.
    """
    import multiprocessing

    stop.set()
    for future in waiting:
        future.cancel()  # only those not yet handed to a worker
    for child in multiprocessing.active_children():
        try:
            os.kill(child.pid, signal.SIGTERM)  # type: ignore[arg-type]  # pid set once started
        except ProcessLookupError:
            pass
