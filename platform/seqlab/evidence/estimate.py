"""What a hypothesis kind hands back: an effect, its bootstrap draws, and where it must lie.

A kind measures; it does not decide. :mod:`seqlab.evidence.verdicts` turns every kind's
:class:`Estimate` into a verdict by the same rules (interval, Holm's correction, seeds rule).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np

    from seqlab.evidence.statistics import Expansion, LinearForm

class Cell(NamedTuple):
    """The runs of one group in one stratum (one setting of every param but the seed).

    :param values: the metric of each run, one per seed.
    :param run_ids: the runs, in the same order.
    """

    values: np.ndarray
    run_ids: tuple[str, ...]


MIN_SEEDS = 3
"""Fewer seeds than this in a group (in any stratum it is judged in) is inconclusive by rule."""


@dataclass(frozen=True)
class Region:
    """An open range of effects, ``low < effect < high`` (either end may be infinite)."""

    low: float = -math.inf
    high: float = math.inf

    def holds(self, low: float, high: float) -> bool:
        """Whether the whole interval ``[low, high]`` lies inside the region."""
        return self.low < low and high < self.high

    def __str__(self) -> str:
        low, high = self.low + 0.0, self.high + 0.0  # never print "-0"
        if math.isinf(low):
            return f"below {high:.4g}"
        if math.isinf(high):
            return f"above {low:.4g}"
        return f"between {low:.4g} and {high:.4g}"


@dataclass(frozen=True)
class Resampling:
    """How estimates are bootstrapped: resamples per cell, family-wise level, random seed.

    The resamples of a cell are a function of the seed and the cell's run ids alone, so
    hypotheses over the same runs share them (computed once per evaluation) and the order of
    the hypotheses changes nothing.
    """

    resamples: int = 10_000
    level: float = 0.95
    seed: int = 0
    _cache: dict[tuple[str, ...], np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def counts(self, cell: Cell) -> np.ndarray:
        """The cell's bootstrap resamples as counts per run, shape ``(resamples, runs)``."""
        import numpy as np

        from seqlab.evidence.statistics import resample

        if cell.run_ids not in self._cache:
            digest = hashlib.sha256("\0".join(cell.run_ids).encode()).digest()
            rng = np.random.default_rng([self.seed, int.from_bytes(digest[:8], "big")])
            self._cache[cell.run_ids] = resample(len(cell.run_ids), self.resamples, rng)
        return self._cache[cell.run_ids]

    def means(self, cells: Sequence[Cell]) -> np.ndarray:
        """Each cell's mean in every resample: shape ``(cells, resamples)``."""
        import numpy as np

        from seqlab.evidence.statistics import summarise

        return np.stack([summarise(c.values, "mean", self.counts(c)) for c in cells])


@dataclass
class Estimate:
    """A kind's measurement of one hypothesis on some runs.

    :param effect: the point estimate, in the units the kind documents.
    :param measure: what the effect is, in words with its units (``mean val/mse of a - of b``).
    :param draws: its bootstrap distribution, one value per resample.
    :param supported: the region an interval must lie in for the claim to hold.
    :param contradicted: regions an interval lying in contradicts the claim.
    :param expansion: how much to widen percentile intervals for small samples.
    :param form: the effect as a weighted sum of cell means, for "seeds needed"; ``None`` when
        the effect is not such a sum.
    :param n: seeds per group label: the smallest count over the strata judged.
    :param strata: the params whose settings are strata.
    :param strata_count: how many strata the effect pools.
    :param run_ids: the runs used.
    :param secondary: other estimates to report with an interval (``p_improvement``,
        ``slope_a``...), as (point, draws).
    :param reason: why it could not be measured; then the verdict is inconclusive.
    """

    effect: float = math.nan
    measure: str = ""
    draws: np.ndarray | None = None
    supported: Region = field(default_factory=Region)
    contradicted: tuple[Region, ...] = ()
    expansion: Expansion | None = None
    form: LinearForm | None = None
    n: dict[str, int] = field(default_factory=dict)
    strata: list[str] = field(default_factory=list)
    strata_count: int = 0
    run_ids: list[str] = field(default_factory=list)
    secondary: dict[str, tuple[float, np.ndarray]] = field(default_factory=dict)
    reason: str | None = None

    def interval(self, level: float, draws: np.ndarray | None = None) -> tuple[float, float]:
        """The interval at confidence ``level`` of the effect (or of other ``draws``).

        The expanded percentile interval of the bootstrap draws; for the effect, widened to
        Welch's t interval when that is wider (resamples of three seeds cannot leave the
        range of the data, which Student's t rightly does).
        """
        from seqlab.evidence.statistics import interval

        assert self.expansion is not None and self.draws is not None
        low, high = interval(self.draws if draws is None else draws, level, self.expansion)
        if draws is None and self.form is not None:
            t_low, t_high = self.form.t_interval(self.effect, level)
            low, high = min(low, t_low), max(high, t_high)
        return low, high

    def p_inside(self, region: Region) -> float:
        """The p-value of "the effect lies in ``region``", consistent with :meth:`interval`."""
        from seqlab.evidence.statistics import p_beyond

        assert self.expansion is not None and self.draws is not None
        ends = []
        for boundary, above in ((region.low, True), (region.high, False)):
            if math.isinf(boundary):
                continue
            p = p_beyond(self.draws, boundary, above, self.expansion)
            if self.form is not None:
                p = max(p, self.form.t_p_beyond(self.effect, boundary, above))
            ends.append(p)
        return max(ends)

    @property
    def measured(self) -> bool:
        """Whether there is an effect to judge (no reason to call it inconclusive up front)."""
        return self.reason is None and self.draws is not None
