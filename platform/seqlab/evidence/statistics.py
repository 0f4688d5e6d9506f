"""The statistics behind every verdict: stratified bootstrap over seeds, and what it is judged by.

A *cell* is the runs of one group in one stratum (one setting of every parameter but the
seed); its values are one per seed. Cells are resampled independently, each with its own
size (the stratified bootstrap of Agarwal et al. 2021, rliable), vectorised over resamples.

Percentile intervals from three to five seeds are too narrow (the bootstrap's spread of a mean
is ``(n - 1) / n`` of the true one, and its tails are normal where Student's t is due), so the
percentiles are *expanded* (Hesterberg 2015, "What teachers should know about the bootstrap"):
the tail probability is ``Φ(-c · t_{df}(1 - α/2))`` with ``c = sqrt(n / (n - 1))`` and the
Welch-Satterthwaite ``df`` of the equivalent difference of means, instead of ``α/2``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

def resample(size: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap resamples of a cell of ``size`` seeds, as counts: shape ``(R, size)``.

    Row r says how often each seed is drawn (with replacement, ``size`` draws); every statistic
    below is a product of these counts with the cell's values, so 10,000 resamples cost a
    few matrix products instead of 10,000 copies of the cell.
    """
    drawn = rng.integers(0, size, size=(resamples, size)) + size * np.arange(resamples)[:, None]
    counts = np.bincount(drawn.ravel(), minlength=resamples * size).reshape(resamples, size)
    return counts.astype(float)  # the statistics multiply them with float values


def summarise(
    values: np.ndarray, statistic: str, counts: np.ndarray | None = None
) -> np.ndarray:
    """``mean`` or ``iqm`` of a cell's ``values``, once per row of ``counts`` (default: once).

    IQM is the 25 % trimmed mean of ``scipy.stats.trim_mean`` (``int(0.25 n)`` values cut from
    each end of the sorted sample): here each sorted value weighs as many of its copies as
    fall inside the kept ranks.
    """
    size = len(values)
    counts = np.ones((1, size)) if counts is None else counts
    if statistic == "mean":
        return counts @ values / size
    order = np.argsort(values)
    cut = int(0.25 * size)
    above = np.cumsum(counts[:, order], axis=1)
    below = above - counts[:, order]
    kept = np.clip(np.minimum(above, size - cut) - np.maximum(below, cut), 0, None)
    return kept @ values[order] / (size - 2 * cut)


def probability_of_improvement(
    better: np.ndarray,
    worse: np.ndarray,
    higher_is_better: bool,
    counts_better: np.ndarray | None = None,
    counts_worse: np.ndarray | None = None,
) -> np.ndarray:
    """P(a run of ``better`` beats a run of ``worse``), ties counting one half, per resample.

    That is the Mann-Whitney U statistic over ``n_a · n_b`` (rliable's definition; equal to
    ``scipy.stats.mannwhitneyu(...).statistic / (n_a * n_b)``, which the tests check), as the
    share of pairs won: one pair matrix of the cells' values, weighted by each resample's
    counts (``mannwhitneyu`` would rank each of 10,000 resamples and compute unused p-values,
    3 times slower).
    """
    first, second = (better, worse) if higher_is_better else (worse, better)
    pairs = (first[:, None] > second[None, :]) + 0.5 * (first[:, None] == second[None, :])
    ones = np.ones((1, len(better))), np.ones((1, len(worse)))
    counts_better = ones[0] if counts_better is None else counts_better
    counts_worse = ones[1] if counts_worse is None else counts_worse
    if not higher_is_better:
        pairs = pairs.T
    return np.sum((counts_better @ pairs) * counts_worse, axis=1) / (len(better) * len(worse))


def log_log_slopes(lengths: np.ndarray, log_values: np.ndarray) -> np.ndarray:
    """Least-squares slopes of ``log_values`` (shape ``(..., k)``) against ``log(lengths)``."""
    centred = log_values - log_values.mean(axis=-1, keepdims=True)  # exact 0 for a flat line
    return centred @ slope_weights(lengths)


def slope_weights(lengths: np.ndarray) -> np.ndarray:
    """The weights ``w`` with ``slope = w · y``: a least-squares line of y on ``log(lengths)``."""
    centred = np.log(lengths) - np.log(lengths).mean()
    return centred / np.sum(centred**2)


def horizons(xs: np.ndarray, means: np.ndarray, threshold: float, higher: bool) -> np.ndarray:
    """The ``horizon`` kind's rule: the largest ``xs`` whose mean passes ``threshold``
    (``>=`` when ``higher``, else ``<=``), 0 if none (``means``: ``(k, ...)``, one row per x)."""
    passes = means >= threshold if higher else means <= threshold
    return np.where(passes, xs.reshape(-1, *([1] * (means.ndim - 1))), 0.0).max(axis=0)


@dataclass(frozen=True)
class LinearForm:
    """An estimate written as a weighted sum of cell means, for small-sample corrections.

    :param sizes: each cell's number of seeds.
    :param variances: each cell's sample variance (``ddof=1``).
    :param weights: each cell mean's weight in the estimate.
    """

    sizes: np.ndarray
    variances: np.ndarray
    weights: np.ndarray

    @classmethod
    def of_cells(cls, cells: Sequence[np.ndarray], weights: Sequence[float]) -> LinearForm:
        """The form of ``sum(weight * mean(cell))`` over cells of at least two seeds."""
        return cls(
            np.array([len(cell) for cell in cells], dtype=float),
            np.array([np.var(cell, ddof=1) for cell in cells]),
            np.asarray(weights, dtype=float),
        )

    def combined(self, other: LinearForm, sign: float = 1.0) -> LinearForm:
        """The form of ``self + sign * other`` over disjoint cells."""
        return LinearForm(
            np.concatenate([self.sizes, other.sizes]),
            np.concatenate([self.variances, other.variances]),
            np.concatenate([self.weights, sign * other.weights]),
        )

    def t_interval(self, estimate: float, level: float) -> tuple[float, float]:
        """Welch's t interval, ``estimate ± t_df(1 - α/2) · SE``, at confidence ``level``."""
        half = float(stats.t.isf((1 - level) / 2, self.welch_df())) * self.standard_error()
        return estimate - half, estimate + half

    def t_p_beyond(self, estimate: float, boundary: float, above: bool) -> float:
        """Welch's two-sided p-value of "the estimate lies above (or below) ``boundary``"."""
        error = self.standard_error()
        if error == 0:
            return 0.0 if (estimate > boundary if above else estimate < boundary) else 1.0
        distance = (estimate - boundary) if above else (boundary - estimate)
        return float(min(1.0, 2 * stats.t.sf(distance / error, self.welch_df())))

    def standard_error(self) -> float:
        """The estimate's standard error from the cells' sample variances."""
        return float(math.sqrt(np.sum(self.weights**2 * self.variances / self.sizes)))

    def welch_df(self) -> float:
        """Welch-Satterthwaite degrees of freedom of the estimate."""
        parts = self.weights**2 * self.variances / self.sizes
        squares = float(np.sum(parts**2 / (self.sizes - 1)))
        return float(np.sum(parts)) ** 2 / squares if squares > 0 else math.inf

    def expansion(self) -> Expansion:
        """The small-sample expansion of a percentile interval of this estimate."""
        parts = self.weights**2 * self.variances / self.sizes
        total = float(np.sum(parts))
        if total <= 0:
            return Expansion(1.0, math.inf)
        factor = math.sqrt(total / float(np.sum(parts * (self.sizes - 1) / self.sizes)))
        return Expansion(factor, self.welch_df())


@dataclass(frozen=True)
class Expansion:
    """How far to widen percentile intervals: ``factor`` (``c``) and degrees of freedom ``df``.

    ``Expansion(1, inf)`` leaves the percentile interval as it is.
    """

    factor: float = 1.0
    df: float = math.inf

    def tail(self, level: float) -> float:
        """The bootstrap tail probability that gives a two-sided interval at ``level``."""
        return float(stats.norm.sf(self.factor * stats.t.isf((1 - level) / 2, self.df)))

    def two_sided_p(self, tail_fraction: float) -> float:
        """The two-sided p-value of a boundary outside which ``tail_fraction`` of draws lie."""
        z = stats.norm.isf(tail_fraction)
        return float(min(1.0, 2 * stats.t.sf(z / self.factor, self.df)))


def interval(draws: np.ndarray, level: float, expansion: Expansion) -> tuple[float, float]:
    """The (expanded) percentile interval of bootstrap ``draws`` at confidence ``level``."""
    tail = expansion.tail(level)
    low, high = np.quantile(draws, [tail, 1 - tail])
    return float(low), float(high)


def p_beyond(draws: np.ndarray, boundary: float, above: bool, expansion: Expansion) -> float:
    """The p-value of "the estimate lies above (or below) ``boundary``" from bootstrap draws.

    Consistent with :func:`interval`: the interval at level ``1 - p`` just touches the boundary.
    When no resample reaches the boundary, the tail beyond it is that of a normal
    distribution with the resamples' mean and spread (resamples cannot resolve it).
    """
    wrong = np.count_nonzero(draws <= boundary if above else draws >= boundary)
    tail = (wrong + 1) / (len(draws) + 1)
    spread = float(np.std(draws))
    if wrong == 0 and spread > 0:  # beyond every resample: extrapolate a normal tail
        tail = min(tail, float(stats.norm.sf(abs(float(np.mean(draws)) - boundary) / spread)))
    return expansion.two_sided_p(tail)


def holm_divisors(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down divisors: the hypothesis of rank k (by p-value) is tested at ``α / d``.

    ``d = m - k + 1`` for m hypotheses; ties keep their input order. In the input order.
    """
    order = np.argsort(np.asarray(p_values, dtype=float), kind="stable")
    divisors = np.empty(len(order), dtype=int)
    divisors[order] = len(order) - np.arange(len(order))
    return divisors


def seeds_needed(
    form: LinearForm, distance: float, level: float, most: int = 1000
) -> int | None:
    """Seeds per cell with which the interval would likely stop reaching a decision boundary.

    Assumes the spread seen so far: the smallest ``n`` whose expanded half-width,
    ``c · t_df(1 - α/2) · SE(n)``, is below ``distance`` (the estimate's distance to the
    nearest boundary it must clear). ``None`` when not within ``most`` seeds.
    """
    if distance <= 0 or not np.all(np.isfinite(form.variances)) or not len(form.sizes):
        return None
    parts = form.weights**2 * form.variances  # the variance of the estimate is sum(parts) / n
    total, squares = float(np.sum(parts)), float(np.sum(parts**2))
    seeds = np.arange(max(int(form.sizes.min()), 2), most + 1, dtype=float)
    if total <= 0:
        return int(seeds[0])
    freedom = total**2 * (seeds - 1) / squares
    widths = np.sqrt(seeds / (seeds - 1)) * stats.t.isf((1 - level) / 2, freedom) * np.sqrt(
        total / seeds
    )
    fits = np.flatnonzero(widths < distance)
    return int(seeds[fits[0]]) if len(fits) else None
