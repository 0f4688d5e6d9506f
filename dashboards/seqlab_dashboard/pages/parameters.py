"""The Parameters view: parallel coordinates of params to a final metric (brushing selects runs)
and which param matters most for that metric (random-forest importance and rank correlation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl

from seqlab_dashboard import ids

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go
    from dash import Dash
    from dash.development.base_component import Component

    from seqlab.api.view import RegisterPanel

VIEW = "parameters"
FIGURES = ("parallel", "importance")
MIN_RUNS = 5
"""Fewer finished runs with the metric than this: no importance (a forest on 4 rows says nothing)."""
MAX_LINES = 20_000
"""Above this many runs, the parallel coordinates draw an even random sample (said in the figure)."""
MAX_FOREST_RUNS = 5_000
"""Above this many runs, the importance forest is fitted on an even random sample (said)."""


@hookimpl
def register_dashboard_panels(register: RegisterPanel) -> None:
    """Register the Parameters view."""
    register("/parameters", "Parameters", layout, callbacks, order=55,
             description="Parallel coordinates of params to a final metric; which param matters most")


def layout(**query: str) -> Component:
    """Scope and final-metric controls, the parallel coordinates and the importance figure."""
    from dash import dcc, html

    from seqlab_dashboard.controls import final_metric_keys, labelled, query_text, scope_controls
    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.figures import graph_card

    runs = open_store().runs()
    finals = final_metric_keys(runs)
    return html.Div([
        html.Div(className="view-head", children=[
            html.H2("Parameters"),
            html.P("Each line is a finished run, from its params to its final metric. Drag along an "
                   "axis to keep a range (brushing); the runs left can be selected for every view."),
        ]),
        scope_controls(VIEW, query, runs, grouping=False),
        html.Div(className="controls", children=[
            labelled("Final metric", dcc.Dropdown(id=ids.control(VIEW, "metric"), options=finals, clearable=False,
                                                  value=query_text(query, "metric", finals, finals[0] if finals else None))),
            html.Div(className="selection-note", children=[
                html.Span(id=ids.control(VIEW, "brushed-note")),
                html.Button("select these runs", id=ids.control(VIEW, "select-brushed"),
                            className="link-button", style={"display": "none"}),
            ]),
        ]),
        dcc.Store(id=ids.control(VIEW, "brushed"), data=[]),
        dcc.Store(id=ids.control(VIEW, "ranges"), data={}),
        graph_card("parallel", "Params to the final metric", "one line per finished run, colored by the metric",
                   height=460),
        graph_card("importance", "Which param matters",
                   "random-forest importance (share of the metric's explained variance) and Spearman "
                   "rank correlation with the metric", height=380),
    ])


def dimensions(runs: pd.DataFrame, metric_column: str) -> list[dict[str, Any]]:
    """Parallel-coordinate axes: each param that varies among ``runs`` (text params as numbered
    categories, in natural order), then the metric."""
    import pandas as pd

    from seqlab.messages import plot_text
    from seqlab_dashboard.analysis import natural_key
    from seqlab_dashboard.controls import NOT_GROUPED, param_keys
    from seqlab_dashboard.data import param_column

    axes = []
    for key in param_keys(runs):
        values = runs[param_column(key)]
        if key in NOT_GROUPED or values.nunique(dropna=True) < 2:
            continue
        if pd.api.types.is_numeric_dtype(values):
            axes.append({"label": plot_text(key), "values": values.to_numpy(dtype=float)})
            continue
        text = values.astype(object).where(values.notna(), "—").astype(str)
        order = sorted(set(text), key=natural_key)
        codes = text.map({v: i for i, v in enumerate(order)})
        axes.append({"label": plot_text(key), "values": codes.to_numpy(dtype=float),
                     "tickvals": list(range(len(order))), "ticktext": [plot_text(v) for v in order]})
    axes.append({"label": plot_text(metric_column.split(".", 1)[1]), "values": runs[metric_column].to_numpy(dtype=float)})
    return axes


def importance(runs: pd.DataFrame, metric_column: str) -> pd.DataFrame:
    """How much each varying param matters for the metric, over the runs that recorded it.

    :returns: columns ``param``, ``importance`` (a random forest's impurity importance, the
        one-hot columns of a text param summed; adds up to 1) and ``correlation`` (Spearman's
        rank correlation with the metric, NaN for text params), most important first.
    """
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestRegressor

    from seqlab_dashboard.controls import NOT_GROUPED, param_keys
    from seqlab_dashboard.data import param_column

    present = runs.dropna(subset=[metric_column])
    features, owner, correlation = [], [], {}
    for key in param_keys(present):
        values = present[param_column(key)]
        if key in NOT_GROUPED or values.nunique(dropna=True) < 2:
            continue
        if pd.api.types.is_numeric_dtype(values):
            features.append(values.fillna(values.median()).to_numpy(dtype=float)[:, None])
            owner.append(key)
            correlation[key] = values.rank().corr(present[metric_column].rank())
        else:
            dummies = pd.get_dummies(values.astype(object).fillna("—").astype(str)).to_numpy(dtype=float)
            features.append(dummies)
            owner += [key] * dummies.shape[1]
            correlation[key] = float("nan")
    if not features:
        return pd.DataFrame(columns=["param", "importance", "correlation"])
    forest = RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=1, max_features=0.5,
                                   min_samples_leaf=2)
    forest.fit(np.hstack(features), present[metric_column].to_numpy(dtype=float))
    scores = pd.Series(forest.feature_importances_).groupby(np.array(owner)).sum()
    table = pd.DataFrame({"param": scores.index, "importance": scores.to_numpy()})
    table["correlation"] = table["param"].map(correlation)
    return table.sort_values("importance", ascending=False, ignore_index=True)


def draw_parameters(
    experiments: list[str] | None, sweeps: list[str] | None, selected: list[str] | None, metric: str | None,
) -> list[go.Figure]:
    """The parallel coordinates and the importance figure."""
    metric = metric if isinstance(metric, str) else None
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from seqlab.messages import plot_text
    from seqlab_dashboard.controls import final_runs
    from seqlab_dashboard.data import metric_column
    from seqlab_dashboard.figures import empty_figure, noted, styled

    runs = final_runs(experiments, sweeps, selected)
    column = metric_column(metric) if metric else None
    if runs.empty or column is None or column not in runs or runs[column].isna().all():
        return [empty_figure("No finished run in scope recorded this metric.")] * len(FIGURES)
    present = runs.dropna(subset=[column])
    drawn = present.sample(MAX_LINES, random_state=0) if len(present) > MAX_LINES else present
    axes = dimensions(drawn, column)
    parallel = go.Figure(go.Parcoords(
        dimensions=axes,
        line={"color": drawn[column].to_numpy(dtype=float), "colorscale": "Viridis", "showscale": True,
              "colorbar": {"title": {"text": plot_text(metric)}}},
    ))
    parallel.update_layout(margin={"l": 70, "r": 70, "t": 50, "b": 30}, meta={"run_ids": drawn["run_id"].tolist()})
    if len(drawn) < len(present):
        noted(parallel, f"A random sample of {len(drawn):,} of the {len(present):,} runs.")
    if len(present) < MIN_RUNS:
        return [parallel, empty_figure(f"Needs {MIN_RUNS} or more finished runs with {metric} "
                                       f"({len(present)} in scope).")]
    fitted = present.sample(MAX_FOREST_RUNS, random_state=0) if len(present) > MAX_FOREST_RUNS else present
    table = importance(fitted, column)
    if table.empty:
        return [parallel, empty_figure("No param varies among these runs.")]
    ordered = table.iloc[::-1].assign(param=lambda t: t["param"].map(plot_text))
    figure = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                           subplot_titles=("importance", "rank correlation"))
    figure.add_trace(go.Bar(x=ordered["importance"], y=ordered["param"], orientation="h", name="importance",
                            marker={"color": "#1f77b4"}, hovertemplate="%{x:.2f}<extra>%{y}</extra>"), 1, 1)
    figure.add_trace(go.Bar(x=ordered["correlation"].fillna(0), y=ordered["param"], orientation="h",
                            name="Spearman correlation",
                            marker={"color": ["#d62728" if c < 0 else "#2ca02c" for c in ordered["correlation"].fillna(0)]},
                            hovertemplate="%{x:.2f}<extra>%{y}</extra>"), 1, 2)
    figure.update_xaxes(range=[0, 1], row=1, col=1)
    figure.update_xaxes(range=[-1, 1], row=1, col=2)
    figure.update_yaxes(automargin=True)
    figure = styled(figure, "", "").update_layout(showlegend=False, margin={"t": 40})
    if len(fitted) < len(present):
        noted(figure, f"Fitted on a random sample of {len(fitted):,} of the {len(present):,} runs.")
    return [parallel, figure]


def brushed_runs(figure: dict[str, Any] | None, ranges: dict[str, Any]) -> list[str]:
    """The runs of a drawn parallel-coordinates figure inside every brushed range.

    :param ranges: axis index (as text) -> its ``constraintrange``: one ``[low, high]`` or a
        list of them, as plotly reports brushing in ``restyleData``.
    """
    import numpy as np

    from seqlab_dashboard.figures import plotted_values

    if not figure or not figure.get("data") or figure["data"][0].get("type") != "parcoords":
        return []
    axes = figure["data"][0].get("dimensions", [])
    run_ids = (figure.get("layout", {}).get("meta") or {}).get("run_ids") or []
    keep = np.ones(len(run_ids), dtype=bool)
    for index, bounds in (ranges or {}).items():
        if not bounds or not isinstance(bounds, list) or not str(index).isdigit() or int(index) >= len(axes):
            continue  # a crafted request: not a brushed range
        bounds = bounds if isinstance(bounds[0], (list, tuple)) else [bounds]
        values = np.asarray(plotted_values(axes[int(index)].get("values")), dtype=float)
        inside = np.zeros(len(values), dtype=bool)
        for pair in bounds:
            if isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(b, (int, float)) for b in pair):
                inside |= (values >= pair[0]) & (values <= pair[1])
        keep &= inside
    return [r for r, k in zip(run_ids, keep) if k]


def brushing(change: Any, ranges: dict[str, Any]) -> dict[str, Any]:
    """``ranges`` updated with one ``restyleData`` event of a parallel-coordinates figure
    (``[{"dimensions[2].constraintrange": [[low, high]]}, [0]]``; ``None`` clears an axis)."""
    import re

    ranges = dict(ranges or {})
    for key, value in ((change or [{}])[0] or {}).items():
        found = re.fullmatch(r"dimensions\[(\d+)\]\.constraintrange", key)
        if found:
            value = value[0] if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list) \
                and value[0] and isinstance(value[0][0], list) else value
            ranges[found.group(1)] = value
    return ranges


def callbacks(app: Dash) -> None:
    """Redraw on scope or metric changes; count the brushed runs; select them on request."""
    from dash import Input, Output, State

    from seqlab_dashboard.controls import RUN_PREFIX, mirror_to_url, scope_inputs

    mirror_to_url(app, VIEW, {"metric": "metric"})

    @app.callback(
        [Output({"type": ids.FIGURE, "name": name}, "figure") for name in FIGURES],
        Output(ids.control(VIEW, "ranges"), "data", allow_duplicate=True),
        scope_inputs(VIEW, grouping=False),
        Input(ids.control(VIEW, "metric"), "value"),
        prevent_initial_call="initial_duplicate",
    )
    def draw(experiments: list[str], sweeps: list[str], selected: list[str], metric: str | None) -> list[Any]:
        return [*draw_parameters(experiments, sweeps, selected, metric), {}]

    @app.callback(
        Output(ids.control(VIEW, "ranges"), "data"),
        Output(ids.control(VIEW, "brushed"), "data"),
        Output(ids.control(VIEW, "brushed-note"), "children"),
        Output(ids.control(VIEW, "select-brushed"), "style"),
        Input({"type": ids.FIGURE, "name": "parallel"}, "restyleData"),
        State({"type": ids.FIGURE, "name": "parallel"}, "figure"),
        State(ids.control(VIEW, "ranges"), "data"),
        prevent_initial_call=True,
    )
    def count_brushed(change: Any, figure: dict[str, Any], ranges: dict[str, Any]) -> tuple[Any, ...]:
        ranges = brushing(change, ranges)
        chosen = brushed_runs(figure, ranges)
        total = len((figure.get("layout", {}).get("meta") or {}).get("run_ids") or [])
        if len(chosen) == total:
            return ranges, [], "", {"display": "none"}
        return ranges, chosen, f"{len(chosen)} of {total} runs inside the brushed ranges. ", {}

    @app.callback(
        Output(ids.control(VIEW, "runs"), "data", allow_duplicate=True),
        Input(ids.control(VIEW, "select-brushed"), "n_clicks"),
        State(ids.control(VIEW, "brushed"), "data"),
        prevent_initial_call=True,
    )
    def select_brushed(clicks: int | None, chosen: list[str]) -> list[str]:
        return [run_id[:RUN_PREFIX] for run_id in chosen]
