"""What recording a strategy's own metrics costs per step: the Lightning logger that forwards
``self.log`` to the recorder, and the learning-rate recorder.

The same platform run as ``overhead.py`` (``seqlab.run.runner.train``, default settings), with
both, and without them (the logger replaced by ``logger=False`` and the learning-rate recorder
by a callback that does nothing, as before they existed); per-step cost from the difference of
two run lengths, runs interleaved, median of the repeats. Must stay at or under 1.02x.

Run: ``.venv/bin/python benchmarks/strategy_logging_cost.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytorch_lightning as pl
from overhead import add_setting_arguments, measured_settings, platform_run
from timing import per_step_costs, print_cost_ratio

LIMIT = 1.02


@contextmanager
def without_strategy_logging() -> Iterator[None]:
    """Build runs without the logger and the learning-rate recorder while the block runs."""
    from seqlab.measure import measurements

    saved = measurements.RecorderLogger, measurements.LearningRateRecorder
    no_logger: Callable[[Any], Any] = lambda recorder: False
    measurements.RecorderLogger = no_logger  # type: ignore[assignment,misc]
    measurements.LearningRateRecorder = lambda recorder: pl.Callback()  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        measurements.RecorderLogger, measurements.LearningRateRecorder = saved


def run_without(setting: Any, steps: int) -> None:
    """A platform run without strategy logging."""
    with without_strategy_logging():
        platform_run(setting, steps)


def main() -> None:
    """Print per-step costs with and without strategy logging, and their ratio, per setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    add_setting_arguments(parser)
    args = parser.parse_args()
    for setting in measured_settings(args):
        costs = per_step_costs(
            {
                "without": lambda steps, s=setting: run_without(s, steps),
                "with": lambda steps, s=setting: platform_run(s, steps),
            },
            setting.short, setting.long, args.repeats,
        )
        print_cost_ratio(setting, costs, LIMIT)


if __name__ == "__main__":
    main()
