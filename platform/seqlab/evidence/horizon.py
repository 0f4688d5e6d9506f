"""The ``horizon`` kind: group a passes a threshold up to a larger setting than group b.

A group's horizon in a stratum is the largest value of ``along`` (e.g. ``task.length``) at
which its mean metric over seeds passes the threshold, 0 when none does. The effect is
horizon(a) - horizon(b) in ``along``'s units, averaged over the strata both have; its interval
comes from a stratified bootstrap (each cell's seeds resampled, horizons recomputed). A
horizon is not a mean, so its percentile interval is not expanded for small samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl
from seqlab.evidence.hypotheses import HorizonHypothesis

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.estimate import Estimate, Resampling
    from seqlab.evidence.kinds import RegisterHypothesisKind


@hookimpl
def register_hypothesis_kinds(register: RegisterHypothesisKind) -> None:
    """Register ``horizon``."""
    register("horizon", HorizonHypothesis, estimate_horizon, figure_horizon)


def estimate_horizon(
    hypothesis: HorizonHypothesis, runs: pd.DataFrame, resampling: Resampling
) -> Estimate:
    """Measure a ``horizon`` hypothesis: how much further a passes the threshold than b."""
    import numpy as np

    from seqlab.evidence import statistics
    from seqlab.evidence.estimate import Estimate, Region
    from seqlab.evidence.selection import cells_along, metric, seeds_reason, select
    from seqlab.evidence.statistics import horizons

    selection = select(runs, hypothesis, exclude=[hypothesis.along])
    if selection.reason:
        return Estimate(reason=selection.reason, strata=selection.strata)
    base = Estimate(strata=selection.strata, run_ids=selection.run_ids)
    cells = {}
    for group in ("a", "b"):
        found = cells_along(selection, group, metric(hypothesis.metric), hypothesis.along)
        if isinstance(found, str):
            base.reason = found
            return base
        cells[group] = found
    shared = [s for s in cells["a"] if s in cells["b"]]
    base.strata_count = len(shared)
    if not shared:
        base.reason = "no stratum has runs of both a and b"
        return base
    counts = {g: {s + (str(x),): len(c.values) for s in shared for x, c in cells[g][s].items()}
              for g in ("a", "b")}
    base.n = {g: min(c.values()) for g, c in counts.items()}
    higher = hypothesis.better == "higher"
    settings = {
        g: {s: (np.array(sorted(cells[g][s])), [cells[g][s][x] for x in sorted(cells[g][s])])
            for s in shared}
        for g in ("a", "b")
    }
    points = {g: float(np.mean([
        horizons(xs, np.array([c.values.mean() for c in by_x]), hypothesis.threshold, higher)
        for xs, by_x in settings[g].values()])) for g in ("a", "b")}
    base.effect = points["a"] - points["b"]
    passing = ">=" if higher else "<="
    base.measure = (f"largest {hypothesis.along} whose mean {hypothesis.metric} "
                    f"{passing} {hypothesis.threshold:g}, of a - of b")
    short = seeds_reason(counts, [*selection.strata, hypothesis.along])
    if short:  # the point estimate stands, without an interval
        base.reason = short
        return base
    draws = {g: np.mean([horizons(xs, resampling.means(by_x), hypothesis.threshold, higher)
                         for xs, by_x in settings[g].values()], axis=0) for g in ("a", "b")}
    base.draws = draws["a"] - draws["b"]
    base.supported, base.contradicted = Region(low=0.0), (Region(high=0.0),)
    base.expansion = statistics.Expansion()
    base.secondary = {"horizon_a": (points["a"], draws["a"]),
                      "horizon_b": (points["b"], draws["b"])}
    return base


def figure_horizon(hypothesis: HorizonHypothesis, runs: pd.DataFrame) -> Any:
    """Each group's metric against ``along`` (seeds and their mean), with the threshold."""
    from seqlab.evidence.figures.along import along_figure

    return along_figure(hypothesis, runs, hypothesis.along, geometric=False)
