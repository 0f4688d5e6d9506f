"""``seqlab suites``: the built-in suites with their claims, sizes, run counts and estimated time."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from seqlab.claims import CLAIMS


def suite_rows(workers: int) -> list[dict[str, Any]]:
    """One row per built-in suite: name, description, claims, and per size its runs and time.

    :param workers: runs at once the time estimate assumes (a sweep's default: the cores).
    """
    from seqlab.registry.components import build_registry
    from seqlab.sweep.builtin import builtin_suites
    from seqlab.sweep.duration import sweep_seconds
    from seqlab.sweep.suite import expand, load_suite

    registry = build_registry()
    rows = []
    for name, path in builtin_suites().items():
        suite = load_suite(path)
        sizes: dict[str, dict[str, Any]] = {}
        for size in suite.sizes or [None]:
            plan = expand(suite, registry, size)
            sizes[size or "-"] = {
                "runs": len(plan.runnable),
                "estimated_seconds": round(sweep_seconds(plan, workers)),
            }
        rows.append({"name": name, "description": suite.description,
                     "claims": suite.claims, "sizes": sizes})
    return rows


def print_suite_table(rows: list[dict[str, Any]], workers: int) -> None:
    """Print the suites, one line per size, then the statements of the claims they answer."""
    from seqlab.sweep.duration import format_duration

    console = Console()
    table = Table(title="built-in suites: seqlab sweep NAME [--size SIZE]")
    for column in ("suite", "claims", "size", "runs", f"est. time, {workers} at once", "compares"):
        table.add_column(column, justify="right" if column == "runs" else "left")
    for row in rows:
        for number, (size, figures) in enumerate(row["sizes"].items()):
            first = number == 0
            table.add_row(
                row["name"] if first else "",
                ", ".join(row["claims"]) if first else "",
                size,
                str(figures["runs"]),
                format_duration(figures["estimated_seconds"]),
                escape(row["description"]) if first else "",
                end_section=number == len(row["sizes"]) - 1,
            )
    console.print(table)
    claims = Table(title="the claims (docs/claims.md); times: a rough CPU estimate (docs/sweeps.md)")
    claims.add_column("id")
    claims.add_column("claim")
    for claim in CLAIMS:
        claims.add_row(claim.id, escape(claim.statement))
    console.print(claims)
