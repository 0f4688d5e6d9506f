"""Per-run numbers drawn from the gradient flow and the state trace, so verdicts can use them.

The artifacts hold whole curves; hypotheses work on plain MLflow metrics. Each capture
records these summaries at its step, so a run's latest value is its trained model's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from seqlab.store import record


def gradient_decay(positions: Sequence[int], norms: Sequence[float], length: int) -> dict[str, float]:
    """How fast ``||dloss/dx_t||`` falls with the distance from the sequence's end.

    :param positions: the recorded positions t (0-based).
    :param norms: the gradient norm at each of them.
    :param length: the sequence length T; the distance of t is ``T - 1 - t``.
    :returns: :data:`~seqlab.store.record.GRADIENT_DECAY` (the least-squares slope of
        log10 norm against distance, decades per step: negative when gradients vanish) and
        :data:`~seqlab.store.record.GRADIENT_FIRST_LAST` (log10 of the first position's norm
        over the last's); either is left out when too few norms are positive and finite.
    """
    from scipy.stats import linregress

    points = [
        (length - 1 - t, math.log10(n))
        for t, n in zip(positions, norms)
        if n is not None and math.isfinite(n) and n > 0
    ]
    summary: dict[str, float] = {}
    if len({distance for distance, _ in points}) >= 2:
        distances, logs = zip(*points)
        summary[record.GRADIENT_DECAY] = float(linregress(distances, logs).slope)
    first, last = norms[0], norms[-1]
    if all(n is not None and math.isfinite(n) and n > 0 for n in (first, last)):
        summary[record.GRADIENT_FIRST_LAST] = math.log10(first) - math.log10(last)
    return summary


def state_growth(rms: Sequence[float]) -> float | None:
    """A state part's RMS at the last position over its RMS at the middle one.

    1 means the state has settled; 2 means it grows linearly with position (an LSTM cell
    without a forget gate fed a constant input); ``None`` when either RMS is not positive.
    """
    middle, last = rms[len(rms) // 2], rms[-1]
    if middle is None or last is None or not (middle > 0 and math.isfinite(middle)):
        return None
    return float(last / middle) if math.isfinite(last) else None
