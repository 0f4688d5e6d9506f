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

    from seqlab.api.view import RegisterPanel

VIEW = "runs"
KEY_PARAMS = ("model", "task", "strategy", "seed", "task.length", "model.hidden_size",
              "trainer.lr", "trainer.batch_size", "trainer.max_steps")
"""Params shown first; every other param follows, hidden until the user shows it."""
KEY_METRICS = (record.NORMALIZED_SCORE, record.SOLVED, "val/loss", record.STEP_TIME,
               record.PEAK_MEMORY_MB, record.PARAMETERS, record.DIVERGED)
NUMBER = {"function": "params.value == null ? '' : d3.format('.4~g')(params.value)"}
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


def columns(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """AG Grid column definitions: identity and status, key params, final metrics, the rest hidden."""
    defs: list[dict[str, Any]] = [
        {"field": "run_name", "headerName": "run", "pinned": "left", "width": 230},
        {"field": "status", "width": 110, "cellStyle": STATUS_STYLE},
        {"field": "experiment", "width": 130},
        {"field": "sweep", "width": 120, "hide": bool(runs["sweep"].isna().all()) if len(runs) else True},
    ]
    params = [c for c in runs.columns if c.startswith("params.")]
    metrics = [c for c in runs.columns if c.startswith(METRIC)]
    key_params = [param_column(k) for k in KEY_PARAMS if param_column(k) in runs]
    key_metrics = [metric_column(k) for k in KEY_METRICS if metric_column(k) in runs]
    key_metrics += [c for c in metrics if c.startswith(METRIC + "val/") and c not in key_metrics]
    for column in key_params + [c for c in params if c not in key_params]:
        defs.append(_column(runs, column, hide=column not in key_params))
    for column in key_metrics + [c for c in metrics if c not in key_metrics]:
        defs.append(_column(runs, column, hide=column not in key_metrics))
    defs.append({"field": "start_time", "headerName": "started", "width": 170,
                 "filter": "agTextColumnFilter"})
    defs.append({"field": "duration_s", "headerName": "duration s", "valueFormatter": NUMBER,
                 "filter": "agNumberColumnFilter", "width": 120})
    return defs


def _column(runs: pd.DataFrame, column: str, hide: bool) -> dict[str, Any]:
    import pandas as pd

    header = column.split(".", 1)[1]
    definition: dict[str, Any] = {"field": column, "headerName": header, "hide": hide,
                                  "headerTooltip": column}
    if pd.api.types.is_numeric_dtype(runs[column]):
        definition.update(filter="agNumberColumnFilter", valueFormatter=NUMBER, type="numericColumn")
    return definition


def rows(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """The table rows: one dict per run, times as readable text, missing values as null."""
    import json

    shown = runs[[c for c in runs.columns if not c.startswith("tags.")]].copy()
    for column in ("start_time", "end_time"):
        shown[column] = shown[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    return json.loads(shown.to_json(orient="records"))


def layout(**query: str) -> Component:
    """The table of runs, with experiment and sweep filters, selection restored from the URL."""
    import dash_ag_grid as dag
    from dash import html

    from seqlab_dashboard.controls import in_scope, query_list, scope_controls
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
                   "Column menus filter and sort; the sidebar shows hidden params and metrics."),
        ]),
        scope_controls(VIEW, query, runs, grouping=False),
        html.Div(id=ids.control(VIEW, "count"), className="count"),
        dag.AgGrid(
            id=ids.control(VIEW, "grid"),
            rowData=rows(scoped),
            columnDefs=columns(runs),
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
