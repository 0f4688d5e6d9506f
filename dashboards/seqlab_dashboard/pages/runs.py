"""The Runs view: every run in a sortable, filterable table; the selection feeds the other views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab import hookimpl

from seqlab.store import record
from seqlab_dashboard import ids
from seqlab_dashboard.data import METRIC, metric_column, param_column

if TYPE_CHECKING:
    import pandas as pd
    from dash import Dash
    from dash.development.base_component import Component

    from seqlab_dashboard.panels import RegisterPanel

VIEW = "runs"
KEY_PARAMS = ("model", "task", "strategy", "seed", "task.length", "model.hidden_size",
              "trainer.lr", "trainer.batch_size", "trainer.max_steps")
"""Params shown first; every other param follows, hidden until the user shows it."""
KEY_METRICS = (record.NORMALIZED_SCORE, record.SOLVED, "val/loss", record.STEP_TIME,
               record.PEAK_MEMORY_MB, record.PARAMETERS, record.DIVERGED)
NUMBER = {"function": "params.value == null ? '' : (Number.isInteger(params.value) || Math.abs(params.value) >= 1e4)"
                      " ? d3.format(',.0f')(params.value) : d3.format('.4~g')(params.value)"}
"""Counts and large numbers in full (``17,470``, never ``1.747e+4``), others to 4 significant digits."""
STATUS_STYLE = {"styleConditions": [
    {"condition": "params.value == 'FAILED'", "style": {"color": "#c62828", "fontWeight": 600}},
    {"condition": "params.value == 'RUNNING'", "style": {"color": "#1565c0", "fontWeight": 600}},
    {"condition": "params.value == 'KILLED'", "style": {"color": "#8d6e63"}},
]}


@hookimpl
def register_dashboard_panels(register: RegisterPanel) -> None:
    """Register the Runs view."""
    register("/runs", "Runs", layout, callbacks, order=10,
             description="Every run: filter, sort, select runs to compare")


def columns(runs: pd.DataFrame, shown: list[str] | None = None) -> list[dict[str, Any]]:
    """AG Grid column definitions: the configuration and status pinned, key params that vary
    in ``runs`` and key metrics, then where the run is from; every other column hidden until
    picked in the Columns control (``shown``: the picked columns, replacing the default)."""
    params = [c for c in runs.columns if c.startswith("params.")]
    metrics = [c for c in runs.columns if c.startswith(METRIC)]
    visible = set(shown if shown is not None else default_columns(runs))
    defs: list[dict[str, Any]] = [
        {"field": "config", "headerName": "run", "pinned": "left", "width": 250,
         "tooltipField": "run_name", "headerTooltip": "what tells this run apart in scope, and its seed"},
        {"field": "status", "width": 105, "cellStyle": STATUS_STYLE, "pinned": "left"},
    ]
    for column in params + metrics:
        defs.append(_column(runs, column, hide=column not in visible))
    for field, header, width in (("run_name", "name", 190), ("experiment", "experiment", 130),
                                 ("sweep", "sweep", 140)):
        defs.append({"field": field, "headerName": header, "width": width, "hide": field not in visible})
    defs.append({"field": "start_time", "headerName": "started", "width": 165, "hide": "start_time" not in visible,
                 "filter": "agTextColumnFilter"})
    defs.append({"field": "duration_s", "headerName": "duration s", "valueFormatter": NUMBER,
                 "filter": "agNumberColumnFilter", "width": 110, "hide": "duration_s" not in visible})
    return defs


def default_columns(runs: pd.DataFrame) -> list[str]:
    """The columns shown before the user picks: key params that vary among ``runs`` (the
    others say the same for every run), key metrics, validation metrics, sweep and duration."""
    key_params = [param_column(k) for k in KEY_PARAMS if param_column(k) in runs
                  and runs[param_column(k)].nunique(dropna=True) > 1]
    key_metrics = [metric_column(k) for k in KEY_METRICS if metric_column(k) in runs]
    key_metrics += [c for c in runs.columns if c.startswith(METRIC + "val/") and c not in key_metrics]
    sweep = ["sweep"] if "sweep" in runs and runs["sweep"].notna().any() else []
    return key_params + key_metrics + sweep + ["duration_s"]


def column_choices(runs: pd.DataFrame) -> list[dict[str, str]]:
    """Every column the Columns control can show, labelled as its header."""
    fields = [c for c in runs.columns if c.startswith(("params.", METRIC))]
    fields += ["run_name", "experiment", "sweep", "start_time", "duration_s"]
    return [{"label": f.split(".", 1)[1] if "." in f and f.startswith(("params.", METRIC)) else f, "value": f}
            for f in fields]


def _column(runs: pd.DataFrame, column: str, hide: bool) -> dict[str, Any]:
    import pandas as pd

    header = column.split(".", 1)[1]
    definition: dict[str, Any] = {"field": column, "headerName": header, "hide": hide,
                                  "headerTooltip": column, "width": 118}
    if pd.api.types.is_numeric_dtype(runs[column]):
        definition.update(filter="agNumberColumnFilter", valueFormatter=NUMBER, type="numericColumn")
    return definition


def rows(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """The table rows: one dict per run, times as readable text, missing values as null, and
    ``config``: the params that vary among ``runs`` (their default grouping) and the seed, so
    two runs of different configurations never share a name."""
    import json

    from seqlab_dashboard.analysis import group_labels
    from seqlab_dashboard.controls import default_grouping

    shown = runs[[c for c in runs.columns if not c.startswith("tags.")]].copy()
    keys = [*default_grouping(runs), "seed"]
    shown["config"] = group_labels(runs, [param_column(k) for k in keys if param_column(k) in runs]).to_numpy()
    for column in ("start_time", "end_time"):
        shown[column] = shown[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    return json.loads(shown.to_json(orient="records"))


def layout(**query: str) -> Component:
    """The table of runs, with experiment and sweep filters, selection restored from the URL."""
    import dash_ag_grid as dag
    from dash import dcc, html

    from seqlab_dashboard.controls import in_scope, labelled, query_list, scope_controls
    from seqlab_dashboard.data import open_store

    runs = open_store().runs()
    if runs.empty:
        return html.Div(className="empty-store", children=[
            html.H2("No runs recorded yet"),
            html.P(["Train one, then reload: ", html.Code("seqlab run task.length=20 trainer.max_steps=50")]),
        ])
    selected = query_list(query, "runs")
    scoped = in_scope(runs, query_list(query, "exp"), query_list(query, "sweep"))
    selected_ids = [r for r in scoped["run_id"] if r[:8] in {s[:8] for s in selected}]
    return html.Div([
        html.Div(className="view-head", children=[
            html.H2("Runs"),
            html.P("Tick runs to compare them in the other views (none ticked: all runs in scope). "
                   "Column headers sort; the row under them filters; Columns shows any param or metric."),
        ]),
        scope_controls(VIEW, query, runs, grouping=False),
        html.Div(className="controls", children=[labelled("Columns", dcc.Dropdown(
            id=ids.control(VIEW, "columns"), multi=True, options=column_choices(runs),
            value=default_columns(scoped), placeholder="pick the columns to show",
        ), wide=True)]),
        html.Div(id=ids.control(VIEW, "count"), className="count"),
        dag.AgGrid(
            id=ids.control(VIEW, "grid"),
            rowData=rows(scoped),
            columnDefs=columns(runs, default_columns(scoped)),
            defaultColDef={"filter": True, "sortable": True, "resizable": True,
                           "floatingFilter": True, "minWidth": 90},
            getRowId="params.data.run_id",
            selectedRows={"ids": selected_ids},
            dashGridOptions={
                "rowSelection": {"mode": "multiRow", "selectAll": "filtered"},
                "suppressFieldDotNotation": True,
                "sideBar": False,
                "pagination": len(scoped) > 500,
                "paginationPageSize": 100,
                "tooltipShowDelay": 300,
            },
            style={"height": "560px"},
        ),
    ])


def callbacks(app: Dash) -> None:
    """Filter rows by experiment and sweep; keep the selection in the URL."""
    import dash_ag_grid  # noqa: F401  (component libraries must load before the first request)
    from dash import Input, Output, State

    from seqlab_dashboard.controls import in_scope, mirror_to_url
    from seqlab_dashboard.data import open_store

    mirror_to_url(app, VIEW, {})

    @app.callback(
        Output(ids.control(VIEW, "grid"), "rowData"),
        Input(ids.control(VIEW, "exp"), "value"),
        Input(ids.control(VIEW, "sweep"), "value"),
        prevent_initial_call=True,
    )
    def filter_rows(experiments: list[str], sweeps: list[str]) -> list[dict[str, Any]]:
        return rows(in_scope(open_store().runs(), experiments, sweeps))

    @app.callback(
        Output(ids.control(VIEW, "grid"), "columnDefs"),
        Input(ids.control(VIEW, "columns"), "value"),
        prevent_initial_call=True,
    )
    def show_columns(shown: list[str] | None) -> list[dict[str, Any]]:
        return columns(open_store().runs(), shown or [])

    @app.callback(
        Output(ids.control(VIEW, "runs"), "data"),
        Output(ids.control(VIEW, "count"), "children"),
        Input(ids.control(VIEW, "grid"), "selectedRows"),
        State(ids.control(VIEW, "grid"), "rowData"),
    )
    def remember_selection(selected: list[dict[str, Any]] | None, shown: list[dict[str, Any]] | None) -> tuple[list[str], str]:
        chosen = [row["run_id"] for row in selected or [] if isinstance(row, dict)]
        total = len(shown or [])
        text = f"{total} runs shown, {len(chosen)} selected" if chosen else f"{total} runs shown, none selected"
        return chosen, text
