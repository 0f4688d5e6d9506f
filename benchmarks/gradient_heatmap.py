"""The Long-term view's gradient-flow heatmap at 1,000 positions × 300 steps × 2 runs: the
vectorised grid (``seqlab_dashboard.pages.longterm.mean_by_position``) against the loop it
replaced (``list.index`` per value, kept here as the baseline), in the same session.

Both are timed alternately, ``--repeats`` times (median); the script checks they agree, and
prints the whole figure's build time too.

Run: ``PYTHONPATH=platform:plugins:dashboards .venv/bin/python benchmarks/gradient_heatmap.py``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from timing import median


def loop_grid(flows: list[Any]) -> tuple[Any, Any, list[int], list[int]]:
    """The baseline: the loop the heatmap used before (a ``list.index`` per value)."""
    import numpy as np

    positions = sorted({p for f in flows for p in f.positions})
    steps = sorted({s for f in flows for s in f.steps})
    total = np.zeros((len(steps), len(positions)))
    count = np.zeros_like(total)
    for flow in flows:
        for step, row in zip(flow.steps, flow.values):
            for position, value in zip(flow.positions, row):
                if value > 0 and np.isfinite(value):
                    i, j = steps.index(step), positions.index(position)
                    total[i, j] += value
                    count[i, j] += 1
    return total, count, positions, steps


def flows_of(runs: int, positions: int, steps: int) -> list[Any]:
    """Gradient flows of ``runs`` runs as the dashboard reads them (steps offset between runs,
    so the grid is their union; a NaN and a zero in each)."""
    import numpy as np

    from seqlab_dashboard.data import ByPosition

    generator = np.random.default_rng(0)
    flows = []
    for run in range(runs):
        values = generator.lognormal(size=(steps, positions))
        values[0, 0], values[1, 1] = np.nan, 0.0
        flows.append(ByPosition(list(range(positions)), [run + 10 * s for s in range(steps)], values.tolist()))
    return flows


def main() -> None:
    """Print both grids' median times and their ratio."""
    import numpy as np

    from seqlab_dashboard.pages.longterm import _heatmap_figure, mean_by_position

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--positions", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    flows = flows_of(args.runs, args.positions, args.steps)
    times: dict[str, list[float]] = {"loop": [], "vectorised": [], "figure": []}
    for _ in range(args.repeats):
        for name, build in (("loop", loop_grid), ("vectorised", mean_by_position),
                            ("figure", lambda f: _heatmap_figure(f, "bench"))):
            started = time.perf_counter()
            result = build(flows)
            times[name].append(time.perf_counter() - started)
            if name == "loop":
                expected = result
            elif name == "vectorised":
                assert all(np.allclose(a, b) for a, b in zip(result[:2], expected[:2]))
                assert list(result[2:]) == list(expected[2:])
    loop, fast = median(times["loop"]), median(times["vectorised"])
    print(f"heatmap grid, {args.positions} positions x {args.steps} steps x {args.runs} runs, "
          f"{args.repeats} repeats: loop {loop * 1000:.0f} ms, vectorised {fast * 1000:.1f} ms "
          f"-> {loop / fast:.0f}x faster; whole heatmap figure {median(times['figure']) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
