"""The Runs view: every run in a sortable, filterable table; the selection feeds the other views."""

from __future__ import annotations

import threading
from collections import OrderedDict
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
NUMBER = {"function": "params.value == null ? '' : (params.value % 1 === 0 || params.value >= 1e4 || params.value <= -1e4)"
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


def table(runs: pd.DataFrame) -> pd.DataFrame:
    """The table's columns for ``runs``: no tags nor artifact location (no column shows them),
    times as readable text, and ``config``: the params that vary among ``runs`` (their default
    grouping) and the seed, so two runs of different configurations never share a name."""
    import pandas as pd

    from seqlab.messages import display_text
    from seqlab_dashboard.analysis import group_labels, map_unique
    from seqlab_dashboard.controls import default_grouping

    shown = runs[[c for c in runs.columns if not c.startswith("tags.") and c != "artifact_uri"]].copy()
    for column in ("start_time", "end_time"):
        shown[column] = shown[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    keys = [*default_grouping(runs), "seed"]
    shown["config"] = group_labels(runs, [param_column(k) for k in keys if param_column(k) in runs],
                                   for_figures=False).to_numpy()
    for column in [c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c])
                   and c not in ("start_time", "end_time", "run_id")]:  # our own text, MLflow's hex ids
        shown[column] = map_unique(shown[column], lambda v: v if not isinstance(v, str) else display_text(v))
    return shown


_tables: OrderedDict[tuple[int, tuple[str, ...], tuple[str, ...]], tuple[pd.DataFrame, pd.DataFrame]] = OrderedDict()
"""(runs frame, its table) by scope; the frame is held so its id is never reused meanwhile."""
_tables_lock = threading.Lock()
TABLES_KEPT = 8
"""Tables of recent scopes kept, so scrolling a 100,000-run table does not rebuild it per block."""


def scoped_table(runs: pd.DataFrame, experiments: list[str] | None, sweeps: list[str] | None) -> pd.DataFrame:
    """:func:`table` of the runs in scope, kept for the same runs frame (the store's cached
    frame is replaced, not changed, when runs arrive) and scope."""
    from seqlab_dashboard.controls import in_scope, texts

    key = (id(runs), tuple(texts(experiments)), tuple(texts(sweeps)))
    with _tables_lock:
        if key in _tables and _tables[key][0] is runs:
            _tables.move_to_end(key)
            return _tables[key][1]
    shown = table(in_scope(runs, experiments, sweeps))
    with _tables_lock:
        _tables[key] = (runs, shown)
        while len(_tables) > TABLES_KEPT:
            _tables.popitem(last=False)
    return shown


def rows(shown: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of :func:`table` as JSON records, missing values as null."""
    import json

    return json.loads(shown.to_json(orient="records"))


TEXT_TESTS = {
    "contains": lambda v, f: v.str.contains(f, case=False, regex=False),
    "notContains": lambda v, f: ~v.str.contains(f, case=False, regex=False),
    "equals": lambda v, f: v.str.lower() == f.lower(),
    "notEqual": lambda v, f: v.str.lower() != f.lower(),
    "startsWith": lambda v, f: v.str.lower().str.startswith(f.lower()),
    "endsWith": lambda v, f: v.str.lower().str.endswith(f.lower()),
}
NUMBER_TESTS = {
    "equals": lambda v, f, t: v == f, "notEqual": lambda v, f, t: v != f,
    "lessThan": lambda v, f, t: v < f, "lessThanOrEqual": lambda v, f, t: v <= f,
    "greaterThan": lambda v, f, t: v > f, "greaterThanOrEqual": lambda v, f, t: v >= f,
    "inRange": lambda v, f, t: (v >= f) & (v <= t),
}


def page(shown: pd.DataFrame, request: dict[str, Any]) -> dict[str, Any]:
    """One block of rows for AG Grid's infinite row model: ``request`` (``startRow``,
    ``endRow``, ``sortModel``, ``filterModel``) applied to :func:`table` rows on the server, so
    the browser receives only the rows it shows.

    :returns: ``{"rowData": [...], "rowCount": n}`` (``n``: rows left after the filters).
    """
    import numpy as np

    keep = np.ones(len(shown), dtype=bool)
    filters = request.get("filterModel")
    for column, model in (filters.items() if isinstance(filters, dict) else ()):
        if column in shown and isinstance(model, dict):
            try:
                keep &= _passes(shown[column], model)
            except (AttributeError, KeyError, TypeError, ValueError):
                continue  # a crafted filter no grid sends: ignored, like an unknown column
    chosen = shown[keep]
    sorts = request.get("sortModel")
    sort = [s for s in (sorts if isinstance(sorts, list) else []) if isinstance(s, dict)
            and isinstance(s.get("colId"), str) and s["colId"] in chosen]
    if sort:
        chosen = chosen.sort_values([s["colId"] for s in sort], ascending=[s["sort"] == "asc" for s in sort],
                                    na_position="last", kind="stable")
    start, end = (row if isinstance(row, int) and row >= 0 else default
                  for row, default in ((request.get("startRow"), 0), (request.get("endRow"), 100)))
    return {"rowData": rows(chosen.iloc[start:end]), "rowCount": int(len(chosen))}


def _passes(values: pd.Series, model: dict[str, Any]) -> Any:
    """Which ``values`` pass one AG Grid column filter (text or number, with AND/OR conditions)."""
    import numpy as np
    import pandas as pd

    if "conditions" in model:
        results = [_passes(values, condition) for condition in model["conditions"]]
        combined = np.logical_and.reduce if model.get("operator") == "AND" else np.logical_or.reduce
        return combined(results)
    kind = model.get("type")
    if kind == "blank":
        return values.isna().to_numpy()
    if kind == "notBlank":
        return values.notna().to_numpy()
    if model.get("filterType") == "number":
        numbers = pd.to_numeric(values, errors="coerce")
        test = NUMBER_TESTS.get(kind)
        return (test(numbers, model.get("filter"), model.get("filterTo")).fillna(False).to_numpy(dtype=bool)
                if test else np.ones(len(values), dtype=bool))
    test = TEXT_TESTS.get(kind)
    text = values.astype(object).where(values.notna(), "").astype(str)
    return test(text, str(model.get("filter") or "")).to_numpy(dtype=bool) if test else np.ones(len(values), dtype=bool)


def layout(**query: str) -> Component:
    """The table of runs, with experiment and sweep filters, selection restored from the URL."""
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
        dcc.Store(id=ids.control(VIEW, "total"), data=len(scoped)),
        html.Div(id=ids.control(VIEW, "table"), children=grid(runs, scoped, selected)),
    ])


def grid(runs: pd.DataFrame, scoped: pd.DataFrame, selected: list[str]) -> Component:
    """The AG Grid of ``scoped``: rows come from the server a block of 100 at a time (the
    infinite row model), never all at once; ``selected`` run-id prefixes start ticked."""
    import dash_ag_grid as dag

    prefixes = {s[:8] for s in selected}
    return dag.AgGrid(
        id=ids.control(VIEW, "grid"),
        rowModelType="infinite",
        columnDefs=columns(runs, default_columns(scoped)),
        defaultColDef={"filter": True, "sortable": True, "resizable": True,
                       "floatingFilter": True, "minWidth": 90},
        getRowId="params.data.run_id",
        selectedRows={"ids": [r for r in scoped["run_id"] if r[:8] in prefixes]},
        dashGridOptions={
            "rowSelection": {"mode": "multiRow", "headerCheckbox": False},
            "suppressFieldDotNotation": True,
            "cacheBlockSize": 100,
            "maxBlocksInCache": 10,
            "tooltipShowDelay": 300,
        },
        style={"height": "560px"},
    )


def callbacks(app: Dash) -> None:
    """Filter rows by experiment and sweep; keep the selection in the URL."""
    import dash_ag_grid  # noqa: F401  (component libraries must load before the first request)
    from dash import Input, Output, State

    from seqlab_dashboard.controls import in_scope, mirror_to_url
    from seqlab_dashboard.data import open_store

    mirror_to_url(app, VIEW, {})

    @app.callback(
        Output(ids.control(VIEW, "table"), "children"),
        Output(ids.control(VIEW, "total"), "data"),
        Input(ids.control(VIEW, "exp"), "value"),
        Input(ids.control(VIEW, "sweep"), "value"),
        State(ids.control(VIEW, "runs"), "data"),
        prevent_initial_call=True,
    )
    def rescope(experiments: list[str], sweeps: list[str], selected: list[str] | None) -> tuple[Component, int]:
        runs = open_store().runs()
        scoped = in_scope(runs, experiments, sweeps)
        return grid(runs, scoped, selected or []), len(scoped)

    @app.callback(
        Output(ids.control(VIEW, "grid"), "getRowsResponse"),
        Output(ids.control(VIEW, "total"), "data", allow_duplicate=True),
        Input(ids.control(VIEW, "grid"), "getRowsRequest"),
        State(ids.control(VIEW, "exp"), "value"),
        State(ids.control(VIEW, "sweep"), "value"),
        prevent_initial_call=True,
    )
    def serve_rows(request: dict[str, Any] | None, experiments: list[str], sweeps: list[str]) -> tuple[Any, int]:
        answer = page(scoped_table(open_store().runs(), experiments, sweeps),
                      request if isinstance(request, dict) else {})
        return answer, answer["rowCount"]

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
        Input(ids.control(VIEW, "total"), "data"),
    )
    def remember_selection(selected: Any, total: int | None) -> tuple[list[str], str]:
        rows_ticked = selected if isinstance(selected, list) else []
        chosen = [row["run_id"] for row in rows_ticked if isinstance(row, dict)]
        total = total or 0
        text = f"{total} runs shown, {len(chosen)} selected" if chosen else f"{total} runs shown, none selected"
        return chosen, text
