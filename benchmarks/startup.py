"""Start-up cost of seqlab's commands against the imports they cannot avoid, as ratios.

Every figure comes from real commands (subprocesses) in one benchmark run, on a throwaway
MLflow store:

- **run**: ``seqlab run`` of a 5-step LSTM run against ``python -c "import torch,
  pytorch_lightning, mlflow"``, interleaved, median of the repeats (goal: ratio <= 1.15). The
  store is created first by one untimed run (creating MLflow's schema is a one-time cost of a
  new store; its time is printed too). ``seqlab`` ends without the interpreter's teardown
  (seqlab.console.quick_exit), which the baseline command pays, so the same imports ended by
  ``os._exit`` are timed too: the run against them is seqlab's own work.
- **sweep**: 2-worker sweeps of N1 and N2 5-step runs, interleaved. *Start*: from the command
  to the first run's training start, read from the recorded runs (goal: <= the imports + 2 s,
  the imports ended by ``os._exit``).
  *Marginal cost per run and worker slot*: ``(T(N2) - T(N1)) * workers / (N2 - N1)`` (goal:
  <= 0.3 s); also read from the N2-run sweeps' recorded runs (their span times the workers,
  over the runs), which adds one sweep's noise instead of two.
- **suites**: the nine built-in ``quick`` suites back to back, as one ``seqlab sweep`` each and
  as one ``seqlab sweep`` naming all nine (which starts its warm worker server once); the share
  of worker-slot time (wall x workers) spent training, summed from the runs'
  ``eff/train_time_s`` (goal: >= 80 %), and, for the one command, where the slot-seconds not
  training went (before the first run, inside runs, between runs, after the last).
- **syncs**: disk syncs (``fsync`` and ``fdatasync`` calls, counted by ``strace -f -c``) of
  one tiny ``seqlab run`` and of a 2-worker sweep of N1 runs, per run: a count the machine's
  load does not disturb.
- **dash**: ``seqlab dash`` until its first page answers, against ``python -c "import dash,
  mlflow"`` plus the dashboard's store read (goal: ratio <= 1.5).

    .venv/bin/python benchmarks/startup.py [--repeats 5] [--parts run,sweep,suites,syncs,dash]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import yaml

PYTHON = sys.executable
SEQLAB = str(Path(sys.executable).with_name("seqlab"))
IMPORTS = "import torch, pytorch_lightning, mlflow"
IMPORTS_ONLY = "the imports, no teardown"
TINY = [
    "model=lstm", "task=adding", "strategy=bptt", "task.length=10", "trainer.max_steps=5",
]
WORKERS = 2
GOAL_RUN = 1.15
GOAL_START_MARGIN_S = 2.0
GOAL_MARGINAL_S = 0.3
GOAL_TRAINING_SHARE = 0.80
GOAL_DASH = 1.5


CPU_TIMES: dict[str, list[float]] = {}
"""CPU seconds (user + system) of each command :func:`timed` ran, by its name: steadier than
wall time on a busy machine (it omits waiting for a core), and equal to it for a
single-threaded start-up on a quiet one."""


def timed(command: Sequence[str], folder: Path, name: str = "") -> float:
    """Wall seconds of a command run in ``folder``; fails loudly if it fails. Its CPU seconds
    (its own and its waited-for children's) go to :data:`CPU_TIMES` under ``name``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    CPU_TIMES.setdefault(name, []).append(cpu)
    return elapsed


def interleaved(commands: dict[str, list[str]], repeats: int, folder: Path) -> dict[str, list[float]]:
    """Wall times of each command, run in rotating order ``repeats`` times."""
    names = list(commands)
    times: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names[repeat % len(names):] + names[: repeat % len(names)]:
            times[name].append(timed(commands[name], folder, name))
    return times


def show(name: str, values: list[float]) -> float:
    """Print a command's median and spread; return the median."""
    middle = statistics.median(values)
    spread = ", ".join(f"{value:.2f}" for value in values)
    print(f"  {name:<34} median {middle:6.2f} s   ({spread})")
    return middle


def verdict(ok: bool) -> str:
    """``ok`` or ``MISSED``."""
    return "ok" if ok else "MISSED"


def bench_run(repeats: int, folder: Path) -> float:
    """Time the tiny run against the imports; returns the median of the imports ended by
    ``os._exit`` (the stack's import time, without the interpreter's teardown)."""
    print(f"seqlab run (tiny) vs the imports, {repeats} interleaved repeats")
    fresh = timed([SEQLAB, "run", *TINY, "--no-progress"], folder)
    print(f"  first run, creating the store        {fresh:6.2f} s   (once per store)")
    times = interleaved({
        IMPORTS: [PYTHON, "-c", IMPORTS],
        IMPORTS_ONLY: [PYTHON, "-c", f"{IMPORTS}, os; os._exit(0)"],
        "seqlab run ... --no-progress": [SEQLAB, "run", *TINY, "--no-progress"],
    }, repeats, folder)
    imports = show(IMPORTS, times[IMPORTS])
    imports_only = show("same, ended by os._exit", times[IMPORTS_ONLY])
    run = show("seqlab run ... --no-progress", times["seqlab run ... --no-progress"])
    ratio = run / imports
    print(f"  ratio {ratio:.3f}x (goal <= {GOAL_RUN}x), {run - imports:+.2f} s beyond the "
          f"imports: {verdict(ratio <= GOAL_RUN)}")
    print(f"  against the imports without the interpreter's teardown (seqlab skips it too): "
          f"{run / imports_only:.3f}x, {run - imports_only:+.2f} s of seqlab's own work")
    for name, label in ((IMPORTS, "imports"), (IMPORTS_ONLY, "imports ended by os._exit")):
        cpu_imports = statistics.median(CPU_TIMES[name])
        cpu_run = statistics.median(CPU_TIMES["seqlab run ... --no-progress"])
        print(f"  CPU time: {label} {cpu_imports:.2f} s, run {cpu_run:.2f} s, ratio "
              f"{cpu_run / cpu_imports:.3f}x (medians)")
    return imports_only


def write_suite(folder: Path, name: str, runs: int) -> Path:
    """A suite file of ``runs`` 5-step runs (one per seed)."""
    path = folder / f"{name}.yaml"
    base = dict(item.split("=", 1) for item in TINY)
    path.write_text(yaml.safe_dump({"name": name, "base": base, "grid": {"seed": list(range(runs))}}))
    return path


def recorded_runs(folder: Path, experiment: str) -> list:
    """The runs of an experiment in the benchmark's store."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=os.environ["MLFLOW_TRACKING_URI"])
    found = client.get_experiment_by_name(experiment)
    return [] if found is None else client.search_runs([found.experiment_id], max_results=1000)


def training_start(run: object) -> float:
    """When a run's training began (seconds since the epoch): its recorded training time
    counted back from when that value was recorded."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=os.environ["MLFLOW_TRACKING_URI"])
    (point,) = client.get_metric_history(run.info.run_id, "eff/train_time_s")  # type: ignore[attr-defined]
    return point.timestamp / 1000 - point.value


def sweep(folder: Path, suite: Path, experiment: str, workers: int = WORKERS) -> tuple[float, float, list]:
    """Run a sweep; returns its wall time, its start (command to first training) and its
    recorded runs."""
    command = [SEQLAB, "sweep", str(suite), "--workers", str(workers), "--experiment", experiment]
    launched = time.time()
    wall = timed(command, folder)
    runs = recorded_runs(folder, experiment)
    first = min(training_start(run) for run in runs)
    return wall, first - launched, runs


def span(runs: list) -> tuple[float, float]:
    """When the first of the recorded runs was created and the last ended (seconds since the
    epoch)."""
    return (min(run.info.start_time for run in runs) / 1000,
            max(run.info.end_time for run in runs) / 1000)


def slot_cycle(runs: list) -> float:
    """Worker-slot seconds per run while a sweep's runs follow each other: the span from the
    first run's creation to the last run's end, times the workers, over the runs. Steadier
    than the difference of two sweeps' wall times, which adds two sweeps' noise."""
    begun, ended = span(runs)
    return (ended - begun) * WORKERS / len(runs)


def bench_sweep(repeats: int, folder: Path, imports: float | None, small: int, large: int) -> None:
    """Sweep start and the marginal cost of a run per worker slot."""
    print(f"\nseqlab sweep, {WORKERS} workers, {small} vs {large} runs of 5 steps, "
          f"{repeats} interleaved repeats")
    walls: dict[int, list[float]] = {small: [], large: []}
    starts: list[float] = []
    cycles: list[float] = []
    for repeat in range(repeats):
        for runs in (small, large) if repeat % 2 == 0 else (large, small):
            suite = write_suite(folder, f"bench{runs}", runs)
            wall, start, recorded = sweep(folder, suite, f"bench{runs}-{repeat}")
            walls[runs].append(wall)
            starts.append(start)
            if runs == large:
                cycles.append(slot_cycle(recorded))
    t_small = show(f"sweep of {small} runs", walls[small])
    t_large = show(f"sweep of {large} runs", walls[large])
    start = show("sweep start (command to training)", starts)
    marginal = (t_large - t_small) * WORKERS / (large - small)
    print(f"  marginal cost per run and worker slot {marginal:.3f} s "
          f"(goal <= {GOAL_MARGINAL_S} s): {verdict(marginal <= GOAL_MARGINAL_S)}")
    cycle = statistics.median(cycles)
    print(f"  the same from the recorded runs of the {large}-run sweeps: {cycle:.3f} s "
          f"(median; {', '.join(f'{c:.3f}' for c in cycles)}): {verdict(cycle <= GOAL_MARGINAL_S)}")
    if imports is not None:
        print(f"  sweep start {start:.2f} s = the imports (ended by os._exit) + {start - imports:.2f} s "
              f"(goal <= + {GOAL_START_MARGIN_S} s): {verdict(start - imports <= GOAL_START_MARGIN_S)}")


def bench_suites(folder: Path) -> None:
    """The quick suites back to back, as one command each and as one command for all: the
    share of worker-slot time spent training."""
    print(f"\nthe built-in quick suites back to back, {WORKERS} workers")
    slots = training = 0.0
    from seqlab.sweep.builtin import builtin_suites

    quick = [
        suite for suite in builtin_suites().values()
        if "quick" in (yaml.safe_load(suite.read_text()).get("sizes") or {})
    ]
    for suite in quick:
        experiment = f"quick-{suite.stem}"
        wall, start, runs = sweep(folder, suite, experiment)
        trained = sum(run.data.metrics.get("eff/train_time_s", 0.0) for run in runs)
        slots += wall * WORKERS
        training += trained
        print(f"  {suite.stem:<14} {len(runs):3d} runs  wall {wall:6.1f} s  start {start:5.1f} s"
              f"  training {trained / (wall * WORKERS):6.1%} of worker-slot time")
    share = training / slots
    print(f"  one command each: {share:.1%} of worker-slot time training (goal >= "
          f"{GOAL_TRAINING_SHARE:.0%}): {verdict(share >= GOAL_TRAINING_SHARE)}")
    # the same suites in one command, each into its own (default) experiment: the suite's name
    launched = time.time()
    wall = timed([SEQLAB, "sweep", *(suite.stem for suite in quick), "--workers", str(WORKERS)], folder)
    runs = [
        run for suite in quick
        for run in recorded_runs(folder, yaml.safe_load(suite.read_text())["name"])
    ]
    trained = sum(run.data.metrics.get("eff/train_time_s", 0.0) for run in runs)
    share = trained / (wall * WORKERS)
    print(f"  one command for all ({len(runs)} runs, wall {wall:.1f} s): {share:.1%} of "
          f"worker-slot time training (goal >= {GOAL_TRAINING_SHARE:.0%}): "
          f"{verdict(share >= GOAL_TRAINING_SHARE)}")
    print_overhead(runs, launched, wall, trained)


def print_overhead(runs: list, launched: float, wall: float, trained: float) -> None:
    """Where one sweep's worker-slot seconds not spent training went, from its recorded runs:
    the overhead is the goal's measure that the machine's speed moves least (a slower machine
    trains longer, which raises the share)."""
    first, last = span(runs)
    inside = sum((run.info.end_time - run.info.start_time) / 1000 for run in runs)
    parts = {
        "before the first run's creation": (first - launched) * WORKERS,
        "inside runs, outside training": inside - trained,
        "between runs": (last - first) * WORKERS - inside,
        "after the last run's end": (launched + wall - last) * WORKERS,
    }
    print(f"  slot-seconds not training: {wall * WORKERS - trained:.1f} of {wall * WORKERS:.1f} ("
          + ", ".join(f"{name} {seconds:.1f}" for name, seconds in parts.items())
          + f"; {(parts['inside runs, outside training'] + parts['between runs']) / len(runs) * 1000:.0f}"
          " ms a run in all)")


def disk_syncs(command: Sequence[str], folder: Path) -> int:
    """``fsync`` and ``fdatasync`` calls of a command and its child processes (``strace``)."""
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as counts:
        traced = ["strace", "-f", "-qq", "-c", "-e", "trace=fsync,fdatasync", "-o", counts.name]
        timed([*traced, *command], folder, "strace")
        rows = [line.split() for line in counts.read().splitlines()]
    return sum(int(row[3]) for row in rows if row and row[-1] in ("fsync", "fdatasync"))


def bench_syncs(folder: Path, runs: int) -> None:
    """Disk syncs per run: a tiny run alone, and in a sweep."""
    print("\ndisk syncs (fsync + fdatasync, strace)")
    if not (folder / "mlflow.db").exists():  # creating the store is once per store: not counted
        timed([SEQLAB, "run", *TINY, "--no-progress"], folder)
    alone = disk_syncs([SEQLAB, "run", *TINY, "--no-progress"], folder)
    print(f"  seqlab run (tiny)                    {alone:4d}")
    suite = write_suite(folder, f"syncs{runs}", runs)
    command = [SEQLAB, "sweep", str(suite), "--workers", str(WORKERS), "--experiment", "syncs"]
    swept = disk_syncs(command, folder)
    print(f"  sweep of {runs} runs                      {swept:4d}   ({swept / runs:.1f} per run)")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def first_answer(folder: Path) -> float:
    """Seconds from launching ``seqlab dash`` to its first page and that page's layout."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen([SEQLAB, "dash", "--port", str(port)], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"seqlab dash exited with {server.returncode}")
            try:
                for path in ("/", "/_dash-layout"):  # the page, then what it asks for first
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as answer:
                        answer.read()
                return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
    finally:
        server.terminate()
        server.wait()


def bench_dash(repeats: int, folder: Path) -> None:
    """The dashboard's first answer against importing Dash and MLflow and reading the store."""
    print(f"\nseqlab dash first answer vs imports + store read, {repeats} interleaved repeats")
    baseline = "import dash, mlflow; from seqlab_dashboard.data import open_store; open_store().runs()"
    served: list[float] = []
    read: list[float] = []
    for repeat in range(repeats):
        if repeat % 2:
            served.append(first_answer(folder))
        read.append(timed([PYTHON, "-c", baseline], folder))
        if not repeat % 2:
            served.append(first_answer(folder))
    base = show("import dash, mlflow + store read", read)
    dash = show("seqlab dash, first page", served)
    print(f"  ratio {dash / base:.3f}x (goal <= {GOAL_DASH}x): {verdict(dash / base <= GOAL_DASH)}")


def main() -> None:
    """Measure the parts asked for in one throwaway store and print their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--parts", default="run,sweep,suites,syncs,dash")
    parser.add_argument("--sweep-runs", default="4,24", help="N1,N2 runs of the two sweeps")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    small, large = (int(n) for n in args.sweep_runs.split(","))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}, {time.strftime('%d %b %Y %H:%M UTC', time.gmtime())}")
    with tempfile.TemporaryDirectory(prefix="seqlab-startup-") as name:
        folder = Path(name)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
        os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)
        imports = bench_run(args.repeats, folder) if "run" in parts else None
        if "sweep" in parts:
            bench_sweep(max(2, args.repeats // 2), folder, imports, small, large)
        if "suites" in parts:
            bench_suites(folder)
        if "syncs" in parts:
            bench_syncs(folder, small)
        if "dash" in parts:
            bench_dash(args.repeats, folder)


if __name__ == "__main__":
    main()
