"""Hypotheses x runs -> verdicts, by one set of rules for every kind.

Each kind measures its hypotheses (:class:`~seqlab.evidence.estimate.Estimate`); here they are
judged together. The hypotheses that could be measured are ordered by p-value and tested by
Holm's step-down procedure at a family-wise level (95 % by default): the k-th is judged on its
interval at level ``1 - α / (m - k + 1)``. A verdict is **supported** when that interval lies
wholly in the claimed region (beyond the minimal effect, when one is given), **contradicted**
when it lies wholly on the other side, **inconclusive** otherwise, and for every hypothesis
Holm's procedure stops before, or that could not be measured (fewer than 3 seeds, no runs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from seqlab.evidence.estimate import Estimate, Resampling
from seqlab.store.status import RunStatus

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.hypotheses import Hypothesis
    from seqlab.evidence.kinds import Kinds

COLUMNS = (
    "claim", "statement", "kind", "metric", "verdict", "effect", "effect_measure", "ci_low",
    "ci_high",
    "ci_level", "p_value", "p_improvement", "p_improvement_low",
    "p_improvement_high", "n_a", "n_b", "n", "strata", "strata_count", "reason",
    "seeds_needed", "secondary", "run_ids", "method",
)
"""The columns of a verdict frame, in order (docs/evidence.md describes each)."""


def method_note(resampling: Resampling, tested: int) -> str:
    """The sentence stating how every interval of one evaluation was computed."""
    return (
        f"stratified bootstrap over seeds ({resampling.resamples:,} resamples), percentile "
        f"intervals expanded for small samples; Holm's correction over {tested} tested "
        f"hypotheses at family-wise level {resampling.level:.0%}"
    )


def evaluate_frame(
    runs: pd.DataFrame,
    hypotheses: Sequence[Hypothesis],
    resampling: Resampling | None = None,
    kinds: Kinds | None = None,
) -> pd.DataFrame:
    """Judge hypotheses on a frame of runs: one verdict row per hypothesis, in their order.

    :param runs: one row per run with ``run_id``, ``params.*`` and ``metrics.*`` columns,
        as ``mlflow.search_runs(output_format="pandas")`` and the dashboard's ``data.py``
        return it (params as text or as numbers). With a ``status`` column, only FINISHED
        runs count.
    :param hypotheses: validated hypotheses (see :func:`seqlab.evidence.load_hypotheses`).
    :param resampling: resamples, family-wise level and random seed (default: 10,000, 95 %, 0).
    :param kinds: the registered kinds (default: collected from the plugins).
    :returns: a DataFrame with the columns of :data:`COLUMNS`.
    """
    import pandas as pd
    from threadpoolctl import threadpool_limits

    from seqlab.evidence.kinds import collect_kinds

    resampling = replace(resampling or Resampling())  # resamples cached for this call only
    if "status" in runs:
        runs = runs[runs["status"] == RunStatus.FINISHED]
    kinds = kinds or collect_kinds()
    estimates = []
    # The products are small (10,000 x seeds); BLAS threads only contend for the cores.
    with threadpool_limits(limits=1, user_api="blas"):
        for hypothesis in hypotheses:
            kind = kinds.by_name.get(hypothesis.kind)
            if kind is None:
                estimates.append(Estimate(reason=f"kind {hypothesis.kind!r} is not registered"))
                continue
            estimates.append(kind.estimate(hypothesis, runs, resampling))
        rows = judge(hypotheses, estimates, resampling)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"n_a": "Int64", "n_b": "Int64", "seeds_needed": "Int64"})


def judge(
    hypotheses: Sequence[Hypothesis], estimates: Sequence[Estimate], resampling: Resampling
) -> list[dict[str, Any]]:
    """Turn estimates into verdict rows: intervals at Holm levels, verdicts, seeds needed."""
    from seqlab.evidence import statistics

    alpha = 1 - resampling.level
    measured = [i for i, estimate in enumerate(estimates) if estimate.measured]
    p_values = [_p_value(estimates[i]) for i in measured]
    divisors = statistics.holm_divisors(p_values)
    order = sorted(range(len(measured)), key=lambda k: -divisors[k])
    stopped = False
    rows = [_row(h, e, resampling, len(measured)) for h, e in zip(hypotheses, estimates)]
    for k in order:
        index = measured[k]
        estimate, row = estimates[index], rows[index]
        level = 1 - alpha / divisors[k]
        low, high = estimate.interval(level)
        row.update(ci_low=low, ci_high=high, ci_level=level, p_value=p_values[k])
        for name, (point, draws) in estimate.secondary.items():
            s_low, s_high = estimate.interval(level, draws)
            if name == "p_improvement":
                row.update(p_improvement=point, p_improvement_low=s_low,
                           p_improvement_high=s_high)
            else:
                row["secondary"][name] = {"value": point, "ci_low": s_low, "ci_high": s_high}
        if estimate.supported.holds(low, high):
            verdict, reason = "supported", f"the whole interval lies {estimate.supported}"
        elif any(region.holds(low, high) for region in estimate.contradicted):
            side = next(r for r in estimate.contradicted if r.holds(low, high))
            verdict = "contradicted"
            reason = f"the whole interval lies {side}, against the claim ({estimate.supported})"
        else:
            verdict = "inconclusive"
            reason = (f"the interval [{low:.4g}, {high:.4g}] lies neither wholly "
                      f"{estimate.supported} nor wholly against it")
            row["seeds_needed"] = _seeds_needed(estimate, level)
            if row["seeds_needed"]:
                reason += (f"; about {row['seeds_needed']} seeds per group and setting would "
                           "likely settle it (from the spread so far)")
        if stopped and verdict != "inconclusive":
            verdict = "inconclusive"
            reason = (f"{reason}, but Holm's procedure stopped at a hypothesis with a smaller "
                      "p-value that was not decided")
        stopped = stopped or verdict == "inconclusive"
        row.update(verdict=verdict, reason=reason)
    return rows


def _row(
    hypothesis: Hypothesis, estimate: Estimate, resampling: Resampling, tested: int
) -> dict[str, Any]:
    """A verdict row before judging: inconclusive, with what the estimate measured."""
    return {
        "claim": hypothesis.claim,
        "statement": hypothesis.statement,
        "kind": hypothesis.kind,
        "metric": hypothesis.metric,
        "verdict": "inconclusive",
        "effect": estimate.effect,
        "effect_measure": estimate.measure,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "ci_level": math.nan,
        "p_value": math.nan,
        "p_improvement": math.nan,
        "p_improvement_low": math.nan,
        "p_improvement_high": math.nan,
        "n_a": estimate.n.get("a"),
        "n_b": estimate.n.get("b"),
        "n": dict(estimate.n),
        "strata": list(estimate.strata),
        "strata_count": estimate.strata_count,
        "reason": estimate.reason,
        "seeds_needed": None,
        "secondary": {},
        "run_ids": list(estimate.run_ids),
        "method": method_note(resampling, tested),
    }


def _p_value(estimate: Estimate) -> float:
    """The smaller of the p-values of "in the supported region" and "in a contradicted one"."""
    against = min(estimate.p_inside(region) for region in estimate.contradicted)
    return min(estimate.p_inside(estimate.supported), against)


def _seeds_needed(estimate: Estimate, level: float) -> int | None:
    """Seeds per cell that would likely decide an inconclusive estimate, or ``None``."""
    from seqlab.evidence.statistics import seeds_needed

    if estimate.form is None:
        return None
    for region in (estimate.supported, *estimate.contradicted):
        if region.low < estimate.effect < region.high:
            distance = min(estimate.effect - region.low, region.high - estimate.effect)
            return seeds_needed(estimate.form, distance, level)
    return None
