"""Group comparisons on the frames :mod:`seqlab_dashboard.data` returns: pure pandas and numpy.

Groups are runs sharing the values of chosen params (e.g. model x strategy); a group's value is
its members' mean or median with a band of the user's choice; curves are aligned on a common
x grid before they are averaged, so members logged at different steps still combine.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

CENTERS = {"mean": "mean", "median": "median"}
BANDS = {
    "std": "± standard deviation",
    "se": "± standard error",
    "ci95": "95% confidence interval",
    "minmax": "min – max",
    "none": "no band",
}
FINE_GRID = 20
"""Curves are averaged on up to this many times the points they are drawn with."""
ALL_RUNS = "all runs"
"""The label of the single group when grouping by nothing."""
SUMMARY_COLUMNS = ["group", "n", "center", "lower", "upper"]
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
Item = TypeVar("Item")


def natural_key(label: Any) -> tuple[tuple[int, Any], ...]:
    """Sort key that orders the numbers inside labels by value: ``length=8`` before
    ``length=100``, ``lr=0.001`` before ``lr=0.01``; a tuple of labels key by key."""
    if isinstance(label, tuple):
        return tuple(part for item in label for part in natural_key(item))
    text, key, position = str(label), [], 0
    for match in _NUMBER.finditer(text):
        if match.start() > position:
            key.append((1, text[position : match.start()]))
        key.append((0, float(match.group())))
        position = match.end()
    if position < len(text):
        key.append((1, text[position:]))
    return tuple(key)


def in_natural_order(groups: Iterable[tuple[Any, Item]]) -> list[tuple[Any, Item]]:
    """``(key, members)`` pairs, e.g. of a pandas groupby, sorted by :func:`natural_key`."""
    return sorted(groups, key=lambda pair: natural_key(pair[0]))


def map_unique(values: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """``values.map(function)``, calling ``function`` once per distinct value (missing ones
    included): a param has a handful of values over 100,000 runs.

    :returns: an object Series on ``values``' index.
    """
    import numpy as np
    import pandas as pd

    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    mapped = np.empty(len(distinct), dtype=object)
    mapped[:] = [function(v) for v in distinct]
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def group_labels(runs: pd.DataFrame, by: Sequence[str], for_figures: bool = True) -> pd.Series:
    """One readable group label per run (index: the runs' ``run_id``), e.g. ``lstm · length=50``.

    Each value is clipped and, for figures, escaped (:func:`seqlab.messages.plot_text`): a
    param value is data, never plotly markup, and never a megabyte in every trace name.

    :param by: runs-frame columns to group by (``params.model``, ...); empty: one group.
    :param for_figures: escape for plotly; ``False`` for plain-text places (a table cell).
    """
    import pandas as pd

    from seqlab.messages import display_text, plot_text

    text = plot_text if for_figures else display_text

    index = runs["run_id"] if "run_id" in runs else runs.index
    if not by:
        return pd.Series(ALL_RUNS, index=index, dtype=object)
    parts = []
    for column in by:
        values = runs[column] if column in runs else pd.Series(None, index=runs.index)
        short = column.split(".", 1)[-1].rsplit(".", 1)[-1]
        numeric = pd.api.types.is_numeric_dtype(values)
        parts.append(map_unique(
            values, lambda v, s=short, n=numeric: text(f"{s}=—" if _missing(v) else (f"{s}={_fmt(v)}" if n else v))
        ))
    label = parts[0].astype(str)
    for part in parts[1:]:
        label = label + " · " + part.astype(str)
    return pd.Series(label.to_numpy(), index=index, dtype=object)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _fmt(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average with TensorBoard's debiasing; ``weight`` 0 leaves values as they are.

    :param values: one curve, or curves of one length as the rows of a matrix (each smoothed alone).
    """
    import numpy as np
    from scipy.signal import lfilter

    values = np.asarray(values, dtype=float)
    if weight <= 0 or values.size == 0:
        return values
    smoothed = lfilter([1 - weight], [1, -weight], values)
    return smoothed / (1 - weight ** np.arange(1, values.shape[-1] + 1))


@functools.lru_cache(maxsize=1024)
def t_quantile(dof: int) -> float:
    """The 97.5 % quantile of Student's t with ``dof`` degrees of freedom (a 95 % interval's
    half-width in standard errors); remembered, since scipy takes a millisecond a call."""
    from scipy import stats

    return float(stats.t.ppf(0.975, dof))


def band(values: np.ndarray, center: str = "mean", kind: str = "std") -> tuple[np.ndarray, ...]:
    """Center and band of ``values`` (members x points, NaN where a member has no value).

    :param center: ``mean`` or ``median``.
    :param kind: one of :data:`BANDS`.
    :returns: ``(center, lower, upper, n)`` arrays over points; with one member the band is
        the line itself.
    """
    import warnings

    import numpy as np

    values = np.atleast_2d(np.asarray(values, dtype=float))
    n = np.sum(~np.isnan(values), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        middle = np.nanmedian(values, axis=0) if center == "median" else np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0, ddof=1) if values.shape[0] > 1 else np.zeros(values.shape[1])
        std = np.where(n > 1, std, 0.0)
        if kind == "minmax":
            return middle, np.nanmin(values, axis=0), np.nanmax(values, axis=0), n
        if kind == "std":
            half = std
        elif kind == "se":
            half = std / np.sqrt(np.maximum(n, 1))
        elif kind == "ci95":
            dofs, where = np.unique(np.maximum(n - 1, 1), return_inverse=True)
            quantile = np.array([t_quantile(int(dof)) for dof in dofs])[where]
            half = np.where(n > 1, quantile * std / np.sqrt(np.maximum(n, 1)), 0.0)
        else:
            half = np.zeros_like(middle)
    return middle, middle - half, middle + half, n


def summarize(
    frame: pd.DataFrame, value: str, keys: Sequence[str] = ("group",), center: str = "mean",
    kind: str = "std",
) -> pd.DataFrame:
    """One row per group of ``keys``: member count and center/lower/upper of column ``value``.

    Rows without a value are left out; a group with none left does not appear.
    """
    import pandas as pd

    rows = []
    present = frame.dropna(subset=[value])
    for key, members in in_natural_order(present.groupby(list(keys), sort=False)):
        middle, lower, upper, n = band(members[value].to_numpy()[:, None], center, kind)
        key = key if isinstance(key, tuple) else (key,)
        rows.append((*key, int(n[0]), middle[0], lower[0], upper[0]))
    return pd.DataFrame(rows, columns=[*keys, *SUMMARY_COLUMNS[1:]])


def curves(
    histories: pd.DataFrame, labels: pd.Series, x: str = "step", center: str = "mean",
    kind: str = "std", smoothing: float = 0.0, points: int = 200,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Smooth each run's curve, then average each group's members on a common x grid.

    :param histories: columns ``run_id``, ``step``, ``time_s``, ``value`` (see ``RunStore.histories``).
    :param labels: group label per run id (see :func:`group_labels`).
    :param x: ``step`` or ``time_s``.
    :param smoothing: EMA weight in [0, 1).
    :param points: grid points per group, about: the members are averaged on the group's own
        x values (at most ``FINE_GRID`` times ``points`` of them, else as many evenly spaced),
        then the grid is thinned to ``points`` buckets keeping each bucket's smallest and largest
        center and band values (:func:`seqlab_dashboard.data.downsample`), so a spike is never
        averaged or sampled away; members count only inside their own x range.
    :returns: ``(members, groups)``: members on their group's grid with columns ``run_id``,
        ``group``, ``x``, ``value`` (smoothed); groups with ``group``, ``x``, ``n`` and
        ``center``/``lower``/``upper``.
    """
    import numpy as np
    import pandas as pd

    from seqlab_dashboard.data import downsample

    history = histories[histories["run_id"].isin(labels.index)]
    if history.empty:
        return (
            pd.DataFrame(columns=["run_id", "group", "x", "value"]),
            pd.DataFrame(columns=["group", "x", *SUMMARY_COLUMNS[1:]]),
        )
    codes, names = pd.factorize(history["run_id"])
    xs_all = history[x].to_numpy(dtype=float)
    order = np.lexsort((xs_all, codes))
    codes, xs_all = codes[order], xs_all[order]
    ys_all = history["value"].to_numpy(dtype=float)[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    lengths = np.diff(np.r_[starts, len(codes)])
    smoothed = np.empty_like(ys_all)
    for length in np.unique(lengths):  # runs of one length smoothed at once, as rows of a matrix
        at = (starts[lengths == length][:, None] + np.arange(length)).ravel()
        smoothed[at] = ema(ys_all[at].reshape(-1, length), smoothing).ravel()
    runs = {names[codes[a]]: (xs_all[a:a + n], smoothed[a:a + n]) for a, n in zip(starts, lengths)}
    member_parts: dict[str, list[np.ndarray]] = {"run_id": [], "group": [], "x": [], "value": []}
    group_parts: dict[str, list[np.ndarray]] = {k: [] for k in ("group", "x", *SUMMARY_COLUMNS[1:])}
    run_ids = pd.Series(list(runs))
    for group, members in in_natural_order(run_ids.groupby(run_ids.map(labels), sort=False)):
        curves_of = [runs[r] for r in members]
        unique_x = np.unique(np.concatenate([xs for xs, _ in curves_of]))
        fine = FINE_GRID * points
        grid = unique_x if len(unique_x) <= fine else np.linspace(unique_x[0], unique_x[-1], fine)
        matrix = np.full((len(curves_of), len(grid)), np.nan)
        for i, (xs, ys) in enumerate(curves_of):
            finite = np.isfinite(ys)
            inside = (grid >= xs[0]) & (grid <= xs[-1])
            if finite.any():
                matrix[i, inside] = np.interp(grid[inside], xs[finite], ys[finite])
        middle, lower, upper, n = band(matrix, center, kind)
        if len(grid) > points:  # thin the grid, keeping each bucket's extremes: spikes stay
            keep = np.unique(np.concatenate([downsample(line, points) for line in (middle, lower, upper)]))
            grid, matrix, middle, lower, upper, n = (grid[keep], matrix[:, keep], middle[keep], lower[keep],
                                                      upper[keep], n[keep])
        for key, column in zip(group_parts, (np.full(len(grid), group, dtype=object), grid, n, middle, lower, upper)):
            group_parts[key].append(column)
        values = matrix.ravel()
        present = ~np.isnan(values)
        member_parts["run_id"].append(np.repeat(members.to_numpy(dtype=object), len(grid))[present])
        member_parts["group"].append(np.full(int(present.sum()), group, dtype=object))
        member_parts["x"].append(np.tile(grid, len(curves_of))[present])
        member_parts["value"].append(values[present])
    # one frame at the end: building one per group costs more than the arithmetic at 100+ groups;
    # labels stay Python objects (pandas' Arrow-backed strings would copy them twice more)
    return (pd.DataFrame({k: pd.Series(np.concatenate(v), dtype=object if k in ("run_id", "group") else None)
                          for k, v in member_parts.items()}),
            pd.DataFrame({k: pd.Series(np.concatenate(v), dtype=object if k == "group" else None)
                          for k, v in group_parts.items()}))


def solved_by_length(
    runs: pd.DataFrame, labels: pd.Series, length: str, score: str, solved: str,
    center: str = "mean", kind: str = "std",
) -> pd.DataFrame:
    """Per group and sequence length: the score's center and band, and the fraction solved.

    :param length: the length column (``params.task.length``).
    :param score: the score column (``metrics.ltd/normalized_score``).
    :param solved: the solved flag column (``metrics.ltd/solved``, 1 or 0).
    :returns: columns ``group``, ``length``, ``n``, ``center``, ``lower``, ``upper``,
        ``solved_fraction`` (NaN where no member recorded the flag).
    """
    import pandas as pd

    frame = pd.DataFrame(
        {
            "group": labels.to_numpy(),
            "length": pd.to_numeric(runs[length], errors="coerce").to_numpy() if length in runs else float("nan"),
            "score": runs[score].to_numpy() if score in runs else float("nan"),
            "solved": runs[solved].to_numpy() if solved in runs else float("nan"),
        }
    ).dropna(subset=["length"])
    table = summarize(frame, "score", ("group", "length"), center, kind)
    fraction = frame.groupby(["group", "length"])["solved"].mean().rename("solved_fraction")
    return table.merge(fraction.reset_index(), on=["group", "length"], how="left")


def memory_horizon(table: pd.DataFrame, majority: float = 0.5) -> pd.DataFrame:
    """Each group's memory horizon: the longest length up to which it solves every tested length.

    A group solves a length when more than ``majority`` of its seeds there are solved.

    :param table: the output of :func:`solved_by_length`.
    :returns: columns ``group``, ``horizon`` (NaN when even the shortest length is not solved),
        ``longest_tested``.
    """
    import pandas as pd

    rows = []
    for group, lengths in in_natural_order(table.sort_values("length").groupby("group", sort=False)):
        horizon = float("nan")
        for length, fraction in zip(lengths["length"], lengths["solved_fraction"]):
            if not fraction > majority:
                break
            horizon = length
        rows.append((group, horizon, lengths["length"].max()))
    return pd.DataFrame(rows, columns=["group", "horizon", "longest_tested"])


def pareto_front(cost: Sequence[float], score: Sequence[float]) -> np.ndarray:
    """Mask of the points no other point beats on both axes (lower cost, higher score)."""
    import numpy as np

    cost, score = np.asarray(cost, dtype=float), np.asarray(score, dtype=float)
    front = np.zeros(len(cost), dtype=bool)
    for i in range(len(cost)):
        if not (np.isfinite(cost[i]) and np.isfinite(score[i])):
            continue
        beaten = (cost <= cost[i]) & (score >= score[i]) & ((cost < cost[i]) | (score > score[i]))
        front[i] = not beaten.any()
    return front
