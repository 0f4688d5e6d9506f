"""The Long-term dependency view: score against sequence length, memory horizons, gradient flow
and the state's size along the sequence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl

from seqlab.store import record
from seqlab_dashboard import ids
from seqlab_dashboard.analysis import natural_key

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import plotly.graph_objects as go
    from dash import Dash
    from dash.development.base_component import Component

    from seqlab_dashboard.data import ByPosition
    from seqlab.api.view import RegisterPanel
    from seqlab_dashboard.figures import Figure

VIEW = "longterm"
LENGTH = "task.length"
FIGURES = ("score-vs-length", "gradient-flow", "gradient-heatmap", "state-trace")
BY_POSITION_LIMIT = 500
"""The by-position figures read one artifact per run: above this many runs in scope they ask
for a narrower scope instead of reading thousands of artifacts."""
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
            labelled("Heatmap of", dcc.Dropdown(
                id=ids.control(VIEW, "heatmap"), value=query.get("heatmap"),
                # the asked-for choice is an option from the start, so the dropdown keeps it until
                # the figures' callback lists every choice (else a reload loses ``heatmap=``)
                options=[{"label": query["heatmap"], "value": query["heatmap"]}] if query.get("heatmap") else [],
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
            graph_card("gradient-flow", "Gradient flow: ‖∂loss/∂x_t‖ by distance to the output",
                       "at the last recorded step, mean over each group's runs, one line per length T "
                       "(never averaged across lengths); log scale"),
            graph_card("gradient-heatmap", "Gradient flow over training",
                       "log10 ‖∂loss/∂x_t‖, position × training step"),
            graph_card("state-trace", "State size by distance to the output",
                       "RMS of the cell (solid) and hidden (dotted) state after each position, at the "
                       "end of training, one line per length T: a cell that keeps growing forgets nothing"),
        ]),
    ])


def horizon_table(horizons: pd.DataFrame, colors: dict[str, str]) -> Component:
    """The memory horizons as a small table, one row per group (labels as plain text)."""
    from html import unescape

    from dash import html

    if horizons.empty:
        return html.P("Needs runs with ltd/solved at one or more lengths.", className="caption")
    rows = [html.Tr([html.Th("group"), html.Th("horizon"), html.Th("longest tested")])]
    for row in horizons.itertuples():
        horizon = "none solved" if row.horizon != row.horizon else f"{row.horizon:g}"
        rows.append(html.Tr([
            html.Td([html.Span(className="swatch", style={"background": colors.get(row.group, "#999")}), unescape(row.group)]),
            html.Td(horizon, className="number"), html.Td(f"{row.longest_tested:g}", className="number"),
        ]))
    return html.Table(rows, className="horizons")


def draw_longterm(
    experiments: list[str] | None, sweeps: list[str] | None, selected: list[str] | None,
    group: list[str] | None, band_name: str, heatmap: str | None,
) -> tuple[list[Figure], Component, list[dict[str, str]]]:
    """The four figures, the horizon table and the heatmap choices.

    The score figure spreads ``task.length`` on its x axis; the by-position figures always
    split groups by length (one line per ``T``, against the distance to the output ``T − t``),
    so runs of different lengths are never averaged together.
    """
    import html

    from seqlab.messages import display_text
    from seqlab_dashboard.analysis import BANDS, group_labels, memory_horizon, solved_by_length
    from seqlab_dashboard.controls import choice, final_runs, group_columns, pooling_note, scoped_runs, texts
    from seqlab_dashboard.data import TAG, metric_column, open_store, param_column
    from seqlab_dashboard.figures import empty_figure, length_figure, noted, page_colors, plain_layout

    band_name, group = choice(band_name, list(BANDS), "std"), texts(group)
    heatmap = heatmap if isinstance(heatmap, str) else None

    runs = final_runs(experiments, sweeps, selected)
    if runs.empty:
        empty = [empty_figure("No finished runs in scope.")] * len(FIGURES)
        return empty, horizon_table(_no_horizons(), {}), []
    colors = page_colors(scoped_runs(experiments, sweeps, selected), group)
    labels = group_labels(runs, group_columns(group, without=[LENGTH]))
    score = metric_column(record.NORMALIZED_SCORE)
    table = solved_by_length(runs, labels, param_column(LENGTH), score, metric_column(record.SOLVED),
                             kind=band_name)
    if table.empty:
        score_figure = empty_figure(f"No finished run recorded {record.NORMALIZED_SCORE} with a {LENGTH}.")
        horizons = _no_horizons()
    else:
        horizons = memory_horizon(table)
        kinds = runs.get(TAG + record.TAG_BASELINE_KIND)
        kinds = sorted(kinds.dropna().unique()) if kinds is not None else []
        which = f" ({', '.join(kinds)})" if kinds else " (none named)"
        lines = plain_layout()
        lines.add_hline(y=0, line={"dash": "dot", "color": "#90a4ae"},
                        annotation_text=f"0: each run's recorded baseline{which}")
        lines.add_hline(y=1, line={"dash": "dot", "color": "#90a4ae"}, annotation_text="perfect")
        for row in horizons.dropna(subset=["horizon"]).itertuples():
            lines.add_vline(x=row.horizon, line={"dash": "dot", "color": colors[row.group], "width": 2})
        score_figure = length_figure(table, "normalized score", colors, band_name=band_name, layout=lines)
        noted(score_figure, pooling_note(runs, [k for k in group if k != LENGTH], without=[LENGTH]))
    by_length = list(dict.fromkeys([*group, LENGTH])) if param_column(LENGTH) in runs else group
    split = group_labels(runs, group_columns(by_length))
    lengths = dict(zip(runs["run_id"], runs[param_column(LENGTH)])) if param_column(LENGTH) in runs else {}
    if len(runs) > BY_POSITION_LIMIT:
        message = (f"{len(runs):,} finished runs in scope: the by-position records are read per run, so "
                   f"select at most {BY_POSITION_LIMIT} (a sweep, or runs in the Runs view).")
        figures = [score_figure, *[empty_figure(message)] * 3]
        return figures, horizon_table(horizons, colors), []
    store = open_store()
    traces = {part: store.state_traces(runs["run_id"], part) for part in STATE_PARTS}
    state_figure = _state_figure(traces, split, lengths, colors, band_name)
    traced = runs[runs["run_id"].isin({r for found in traces.values() for r in found})]
    if len(traced):
        noted(state_figure, pooling_note(traced, by_length))
    flows = store.gradient_flows(runs["run_id"])
    flow_labels = split[split.index.isin(list(flows))]
    names = dict(zip(runs["run_id"], runs["run_name"]))
    skipped = unreadable_note(store.unreadable_artifacts(runs["run_id"]), names)
    noted(state_figure, skipped)
    choices = [{"label": f"group: {html.unescape(g)}", "value": f"group:{g}"} for g in sorted(set(flow_labels), key=natural_key)]
    choices += [{"label": f"run: {display_text(names[r])}", "value": f"run:{r}"} for r in flow_labels.index]
    if not flows:
        message = f"No run in scope has a readable {record.GRADIENT_FLOW_ARTIFACT} artifact."
        if skipped:
            message = f"{message} {skipped}"
        figures = [score_figure, empty_figure(message), empty_figure(message), state_figure]
        return figures, horizon_table(horizons, colors), choices
    chosen = heatmap if heatmap in {c["value"] for c in choices} else choices[0]["value"]
    kind, _, key = chosen.partition(":")
    members = [r for r, g in flow_labels.items() if (g == key if kind == "group" else r == key)]
    heat_title = f"group {html.unescape(key)}" if kind == "group" else display_text(names.get(key, key))
    flow_figure = _flow_figure(flows, flow_labels, lengths, colors, band_name)
    noted(flow_figure, pooling_note(runs[runs["run_id"].isin(list(flows))], by_length))
    noted(flow_figure, skipped)
    figures = [score_figure, flow_figure, _heatmap_figure([flows[r] for r in members], heat_title), state_figure]
    return figures, horizon_table(horizons, colors), choices


def unreadable_note(unreadable: dict[tuple[str, str], str], names: dict[str, str]) -> str:
    """Which runs' artifacts the figures skip because they could not be read, as text."""
    from seqlab.messages import plot_text

    if not unreadable:
        return ""
    shown = [f"{plot_text(names.get(run_id, run_id))} ({artifact})"
             for run_id, artifact in sorted(unreadable)]
    more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
    return f"Skipped unreadable artifacts of run {', '.join(shown[:5])}{more}."


def _no_horizons() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=["group", "horizon", "longest_tested"])


DISTANCE_TITLE = "steps before the output, T − t"


def _flow_figure(
    flows: dict[str, ByPosition], labels: pd.Series, lengths: dict[str, float],
    colors: dict[str, str], band_name: str,
) -> go.Figure:
    """‖∂loss/∂x_t‖ against the distance to the output at each run's last recorded step,
    groups (one per length) with bands."""
    import plotly.graph_objects as go

    from seqlab_dashboard.figures import log_axis, styled

    figure = go.Figure()
    _add_last_step_traces(figure, flows, labels, lengths, colors, band_name)
    figure.update_yaxes(**log_axis(v for trace in figure.data for v in trace.y))
    figure.update_xaxes(autorange="reversed")
    return styled(figure, DISTANCE_TITLE, "‖∂loss/∂x_t‖", "group (n seeds)")


def _state_figure(
    traces: dict[str, dict[str, ByPosition]], labels: pd.Series, lengths: dict[str, float],
    colors: dict[str, str], band_name: str,
) -> go.Figure:
    """The RMS of each state part against the distance to the output at each run's last
    recorded step, one line per group and length."""
    import plotly.graph_objects as go

    from seqlab_dashboard.figures import empty_figure, styled

    if not any(traces.values()):
        return empty_figure(f"No run in scope has a {record.STATE_TRACE_ARTIFACT} artifact "
                            "(models that carry state record one).")
    figure = go.Figure()
    for part, dash in STATE_PARTS.items():
        recorded = labels[labels.index.isin(list(traces[part]))]
        _add_last_step_traces(figure, traces[part], recorded, lengths, colors, band_name, part, dash)
    figure.update_xaxes(autorange="reversed")
    return styled(figure, DISTANCE_TITLE, "state RMS", "group (n seeds)")


def _add_last_step_traces(
    figure: go.Figure, records: dict[str, ByPosition], labels: pd.Series, lengths: dict[str, float],
    colors: dict[str, str], band_name: str, part: str = "", dash: str = "solid",
) -> None:
    """Per group: the mean over its runs of each run's values at its last recorded step, against
    the distance to the output ``T − t`` (``T``: the run's ``task.length``, else its last
    position + 1), as a line (``part`` names it in the legend) with the band across runs."""
    import numpy as np
    import plotly.graph_objects as go

    from seqlab_dashboard.analysis import band
    from seqlab_dashboard.figures import translucent

    suffix = f" · {part}" if part else ""
    for group in sorted(set(labels), key=natural_key):
        runs = {r: records[r] for r, g in labels.items() if g == group}
        by_distance = []
        for run_id, run in runs.items():
            try:
                total = float(lengths.get(run_id))
            except (TypeError, ValueError):  # no task.length, or a text one
                total = float("nan")
            total = total if total == total else max(run.positions) + 1.0
            last = run.values[-1] if run.values else [np.nan] * len(run.positions)
            by_distance.append(dict(zip((total - p for p in run.positions), last)))
        distances = sorted({d for found in by_distance for d in found})
        matrix = np.array([[found.get(d, np.nan) for d in distances] for found in by_distance], dtype=float)
        center, lower, upper, n = band(matrix, "mean", band_name)
        if band_name != "none" and len(runs) > 1:
            figure.add_trace(go.Scatter(
                x=distances + distances[::-1], y=np.concatenate([upper, lower[::-1]]),
                fill="toself", fillcolor=translucent(colors[group], 0.18), line={"width": 0}, mode="lines",
                hoverinfo="skip", showlegend=False, name=f"{group}{suffix} band",
            ))
        figure.add_trace(go.Scatter(
            x=distances, y=center, mode="lines+markers", name=f"{group}{suffix} (n={len(runs)})",
            line={"color": colors[group], "width": 2.4, "dash": dash}, marker={"size": 5},
        ))


def mean_by_position(flows: list[ByPosition]) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """The sum and count of the positive, finite values of ``flows`` on one grid of every step
    (rows) and position (columns) any of them recorded, vectorised (1,000 positions × 300
    steps of two runs take milliseconds).

    :returns: ``(total, count, positions, steps)``.
    """
    import numpy as np

    positions = np.unique(np.concatenate([np.asarray(f.positions, dtype=np.int64) for f in flows]))
    steps = np.unique(np.concatenate([np.asarray(f.steps, dtype=np.int64) for f in flows]))
    total = np.zeros((len(steps), len(positions)))
    count = np.zeros_like(total)
    for flow in flows:
        values = np.asarray(flow.values, dtype=float).reshape(len(flow.steps), len(flow.positions))
        cell = np.ix_(np.searchsorted(steps, flow.steps), np.searchsorted(positions, flow.positions))
        counted = (values > 0) & np.isfinite(values)
        np.add.at(total, cell, np.where(counted, values, 0.0))
        np.add.at(count, cell, counted)
    return total, count, positions.tolist(), steps.tolist()


def _heatmap_figure(flows: list[ByPosition], title: str) -> go.Figure:
    """log10 of the mean gradient norm over ``flows``, position × training step."""
    import numpy as np
    import plotly.graph_objects as go

    from seqlab.messages import plot_text
    from seqlab_dashboard.figures import styled

    total, count, positions, steps = mean_by_position(flows)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(total / count)
    # the y values are cell edges: halfway between recorded steps, the first and last steps at the
    # ends, so the axis runs from the first recorded step (not half a cell below it)
    edges = np.r_[steps[0], (np.array(steps[1:]) + np.array(steps[:-1])) / 2, steps[-1]] if len(steps) > 1 else steps
    figure = go.Figure(go.Heatmap(
        x=positions, y=edges, z=np.where(count > 0, z, np.nan), colorscale="Viridis",
        colorbar={"title": {"text": "log10 norm"}}, name=plot_text(title),
        customdata=np.repeat(np.array(steps)[:, None], len(positions), axis=1),
        hovertemplate="t=%{x}, step %{customdata}: 10^%{z:.2f}<extra></extra>",
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
