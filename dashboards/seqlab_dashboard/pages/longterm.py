"""The Long-term dependency view: score against sequence length, memory horizons, gradient flow
and the state's size along the sequence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl

from seqlab.store import record
from seqlab_dashboard import ids
from seqlab_dashboard.analysis import natural_key

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go
    from dash import Dash
    from dash.development.base_component import Component

    from seqlab_dashboard.data import ByPosition
    from seqlab.api.view import RegisterPanel

VIEW = "longterm"
LENGTH = "task.length"
FIGURES = ("score-vs-length", "gradient-flow", "gradient-heatmap", "state-trace")
STATE_PARTS = {"cell": "solid", "hidden": "dot"}
"""The state parts drawn in the state-trace figure, with their line styles."""


@hookimpl
def register_dashboard_panels(register: RegisterPanel) -> None:
    """Register the Long-term dependency view."""
    register("/long-term", "Long-term dependency", layout, callbacks, order=50,
             description="Normalized score against length, memory horizon, gradient flow, state size")


def layout(**query: str) -> Component:
    """Scope and band controls, the score-vs-length figure, horizons and gradient flow."""
    from dash import dcc, html

    from seqlab_dashboard.analysis import BANDS
    from seqlab_dashboard.controls import labelled, query_text, scope_controls
    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.figures import graph_card

    runs = open_store().runs()
    return html.Div([
        html.Div(className="view-head", children=[
            html.H2("Long-term dependency"),
            html.P("Normalized score: 0 is the task's strongest naive baseline (ltd/baseline), 1 is "
                   "perfect. A group's memory "
                   "horizon is the longest length up to which most of its seeds solve every tested length."),
        ]),
        scope_controls(VIEW, query, runs),
        html.Div(className="controls", children=[
            labelled("Band", dcc.Dropdown(id=ids.control(VIEW, "band"), clearable=False,
                                          options=[{"label": v, "value": k} for k, v in BANDS.items()],
                                          value=query_text(query, "band", list(BANDS), "std"))),
            labelled("Heatmap of", dcc.Dropdown(id=ids.control(VIEW, "heatmap"), value=query.get("heatmap"),
                                                placeholder="first group with a gradient-flow record"), wide=True),
        ]),
        html.Div(className="grid-wide", children=[
            graph_card("score-vs-length", "Normalized score against sequence length",
                       "error bars: the band across seeds; dotted lines: memory horizons", height=440),
            html.Div(className="card", children=[
                html.H3("Memory horizon"), html.Div(id=ids.control(VIEW, "horizons")),
            ]),
        ]),
        html.Div(className="grid-2", children=[
            graph_card("gradient-flow", "Gradient flow: ‖∂loss/∂x_t‖ by position",
                       "at the last recorded step, mean over each group's runs (log scale)"),
            graph_card("gradient-heatmap", "Gradient flow over training",
                       "log10 ‖∂loss/∂x_t‖, position × training step"),
            graph_card("state-trace", "State size by position",
                       "RMS of the cell (solid) and hidden (dotted) state after each position, at the "
                       "end of training: a cell that keeps growing forgets nothing"),
        ]),
    ])


def horizon_table(horizons: pd.DataFrame, colors: dict[str, str]) -> Component:
    """The memory horizons as a small table, one row per group."""
    from dash import html

    if horizons.empty:
        return html.P("Needs runs with ltd/solved at one or more lengths.", className="caption")
    rows = [html.Tr([html.Th("group"), html.Th("horizon"), html.Th("longest tested")])]
    for row in horizons.itertuples():
        horizon = "none solved" if row.horizon != row.horizon else f"{row.horizon:g}"
        rows.append(html.Tr([
            html.Td([html.Span(className="swatch", style={"background": colors.get(row.group, "#999")}), row.group]),
            html.Td(horizon, className="number"), html.Td(f"{row.longest_tested:g}", className="number"),
        ]))
    return html.Table(rows, className="horizons")


def draw_longterm(
    experiments: list[str] | None, sweeps: list[str] | None, selected: list[str] | None,
    group: list[str] | None, band_name: str, heatmap: str | None,
) -> tuple[list[go.Figure], Component, list[dict[str, str]]]:
    """The three figures, the horizon table and the heatmap choices."""
    from seqlab_dashboard.analysis import group_labels, memory_horizon, solved_by_length
    from seqlab_dashboard.controls import final_runs, group_columns
    from seqlab_dashboard.data import metric_column, open_store, param_column
    from seqlab_dashboard.figures import empty_figure, group_colors, length_figure

    runs = final_runs(experiments, sweeps, selected)
    if runs.empty:
        empty = [empty_figure("No finished runs in scope.")] * len(FIGURES)
        return empty, horizon_table(_no_horizons(), {}), []
    labels = group_labels(runs, group_columns(group, without=[LENGTH]))
    colors = group_colors(labels)
    score = metric_column(record.NORMALIZED_SCORE)
    table = solved_by_length(runs, labels, param_column(LENGTH), score, metric_column(record.SOLVED),
                             kind=band_name)
    if table.empty:
        score_figure = empty_figure(f"No finished run recorded {record.NORMALIZED_SCORE} with a {LENGTH}.")
        horizons = _no_horizons()
    else:
        horizons = memory_horizon(table)
        score_figure = length_figure(table, "normalized score", colors)
        score_figure.add_hline(y=0, line={"dash": "dot", "color": "#90a4ae"}, annotation_text="chance")
        score_figure.add_hline(y=1, line={"dash": "dot", "color": "#90a4ae"}, annotation_text="perfect")
        for row in horizons.dropna(subset=["horizon"]).itertuples():
            score_figure.add_vline(x=row.horizon, line={"dash": "dot", "color": colors[row.group], "width": 2})
    store = open_store()
    traces = {part: store.state_traces(runs["run_id"], part) for part in STATE_PARTS}
    state_figure = _state_figure(traces, labels, colors, band_name)
    flows = store.gradient_flows(runs["run_id"])
    flow_labels = labels[labels.index.isin(list(flows))]
    names = dict(zip(runs["run_id"], runs["run_name"]))
    choices = [{"label": f"group: {g}", "value": f"group:{g}"} for g in sorted(set(flow_labels), key=natural_key)]
    choices += [{"label": f"run: {names[r]}", "value": f"run:{r}"} for r in flow_labels.index]
    if not flows:
        message = f"No run in scope has a {record.GRADIENT_FLOW_ARTIFACT} artifact."
        figures = [score_figure, empty_figure(message), empty_figure(message), state_figure]
        return figures, horizon_table(horizons, colors), choices
    chosen = heatmap if heatmap in {c["value"] for c in choices} else choices[0]["value"]
    kind, _, key = chosen.partition(":")
    members = [r for r, g in flow_labels.items() if (g == key if kind == "group" else r == key)]
    heat_title = f"group {key}" if kind == "group" else names.get(key, key)
    figures = [score_figure, _flow_figure(flows, flow_labels, colors, band_name),
               _heatmap_figure([flows[r] for r in members], heat_title), state_figure]
    return figures, horizon_table(horizons, colors), choices


def _no_horizons() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=["group", "horizon", "longest_tested"])


def _flow_figure(
    flows: dict[str, ByPosition], labels: pd.Series, colors: dict[str, str], band_name: str
) -> go.Figure:
    """‖∂loss/∂x_t‖ against position at each run's last recorded step, groups with bands."""
    import plotly.graph_objects as go

    from seqlab_dashboard.figures import styled

    figure = go.Figure()
    _add_last_step_traces(figure, flows, labels, colors, band_name)
    figure.update_yaxes(type="log")
    return styled(figure, "position t in the sequence", "‖∂loss/∂x_t‖", "group")


def _state_figure(
    traces: dict[str, dict[str, ByPosition]], labels: pd.Series, colors: dict[str, str],
    band_name: str,
) -> go.Figure:
    """The RMS of each state part against position at each run's last recorded step."""
    import plotly.graph_objects as go

    from seqlab_dashboard.figures import empty_figure, styled

    if not any(traces.values()):
        return empty_figure(f"No run in scope has a {record.STATE_TRACE_ARTIFACT} artifact "
                            "(models that carry state record one).")
    figure = go.Figure()
    for part, dash in STATE_PARTS.items():
        recorded = labels[labels.index.isin(list(traces[part]))]
        _add_last_step_traces(figure, traces[part], recorded, colors, band_name, part, dash)
    return styled(figure, "position t in the sequence", "state RMS", "group")


def _add_last_step_traces(
    figure: go.Figure, records: dict[str, ByPosition], labels: pd.Series, colors: dict[str, str],
    band_name: str, part: str = "", dash: str = "solid",
) -> None:
    """Per group: the mean over its runs of each run's values at its last recorded step, by
    position, as a line (``part`` names it in the legend) with the band across runs."""
    import numpy as np
    import plotly.graph_objects as go

    from seqlab_dashboard.analysis import band
    from seqlab_dashboard.figures import translucent

    suffix = f" · {part}" if part else ""
    for group in sorted(set(labels), key=natural_key):
        runs = [records[r] for r, g in labels.items() if g == group]
        positions = sorted({p for r in runs for p in r.positions})
        matrix = np.full((len(runs), len(positions)), np.nan)
        for i, run in enumerate(runs):
            last = dict(zip(run.positions, run.values[-1])) if run.values else {}
            matrix[i] = [last.get(p, np.nan) for p in positions]
        center, lower, upper, n = band(matrix, "mean", band_name)
        if band_name != "none" and len(runs) > 1:
            figure.add_trace(go.Scatter(
                x=positions + positions[::-1], y=np.concatenate([upper, lower[::-1]]),
                fill="toself", fillcolor=translucent(colors[group], 0.18), line={"width": 0}, mode="lines",
                hoverinfo="skip", showlegend=False, name=f"{group}{suffix} band",
            ))
        figure.add_trace(go.Scatter(
            x=positions, y=center, mode="lines+markers", name=f"{group}{suffix} (n={len(runs)})",
            line={"color": colors[group], "width": 2.4, "dash": dash}, marker={"size": 5},
        ))


def _heatmap_figure(flows: list[ByPosition], title: str) -> go.Figure:
    """log10 of the mean gradient norm over ``flows``, position × training step."""
    import numpy as np
    import plotly.graph_objects as go

    from seqlab_dashboard.figures import styled

    positions = sorted({p for f in flows for p in f.positions})
    steps = sorted({s for f in flows for s in f.steps})
    total = np.zeros((len(steps), len(positions)))
    count = np.zeros_like(total)
    for flow in flows:
        for step, row in zip(flow.steps, flow.values):
            for position, value in zip(flow.positions, row):
                if value > 0 and np.isfinite(value):
                    i, j = steps.index(step), positions.index(position)
                    total[i, j] += value
                    count[i, j] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(total / count)
    figure = go.Figure(go.Heatmap(
        x=positions, y=steps, z=np.where(count > 0, z, np.nan), colorscale="Viridis",
        colorbar={"title": {"text": "log10 norm"}}, name=title,
        hovertemplate="t=%{x}, step %{y}: 10^%{z:.2f}<extra></extra>",
    ))
    return styled(figure, f"position t ({title})", "training step")


def callbacks(app: Dash) -> None:
    """Redraw the figures, horizons and heatmap choices when a control changes."""
    from dash import Input, Output

    from seqlab_dashboard.controls import mirror_to_url, scope_inputs

    mirror_to_url(app, VIEW, {"group": "group", "band": "band", "heatmap": "heatmap"})

    @app.callback(
        [Output({"type": ids.FIGURE, "name": name}, "figure") for name in FIGURES],
        Output(ids.control(VIEW, "horizons"), "children"),
        Output(ids.control(VIEW, "heatmap"), "options"),
        scope_inputs(VIEW),
        Input(ids.control(VIEW, "band"), "value"),
        Input(ids.control(VIEW, "heatmap"), "value"),
    )
    def draw(experiments: list[str], sweeps: list[str], selected: list[str], group: list[str],
             band_name: str, heatmap: str | None) -> list[Any]:
        figures, horizons, choices = draw_longterm(experiments, sweeps, selected, group, band_name, heatmap)
        return [*figures, horizons, choices]
