"""What every figure of the evidence draws from: a hypothesis' runs split into series, each
seed's value and the mean per setting drawn against a numeric param, and the panels they sit in.

A series is one group's runs in one stratum (one setting of every param that varies besides
the seed and the x axis), so curves are never averaged across lengths or models; a group
whose filter lists several values (``model: [rnn, lstm]``) gives one series per value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.hypotheses import Hypothesis


@dataclass
class Series:
    """One curve: its legend label (escaped for plotly), its colour and its runs."""

    label: str
    color: str
    runs: pd.DataFrame


class Palette:
    """Colours by series label, handed out in order of first use: the panels of one figure
    share a palette, so a series has the same colour in each panel even where a panel lacks
    another series (a run without that panel's metric)."""

    def __init__(self) -> None:
        self._colors: dict[str, str] = {}

    def color(self, label: str) -> str:
        """The colour of the series ``label``: plotly's qualitative palette, in turn."""
        from plotly.colors import qualitative

        if label not in self._colors:
            self._colors[label] = qualitative.Plotly[len(self._colors) % len(qualitative.Plotly)]
        return self._colors[label]


def split(
    hypothesis: Hypothesis,
    runs: pd.DataFrame,
    metric_name: str | None = None,
    along: str | None = None,
    widen: bool = False,
    palette: Palette | None = None,
) -> list[Series] | str:
    """The hypothesis' runs that have ``metric_name`` (default: its metric), one series per
    group and stratum, or the reason there are none.

    A series' label names its group's filter and the strata params whose values differ among
    the group's series; a param only some of them have, at one value (``model.cell`` of the
    LSTM's runs beside the GRU's), says nothing the others do not and is left out.

    :param along: the x axis' param: left out of the strata (and of the series' labels).
    :param widen: also draw the settings of ``along`` that ``where`` leaves out (a hypothesis
        judged at ``task.distance: 20`` is drawn against every distance).
    :param palette: the figure's colours, shared by its panels (default: a new one).
    """
    from seqlab.messages import plot_text
    from seqlab.evidence.selection import label, param, select

    where = {k: v for k, v in hypothesis.where.items() if not (widen and k == along)}
    probe = hypothesis.model_copy(
        update={"metric": metric_name or hypothesis.metric, "where": where}
    )
    selection = select(runs, probe, exclude=[along] if along else [])
    if selection.reason:
        return selection.reason
    if not probe.groups():
        return "the hypothesis has no groups of runs to draw"
    palette = palette or Palette()
    out: list[Series] = []
    for name, wanted in probe.groups().items():
        for values, part in _parts(selection.groups[name], list(wanted)):
            # strata that only follow the filter's values (a model's own params) say nothing
            keys = [k for k in selection.strata if k != along and k not in wanted
                    and part[param(k)].nunique(dropna=False) > 1]
            lines = _parts(part, keys)
            shown = _shown(part, keys, [more for more, _ in lines])
            for more, line in lines:
                kept = [(k, v) for k, v in zip(keys, more) if k in shown]
                text = plot_text(f"{name}: " + label(
                    values + tuple(v for _, v in kept), list(wanted) + [k for k, _ in kept]))
                out.append(Series(text, palette.color(text), line))
    return out


def _shown(part: pd.DataFrame, keys: list[str], settings: list[tuple[str, ...]]) -> list[str]:
    """The strata params a group's series labels name: those with more than one value among
    its runs (missing values aside), unless leaving the others out would give two series the
    same label."""
    from seqlab.evidence.selection import param

    shown = [k for k in keys if part[param(k)].nunique(dropna=True) > 1]
    index = [keys.index(k) for k in shown]
    distinct = {tuple(setting[i] for i in index) for setting in settings}
    return shown if len(distinct) == len(settings) else keys


def _parts(frame: pd.DataFrame, keys: list[str]) -> list[tuple[tuple[str, ...], pd.DataFrame]]:
    """``frame`` split by the params ``keys``: each setting (as text) with its runs."""
    from seqlab.evidence.selection import param

    keys = [k for k in keys if param(k) in frame]
    if not keys:
        return [((), frame)]
    return [(tuple(map(str, v if isinstance(v, tuple) else (v,))), part)
            for v, part in frame.groupby([param(k) for k in keys], dropna=False, sort=True)]


def panels(titles: list[str]) -> Any:
    """A figure of ``len(titles)`` panels side by side, each titled (escaped)."""
    from plotly.subplots import make_subplots

    from seqlab.messages import plot_text

    figure = make_subplots(rows=1, cols=len(titles), subplot_titles=[plot_text(t) for t in titles],
                           horizontal_spacing=0.08)
    figure.update_layout(margin={"t": 40}, legend={"orientation": "h", "y": -0.25})
    return figure


def note(figure: Any, text: str, col: int = 1) -> None:
    """Say in panel ``col`` why it is empty."""
    from seqlab.messages import plot_text

    figure.add_annotation(text=plot_text(text), showarrow=False, xref="x domain", yref="y domain",
                          x=0.5, y=0.5, row=1, col=col)


def add_along(
    figure: Any,
    series: list[Series] | str,
    metric_name: str,
    along: str,
    geometric: bool = False,
    col: int = 1,
) -> None:
    """Each seed's ``metric_name`` against the param ``along`` (markers) and a line through each
    setting's mean (geometric with ``geometric``, for log axes), one colour per series, in
    panel ``col``; the legend lists each series once, the first panel it is drawn in."""
    import numpy as np
    import plotly.graph_objects as go

    from seqlab.messages import plot_text
    from seqlab.evidence.selection import metric, numbers, param

    if isinstance(series, str):
        note(figure, series, col)
        return
    for line in series:
        x = numbers(line.runs[param(along)])
        y = line.runs[metric(metric_name)].to_numpy(dtype=float)
        order = np.unique(x[~np.isnan(x)])
        if geometric:
            means = [float(np.exp(np.mean(np.log(np.maximum(y[x == v], 1e-300)))))
                     for v in order]
        else:
            means = [float(y[x == v].mean()) for v in order]
        figure.add_trace(go.Scatter(x=x, y=y, mode="markers", opacity=0.45, showlegend=False,
                                    legendgroup=line.label, name=f"{line.label} (seeds)",
                                    marker={"color": line.color}), row=1, col=col)
        listed = any(trace.name == line.label for trace in figure.data)
        figure.add_trace(go.Scatter(x=order, y=means, mode="lines+markers", name=line.label,
                                    legendgroup=line.label, showlegend=not listed,
                                    line={"color": line.color}), row=1, col=col)
    figure.update_xaxes(title_text=plot_text(along), row=1, col=col)
    figure.update_yaxes(title_text=plot_text(metric_name), row=1, col=col)


def add_marks(
    figure: Any, runs: pd.DataFrame, key: str, name: str, col: int = 1, log_x: bool = False
) -> None:
    """A dashed vertical line, labelled ``name=value``, at each value of the param ``key``
    among ``runs`` (the window size, k2), in panel ``col`` (``log_x``: its x axis is log)."""
    import math

    import numpy as np

    from seqlab.evidence.selection import numbers, param

    if param(key) not in runs:
        return
    axis = "x" if col == 1 else f"x{col}"
    for value in np.unique(numbers(runs[param(key)])):
        if not np.isfinite(value) or (log_x and value <= 0):
            continue
        figure.add_vline(x=float(value), line_dash="dash", line_color="#555", row=1, col=col)
        # annotations on a log axis are placed in log10 units (shapes in data units)
        figure.add_annotation(x=math.log10(value) if log_x else float(value), xref=axis,
                              y=1, yref=f"{axis.replace('x', 'y')} domain", yanchor="bottom",
                              text=f"{name}={value:g}", showarrow=False, font={"size": 11})
