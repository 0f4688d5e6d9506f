"""C11: the LSTM's variants, their score against the length, and the cell state along the
sequence (from each run's :data:`~seqlab.store.record.STATE_TRACE_ARTIFACT`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab.store import record

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.figures.artifacts import ArtifactReader
    from seqlab.evidence.hypotheses import Hypothesis


def gate_variants(hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader) -> Any:
    """The normalized score against ``task.length`` per series (variant), and the RMS of the
    cell state by position of the trained model, one curve per series (mean over seeds)."""
    import plotly.graph_objects as go

    from seqlab.evidence.figures.along import LENGTH
    from seqlab.evidence.figures.gradient_flow import by_position_curve
    from seqlab.evidence.figures.series import Palette, add_along, note, panels, split

    score = record.NORMALIZED_SCORE
    figure = panels([f"{score} vs {LENGTH}", "cell state RMS along the sequence"])
    palette = Palette()
    add_along(figure, split(hypothesis, runs, score, along=LENGTH, widen=True, palette=palette),
              score, LENGTH)
    figure.update_xaxes(type="log", row=1, col=1)
    found = split(hypothesis, runs, palette=palette)
    drawn = 0
    for line in [] if isinstance(found, str) else found:
        curve = by_position_curve(line, artifacts, record.STATE_TRACE_ARTIFACT, "rms", "cell")
        if curve is None:
            continue
        figure.add_trace(go.Scatter(x=curve[0], y=curve[1], mode="lines", name=line.label,
                                    legendgroup=line.label,
                                    line={"color": line.color}), row=1, col=2)
        drawn += 1
    if not drawn:
        note(figure, found if isinstance(found, str)
             else f"no run used has a cell state in {record.STATE_TRACE_ARTIFACT}", col=2)
    figure.update_xaxes(title_text="position t", row=1, col=2)
    figure.update_yaxes(title_text="RMS of the cell state", row=1, col=2)
    return figure
