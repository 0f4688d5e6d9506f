"""What a sweep prints at the end: a summary readable at 80 columns, and where to look."""

from __future__ import annotations

import io

from rich.console import Console

from seqlab.messages import LOOK_AT_IT
from seqlab.registry.components import build_registry
from seqlab.sweep.launch import SweepReport
from seqlab.sweep.report import print_summary
from seqlab.sweep.suite import Suite, expand
from seqlab.sweep.worker import RunResult


def test_the_summary_keeps_each_run_whole_at_80_columns_and_ends_with_the_hint() -> None:
    suite = Suite(
        name="narrow",
        base={"task": "adding", "strategy": "bptt", "trainer.max_steps": 5},
        grid={"model": ["lstm", "gru"], "task.length": [10, 200], "seed": [0, 1]},
    )
    plan = expand(suite, build_registry())
    reason = "RuntimeError: " + "a long explanation of what went wrong " * 4
    results = [
        RunResult(run.index, "FAILED" if run.index % 2 else "FINISHED", "id", 1.5,
                  {"val/loss": 0.25}, reason if run.index % 2 else None)
        for run in plan.runnable
    ]
    out = io.StringIO()
    print_summary(SweepReport(plan, "narrow", [], results, False), Console(file=out, width=80))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    for run in plan.runnable:
        assert any(run.label in line for line in lines), run.label
    assert lines[-1] == LOOK_AT_IT
