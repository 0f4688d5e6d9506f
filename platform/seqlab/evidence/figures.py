"""Figure helpers the built-in kinds share (plotly, imported when a figure is drawn)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab.messages import plot_text

if TYPE_CHECKING:
    from seqlab.evidence.hypotheses import Hypothesis
    from seqlab.evidence.selection import Selection


def group_title(name: str, wanted: dict[str, Any]) -> str:
    """A group's legend title, ``a: model=lstm``, escaped for plotly."""
    return plot_text(f"{name}: " + " ".join(f"{k}={v}" for k, v in wanted.items()))


def along_figure(
    hypothesis: Hypothesis, selection: Selection, along: str, geometric: bool
) -> Any:
    """Each seed's metric against the param ``along``, and a line through each setting's mean.

    One pair of traces per group and stratum; ``geometric`` draws geometric means (for
    log-log trends) instead of arithmetic ones.
    """
    import numpy as np
    import plotly.graph_objects as go

    from seqlab.evidence.selection import label, metric, numbers, param

    figure = go.Figure()
    for name, wanted in hypothesis.groups().items():
        if name not in selection.groups:
            continue
        title = group_title(name, wanted)
        frame = selection.groups[name]
        by = [param(k) for k in selection.strata]
        parts = frame.groupby(by, dropna=False) if by else [((), frame)]
        for stratum, part in parts:
            values = stratum if isinstance(stratum, tuple) else (stratum,)
            suffix = plot_text(f" · {label(tuple(map(str, values)), selection.strata)}") if by else ""
            x = numbers(part[param(along)])
            y = part[metric(hypothesis.metric)].to_numpy(dtype=float)
            figure.add_trace(go.Scatter(x=x, y=y, mode="markers", opacity=0.5,
                                        name=f"{title}{suffix} (seeds)"))
            order = np.unique(x)
            if geometric:
                means = [float(np.exp(np.mean(np.log(np.maximum(y[x == v], 1e-300)))))
                         for v in order]
            else:
                means = [float(y[x == v].mean()) for v in order]
            figure.add_trace(go.Scatter(x=order, y=means, mode="lines+markers",
                                        name=f"{title}{suffix}"))
    figure.update_layout(xaxis_type="log", xaxis_title=plot_text(along),
                         yaxis_title=plot_text(hypothesis.metric),
                         margin={"t": 30}, legend={"orientation": "h", "y": -0.25})
    return figure
