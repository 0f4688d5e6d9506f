"""C7: accuracy against the position in the sequence, for a task that labels every position.

From each run's :data:`~seqlab.store.record.PROFILES_ARTIFACT`, the task's
``accuracy_by_position`` at its last validation (the ``labeling`` task records it): one curve
per group and stratum (model, distance...), the mean over its seeds, in a band from the lowest
to the highest seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab.store import record

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.figures.artifacts import ArtifactReader
    from seqlab.evidence.hypotheses import Hypothesis

PROFILE = "accuracy_by_position"
"""The profile drawn: the validation accuracy at each position."""


def position_accuracy(
    hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader
) -> Any:
    """Validation accuracy against the position t per series, the seeds' range as a band, and
    the task's naive baseline (``ltd/baseline``, the majority class) as a dashed line."""
    import numpy as np
    import plotly.graph_objects as go

    from seqlab.evidence.figures.series import note, panels, split
    from seqlab.evidence.selection import metric

    figure = panels(["validation accuracy by position (last validation)"])
    found = split(hypothesis, runs)
    drawn = []
    for line in [] if isinstance(found, str) else found:
        read = (artifacts.last_profile(run_id, PROFILE) for run_id in line.runs["run_id"])
        profiles = [profile for profile in read if profile is not None]
        if not profiles:
            continue
        length = max({len(p) for p in profiles}, key=[len(p) for p in profiles].count)
        rows = np.array([p for p in profiles if len(p) == length], dtype=float)
        positions = np.arange(length)
        low, high = np.nanmin(rows, axis=0), np.nanmax(rows, axis=0)
        figure.add_trace(go.Scatter(
            x=np.concatenate([positions, positions[::-1]]), y=np.concatenate([high, low[::-1]]),
            fill="toself", fillcolor=line.color, opacity=0.2, line={"width": 0},
            mode="lines", hoverinfo="skip", showlegend=False, legendgroup=line.label,
            name=f"{line.label} (seeds)"))
        figure.add_trace(go.Scatter(x=positions, y=np.nanmean(rows, axis=0), mode="lines",
                                    name=f"{line.label} ({len(rows)} seeds)",
                                    legendgroup=line.label, line={"color": line.color}))
        drawn.append(line)
    if not drawn:
        note(figure, found if isinstance(found, str)
             else f"no run used has {PROFILE} in {record.PROFILES_ARTIFACT}")
        return figure
    column = metric(record.BASELINE)
    baselines = [line.runs[column].to_numpy(dtype=float) for line in drawn if column in line.runs]
    if baselines:
        baseline = float(np.nanmean(np.concatenate(baselines)))
        if np.isfinite(baseline):
            figure.add_hline(y=baseline, line_dash="dash",
                             annotation_text=f"naive baseline {baseline:.3g}")
    figure.update_xaxes(title_text="position t")
    figure.update_yaxes(title_text="accuracy")
    return figure
