"""Evidence speed: every hypothesis of a suite judged over 1,000 runs, 10,000 resamples.

    python benchmarks/evidence_bench.py                                  # architectures, 1,000 runs
    python benchmarks/evidence_bench.py --suite cost --runs 2000

The runs are synthetic but shaped like the suite's: its full size's grid with as many seeds as
it takes to reach ``--runs``, one row per run as ``mlflow.search_runs(output_format="pandas")``
returns it, with log-normal values for every metric the hypotheses read. The time is
``evaluate_frame`` alone (after reading; imports and plugin loading done by a first call), best
of ``--repeats``, as wall time and as this process's CPU time (all its threads; other jobs
on a busy machine do not inflate it); the target is 1 s, and the printed
ratios are time / target.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from seqlab.evidence import evaluate_frame
from seqlab.evidence.estimate import Resampling
from seqlab.evidence.kinds import collect_kinds
from seqlab.evidence.report import load_hypotheses
from seqlab.sweep.builtin import resolve_suite
from seqlab.sweep.suite import combinations, load_suite

TARGET_S = 1.0


def synthetic_runs(suite_path: Path, runs: int, seed: int = 0) -> tuple[pd.DataFrame, list]:
    """A frame of at least ``runs`` runs of the suite's full size, and the suite's hypotheses."""
    suite = load_suite(suite_path)
    hypotheses = load_hypotheses(suite)
    rows = [
        {key: value for key, value in row.items() if key != "seed"}
        for row in combinations(suite.sized("full" if "full" in suite.sizes else None))
    ]
    unique = [dict(items) for items in {tuple(sorted(r.items(), key=str)): r for r in rows}]
    seeds = -(-runs // len(unique))
    rng = np.random.default_rng(seed)
    metrics = sorted({h.metric for h in hypotheses})
    records = []
    for index, settings in enumerate(unique):
        shift = rng.normal(0, 0.5)
        for replicate in range(seeds):
            record = {"run_id": f"run-{index}-{replicate}", "params.seed": str(replicate)}
            record.update({f"params.{key}": "null" if value is None else str(value)
                           for key, value in settings.items()})
            record.update({f"metrics.{name}": float(np.exp(shift + rng.normal(0, 0.3)))
                           for name in metrics})
            records.append(record)
    return pd.DataFrame(records), hypotheses


def main() -> None:
    """Print the frame's size, the time to judge every hypothesis, and the ratio to 1 s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="architectures", help="a built-in suite or a suite file")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    frame, hypotheses = synthetic_runs(resolve_suite(args.suite), args.runs)
    kinds = collect_kinds()
    resampling = Resampling(resamples=args.resamples)
    evaluate_frame(frame, hypotheses, resampling, kinds)  # imports, first-call costs
    best, best_cpu = float("inf"), float("inf")
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        verdicts = evaluate_frame(frame, hypotheses, resampling, kinds)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    print(f"suite {args.suite}: {len(hypotheses)} hypotheses over {len(frame)} runs, "
          f"{args.resamples:,} resamples")
    print(f"evaluate_frame: {best:.3f} s wall, {best_cpu:.3f} s CPU (best of {args.repeats}); "
          f"ratio to the {TARGET_S:.0f} s target: {best / TARGET_S:.2f} wall, "
          f"{best_cpu / TARGET_S:.2f} CPU; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(verdicts[["claim", "kind", "verdict", "strata_count", "n_a", "n_b"]].to_string())


if __name__ == "__main__":
    main()
