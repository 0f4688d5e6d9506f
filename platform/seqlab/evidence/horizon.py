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
    import numpy as np
    import pandas as pd

    from seqlab.evidence.estimate import Estimate, Resampling
    from seqlab.evidence.kinds import RegisterHypothesisKind


@hookimpl
def register_hypothesis_kinds(register: RegisterHypothesisKind) -> None:
    """Register ``horizon``."""
    register("horizon", HorizonHypothesis, estimate_horizon, figure_horizon)


def horizons(xs: np.ndarray, means: np.ndarray, threshold: float, higher: bool) -> np.ndarray:
    """The largest ``xs`` whose mean passes ``threshold``, 0 if none (``means``: ``(k, ...)``)."""
    import numpy as np

    passes = means >= threshold if higher else means <= threshold
    return np.where(passes, xs.reshape(-1, *([1] * (means.ndim - 1))), 0.0).max(axis=0)


def estimate_horizon(
    hypothesis: HorizonHypothesis, runs: pd.DataFrame, resampling: Resampling
) -> Estimate:
    """Measure a ``horizon`` hypothesis: how much further a passes the threshold than b."""
    import numpy as np

    from seqlab.evidence import statistics
    from seqlab.evidence.estimate import Estimate, Region
    from seqlab.evidence.selection import cells_along, metric, seeds_reason, select

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
    short = seeds_reason(counts, [*selection.strata, hypothesis.along])
    if short:
        base.reason = short
        return base
    higher = hypothesis.better == "higher"
    points: dict[str, list[float]] = {"a": [], "b": []}
    draws: dict[str, list[np.ndarray]] = {"a": [], "b": []}
    for group in ("a", "b"):
        for stratum in shared:
            xs = np.array(sorted(cells[group][stratum]))
            by_x = [cells[group][stratum][x] for x in xs]
            means = np.array([cell.values.mean() for cell in by_x])
            resampled = resampling.means(by_x)
            points[group].append(float(horizons(xs, means, hypothesis.threshold, higher)))
            draws[group].append(horizons(xs, resampled, hypothesis.threshold, higher))
    horizon_a, horizon_b = float(np.mean(points["a"])), float(np.mean(points["b"]))
    draws_a, draws_b = np.mean(draws["a"], axis=0), np.mean(draws["b"], axis=0)
    base.effect = horizon_a - horizon_b
    passing = ">=" if higher else "<="
    base.measure = (f"largest {hypothesis.along} whose mean {hypothesis.metric} "
                    f"{passing} {hypothesis.threshold:g}, of a - of b")
    base.draws = draws_a - draws_b
    base.supported, base.contradicted = Region(low=0.0), (Region(high=0.0),)
    base.expansion = statistics.Expansion()
    base.secondary = {"horizon_a": (horizon_a, draws_a), "horizon_b": (horizon_b, draws_b)}
    return base


def figure_horizon(hypothesis: HorizonHypothesis, runs: pd.DataFrame) -> Any:
    """Each group's metric against ``along`` (seeds and their mean), with the threshold."""
    from seqlab.evidence.figures import along_figure
    from seqlab.evidence.selection import select

    selection = select(runs, hypothesis, exclude=[hypothesis.along])
    figure = along_figure(hypothesis, selection, hypothesis.along, geometric=False)
    figure.add_hline(y=hypothesis.threshold, line_dash="dash",
                     annotation_text=f"threshold {hypothesis.threshold:g}")
    return figure
