"""What ``seqlab run`` prints when a run has ended: its status and its final metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from seqlab.console.listing import table_console
from seqlab.messages import LOOK_AT_IT

if TYPE_CHECKING:
    from seqlab.run.runner import RunOutcome


def run_headline(outcome: RunOutcome) -> str:
    """``run ID FINISHED``, or ``run ID DIVERGED`` with the reason for a run that diverged."""
    if outcome.divergence is None:
        return f"run {outcome.run_id} FINISHED"
    return (
        f"run {outcome.run_id} DIVERGED ({outcome.divergence}); it stopped early and is "
        "recorded FINISHED with stab/diverged=1"
    )


def print_run_report(outcome: RunOutcome, tracking_uri: str) -> None:
    """Print the headline, a table of the run's final metrics by family, and where they are."""
    table = Table()
    table.add_column("family")
    table.add_column("metric")
    table.add_column("final value", justify="right")
    previous = None
    for key, value in sorted(outcome.metrics.items()):
        family, _, name = key.rpartition("/")
        if previous is not None and family != previous:
            table.add_section()
        table.add_row(family if family != previous else "", name, f"{value:.4g}")
        previous = family
    console = table_console()
    console.print(run_headline(outcome), highlight=False)
    console.print(table)
    console.print(f"recorded in {tracking_uri} (experiment id {outcome.experiment_id})")
    console.print(LOOK_AT_IT)
