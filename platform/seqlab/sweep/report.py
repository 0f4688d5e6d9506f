"""What a sweep shows: the expanded plan, a progress bar with status lines, a summary table."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from seqlab.messages import LOOK_AT_IT
from seqlab.store import record
from seqlab.store.status import RunStatus

if TYPE_CHECKING:
    from seqlab.sweep.suite import PlannedRun, SweepPlan
    from seqlab.sweep.worker import RunResult

STATUS_STYLE = {
    RunStatus.FINISHED: "green",
    RunStatus.FAILED: "red",
    RunStatus.KILLED: "yellow",
    RunStatus.NOT_STARTED: "yellow",
    RunStatus.DIVERGED: "magenta",
    "SKIPPED": "dim",
}
HEADLINE_METRICS = (record.NORMALIZED_SCORE, record.validation_metric("loss"))
"""The first of these a run recorded is shown beside it."""


@dataclass
class SweepReport:
    """What a sweep did.

    :param plan: the expanded suite.
    :param experiment: the MLflow experiment its runs went to.
    :param already_finished: runs skipped because a FINISHED run of the same spec exists.
    :param results: how each launched run ended, in the order they ended.
    :param stopped: whether Ctrl-C or SIGTERM stopped it.
    """

    plan: SweepPlan
    experiment: str
    already_finished: list[PlannedRun]
    results: list[RunResult]
    stopped: bool

    def count(self, status: str) -> int:
        """How many launched runs ended with ``status``."""
        return sum(result.status == status for result in self.results)

    @property
    def exit_code(self) -> int:
        """130 when stopped, 1 when a run failed, else 0."""
        if self.stopped:
            return 130
        return 1 if self.count(RunStatus.FAILED) else 0


def _status(result: RunResult) -> str:
    if result.status == RunStatus.FINISHED and result.diverged:
        return RunStatus.DIVERGED
    return result.status


def _headline(result: RunResult) -> str:
    for key in HEADLINE_METRICS:
        if key in result.metrics:
            return f"{key}={result.metrics[key]:.4g}"
    return ""


def print_plan(plan: SweepPlan, workers: int, console: Console | None = None) -> None:
    """Print the expanded list of runs (``--dry-run``): label, spec hash or skip reason, then
    the sweep's estimated time with ``workers`` runs at once (``seqlab.sweep.duration``)."""
    from seqlab.sweep.duration import format_duration, sweep_seconds

    console = console or Console()
    size = f" (size {plan.size})" if plan.size else ""
    table = Table(title=f"sweep {plan.name}{size}: {len(plan.runs)} combinations")
    table.add_column("#", justify="right")
    table.add_column("run")
    table.add_column("spec hash / skipped because")
    for run in plan.runs:
        if run.skip_reason:
            table.add_row(str(run.index), run.label, f"[dim]{run.skip_reason}[/dim]")
        else:
            spec_hash = run.spec.spec_hash()  # type: ignore[union-attr]  # not skipped
            table.add_row(str(run.index), run.label, spec_hash)
    console.print(table)
    console.print(
        f"{len(plan.runnable)} to run, {len(plan.skipped)} skipped "
        "(runs already FINISHED in the store are skipped too when the sweep runs)"
    )
    console.print(
        f"estimated time: {format_duration(sweep_seconds(plan, workers))} with {workers} at once "
        "on a quiet CPU like the development machine (a cost model: docs/sweeps.md)"
    )


class SweepProgress:
    """A progress bar with ETA over the launched runs, and a status line per ended run.

    :param title: the bar's description (``sweep NAME``).
    :param total: the runs launched.
    :param console: where to draw.
    """

    def __init__(self, title: str, total: int, console: Console | None = None) -> None:
        self.total = total
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        self.task = self.progress.add_task(title, total=total)

    def __enter__(self) -> SweepProgress:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def show(self, result: RunResult, label: str, index: int) -> None:
        """Print the run's status line (its index in its plan, its label) and advance the bar."""
        status = _status(result)
        style = STATUS_STYLE.get(status, "")
        detail = _headline(result) if status in (RunStatus.FINISHED, RunStatus.DIVERGED) else result.reason or ""
        self.progress.console.print(
            f"[{style}]{status:<11}[/{style}] #{index:<3} {label}"
            f"  {result.seconds:.1f}s  {detail}",
            markup=True, highlight=False, soft_wrap=True,
        )
        self.progress.advance(self.task)


def print_summary(report: SweepReport, console: Console | None = None) -> None:
    """Print one row per combination and the counts: finished, skipped, failed, diverged."""
    console = console or Console()
    plan = report.plan
    results = {result.index: result for result in report.results}
    already = {run.index for run in report.already_finished}
    table = Table(title=f"sweep {plan.name}: experiment {report.experiment}")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("run", no_wrap=True)  # the key: kept whole, the reason wraps instead
    table.add_column("status", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("result / reason", overflow="fold", min_width=12)
    for run in plan.runs:
        if run.index in results:
            result = results[run.index]
            status = _status(result)
            detail = _headline(result) if result.status == RunStatus.FINISHED else result.reason or ""
            time = f"{result.seconds:.1f}s"
        else:
            status, time = "SKIPPED", ""
            detail = "already FINISHED" if run.index in already else run.skip_reason or "not run"
        style = STATUS_STYLE.get(status, "")
        table.add_row(str(run.index), run.label, f"[{style}]{status}[/{style}]", time, detail)
    console.print(table)
    diverged = sum(_status(result) == RunStatus.DIVERGED for result in report.results)
    parts = [
        f"{report.count('FINISHED')} finished ({diverged} diverged)",
        f"{len(report.already_finished) + len(plan.skipped) + report.count('SKIPPED')} skipped "
        f"({len(report.already_finished)} already finished, "
        f"{report.count('SKIPPED')} trained by another process, "
        f"{len(plan.skipped)} invalid or duplicate)",
        f"{report.count('FAILED')} failed",
        f"{report.count('KILLED') + report.count('NOT_STARTED')} stopped",
    ]
    console.print(", ".join(parts))
    if report.stopped:
        console.print("stopped: run the same command again to resume")
    if report.count("FINISHED") or report.already_finished:
        console.print(LOOK_AT_IT)
