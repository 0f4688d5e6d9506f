"""Peak training memory against sequence length for full BPTT and truncated BPTT.

Each point is one ``seqlab run`` in a process of its own (so peaks do not mix), recorded in a
throwaway MLflow store and read back: ``eff/memory_growth_mb`` (peak memory during training
steps minus memory before training; CPU: resident set size, CUDA: allocated memory). Growth
from the shortest to the longest length must be at least 10x smaller with ``tbptt``.

On CPU the runs get ``MALLOC_MMAP_THRESHOLD_=131072``: glibc otherwise raises its mmap
threshold after the first large free, keeps later freed tensors in a fragmenting heap, and the
resident set creeps with the number of allocations (tbptt's chunk count) by tens of MiB,
from run to run differently; with a fixed threshold large tensors go back to the system when
freed and the resident set follows what is alive.

Run: ``.venv/bin/python benchmarks/tbptt_memory.py`` (``--accelerator cuda`` on a GPU).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from timing import machine, throwaway_store

LENGTHS = (100, 500, 1000, 2000, 4000)
STRATEGIES = {
    "bptt": ["strategy=bptt"],
    "tbptt": ["strategy=tbptt", "strategy.k1=100", "strategy.k2=100"],
}
COMMON = [
    "model=lstm", "model.hidden_size=128", "task=adding", "trainer.batch_size=32",
    "trainer.max_steps=3", "trainer.val_every=3", "trainer.val_size=32",
]
REQUIRED_FACTOR = 10.0
FAITHFUL_RSS = {"MALLOC_MMAP_THRESHOLD_": "131072"}


def run_point(strategy: str, length: int, accelerator: str) -> str:
    """Train one point in a fresh ``seqlab`` process; returns its run id."""
    seqlab = str(Path(sys.executable).with_name("seqlab"))
    args = [seqlab, "run", *COMMON, *STRATEGIES[strategy], f"task.length={length}",
            f"trainer.accelerator={accelerator}", "--no-progress"]
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **FAITHFUL_RSS})
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[1:])} failed:\n{done.stderr[-2000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("run "))
    return line.split()[1]


def main() -> None:
    """Print peak memory and growth per length and strategy, and the growth ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accelerator", default="cpu")
    args = parser.parse_args()
    from mlflow import MlflowClient

    from seqlab.store import record

    print(f"machine: {machine()}")
    print(f"lstm hidden 128, adding, batch 32, 3 steps; tbptt k1 = k2 = 100; {args.accelerator}")
    growth: dict[str, dict[int, float]] = {name: {} for name in STRATEGIES}
    with throwaway_store():
        client = MlflowClient()
        print(f"{'length':>7}" + "".join(f"  {name + ' peak/growth MiB':>26}" for name in STRATEGIES))
        for length in LENGTHS:
            cells = []
            for name in STRATEGIES:
                metrics = client.get_run(run_point(name, length, args.accelerator)).data.metrics
                growth[name][length] = metrics[record.MEMORY_GROWTH_MB]
                cells.append(f"{metrics[record.PEAK_MEMORY_MB]:11.1f} / {growth[name][length]:8.1f}")
            print(f"{length:>7}" + "".join(f"  {cell:>26}" for cell in cells))
    first, last = LENGTHS[0], LENGTHS[-1]
    rise = {name: max(values[last] - values[first], 0.0) for name, values in growth.items()}
    factor = rise["bptt"] / max(rise["tbptt"], 1e-9)
    verdict = "ok" if factor >= REQUIRED_FACTOR else "TOO SMALL"
    print(
        f"growth of training memory from T={first} to T={last}: bptt {rise['bptt']:.1f} MiB, "
        f"tbptt {rise['tbptt']:.1f} MiB -> {factor:.1f}x smaller with tbptt "
        f"(required >= {REQUIRED_FACTOR:.0f}x: {verdict})"
    )


if __name__ == "__main__":
    main()
