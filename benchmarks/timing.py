"""Shared by the benchmarks: per-step cost with start-up cancelled, runs interleaved, and a
throwaway MLflow store for platform runs."""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def per_step_costs(
    candidates: dict[str, Callable[[int], object]], short: int, long: int, repeats: int
) -> dict[str, list[float]]:
    """Seconds per step of each candidate, one value per repeat.

    Each value is ``(time(long steps) - time(short steps)) / (long - short)``, so start-up
    (imports, building, the MLflow run) cancels out. Candidates run interleaved, their order
    rotating each repeat, so that a noisy neighbour hits all of them alike.

    :param candidates: name -> a function training for the given number of steps.
    """
    names = list(candidates)
    costs: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        order = names[repeat % len(names):] + names[: repeat % len(names)]
        for name in order:
            elapsed = {}
            for steps in (short, long):
                started = time.perf_counter()
                candidates[name](steps)
                elapsed[steps] = time.perf_counter() - started
            costs[name].append((elapsed[long] - elapsed[short]) / (long - short))
    return costs


def print_cost_ratio(setting: Any, costs: dict[str, list[float]], limit: float) -> None:
    """Print a setting's per-step cost without and with what a benchmark adds, and the ratio
    of the medians against ``limit``."""
    ratio = median(costs["with"]) / median(costs["without"])
    verdict = "ok" if ratio <= limit else "OVER"
    print(
        f"{setting.name}: hidden {setting.hidden}, length {setting.length}, batch "
        f"{setting.batch}: {median(costs['without']) * 1000:.2f} ms/step without, "
        f"{median(costs['with']) * 1000:.2f} with -> {ratio:.3f}x "
        f"(limit {limit:.2f}x: {verdict})"
    )


def median(values: list[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


@contextlib.contextmanager
def throwaway_store() -> Iterator[Path]:
    """Point MLflow at a fresh SQLite store in a temporary folder (and work there)."""
    previous_uri = os.environ.get("MLFLOW_TRACKING_URI")
    previous_dir = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="seqlab-bench-") as folder:
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{Path(folder) / 'mlflow.db'}"
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(previous_dir)
            if previous_uri is None:
                os.environ.pop("MLFLOW_TRACKING_URI", None)
            else:
                os.environ["MLFLOW_TRACKING_URI"] = previous_uri


@contextlib.contextmanager
def captured_output() -> Iterator[None]:
    """Swallow what a run prints (its progress bar is drawn, into memory)."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        yield


def machine() -> str:
    """One line about this machine: processor, cores, torch threads, load."""
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads, load average {load}"
    )
