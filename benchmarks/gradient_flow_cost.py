"""What gradient-flow capture at its default interval (every validation) adds to training.

The same platform run as ``overhead.py`` (``seqlab.runner.train``, default settings), with and
without the gradient-flow probe; per-step cost from the difference of two run lengths, runs
interleaved, median of the repeats. Must stay at or under 1.05x.

Run: ``.venv/bin/python benchmarks/gradient_flow_cost.py``.
"""

from __future__ import annotations

import argparse

from overhead import SETTINGS, platform_run
from timing import machine, median, per_step_costs, throwaway_store

LIMIT = 1.05


def main() -> None:
    """Print per-step costs with and without the probe, and their ratio, per setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--setting", choices=[s.name for s in SETTINGS], action="append")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    print(f"machine: {machine()}")
    with throwaway_store():
        platform_run(SETTINGS[1], 2)  # warm up imports and the store
        for setting in SETTINGS:
            if args.setting and setting.name not in args.setting:
                continue
            costs = per_step_costs(
                {
                    "without": lambda steps, s=setting: platform_run(s, steps, gradient_flow=False),
                    "with": lambda steps, s=setting: platform_run(s, steps, gradient_flow=True),
                },
                setting.short, setting.long, args.repeats,
            )
            ratio = median(costs["with"]) / median(costs["without"])
            verdict = "ok" if ratio <= LIMIT else "OVER"
            print(
                f"{setting.name}: hidden {setting.hidden}, length {setting.length}, batch "
                f"{setting.batch}: {median(costs['without']) * 1000:.2f} ms/step without, "
                f"{median(costs['with']) * 1000:.2f} with -> {ratio:.3f}x "
                f"(limit {LIMIT:.2f}x: {verdict})"
            )
    print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
