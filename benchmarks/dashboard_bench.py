"""Dashboard speed on a large store: first page, first curves, changing the grouping.

    python benchmarks/dashboard_bench.py 1000      # and 10000
    python benchmarks/dashboard_bench.py 1000 --folder /tmp/bench-1k

Each figure is the server-side time a view needs to answer (reading MLflow, computing, and
encoding the JSON the browser receives), measured in this process; the baseline is MLflow's own
bulk read of the same store, ``mlflow.search_runs(..., output_format="pandas")``, so the ratio
says what the dashboard adds on top of the read any MLflow tool must make.
The store is synthesized by ``dashboard_store.py`` (see there and ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from dashboard_store import synthesize  # noqa: E402

from seqlab.store import record  # noqa: E402


def timed(action: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``action`` over ``repeat`` calls, and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def encode(value: Any) -> int:
    """Encode a figure or component tree as Dash does; the size in bytes."""
    from plotly.io.json import to_json_plotly

    return len(to_json_plotly(value))


def main() -> None:
    """Build or reuse the store, then time the views."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--curve-runs", type=int, default=1000,
                        help="runs selected for the curves view (histories are read for these)")
    arguments = parser.parse_args()
    folder = arguments.folder or Path(f"/tmp/seqlab-bench-{arguments.runs}")
    uri = synthesize(folder, arguments.runs)
    os.environ["MLFLOW_TRACKING_URI"] = uri

    import mlflow

    from seqlab_dashboard import data
    from seqlab_dashboard.pages import curves, efficiency, longterm, runs

    mlflow.set_tracking_uri(uri)
    experiments = [e.experiment_id for e in mlflow.MlflowClient(uri).search_experiments()]
    baseline, frame = timed(lambda: mlflow.search_runs(experiment_ids=experiments, output_format="pandas",
                                                      max_results=1_000_000))
    print(f"store: {len(frame)} runs, {len(frame.columns)} columns ({uri})")
    print(f"baseline  mlflow.search_runs (pandas)              {baseline:6.2f} s")

    def first_page() -> int:
        data._stores.clear()
        return encode(runs.layout())

    seconds, size = timed(first_page)
    print(f"first page  Runs view, cold cache (read + table)   {seconds:6.2f} s  "
          f"{seconds / baseline:4.2f}x baseline, {size / 1e6:.1f} MB to the browser")
    seconds, _ = timed(lambda: encode(runs.layout()), repeat=3)
    print(f"reload      Runs view, warm cache                  {seconds:6.2f} s")

    everything = data.open_store().runs()
    chosen = [run_id[:8] for run_id in everything["run_id"][: arguments.curve_runs]]

    def draw(group: list[str]) -> int:
        figure, _ = curves.draw_curves(None, None, chosen, group, record.TRAIN_LOSS, "step", "mean",
                                       "ci95", 0.6, ["members"])
        return encode(figure)

    seconds, size = timed(lambda: draw(["model", "strategy"]))
    print(f"curves      {len(chosen)} runs, first draw (histories)   {seconds:6.2f} s  {size / 1e6:.1f} MB")
    for group in (["model", "task.length"], ["model", "strategy", "model.hidden_size"]):
        seconds, size = timed(lambda: draw(group), repeat=3)
        print(f"regroup     curves by {' x '.join(group):32s} {seconds:6.2f} s  {size / 1e6:.1f} MB")
    seconds, _ = timed(lambda: [encode(f) for f in efficiency.draw_efficiency(
        None, None, None, ["model", "strategy"], "std", record.STEP_TIME)], repeat=3)
    print(f"regroup     efficiency, all {len(everything)} runs          {seconds:6.2f} s")
    seconds, _ = timed(lambda: encode(longterm.draw_longterm(None, None, None, ["model", "strategy"], "ci95", None)[0]), repeat=3)
    print(f"regroup     long-term dependency, all runs          {seconds:6.2f} s")


if __name__ == "__main__":
    main()
