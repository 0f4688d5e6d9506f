"""The Stability view: gradient norms, clipping, divergence, seed spread and learning-rate sensitivity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl

from seqlab.store import record
from seqlab_dashboard import ids

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go
    from dash import Dash
    from dash.development.base_component import Component

    from seqlab.api.view import RegisterPanel
    from seqlab_dashboard.figures import Figure

VIEW = "stability"
LR = "trainer.lr"
CLIP = "trainer.grad_clip"
FIGURES = ("grad-norm", "clip-events", "divergence", "seed-spread", "lr-sensitivity")


@hookimpl
def register_dashboard_panels(register: RegisterPanel) -> None:
    """Register the Stability view."""
    register("/stability", "Stability", layout, callbacks, order=40,
             description="Gradient norms, clipping, divergence rate, seed spread, lr sensitivity")


def layout(**query: str) -> Component:
    """Scope, band and final-metric controls with the five stability figures."""
    from dash import dcc, html

    from seqlab_dashboard.analysis import BANDS
    from seqlab_dashboard.controls import final_metric_keys, labelled, query_text, scope_controls
    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.figures import graph_card

    runs = open_store().runs()
    finals = final_metric_keys(runs)
    return html.Div([
        html.Div(className="view-head", children=[
            html.H2("Stability"),
            html.P("How reliably each group trains: gradient norms over training, how often the norm "
                   "was clipped, how many runs diverged, how far seeds spread, how much the learning "
                   "rate matters."),
        ]),
        scope_controls(VIEW, query, runs),
        html.Div(className="controls", children=[
            labelled("Band", dcc.Dropdown(id=ids.control(VIEW, "band"), clearable=False,
                                          options=[{"label": v, "value": k} for k, v in BANDS.items()],
                                          value=query_text(query, "band", list(BANDS), "std"))),
            labelled("Final metric", dcc.Dropdown(id=ids.control(VIEW, "metric"), options=finals, clearable=False,
                                                  value=query_text(query, "metric", finals, finals[0] if finals else None))),
        ]),
        graph_card("grad-norm", "Gradient norm over training", "before clipping; log scale", height=420),
        html.Div(className="grid-2", children=[
            graph_card("clip-events", "Clipping events per run", "steps whose norm exceeded trainer.grad_clip", height=300),
            graph_card("divergence", "Divergence rate", "share of runs stopped by a NaN/Inf loss or gradient", height=300),
        ]),
        html.Div(className="grid-2", children=[
            graph_card("seed-spread", "Spread of the final metric across seeds", "box: quartiles; dots: runs"),
            graph_card("lr-sensitivity", "Final metric against learning rate",
                       "one line per group (trainer.lr left out of the grouping)"),
        ]),
    ])


def draw_stability(
    experiments: list[str] | None, sweeps: list[str] | None, selected: list[str] | None,
    group: list[str] | None, band_name: str, metric: str | None,
) -> list[Figure]:
    """The five stability figures, in layout order."""
    import pandas as pd

    from seqlab.messages import plot_text
    from seqlab_dashboard.analysis import BANDS, curves, group_labels, in_natural_order, summarize
    from seqlab_dashboard.controls import choice, final_runs, group_columns, in_scope, pooling_note, texts
    from seqlab_dashboard.data import metric_column, open_store, param_column
    from seqlab_dashboard.figures import (
        curve_figure, empty_figure, length_figure, noted, page_colors, plain, plain_layout, styled, summary_figure,
    )

    band_name, group = choice(band_name, list(BANDS), "std"), texts(group)
    metric = metric if isinstance(metric, str) else None
    store = open_store()
    scoped = in_scope(store.runs(), experiments, sweeps, selected)
    if scoped.empty:
        return [empty_figure("No runs in scope.")] * len(FIGURES)
    figures: list[Figure] = []
    labels = group_labels(scoped, group_columns(group))
    colors = page_colors(scoped, group)
    norms = store.histories(list(scoped["run_id"]), record.GRAD_NORM)
    if norms.empty:
        figures.append(empty_figure(f"No run in scope recorded {record.GRAD_NORM}."))
    else:
        members, groups = curves(norms, labels, kind=band_name)
        figures.append(noted(curve_figure(members, groups, "gradient norm", "training step", band_name,
                                          True, False, True, colors),
                             pooling_note(scoped[scoped["run_id"].isin(norms["run_id"].unique())], group)))
    runs = final_runs(experiments, sweeps, selected)
    frame = runs.assign(group=runs["run_id"].map(labels).to_numpy())
    note = pooling_note(runs, group)
    clips = metric_column(record.CLIP_EVENTS)
    clip_at = pd.to_numeric(frame.get(param_column(CLIP), pd.Series(dtype=float)), errors="coerce")
    if len(frame) and not (clip_at > 0).any():
        figures.append(empty_figure(f"Clipping is off ({CLIP} unset) in every finished run in scope: "
                                    "nothing to count."))
    elif clips not in frame or frame[clips].isna().all():
        figures.append(empty_figure(f"No finished run recorded {record.CLIP_EVENTS}."))
    else:
        values = frame.assign(value=frame[clips])[["group", "value"]]
        figures.append(noted(summary_figure(values, summarize(values, "value", kind=band_name),
                                            "clipping events", colors, band_name=band_name), note))
    figures.append(noted(_divergence_figure(frame, colors), note) if len(frame)
                   else empty_figure("No finished runs in scope."))
    column = metric_column(metric) if metric else None
    if column is None or column not in frame or frame[column].isna().all():
        figures.extend([empty_figure("No finished run recorded this metric.")] * 2)
        return figures
    spread = plain([
        dict(type="box", y=rows[column].to_numpy(), name=name, boxpoints="all", jitter=0.4, pointpos=0,
             marker={"color": colors[name], "size": 7}, line={"color": colors[name]},
             fillcolor="rgba(0,0,0,0)", hovertext=rows["run_name"].map(plot_text).to_numpy())
        for name, rows in in_natural_order(frame.dropna(subset=[column]).groupby("group", sort=False))
    ], noted(styled(plain_layout(), "", metric).update_layout(showlegend=False), note))
    figures.append(spread)
    if param_column(LR) not in frame or frame[param_column(LR)].nunique() < 2:
        figures.append(empty_figure(f"Needs finished runs at two or more values of {LR}."))
    else:
        by_lr = group_labels(frame, group_columns(group, without=[LR]))
        table = summarize(frame.assign(group=by_lr.to_numpy(), length=frame[param_column(LR)]),
                          column, ("group", "length"), kind=band_name)
        figure = length_figure(table, metric, colors, log_x=True, x_title=LR, band_name=band_name,
                               nonnegative=bool((frame[column].dropna() >= 0).all()))
        figures.append(noted(figure, pooling_note(runs, [k for k in group if k != LR], without=[LR])))
    return figures


def _divergence_figure(frame: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Share of each group's runs that diverged (``stab/diverged``; a FAILED run without it counts)."""
    import plotly.graph_objects as go

    from seqlab_dashboard.analysis import natural_key
    from seqlab_dashboard.data import metric_column
    from seqlab_dashboard.figures import empty_figure, styled, top_down

    recorded = frame.get(metric_column(record.DIVERGED))
    failed = (frame["status"] == "FAILED").astype(float)
    diverged = failed if recorded is None else recorded.fillna(failed)
    rates = frame.assign(diverged=diverged.to_numpy()).groupby("group", sort=False)["diverged"].agg(["mean", "sum", "count"])
    rates = rates.loc[sorted(rates.index, key=natural_key)]
    if not rates["sum"].any():
        return empty_figure(f"No run diverged (0 of {int(rates['count'].sum())} finished runs in scope).")
    figure = go.Figure(go.Bar(
        x=rates["mean"], y=rates.index, orientation="h",
        marker={"color": [colors[g] for g in rates.index]},
        text=[f"{int(s)} of {int(c)}" for s, c in zip(rates["sum"], rates["count"])], textposition="auto",
        name="diverged", hovertemplate="%{x:.0%} (%{text})<extra>%{y}</extra>",
    ))
    figure.update_xaxes(range=[0, 1], tickformat=".0%")
    top_down(figure, rates.index)
    return styled(figure, "runs diverged", "")


def callbacks(app: Dash) -> None:
    """Redraw the figures when the scope, grouping, band or final metric changes."""
    from dash import Input, Output

    from seqlab_dashboard.controls import mirror_to_url, scope_inputs

    mirror_to_url(app, VIEW, {"group": "group", "band": "band", "metric": "metric"})

    @app.callback(
        [Output({"type": ids.FIGURE, "name": name}, "figure") for name in FIGURES],
        scope_inputs(VIEW),
        Input(ids.control(VIEW, "band"), "value"),
        Input(ids.control(VIEW, "metric"), "value"),
    )
    def draw(experiments: list[str], sweeps: list[str], selected: list[str], group: list[str],
             band_name: str, metric: str | None) -> list[Any]:
        return draw_stability(experiments, sweeps, selected, group, band_name, metric)
