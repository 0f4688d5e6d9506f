"""C9: accuracy where the deciding context lies in the past and where it lies in the future.

The labeling task records ``val/accuracy_past`` and ``val/accuracy_future``; a box per series
(group and stratum) on each, every seed shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab.store import record

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.figures.artifacts import ArtifactReader
    from seqlab.evidence.hypotheses import Hypothesis

CONTEXTS = {"past": record.validation_metric("accuracy_past"),
            "future": record.validation_metric("accuracy_future")}
"""Where the deciding context lies, and the metric of the positions labeled from there."""


def context_split(hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader) -> Any:
    """Accuracy on past-context and on future-context positions, a box per series."""
    import plotly.graph_objects as go

    from seqlab.evidence.figures.series import note, panels, split
    from seqlab.evidence.selection import metric

    figure = panels(["accuracy by where the deciding context lies"])
    found = split(hypothesis, runs, CONTEXTS["future"])
    if isinstance(found, str):
        note(figure, found)
        return figure
    for line in found:
        xs, ys = [], []
        for context, name in CONTEXTS.items():
            if metric(name) in line.runs:
                values = line.runs[metric(name)].dropna().tolist()
                xs += [f"{context} ({name})"] * len(values)
                ys += values
        figure.add_trace(go.Box(x=xs, y=ys, name=line.label, boxpoints="all", jitter=0.3,
                                pointpos=0, marker={"color": line.color}))
    figure.update_layout(boxmode="group")
    figure.update_yaxes(title_text="accuracy")
    return figure
