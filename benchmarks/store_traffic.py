"""Disk syncs and CPU time of a run's store traffic, without training: a count the load of a
busy machine does not disturb.

Each of ``--runs`` runs is recorded the way the runner records one (``open_client``, the run
with 12 tags, 40 params, the spec artifact, 25 metrics, its end with a tag) in a throwaway
SQLite store; the script runs itself under ``strace`` and counts the ``fsync`` and
``fdatasync`` calls made after the store is open. To compare two trees, run it with each on
``PYTHONPATH``:

    .venv/bin/python benchmarks/store_traffic.py [--runs 5] [--store COPY-OF-A-STORE.db]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARK = "store-traffic: store open"


def record_runs(runs: int) -> None:
    """Record ``runs`` runs' store traffic in ``$MLFLOW_TRACKING_URI``; print the CPU per run."""
    from mlflow.entities import Metric, Param

    from seqlab.store import tracking
    from seqlab.store.operations import end_run

    client = tracking.open_client()
    experiment_id = tracking.ensure_experiment(client, "store-traffic")
    print(MARK, file=sys.stderr, flush=True)
    started = time.process_time()
    for _ in range(runs):
        run_id = client.create_run(experiment_id, tags={f"tag{k}": "v" for k in range(12)}).info.run_id
        client.log_batch(run_id, params=[Param(f"param{k}", "1") for k in range(40)])
        client.log_text(run_id, "seed: 0\n", "spec.yaml")
        client.log_batch(run_id, metrics=[Metric(f"metric{k}", 1.0, 0, 5) for k in range(25)])
        end_run(client, run_id, "FINISHED", None, {"seqlab.diverged": "false"})
    cpu = (time.process_time() - started) / runs
    print(f"CPU per run {cpu * 1000:.1f} ms", file=sys.stderr, flush=True)


def main() -> None:
    """Run :func:`record_runs` under ``strace`` in a throwaway store and count its syncs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", type=Path, help="start from a copy of this SQLite database")
    parser.add_argument("--record", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.record:
        record_runs(args.runs)
        return
    with tempfile.TemporaryDirectory(prefix="seqlab-store-traffic-") as name:
        folder = Path(name)
        if args.store:
            shutil.copy(args.store, folder / "mlflow.db")
        trace = folder / "strace.txt"
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
        done = subprocess.run(
            ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync,write", "-o", str(trace),
             sys.executable, __file__, "--record", "--runs", str(args.runs)],
            cwd=folder, env=env, capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        lines = trace.read_text().splitlines()
        opened = next(i for i, line in enumerate(lines) if MARK in line)
        syncs = sum(("fsync(" in line or "fdatasync(" in line) for line in lines[opened:])
        print(done.stderr.strip().splitlines()[-1])
        print(f"disk syncs after the store is open: {syncs} for {args.runs} runs "
              f"({syncs / args.runs:.1f} per run)")


if __name__ == "__main__":
    main()
