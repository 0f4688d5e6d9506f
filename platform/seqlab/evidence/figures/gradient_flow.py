"""C4, C5: the gradient flow ||dloss/dx_t|| against the distance to the output.

From each run's :data:`~seqlab.store.record.GRADIENT_FLOW_ARTIFACT` at its last capture (the
trained model): one curve per group and stratum (model, length...), the geometric mean over
its seeds, never averaged across lengths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab.store import record

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.figures.artifacts import ArtifactReader
    from seqlab.evidence.figures.series import Series
    from seqlab.evidence.hypotheses import Hypothesis


def by_position_curve(
    line: Series, artifacts: ArtifactReader, artifact: str, key: str, part: str = ""
) -> tuple[Any, Any] | None:
    """The positions and the geometric mean over a series' runs of their last capture of a
    by-position artifact (runs without it left out), or ``None`` when none has it."""
    import numpy as np

    captures = [artifacts.last_capture(run_id, artifact, key, part) for run_id in line.runs["run_id"]]
    captures = [c for c in captures if c is not None]
    if not captures:
        return None
    positions = captures[0][0]
    rows = np.array([values for found, values in captures if found == positions], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(rows > 0, np.log(rows), np.nan)
        mean = np.exp(np.nanmean(logs, axis=0)) if np.isfinite(logs).any() else rows[0]
    return np.array(positions), mean


def gradient_flow(hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader) -> Any:
    """||dloss/dx_t|| (log axis) against the distance T - 1 - t from the output, per series."""
    import plotly.graph_objects as go

    from seqlab.evidence.figures.series import note, panels, split

    figure = panels(["||dloss/dx_t|| of the trained model vs distance to the output"])
    found = split(hypothesis, runs)
    drawn = 0
    for line in [] if isinstance(found, str) else found:
        curve = by_position_curve(line, artifacts, record.GRADIENT_FLOW_ARTIFACT, "norms")
        if curve is None:
            continue
        positions, norms = curve
        figure.add_trace(go.Scatter(x=positions.max() - positions, y=norms, mode="lines",
                                    name=line.label, line={"color": line.color}))
        drawn += 1
    if not drawn:
        note(figure, found if isinstance(found, str)
             else f"no run used has a {record.GRADIENT_FLOW_ARTIFACT} artifact")
    figure.update_xaxes(title_text="distance to the output T - 1 - t (steps)")
    figure.update_yaxes(type="log", title_text="||dloss/dx_t||")
    return figure
