"""The Efficiency view: what each group costs (time, throughput, memory, size) for what it scores."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl

from seqlab.store import record
from seqlab_dashboard import ids

if TYPE_CHECKING:
    from dash import Dash
    from dash.development.base_component import Component

    from seqlab.api.view import RegisterPanel
    from seqlab_dashboard.figures import Figure

VIEW = "efficiency"
COSTS = {
    record.STEP_TIME: "time per step (s)",
    record.SEQUENCES_PER_S: "throughput (sequences/s)",
    record.MEMORY_GROWTH_MB: "memory growth in training (MiB)",
    record.PEAK_MEMORY_MB: "peak memory of the process (MiB)",
    record.PARAMETERS: "trainable parameters",
    record.TRAIN_TIME: "training time (s)",
}
CARDS = (record.STEP_TIME, record.SEQUENCES_PER_S, record.MEMORY_GROWTH_MB, record.PARAMETERS)
"""The cost cards; memory is the growth during training (the peak is mostly the process's own
baseline), the peak where a run recorded no growth."""
LENGTH = "task.length"


@hookimpl
def register_dashboard_panels(register: RegisterPanel) -> None:
    """Register the Efficiency view."""
    register("/efficiency", "Efficiency", layout, callbacks, order=30,
             description="Cost per group, cost against score, step time against length")


def layout(**query: str) -> Component:
    """Scope and band controls, four cost cards, the Pareto scatter and step time vs length."""
    from dash import dcc, html

    from seqlab_dashboard.analysis import BANDS
    from seqlab_dashboard.controls import labelled, query_text, scope_controls
    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.figures import graph_card

    runs = open_store().runs()
    return html.Div([
        html.Div(className="view-head", children=[
            html.H2("Efficiency"),
            html.P("Diamonds: each group's center with its band; dots: member runs (finished or failed). "
                   "Lower cost and higher score is better; the dashed line joins the Pareto front."),
        ]),
        scope_controls(VIEW, query, runs),
        html.Div(className="controls", children=[
            labelled("Band", dcc.Dropdown(id=ids.control(VIEW, "band"), clearable=False,
                                          options=[{"label": v, "value": k} for k, v in BANDS.items()],
                                          value=query_text(query, "band", list(BANDS), "std"))),
            labelled("Pareto cost", dcc.Dropdown(id=ids.control(VIEW, "cost"), clearable=False,
                                                 options=[{"label": v, "value": k} for k, v in COSTS.items()],
                                                 value=query_text(query, "cost", list(COSTS), record.STEP_TIME))),
        ]),
        html.Div(className="grid-2", children=[
            graph_card(_name(metric), COSTS[metric], height=300) for metric in CARDS
        ]),
        html.Div(className="grid-2", children=[
            graph_card("pareto", "Cost against final normalized score",
                       "one point per group; the front holds the groups nothing else beats on both"),
            graph_card("step-time-vs-length", "Time per step against sequence length",
                       "sequential models grow with length; parallel ones stay flatter (log–log)"),
        ]),
    ])


def _name(metric: str) -> str:
    return metric.split("/")[-1].replace("_", "-")


def draw_efficiency(
    experiments: list[str] | None, sweeps: list[str] | None, selected: list[str] | None,
    group: list[str] | None, band_name: str, cost: str,
) -> list[Figure]:
    """The four cost figures, the Pareto scatter and step time vs length, in layout order."""
    import numpy as np

    from seqlab_dashboard.analysis import BANDS, group_labels, natural_key, pareto_front, summarize
    from seqlab_dashboard.controls import choice, final_runs, group_columns, pooling_note, scoped_runs, texts
    from seqlab_dashboard.data import metric_column, param_column
    from seqlab_dashboard.figures import (
        MEMBER_DOTS, empty_figure, group_centers, group_dots, legend_entries, length_figure, log_axis, noted,
        page_colors, plain, plain_layout, styled, summary_figure,
    )

    band_name, cost = choice(band_name, list(BANDS), "std"), choice(cost, list(COSTS), record.STEP_TIME)
    group = texts(group)
    runs = final_runs(experiments, sweeps, selected)
    if runs.empty:
        return [empty_figure("No finished runs in scope.")] * (len(CARDS) + 2)
    labels = group_labels(runs, group_columns(group))
    colors = page_colors(scoped_runs(experiments, sweeps, selected), group)
    note = pooling_note(runs, group)
    figures = []
    for metric in CARDS:
        column = metric_column(metric)
        if metric == record.MEMORY_GROWTH_MB and (column not in runs or runs[column].isna().all()):
            metric, column = record.PEAK_MEMORY_MB, metric_column(record.PEAK_MEMORY_MB)
        if column not in runs or runs[column].isna().all():
            figures.append(empty_figure(f"No run in scope recorded {metric}."))
            continue
        values = runs.assign(group=labels.to_numpy(), value=runs[column])[["group", "value"]]
        summary = summarize(values, "value", kind=band_name)
        figures.append(noted(summary_figure(values, summary, COSTS[metric], colors,
                                            log=metric == record.PARAMETERS, band_name=band_name), note))
    score, cost_column = metric_column(record.NORMALIZED_SCORE), metric_column(cost)
    if score not in runs or cost_column not in runs or runs[[score, cost_column]].dropna().empty:
        figures.append(empty_figure(f"No run in scope recorded both {cost} and {record.NORMALIZED_SCORE}."))
    else:
        frame = runs.assign(group=labels.to_numpy())
        x = summarize(frame, cost_column, kind=band_name)
        y = summarize(frame, score, kind=band_name)
        both = x.merge(y, on="group", suffixes=("_x", "_y"))
        present = frame.dropna(subset=[cost_column, score])
        dots = present.sample(MEMBER_DOTS, random_state=0) if len(present) > MEMBER_DOTS else present
        both = both.sort_values("group", key=lambda labels: labels.map(natural_key))
        traces = [
            group_dots(dots["group"], {"x": dots[cost_column], "y": dots[score]}, colors,
                       text=dots["group"].to_numpy(dtype=object),
                       hovertemplate="%{x:.4g}, %{y:.4g}<extra>%{text}</extra>"),
            group_centers(both["group"], {"x": both["center_x"], "y": both["center_y"]},
                          {"y": (both["lower_y"], both["upper_y"]), "x": (both["lower_x"], both["upper_x"])},
                          both["n_y"], colors,
                          hovertemplate="%{x:.4g}, %{y:.4g} [%{customdata[0]:.4g}, %{customdata[1]:.4g}]"
                                        " n=%{customdata[2]}<extra>%{text}</extra>"),
            *legend_entries(both["group"], both["n_y"], colors),
        ]
        front = both[pareto_front(-both["center_x"] if cost == record.SEQUENCES_PER_S else both["center_x"],
                                  both["center_y"])].sort_values("center_x")
        traces.append(dict(type="scatter", x=front["center_x"].to_numpy(), y=front["center_y"].to_numpy(),
                           mode="lines", line={"dash": "dash", "color": "#546e7a"}, name="Pareto front"))
        layout = styled(plain_layout(), COSTS[cost], "normalized score (0 chance, 1 perfect)", "group")
        layout.update_xaxes(**log_axis(np.concatenate([dots[cost_column], both["lower_x"], both["upper_x"]])))
        sampled = (f"Dots: a random sample of {MEMBER_DOTS:,} of the {len(present):,} runs."
                   if len(dots) < len(present) else "")
        figures.append(plain(traces, noted(layout, " ".join(filter(None, [note, sampled])))))
    step = metric_column(record.STEP_TIME)
    if param_column(LENGTH) not in runs or step not in runs or runs[step].isna().all():
        figures.append(empty_figure(f"Needs runs with {LENGTH} and {record.STEP_TIME}."))
    else:
        by_length = group_labels(runs, group_columns(group, without=[LENGTH]))
        frame = runs.assign(group=by_length.to_numpy(), length=runs[param_column(LENGTH)])
        table = summarize(frame, step, ("group", "length"), kind=band_name)
        figure = length_figure(table, COSTS[record.STEP_TIME], colors, log_x=True, log_y=True,
                               band_name=band_name, nonnegative=True)
        without = [k for k in group if k != LENGTH]
        figures.append(noted(figure, pooling_note(runs, without, without=[LENGTH])))
    return figures


def callbacks(app: Dash) -> None:
    """Redraw every figure when the scope, grouping, band or cost axis changes."""
    from dash import Input, Output

    from seqlab_dashboard.controls import mirror_to_url, scope_inputs

    mirror_to_url(app, VIEW, {"group": "group", "band": "band", "cost": "cost"})
    names = [_name(m) for m in CARDS] + ["pareto", "step-time-vs-length"]

    @app.callback(
        [Output({"type": ids.FIGURE, "name": name}, "figure") for name in names],
        scope_inputs(VIEW),
        Input(ids.control(VIEW, "band"), "value"),
        Input(ids.control(VIEW, "cost"), "value"),
    )
    def draw(experiments: list[str], sweeps: list[str], selected: list[str], group: list[str],
             band_name: str, cost: str) -> list[Any]:
        return draw_efficiency(experiments, sweeps, selected, group, band_name, cost)
