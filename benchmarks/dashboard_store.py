"""Synthesize a large MLflow store for the dashboard benchmark (``dashboard_bench.py``).

Training thousands of runs is out of reach on a laptop, so the runs are synthesized in the
shape the runner records: the same params, tags and metric names
(``seqlab.store.record``), 5 metric histories of 200 steps and the final efficiency and long-term
values per run. Values are random but plausible; only their volume matters here.

    python benchmarks/dashboard_store.py /tmp/bench-1k 1000
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from seqlab.store import record

MODELS = ("rnn", "lstm", "gru")
STRATEGIES = ("bptt", "tbptt")
LENGTHS = (25, 50, 100, 200, 400)
HISTORIES = (record.TRAIN_LOSS, "val/loss", "val/mse", record.GRAD_NORM, record.CLIP_EVENTS)
STEPS = 200


def synthesize(folder: Path, runs: int, seed: int = 0, steps: int = STEPS) -> str:
    """Write ``runs`` runs into a SQLite store in ``folder`` (kept if it already has them); its URI.

    :param steps: points per metric history (fewer keep a 100,000-run store to a few GB).

    MLflow's client creates the store and the experiment; the runs' rows are then inserted in
    bulk into MLflow's own tables (``runs``, ``params``, ``tags``, ``metrics``,
    ``latest_metrics``), exactly as ``log_batch`` lays them out, because ``log_batch`` takes about
    half a second per run here. The result is checked by reading it back with the client.
    """
    import sqlite3
    import uuid

    from mlflow import MlflowClient

    folder.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    done = folder / f"complete-{runs}" if steps == STEPS else folder / f"complete-{runs}-{steps}"
    if done.exists():
        return uri
    client = MlflowClient(uri)
    experiment = client.create_experiment("bench", artifact_location=(folder / "artifacts").as_uri())
    rng = random.Random(seed)
    now = int(time.time() * 1000)
    rows: dict[str, list[tuple]] = {"runs": [], "params": [], "tags": [], "metrics": [], "latest_metrics": []}
    for index in range(runs):
        if index and index % 5_000 == 0:  # write in parts: 100,000 runs' rows do not fit in memory
            _insert(folder, rows)
        run_id = uuid.uuid4().hex
        model, strategy = rng.choice(MODELS), rng.choice(STRATEGIES)
        length, seed_value = rng.choice(LENGTHS), index % 5
        name = f"{model}-adding-{strategy}-s{seed_value}"
        start = now + index * 1000
        rows["runs"].append((run_id, name, "UNKNOWN", "", "", "bench", "FINISHED", start, start + 900, "",
                             "active", f"{(folder / 'artifacts').as_uri()}/{run_id}/artifacts", int(experiment)))
        params = {"model": model, "task": "adding", "strategy": strategy, "seed": seed_value,
                  "task.length": length, "model.hidden_size": rng.choice((32, 64)),
                  "trainer.lr": rng.choice((1e-3, 3e-3, 1e-2)), "trainer.batch_size": 32,
                  "trainer.max_steps": 2000, "trainer.grad_clip": 1.0}
        rows["params"] += [(key, str(value), run_id) for key, value in params.items()]
        tags = {record.TAG_RUN_NAME: name, record.TAG_SWEEP: f"sweep-{index % 4}",
                record.TAG_SPEC_HASH: f"{index:016x}"}
        rows["tags"] += [(key, value, run_id) for key, value in tags.items()]
        skill = {"rnn": 0.3, "lstm": 0.9, "gru": 0.85}[model] * (1 - length / 1000)
        for key in HISTORIES:
            level = rng.uniform(0.5, 1.5)
            for step in range(steps):
                value = level * (1 - skill * step / steps) + rng.gauss(0, 0.03)
                rows["metrics"].append((key, value, start + step, run_id, step * 10, 0))
            rows["latest_metrics"].append((key, value, start + steps - 1, (steps - 1) * 10, 0, run_id))
        finals = {record.NORMALIZED_SCORE: skill + rng.gauss(0, 0.05), record.SOLVED: float(skill > 0.6),
                  record.STEP_TIME: 0.0002 * length * rng.uniform(0.8, 1.2), record.PARAMETERS: 4000.0,
                  record.PEAK_MEMORY_MB: 300 + length * rng.uniform(0.5, 1), record.SEQUENCES_PER_S: 1e4 / length,
                  record.DIVERGED: float(rng.random() < 0.05)}
        for key, value in finals.items():
            rows["metrics"].append((key, value, start + 900, run_id, steps * 10, 0))
            rows["latest_metrics"].append((key, value, start + 900, steps * 10, 0, run_id))
    _insert(folder, rows)
    found = client.search_runs([experiment], max_results=10)
    history = client.get_metric_history(found[0].info.run_id, record.TRAIN_LOSS)
    total = sqlite3.connect(folder / "mlflow.db").execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    assert total == runs and len(history) == steps, "MLflow must read the synthesized runs back"
    done.touch()
    return uri


def _insert(folder: Path, rows: dict[str, list[tuple]]) -> None:
    """Append ``rows`` to MLflow's tables in ``folder``'s store, then empty them."""
    import sqlite3

    columns = {
        "runs": "run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, "
                "end_time, source_version, lifecycle_stage, artifact_uri, experiment_id",
        "params": "key, value, run_uuid", "tags": "key, value, run_uuid",
        "metrics": "key, value, timestamp, run_uuid, step, is_nan",
        "latest_metrics": "key, value, timestamp, step, is_nan, run_uuid",
    }
    with sqlite3.connect(folder / "mlflow.db") as database:
        # a bulk load, not a store in use: no syncs, and index pages kept in memory (1 GB at most),
        # else the run-keyed indexes' random inserts thrash the disk on a multi-GB store
        database.execute("PRAGMA synchronous=OFF")
        database.execute("PRAGMA cache_size=-1000000")
        for table, values in rows.items():
            if values:
                marks = ", ".join("?" * len(values[0]))
                database.executemany(f"INSERT INTO {table} ({columns[table]}) VALUES ({marks})", values)
            values.clear()


def main() -> None:
    """Command line: folder and number of runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("runs", type=int)
    parser.add_argument("--steps", type=int, default=STEPS, help="points per metric history")
    arguments = parser.parse_args()
    start = time.perf_counter()
    print(synthesize(arguments.folder, arguments.runs, steps=arguments.steps),
          f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
