"""The ``compare`` kind: group a is better than group b on a metric, pooled over strata.

The effect is ``stat(a) - stat(b)`` (``stat``: mean or IQM over seeds; ``stat(a) - than`` when
a is compared with a fixed value) averaged over the strata both groups have, in metric units;
its interval comes from a stratified bootstrap (each group's seeds resampled within each
stratum). The probability of improvement, P(a run of a
beats a run of b), is the Mann-Whitney U over ``n_a · n_b`` averaged over strata, with its
bootstrap interval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl
from seqlab.evidence.hypotheses import CompareHypothesis

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.estimate import Estimate, Resampling
    from seqlab.evidence.kinds import RegisterHypothesisKind


@hookimpl
def register_hypothesis_kinds(register: RegisterHypothesisKind) -> None:
    """Register ``compare``."""
    register("compare", CompareHypothesis, estimate_compare, figure_compare)


def estimate_compare(
    hypothesis: CompareHypothesis, runs: pd.DataFrame, resampling: Resampling
) -> Estimate:
    """Measure a ``compare`` hypothesis: the pooled difference a - b (or a - than) and
    P(a better than b)."""
    import numpy as np

    from seqlab.evidence import statistics
    from seqlab.evidence.estimate import Cell, Estimate, Region
    from seqlab.evidence.selection import metric, seeds_reason, select

    selection = select(runs, hypothesis)
    if selection.reason:
        return Estimate(reason=selection.reason, strata=selection.strata)
    column = metric(hypothesis.metric)
    cells_a = selection.cells("a", column)
    against_value = hypothesis.than is not None
    cells_b = {} if against_value else selection.cells("b", column)
    shared = [s for s in cells_a if against_value or s in cells_b]
    base = Estimate(strata=selection.strata, strata_count=len(shared), run_ids=selection.run_ids)
    if not shared:
        base.reason = "no stratum has runs of both a and b"
        return base
    counts = {"a": {s: len(cells_a[s].values) for s in shared}}
    if not against_value:
        counts["b"] = {s: len(cells_b[s].values) for s in shared}
    base.n = {group: min(by_stratum.values()) for group, by_stratum in counts.items()}
    higher = hypothesis.better == "higher"
    statistic = hypothesis.statistic

    def point(cell: Cell) -> float:
        return float(statistics.summarise(cell.values, statistic)[0])

    points = [point(cells_a[s]) - (hypothesis.than if against_value else point(cells_b[s]))
              for s in shared]
    base.effect = float(np.mean(points))
    other = f"{hypothesis.than:g}" if against_value else f"{statistic} of b"
    base.measure = (f"{statistic} {hypothesis.metric} of a - {other}, averaged over "
                    f"{len(shared)} strata")
    short = seeds_reason(counts, selection.strata)
    if short:  # the point estimate stands, without an interval
        base.reason = short
        return base
    differences, improvements, pairs = [], [], []
    for stratum in shared:
        values_a, counts_a = cells_a[stratum].values, resampling.counts(cells_a[stratum])
        mean_a = statistics.summarise(values_a, statistic, counts_a)
        if against_value:
            differences.append(mean_a - hypothesis.than)
            continue
        values_b, counts_b = cells_b[stratum].values, resampling.counts(cells_b[stratum])
        differences.append(mean_a - statistics.summarise(values_b, statistic, counts_b))
        improvements.append(statistics.probability_of_improvement(
            values_a, values_b, higher, counts_a, counts_b
        ))
        pairs.append(float(statistics.probability_of_improvement(values_a, values_b, higher)[0]))
    weight = 1 / len(shared)
    cells = [cells_a[s].values for s in shared]
    cells += [cells_b[s].values for s in shared if not against_value]
    weights = [weight] * len(shared) + [-weight] * (len(cells) - len(shared))
    form = statistics.LinearForm.of_cells(cells, weights)
    edge = hypothesis.min_effect
    base.draws = np.mean(differences, axis=0)
    base.supported = Region(low=edge) if higher else Region(high=-edge)
    base.contradicted = (Region(high=0.0),) if higher else (Region(low=0.0),)
    base.expansion = form.expansion()
    base.form = form
    if improvements:
        base.secondary = {
            "p_improvement": (float(np.mean(pairs)), np.mean(improvements, axis=0))
        }
    return base


def figure_compare(hypothesis: CompareHypothesis, runs: pd.DataFrame) -> Any:
    """Each seed's metric by stratum, a box per group: the runs behind the effect."""
    import plotly.graph_objects as go

    from seqlab.evidence.figures.text import group_title
    from seqlab.messages import plot_text
    from seqlab.evidence.selection import label, metric, select

    selection = select(runs, hypothesis)
    figure = go.Figure()
    for name, wanted in hypothesis.groups().items():
        if name not in selection.groups:
            continue
        cells = selection.cells(name, metric(hypothesis.metric))
        xs = [plot_text(label(s, selection.strata)) for s, cell in cells.items() for _ in cell.run_ids]
        ys = [v for cell in cells.values() for v in cell.values]
        figure.add_trace(go.Box(x=xs, y=ys, name=group_title(name, wanted), boxpoints="all",
                                jitter=0.3, pointpos=0))
    if hypothesis.than is not None:
        figure.add_hline(y=hypothesis.than, line_dash="dash",
                         annotation_text=f"than {hypothesis.than:g}")
    figure.update_layout(boxmode="group", yaxis_title=plot_text(hypothesis.metric),
                         xaxis_title=plot_text(" ".join(selection.strata)) or None,
                         margin={"t": 30}, legend={"orientation": "h", "y": -0.25})
    return figure
