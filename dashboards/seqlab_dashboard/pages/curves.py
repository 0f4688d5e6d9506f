"""The Curves view: any recorded metric against step or wall time, groups with bands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl

from seqlab.store import record
from seqlab_dashboard import ids
from seqlab_dashboard.analysis import in_natural_order

if TYPE_CHECKING:
    import pandas as pd
    from dash import Dash
    from dash.development.base_component import Component

    from seqlab.api.view import RegisterPanel
    from seqlab_dashboard.figures import Figure

VIEW = "curves"
X_AXES = {"step": "training step", "time_s": "wall time (s)"}
SCALES = {"logx": "log x", "logy": "log y"}


@hookimpl
def register_dashboard_panels(register: RegisterPanel) -> None:
    """Register the Curves view."""
    register("/curves", "Curves", layout, callbacks, order=20,
             description="A metric over training, groups as mean/median with a band")


def metric_keys(runs: pd.DataFrame) -> list[str]:
    """Metrics recorded by any run, training and validation curves first."""
    from seqlab_dashboard.data import METRIC

    keys = [c[len(METRIC):] for c in runs.columns if c.startswith(METRIC) and runs[c].notna().any()]
    first = (record.TRAIN_LOSS, "val/")
    return sorted(keys, key=lambda k: (not k.startswith(first), k))


def layout(**query: str) -> Component:
    """Controls (scope, group, metric, x axis, center, band, smoothing, scales) and the figure."""
    from dash import dcc, html

    from seqlab_dashboard.analysis import BANDS, CENTERS
    from seqlab_dashboard.controls import labelled, query_list, query_number, query_text, scope_controls
    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.figures import graph_card

    runs = open_store().runs()
    metrics = metric_keys(runs)
    default_metric = record.TRAIN_LOSS if record.TRAIN_LOSS in metrics else (metrics[0] if metrics else None)
    return html.Div([
        html.Div(className="view-head", children=[
            html.H2("Curves"),
            html.P("Each group's center line with its band across member runs (seeds); faint lines are "
                   "the members. Curves are aligned on a common x grid before averaging."),
        ]),
        scope_controls(VIEW, query, runs),
        html.Div(className="controls", children=[
            labelled("Metric", dcc.Dropdown(id=ids.control(VIEW, "metric"), options=metrics,
                                            value=query_text(query, "metric", metrics, default_metric),
                                            clearable=False)),
            labelled("x axis", dcc.RadioItems(id=ids.control(VIEW, "x"),
                                              options=[{"label": v, "value": k} for k, v in X_AXES.items()],
                                              value=query_text(query, "x", list(X_AXES), "step"), inline=True)),
            labelled("Center", dcc.RadioItems(id=ids.control(VIEW, "center"), options=list(CENTERS),
                                              value=query_text(query, "center", list(CENTERS), "mean"), inline=True)),
            labelled("Band", dcc.Dropdown(id=ids.control(VIEW, "band"),
                                          options=[{"label": v, "value": k} for k, v in BANDS.items()],
                                          value=query_text(query, "band", list(BANDS), "std"), clearable=False)),
            labelled("Smoothing (EMA)", dcc.Slider(id=ids.control(VIEW, "smoothing"), min=0, max=0.99, step=0.01,
                                                   value=query_number(query, "smoothing", 0.0),
                                                   marks={0: "0", 0.25: "0.25", 0.5: "0.5", 0.75: "0.75", 0.99: "0.99"},
                                                   tooltip={"placement": "bottom"})),
            labelled("Show", dcc.Checklist(id=ids.control(VIEW, "options"),
                                           options=[{"label": "member runs", "value": "members"},
                                                    *[{"label": v, "value": k} for k, v in SCALES.items()]],
                                           value=query_list(query, "show") if "show" in query else ["members"],
                                           inline=True)),
        ]),
        graph_card("curves", "Metric over training", height=520),
        html.Div(id=ids.control(VIEW, "summary"), className="summary"),
    ])


def callbacks(app: Dash) -> None:
    """Redraw the figure when the scope, grouping or a display option changes."""
    from dash import Input, Output

    from seqlab_dashboard.controls import mirror_to_url

    mirror_to_url(app, VIEW, {"group": "group", "metric": "metric", "x": "x", "center": "center",
                              "band": "band", "smoothing": "smoothing", "show": "options"})

    @app.callback(
        Output({"type": ids.FIGURE, "name": "curves"}, "figure"),
        Output(ids.control(VIEW, "summary"), "children"),
        [Input(ids.control(VIEW, name), "data" if name == "runs" else "value")
         for name in ("exp", "sweep", "runs", "group", "metric", "x", "center", "band", "smoothing", "options")],
    )
    def draw(experiments: list[str], sweeps: list[str], selected: list[str], group: list[str],
             metric: str | None, x: str, center: str, band_name: str, smoothing: float,
             options: list[str]) -> tuple[Figure, Any]:
        return draw_curves(experiments, sweeps, selected, group, metric, x, center, band_name,
                           smoothing, options)


def draw_curves(
    experiments: list[str] | None, sweeps: list[str] | None, selected: list[str] | None,
    group: list[str] | None, metric: str | None, x: str, center: str, band_name: str,
    smoothing: float | None, options: list[str] | None,
) -> tuple[Figure, Any]:
    """The curves figure and a one-line summary for the given control values."""
    from seqlab_dashboard.analysis import BANDS, CENTERS, curves, group_labels
    from seqlab_dashboard.controls import choice, fraction, group_columns, in_scope, pooling_note, texts
    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.figures import curve_figure, empty_figure, noted, page_colors

    x, center = choice(x, list(X_AXES), "step"), choice(center, list(CENTERS), "mean")
    band_name, metric = choice(band_name, list(BANDS), "std"), metric if isinstance(metric, str) else None
    smoothing, options, group = fraction(smoothing), texts(options), texts(group)

    store = open_store()
    scoped = in_scope(store.runs(), experiments, sweeps, selected)
    if scoped.empty:
        return empty_figure("No runs in scope: record runs with `seqlab run`, or widen the filters."), ""
    if not metric:
        return empty_figure("No metric recorded yet by these runs."), ""
    histories = store.histories(list(scoped["run_id"]), metric)
    if histories.empty:
        return empty_figure(f"None of the {len(scoped)} runs in scope recorded {metric} yet."), ""
    labels = group_labels(scoped, group_columns(group))
    members, groups = curves(histories, labels, x=x, center=center, kind=band_name,
                             smoothing=float(smoothing or 0))
    options = options or []
    figure = curve_figure(members, groups, metric, X_AXES.get(x, x), band_name, "members" in options,
                          "logx" in options, "logy" in options, page_colors(scoped, group))
    drawn = scoped[scoped["run_id"].isin(histories["run_id"].unique())]
    noted(figure, pooling_note(drawn, group))
    missing = len(scoped) - histories["run_id"].nunique()
    running = int((scoped["status"] == "RUNNING").sum())
    notes = [f"{histories['run_id'].nunique()} runs in {groups['group'].nunique()} groups; "
             f"band: {BANDS[band_name]} across each group's runs."]
    if missing:
        notes.append(f"{missing} runs in scope have no {metric} and are not drawn.")
    if running:
        notes.append(f"{running} runs are still running: their curves end where they are now.")
    return figure, " ".join(notes)
