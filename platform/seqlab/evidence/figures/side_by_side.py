"""C6: vanilla RNN and LSTM side by side, a table of what each costs and how it behaves.

One row per group and stratum (a model on a task), over every length of its runs: the
parameter count, the median step time, the share of runs that diverged, the seed spread of
the final normalized score and the memory horizon. Every value is a recorded metric
(docs/metrics.md); the horizon is the ``horizon`` kind's rule
(:func:`seqlab.evidence.statistics.horizons`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab.store import record

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.figures.artifacts import ArtifactReader
    from seqlab.evidence.figures.series import Series
    from seqlab.evidence.hypotheses import Hypothesis

HORIZON_THRESHOLD = 0.5
"""The memory horizon is the longest ``task.length`` whose mean normalized score over seeds is
at least this: half solved, as the architectures suite's C4 horizon hypothesis judges it."""

COLUMNS = (
    "series", "runs", "parameters", "median step time (s)", "diverged",
    "seed spread (std of ltd/normalized_score)",
    f"memory horizon (longest task.length with mean ltd/normalized_score >= {HORIZON_THRESHOLD:g})",
)
"""The table's header."""


def side_by_side(hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader) -> Any:
    """A table, one row per series: parameters (``eff/parameters``), the median over its runs
    of ``eff/step_time_s``, how many runs diverged (``stab/diverged``), the standard deviation
    of the final ``ltd/normalized_score`` over seeds (at each length, then averaged over the
    lengths) and the memory horizon."""
    import plotly.graph_objects as go

    from seqlab.evidence.figures.along import LENGTH
    from seqlab.evidence.figures.series import note, panels, split
    from seqlab.messages import plot_text

    found = split(hypothesis, runs, record.PARAMETERS, along=LENGTH)
    if isinstance(found, str):
        figure = panels([""])
        note(figure, found)
        return figure
    rows = [[line.label, str(len(line.runs)), *_row(line)] for line in found]
    figure = go.Figure(go.Table(
        header={"values": [plot_text(c) for c in COLUMNS], "align": "left"},
        cells={"values": [list(column) for column in zip(*rows)], "align": "left"},
    ))
    figure.update_layout(margin={"t": 30, "l": 10, "r": 10, "b": 10},
                         title_text=plot_text(f"side by side, over every {LENGTH}"))
    return figure


def _row(line: Series) -> list[str]:
    """A series' parameters, median step time, diverged runs, seed spread and horizon, as
    text (``-`` where its runs do not record the metric)."""
    import numpy as np

    from seqlab.evidence.figures.along import LENGTH
    from seqlab.evidence.selection import metric, numbers, param
    from seqlab.evidence.statistics import horizons

    def values(name: str) -> Any:
        column = metric(name)
        if column not in line.runs:
            return np.full(len(line.runs), np.nan)
        return line.runs[column].to_numpy(dtype=float)

    parameters, step_time = values(record.PARAMETERS), values(record.STEP_TIME)
    diverged = values(record.DIVERGED)
    diverged = diverged[np.isfinite(diverged)]
    score = values(record.NORMALIZED_SCORE)
    lengths = (numbers(line.runs[param(LENGTH)]) if param(LENGTH) in line.runs
               else np.zeros(len(line.runs)))
    scored = np.isfinite(score)
    settings = np.unique(lengths[scored & np.isfinite(lengths)])
    spreads = [np.std(score[scored & (lengths == x)], ddof=1) for x in settings
               if np.count_nonzero(scored & (lengths == x)) > 1]
    means = np.array([score[scored & (lengths == x)].mean() for x in settings])
    horizon = (horizons(settings, means, HORIZON_THRESHOLD, higher=True)
               if param(LENGTH) in line.runs and len(settings) else None)
    return [
        f"{np.nanmedian(parameters):,.0f}" if np.isfinite(parameters).any() else "-",
        f"{np.nanmedian(step_time):.3g}" if np.isfinite(step_time).any() else "-",
        (f"{int(diverged.sum())}/{len(diverged)} ({diverged.mean():.0%})" if len(diverged)
         else "-"),
        f"{np.mean(spreads):.3g} (over {len(spreads)} lengths)" if spreads else "-",
        "-" if horizon is None else f"{float(horizon):g}" if horizon else "none",
    ]
