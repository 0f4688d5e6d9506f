"""From a frame of runs to a hypothesis' cells: groups by param filters, strata, seeds.

The frame has one row per run, as ``mlflow.search_runs(output_format="pandas")`` returns it:
``run_id``, ``params.<key>`` (strings), ``metrics.<name>`` and ``tags.<name>`` columns. A seed
(param ``seed``) is the unit of replication; runs that differ in any other param are in
different strata, never extra seeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from seqlab.evidence.estimate import MIN_SEEDS, Cell

if TYPE_CHECKING:
    from seqlab.evidence.hypotheses import Filter, Hypothesis

SEED = "seed"
Stratum = tuple[str, ...]
"""A stratum: the values of the strata params, as the frame stores them."""


def param(key: str) -> str:
    """The frame column of a param."""
    return f"params.{key}"


def metric(name: str) -> str:
    """The frame column of a metric."""
    return f"metrics.{name}"


def matching(frame: pd.DataFrame, wanted: Filter) -> pd.Series:
    """Which runs have every param of ``wanted`` (a list value: any of its values).

    Values match as text (``lstm``, ``True``; ``None`` is ``null``, as params are stored, or
    missing) or as numbers (``0.001`` matches ``1e-3``), so params read as numbers work too.
    """
    mask = pd.Series(True, index=frame.index)
    for key, value in wanted.items():
        if param(key) not in frame:
            return pd.Series(False, index=frame.index)
        options = value if isinstance(value, list) else [value]
        column = frame[param(key)]
        numbers = [
            float(o) for o in options if isinstance(o, int | float) and not isinstance(o, bool)
        ]
        as_text = column.astype(str).isin(["null" if o is None else str(o) for o in options])
        as_number = pd.to_numeric(column, errors="coerce").isin(numbers) if numbers else False
        missing = column.isna() if None in options else False
        mask &= as_text | as_number | missing
    return mask


def numbers(column: pd.Series) -> np.ndarray:
    """A param column as floats (params are stored as text; NaN where not a number)."""
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def label(stratum: Stratum, keys: list[str]) -> str:
    """A stratum as ``task.length=50 task=adding`` (``all`` when there are no strata); a param
    the runs of the stratum do not have (``nan``: another model's, say) is left out."""
    return " ".join(
        f"{key}={value}" for key, value in zip(keys, stratum) if value != "nan"
    ) or "all"


@dataclass
class Selection:
    """A hypothesis' runs, split into groups and strata.

    :param groups: each group's runs that have the metric, by group label.
    :param strata: the params whose settings are strata.
    :param reason: why the runs cannot answer it, or ``None``.
    """

    groups: dict[str, pd.DataFrame]
    strata: list[str] = field(default_factory=list)
    reason: str | None = None

    @property
    def run_ids(self) -> list[str]:
        """The ids of every selected run, group by group."""
        return [run for frame in self.groups.values() for run in frame["run_id"]]

    def cells(self, group: str, column: str, *keys: str) -> dict[Stratum, Cell]:
        """A group's cells of ``column`` by stratum (plus ``keys``), one value per seed."""
        frame = self.groups[group]
        by = [param(key) for key in [*self.strata, *keys]]
        parts = frame.groupby(by, dropna=False, sort=True) if by else [((), frame)]
        return {
            tuple(str(v) for v in (values if isinstance(values, tuple) else (values,))):
            Cell(part[column].to_numpy(dtype=float), tuple(part["run_id"]))
            for values, part in parts
        }


def cells_along(
    selection: Selection, group: str, column: str, along: str
) -> dict[Stratum, dict[float, Cell]] | str:
    """A group's cells by stratum and by the numeric param ``along``, or a reason."""
    out: dict[Stratum, dict[float, Cell]] = {}
    for key, cell in selection.cells(group, column, along).items():
        try:
            x = float(key[-1])
        except ValueError:
            return f"{along}={key[-1]!r} is not a number"
        out.setdefault(key[:-1], {})[x] = cell
    return out


def select(
    runs: pd.DataFrame, hypothesis: Hypothesis, exclude: Iterable[str] = ()
) -> Selection:
    """Split the runs a hypothesis uses into its groups, and find the strata.

    Strata are ``within`` when the hypothesis names them, else every param that varies among
    a group's runs, besides the seed, the params in ``exclude`` (an axis such as ``along``)
    and those the group filters fix. A run matching two groups, a missing metric column or
    a param varying inside a stratum besides the seed is a reason, never guessed around.
    """
    exclude = list(exclude)
    column = metric(hypothesis.metric)
    if column not in runs:
        return Selection({}, reason=f"no run records the metric {hypothesis.metric!r}")
    frame = runs[matching(runs, hypothesis.where)]
    frame = frame[frame[column].notna()]
    params = [c for c in frame.columns if c.startswith("params.")]
    frame = frame.drop_duplicates(subset=params, keep="first")
    filters = hypothesis.groups()
    groups = {name: frame[matching(frame, wanted)] for name, wanted in filters.items()}
    for name, part in groups.items():
        if part.empty:
            return Selection(groups, reason=f"no run of group {name} ({_text(filters[name])}) "
                             f"has {hypothesis.metric!r}")
    if len(groups) == 2:
        both = set(groups["a"]["run_id"]) & set(groups["b"]["run_id"])
        if both:
            return Selection(groups, reason=f"{len(both)} runs match both a and b")
    fixed = {SEED, *exclude, *(key for wanted in filters.values() for key in wanted)}
    within = hypothesis.within
    varying = sorted(
        {
            c.removeprefix("params.")
            for part in groups.values()
            for c in params
            if c.removeprefix("params.") not in fixed and part[c].nunique(dropna=False) > 1
        }
    )
    strata = varying if within is None else list(within)
    missing = [key for key in strata if param(key) not in frame]
    if missing:
        return Selection(groups, strata, f"within: no run has the param {missing[0]!r}")
    loose = [key for key in varying if key not in strata]
    for name, part in groups.items():
        by = [param(key) for key in [*strata, *exclude]]  # a cell: a stratum at one setting
        cells = part.groupby(by, dropna=False) if by else [((), part)]
        for _, cell in cells:
            for key in loose:
                if cell[param(key)].nunique(dropna=False) > 1:
                    return Selection(groups, strata, (
                        f"runs of group {name} differ in {key} besides the seed: add it to "
                        "within: or fix it in where:"
                    ))
    return Selection(groups, strata)


def seeds_reason(counts: Mapping[str, Mapping[Stratum, int]], strata: list[str]) -> str | None:
    """The "fewer than 3 seeds" rule: a reason naming the first group and stratum short of it."""
    for name, by_stratum in counts.items():
        for stratum, count in by_stratum.items():
            if count < MIN_SEEDS:
                where = f" at {label(stratum, strata)}" if strata else ""
                return (f"group {name} has {count} seed{'s' * (count != 1)}{where} "
                        f"(at least {MIN_SEEDS} needed)")
    return None


def _text(wanted: Filter) -> str:
    """A filter as ``model=lstm task.length=[50, 100]``."""
    return " ".join(f"{key}={value}" for key, value in wanted.items())
