"""``seqlab evidence`` on a terminal: one row per hypothesis, and how it was judged."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from seqlab.evidence.report import EvidenceReport

VERDICT_STYLES = {"supported": "bold green", "contradicted": "bold red", "inconclusive": "yellow"}


def effect_text(row: dict[str, Any]) -> str:
    """``-0.12 [-0.2, -0.05] 98.8%``: the effect, its interval and the interval's level;
    ``-0.12 (n < 3: no interval)`` for an effect measured on fewer seeds than the rule needs."""
    from seqlab.evidence.estimate import MIN_SEEDS

    effect = row["effect"]
    if effect is None or (isinstance(effect, float) and math.isnan(effect)):
        return "-"
    low, high, level = row["ci_low"], row["ci_high"], row["ci_level"]
    if low is None or (isinstance(low, float) and math.isnan(low)):
        if any(count < MIN_SEEDS for count in (row["n"] or {}).values()):
            return f"{effect:.4g} (n < {MIN_SEEDS}: no interval)"
        return f"{effect:.4g}"
    return f"{effect:.4g} [{low:.4g}, {high:.4g}] {level:.1%}"


def n_text(row: dict[str, Any]) -> str:
    """Seeds per group, ``a 5 · b 5`` (the smallest count over the strata judged)."""
    return " · ".join(f"{group} {count}" for group, count in (row["n"] or {}).items()) or "-"


def print_verdicts(report: EvidenceReport, console: Console | None = None) -> None:
    """Print a suite's verdicts as a table, then the method and where the runs came from."""
    console = console or Console()
    size = f" (size {report.size})" if report.size else ""
    table = Table(title=f"evidence: {report.suite.name}{size}", show_lines=True)
    for column, options in (
        ("claim", {"no_wrap": True}),
        ("statement, and why", {"ratio": 4, "min_width": 24}),
        ("verdict", {"no_wrap": True}),
        ("effect [CI]", {"ratio": 2, "min_width": 12}),
        ("n", {"ratio": 1}),
    ):
        table.add_column(column, overflow="fold", **options)
    records = report.records()
    for row in records:
        statement = Text(row["statement"])
        if row["reason"]:
            statement.append("\n" + row["reason"], style="dim")
        table.add_row(
            Text(row["claim"]),
            statement,
            Text(row["verdict"], style=VERDICT_STYLES.get(row["verdict"], "")),
            Text(effect_text(row)),
            Text(n_text(row)),
        )
    console.print(table)
    counts = {v: sum(r["verdict"] == v for r in records) for v in VERDICT_STYLES}
    console.print(", ".join(f"{count} {verdict}" for verdict, count in counts.items()))
    if records:
        console.print(Text(f"Intervals: {records[0]['method']}."))
    console.print(Text(
        f"{len(report.runs)} finished runs of experiment {report.experiment!r} in "
        f"{report.tracking_uri}; suite {report.path} (sha256 {report.digest}), "
        f"seqlab {report.seqlab_version}."
    ))
