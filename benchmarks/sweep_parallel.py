"""Benchmark: the same sweep of short runs with 1 worker and with 2 workers, in one session.

Prints the wall times and their ratio; the target on 2 cores is a ratio of at least 1.8.
Each sweep records to its own experiment of a throwaway SQLite store. The fork server is
warmed first by a one-run sweep, so no measured sweep pays the one-time import of torch. The
two kinds of sweep alternate (``--repeats`` pairs) and the best time of each is compared, so a
burst of load from other processes skews the ratio less; the machine should be quiet anyway.

    .venv/bin/python benchmarks/sweep_parallel.py [--runs 8] [--steps 150] [--repeats 2]
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time

from rich.console import Console

TARGET = 1.8


def short_runs(name: str, runs: int, steps: int) -> object:
    """A plan of ``runs`` short LSTM runs on the adding problem (one per seed)."""
    from seqlab.registry.components import build_registry
    from seqlab.sweep.suite import Suite, expand

    suite = Suite(
        name=name,
        base={"model": "lstm", "task": "adding", "task.length": 20, "model.hidden_size": 32,
              "trainer.max_steps": steps, "trainer.val_every": steps, "trainer.val_size": 256},
        grid={"seed": list(range(runs))},
    )
    return expand(suite, build_registry())


def timed_sweep(name: str, runs: int, steps: int, workers: int) -> float:
    """Wall time of one sweep; fails loudly if any run did not finish."""
    from seqlab.sweep.launch import run_sweep

    plan = short_runs(name, runs, steps)
    start = time.perf_counter()
    report = run_sweep(plan, workers=workers, console=Console(file=io.StringIO()))
    elapsed = time.perf_counter() - start
    if report.count("FINISHED") != runs:
        raise SystemExit(f"{name}: only {report.count('FINISHED')} of {runs} runs finished")
    return elapsed


def main() -> None:
    """Warm up, then alternate 1-worker and N-worker sweeps; print times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="alternating pairs of sweeps")
    args = parser.parse_args()
    from seqlab.run.cores import usable_cores

    ones: list[float] = []
    manys: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder}/mlflow.db"
        os.chdir(folder)
        timed_sweep("warm-up", 1, 5, 1)
        for repeat in range(args.repeats):
            ones.append(timed_sweep(f"one-worker-{repeat}", args.runs, args.steps, 1))
            manys.append(
                timed_sweep(f"{args.workers}-workers-{repeat}", args.runs, args.steps, args.workers)
            )
            print(f"pair {repeat}: 1 worker {ones[-1]:.1f} s, {args.workers} workers "
                  f"{manys[-1]:.1f} s, ratio {ones[-1] / manys[-1]:.2f}x", flush=True)
    ratio = min(ones) / min(manys)
    print(f"cores: {usable_cores()}, load average: {os.getloadavg()[0]:.1f}, "
          f"runs: {args.runs} x {args.steps} steps, best of {args.repeats}")
    print(f"1 worker (threads = cores): {min(ones):.1f} s")
    print(f"{args.workers} workers (threads = cores / workers): {min(manys):.1f} s")
    verdict = "meets" if ratio >= TARGET else "misses"
    print(f"speed-up: {ratio:.2f}x ({verdict} the {TARGET}x target)")


if __name__ == "__main__":
    main()
