"""The ``trend`` kind: a metric grows, stays flat or shrinks with a numeric param (log-log).

Per group and stratum, the slope is the least-squares line of the mean of ``log(metric)`` over
seeds against ``log(along)`` (a slope of 1: proportional; 0: flat), averaged over strata. With
a group ``b`` the effect is slope(a) - slope(b), over the strata both have. The interval comes
from a stratified bootstrap: each (group, stratum, along) cell's seeds are resampled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl
from seqlab.evidence.hypotheses import TrendHypothesis

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from seqlab.evidence.estimate import Cell, Estimate, Resampling
    from seqlab.evidence.kinds import RegisterHypothesisKind
    from seqlab.evidence.selection import Selection, Stratum
    from seqlab.evidence.statistics import LinearForm


@hookimpl
def register_hypothesis_kinds(register: RegisterHypothesisKind) -> None:
    """Register ``trend``."""
    register("trend", TrendHypothesis, estimate_trend, figure_trend)


def _slopes(
    selection: Selection, group: str, hypothesis: TrendHypothesis
) -> dict[Stratum, tuple[np.ndarray, list[Cell]]] | str:
    """A group's ``(along values, cells of log(metric))`` by stratum, or a reason."""
    import numpy as np

    from seqlab.evidence.estimate import Cell
    from seqlab.evidence.selection import cells_along, label, metric

    found = cells_along(selection, group, metric(hypothesis.metric), hypothesis.along)
    if isinstance(found, str):
        return found
    by_stratum: dict[Stratum, dict[float, Cell]] = {}
    for stratum, by_x in found.items():
        for x, cell in by_x.items():
            if x <= 0 or np.any(cell.values <= 0):
                where = label((*stratum, f"{x:g}"), [*selection.strata, hypothesis.along])
                return f"a log-log slope needs positive values ({hypothesis.metric} at {where})"
            by_stratum.setdefault(stratum, {})[x] = Cell(np.log(cell.values), cell.run_ids)
    out = {}
    for stratum, by_x in by_stratum.items():
        if len(by_x) < 2:
            return (f"group {group} has one {hypothesis.along} at "
                    f"{label(stratum, selection.strata)} (a slope needs two)")
        xs = np.array(sorted(by_x))
        out[stratum] = (xs, [by_x[x] for x in xs])
    return out


def estimate_trend(
    hypothesis: TrendHypothesis, runs: pd.DataFrame, resampling: Resampling
) -> Estimate:
    """Measure a ``trend`` hypothesis: the log-log slope of a (minus that of b)."""
    import numpy as np

    from seqlab.evidence import statistics
    from seqlab.evidence.estimate import Estimate, Region
    from seqlab.evidence.selection import seeds_reason, select

    selection = select(runs, hypothesis, exclude=[hypothesis.along])
    if selection.reason:
        return Estimate(reason=selection.reason, strata=selection.strata)
    base = Estimate(strata=selection.strata, run_ids=selection.run_ids)
    groups = list(hypothesis.groups())
    slopes = {}
    for group in groups:
        found = _slopes(selection, group, hypothesis)
        if isinstance(found, str):
            base.reason = found
            return base
        slopes[group] = found
    shared = [s for s in slopes["a"] if all(s in slopes[g] for g in groups)]
    base.strata_count = len(shared)
    if not shared:
        base.reason = "no stratum has runs of both a and b"
        return base
    counts = {g: {s + (str(x),): len(c.values) for s in shared
                  for x, c in zip(*slopes[g][s])} for g in groups}
    base.n = {g: min(c.values()) for g, c in counts.items()}

    def slope(group: str, stratum: Stratum) -> float:
        xs, logs = slopes[group][stratum]
        return float(statistics.log_log_slopes(xs, np.array([c.values.mean() for c in logs])))

    points = {g: float(np.mean([slope(g, s) for s in shared])) for g in groups}
    base.effect = points["a"] - points.get("b", 0.0)
    base.measure = (f"slope of log {hypothesis.metric} against log {hypothesis.along}"
                    + (" of a - of b" if "b" in points else ""))
    short = seeds_reason(counts, [*selection.strata, hypothesis.along])
    if short:  # the point estimate stands, without an interval
        base.reason = short
        return base
    per_group: dict[str, tuple[np.ndarray, LinearForm]] = {}
    for group in groups:
        draws, forms = [], []
        for stratum in shared:
            xs, logs = slopes[group][stratum]
            draws.append(statistics.log_log_slopes(xs, resampling.means(logs).T))
            forms.append(statistics.LinearForm.of_cells(
                [cell.values for cell in logs], statistics.slope_weights(xs) / len(shared)
            ))
        form = forms[0]
        for other in forms[1:]:
            form = form.combined(other)
        per_group[group] = (np.mean(draws, axis=0), form)
    draws, form = per_group["a"]
    if "b" in per_group:
        draws_b, form_b = per_group["b"]
        draws, form = draws - draws_b, form.combined(form_b, -1.0)
        base.secondary = {"slope_a": (points["a"], per_group["a"][0]),
                          "slope_b": (points["b"], draws_b)}
    tolerance = hypothesis.tolerance
    base.draws, base.form = draws, form
    base.expansion = form.expansion()
    if hypothesis.expect == "grows":
        base.supported, base.contradicted = Region(low=tolerance), (Region(high=0.0),)
    elif hypothesis.expect == "shrinks":
        base.supported, base.contradicted = Region(high=-tolerance), (Region(low=0.0),)
    else:
        base.supported = Region(-tolerance, tolerance)
        base.contradicted = (Region(high=-tolerance), Region(low=tolerance))
    return base


def figure_trend(hypothesis: TrendHypothesis, runs: pd.DataFrame) -> Any:
    """Each seed's metric against ``along`` on log-log axes, with each group's geometric means."""
    from seqlab.evidence.figures.along import along_figure

    return along_figure(hypothesis, runs, hypothesis.along, geometric=True)
