"""What the probe at its default interval adds to training: gradient-flow capture at every
validation, and the state trace (start and end) for models that carry state (the LSTM here).

The same platform run as ``overhead.py`` (``seqlab.run.runner.train``, default settings), with and
without the gradient-flow probe; per-step cost from the difference of two run lengths, runs
interleaved, median of the repeats. Must stay at or under 1.05x.

Run: ``.venv/bin/python benchmarks/gradient_flow_cost.py``.
"""

from __future__ import annotations

import argparse

from overhead import add_setting_arguments, measured_settings, platform_run
from timing import per_step_costs, print_cost_ratio

LIMIT = 1.05


def main() -> None:
    """Print per-step costs with and without the probe, and their ratio, per setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    add_setting_arguments(parser)
    args = parser.parse_args()
    for setting in measured_settings(args):
        costs = per_step_costs(
            {
                "without": lambda steps, s=setting: platform_run(
                    s, steps, ["trainer.gradient_flow=false"]
                ),
                "with": lambda steps, s=setting: platform_run(s, steps),
            },
            setting.short, setting.long, args.repeats,
        )
        print_cost_ratio(setting, costs, LIMIT)


if __name__ == "__main__":
    main()
