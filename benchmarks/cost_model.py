"""The sweep time estimate's cost model against the runs a store recorded.

For every finished run of a store (read back with MLflow's client), the cost model's estimate
(``seqlab.sweep.duration``) is set against what the run recorded: its step time
(``eff/step_time_s``, one batch) against the model's per-batch cost, and its wall time (the
MLflow run's start to end) against ``run_seconds``. Prints the median ratio measured/estimated
per model and strategy, so the model's constants can be refitted from recorded runs (a ratio
of 1 is a perfect fit; the docs state the machine and load the constants came from).

Run: ``.venv/bin/python benchmarks/cost_model.py [--store URI] [--experiment NAME ...]``
(default: the store seqlab uses, every experiment).
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from typing import Any

import yaml
from mlflow.tracking import MlflowClient

from seqlab.store.tracking import tracking_uri
from seqlab.sweep.duration import run_seconds
from timing import machine


def settings_of(params: dict[str, str]) -> dict[str, Any]:
    """A run's params, stored as text, back as the values ``run_seconds`` reads."""
    return {key: yaml.safe_load(value) for key, value in params.items()}


def per_batch_seconds(settings: dict[str, Any]) -> float:
    """The cost model's seconds for one batch of training (validations left out)."""
    quiet = {**settings, "trainer.val_every": 10**9, "trainer.val_size": 1}
    return (run_seconds({**quiet, "trainer.max_steps": 101})
            - run_seconds({**quiet, "trainer.max_steps": 1})) / 100


def main() -> None:
    """Print measured/estimated ratios per model and strategy for a store's finished runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=None, help="tracking URI (default: seqlab's)")
    parser.add_argument("--experiment", action="append", default=None,
                        help="experiment name (repeatable; default: all)")
    args = parser.parse_args()
    client = MlflowClient(tracking_uri=args.store or tracking_uri())
    experiments = [e for e in client.search_experiments()
                   if args.experiment is None or e.name in args.experiment]
    ratios: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(
        lambda: {"step": [], "run": []})
    for experiment in experiments:
        for run in client.search_runs([experiment.experiment_id],
                                      filter_string="attributes.status = 'FINISHED'",
                                      max_results=50_000):
            step = run.data.metrics.get("eff/step_time_s")
            if step is None or run.info.end_time is None or "model" not in run.data.params:
                continue
            settings = settings_of(run.data.params)
            key = (str(settings["model"]), str(settings["strategy"]))
            ratios[key]["step"].append(step / per_batch_seconds(settings))
            wall = (run.info.end_time - run.info.start_time) / 1000
            ratios[key]["run"].append(wall / run_seconds(settings))
    print(machine())
    print(f"{'model':10} {'strategy':14} {'runs':>5} {'step: measured/estimated':>26} "
          f"{'run: measured/estimated':>25}")
    for (model, strategy), found in sorted(ratios.items()):
        step, run = found["step"], found["run"]
        print(f"{model:10} {strategy:14} {len(step):5d} "
              f"{statistics.median(step):14.2f} [{min(step):.2f}-{max(step):.2f}] "
              f"{statistics.median(run):13.2f} [{min(run):.2f}-{max(run):.2f}]")


if __name__ == "__main__":
    main()
