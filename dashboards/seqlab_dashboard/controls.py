"""What every view shares: the scope of runs it looks at, group-by, and its URL form.

A view's state lives in the URL's query string (``?exp=1&group=model,strategy&metric=...``):
``layout(**query)`` builds the controls from it and :func:`mirror_to_url` writes them back, so
a copied link reproduces the view. ``exp``, ``sweep``, ``runs`` and ``group`` are shared by all
views and travel with the navigation links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from seqlab.store import record
from seqlab_dashboard import ids
from seqlab_dashboard.analysis import natural_key
from seqlab_dashboard.data import PARAM, param_column

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from dash import Dash
    from dash.development.base_component import Component

SHARED_KEYS = ("exp", "sweep", "runs", "group")
"""Query keys every view understands; the navigation links carry them from view to view."""
RUN_PREFIX = 8
"""Characters of a run id kept in URLs: short links, still unique in any real store."""
GROUPING_FIRST = ("model", "task", "strategy")
"""Params that lead a default grouping (and its labels) when they vary."""
NOT_GROUPED = ("seed",)
"""Params a default grouping never splits by: a group's members are its seeds."""
NO_GROUPING = "none"
"""``group=none`` in the URL: one group of every run (an empty ``group=`` would be dropped)."""


def query_list(query: Mapping[str, Any], key: str) -> list[str]:
    """A comma-separated query value as a list (``"a,b"`` -> ``["a", "b"]``)."""
    value = query.get(key) or ""
    if isinstance(value, list):
        value = ",".join(value)
    return [part for part in str(value).split(",") if part]


def query_text(query: Mapping[str, Any], key: str, allowed: Sequence[str], default: str) -> str:
    """A query value if it is one of ``allowed``, else ``default``."""
    return choice(query.get(key), allowed, default)


def choice(value: Any, allowed: Sequence[str], default: str) -> str:
    """``value`` if it is one of ``allowed``, else ``default``: what a view does with a value
    from a URL or a callback request that no control offers (a crafted POST)."""
    return value if isinstance(value, str) and value in allowed else default


def texts(value: Any) -> list[str]:
    """The strings of a multi-value control's value; anything else a request sends is dropped."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []


def fraction(value: Any, default: float = 0.0, top: float = 0.99) -> float:
    """A number in ``[0, top]`` (a smoothing weight), else ``default``."""
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return value if 0 <= value <= top else default


def query_number(query: Mapping[str, Any], key: str, default: float) -> float:
    """A numeric query value, or ``default`` when missing or not a number."""
    try:
        return float(query.get(key, default))
    except (TypeError, ValueError):
        return default


def param_keys(runs: pd.DataFrame) -> list[str]:
    """The params recorded in ``runs`` (dotted keys), the ones that vary first."""
    keys = [c[len(PARAM):] for c in runs.columns if c.startswith(PARAM)]
    varying = {k for k in keys if runs[param_column(k)].nunique(dropna=True) > 1}
    return sorted(keys, key=lambda k: (k not in varying, k.count("."), k))


def default_grouping(runs: pd.DataFrame, start: Sequence[str] = ()) -> list[str]:
    """Group by every param that varies among ``runs`` except the seed, so a group's members
    differ only by seed; a param is added only if it splits the groups further (``model.*``
    settings that follow from ``model`` are left out), model, task and strategy first.

    :param start: keys already chosen; the result is what to add to them.
    """
    import numpy as np

    keys = [k for k in param_keys(runs) if k not in NOT_GROUPED]
    keys.sort(key=lambda k: (k not in GROUPING_FIRST, GROUPING_FIRST.index(k) if k in GROUPING_FIRST else 0))
    given = [k for k in start if param_column(k) in runs]
    codes = np.zeros(len(runs), dtype=np.int64)
    for key in given:
        codes = _split(codes, runs[param_column(key)])
    count = int(codes.max(initial=-1)) + 1
    chosen: list[str] = []
    for key in keys:
        if key in given:
            continue
        split = _split(codes, runs[param_column(key)])
        if int(split.max(initial=-1)) + 1 > count:
            chosen.append(key)
            codes, count = split, int(split.max()) + 1
    return chosen


def _split(codes: np.ndarray, values: pd.Series) -> np.ndarray:
    """Group codes ``codes`` split further by ``values`` (missing values form a group of their own)."""
    import pandas as pd

    value_codes = pd.factorize(values, use_na_sentinel=False)[0]
    return pd.factorize(codes * (int(value_codes.max(initial=0)) + 1) + value_codes)[0]


def grouping_from_query(query: Mapping[str, Any], runs: pd.DataFrame) -> list[str]:
    """The grouping a URL asks for: its known params, ``none`` for no grouping; missing or
    naming no known param (``group=nonsense``): :func:`default_grouping` of ``runs``."""
    requested = query_list(query, "group")
    if requested == [NO_GROUPING]:
        return []
    known = set(param_keys(runs))
    valid = [key for key in requested if key in known]
    return valid or default_grouping(runs)


def pooling_note(runs: pd.DataFrame, group: Sequence[str], without: Sequence[str] = ()) -> str:
    """A line saying which params the groups pool several values of (seeds apart), or ``""``;
    the values are escaped for the figure note it becomes.

    :param runs: the runs drawn; :param group: the grouping keys; :param without: keys the
        figure spreads on an axis (e.g. ``task.length``), not pooled.
    """
    from seqlab.messages import plot_text

    pooled = [k for k in default_grouping(runs, [*group, *without]) if k not in without]
    if not pooled:
        return ""
    parts = []
    for key in pooled:
        values = sorted({plot_text(_shown(v)) for v in runs[param_column(key)].dropna().unique()}, key=natural_key)
        shown = ", ".join(values[:4]) + (", …" if len(values) > 4 else "")
        parts.append(f"{key} ({shown})")
    return "Groups pool several values of " + "; ".join(parts) + ": add them to Group by to separate."


def _shown(value: Any) -> str:
    """A param value as labels write it (``4.0`` -> ``4``)."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def in_scope(
    runs: pd.DataFrame, experiments: Sequence[str] | None, sweeps: Sequence[str] | None,
    run_prefixes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The runs of the chosen experiments and sweeps, narrowed to the selected runs if any."""
    if runs.empty:
        return runs
    experiments, sweeps, run_prefixes = texts(experiments), texts(sweeps), texts(run_prefixes)
    keep = runs["experiment_id"].notna()
    if experiments:
        keep &= runs["experiment_id"].isin(experiments)
    if sweeps:
        keep &= runs["sweep"].isin(sweeps)
    if run_prefixes:
        keep &= runs["run_id"].str[:RUN_PREFIX].isin([p[:RUN_PREFIX] for p in run_prefixes])
    return runs[keep]


def scope_controls(view: str, query: Mapping[str, Any], runs: pd.DataFrame, grouping: bool = True) -> Component:
    """Experiment, sweep and group-by pickers of ``view``, set from ``query``.

    Also holds the run selection made in the Runs view (``runs`` in the URL) in a store
    ``control(view, "runs")`` with a note saying how many runs the view shows.
    """
    from dash import dcc, html

    experiments = (
        runs[["experiment_id", "experiment"]].drop_duplicates().sort_values("experiment")
        if len(runs) else runs
    )
    sweeps = sorted(runs["sweep"].dropna().unique()) if "sweep" in runs else []
    selected = query_list(query, "runs")
    group = grouping_from_query(query, in_scope(runs, query_list(query, "exp"), query_list(query, "sweep"), selected))
    items = [
        labelled("Experiment", dcc.Dropdown(
            id=ids.control(view, "exp"), multi=True, placeholder="all experiments",
            options=[{"label": n, "value": i} for i, n in zip(experiments.get("experiment_id", []), experiments.get("experiment", []))],
            value=query_list(query, "exp"),
        )),
        labelled("Sweep", dcc.Dropdown(
            id=ids.control(view, "sweep"), multi=True, options=list(sweeps),
            placeholder="all sweeps" if sweeps else "no sweep recorded", value=query_list(query, "sweep"),
        )),
    ]
    if grouping:
        items.append(labelled("Group by", dcc.Dropdown(
            id=ids.control(view, "group"), multi=True, options=param_keys(runs), value=group,
            placeholder="no grouping: all runs in one group",
        ), wide=True))
    note = (
        f"Showing the {len(selected)} runs selected in the Runs view. "
        if selected else "Showing every run in scope; select runs in the Runs view to narrow. "
    )
    return html.Div(className="controls", children=[
        *items,
        dcc.Store(id=ids.control(view, "runs"), data=selected),
        html.Div(className="selection-note", children=[
            html.Span(note, id=ids.control(view, "selection-note")),
            html.Button("show all runs", id=ids.control(view, "clear-selection"),
                        className="link-button", style={} if selected else {"display": "none"}),
        ]),
    ])


def labelled(label: str, control: Component, wide: bool = False) -> Component:
    """A control with its label above it, styled like the scope controls."""
    from dash import html

    return html.Div(className="control wide" if wide else "control", children=[html.Label(label), control])


def mirror_to_url(app: Dash, view: str, controls: Mapping[str, str]) -> None:
    """Write ``view``'s control values into the URL whenever one changes; with a ``group``
    control, set it to the :func:`default_grouping` of the new scope whenever the experiments,
    sweeps or selected runs change (an empty grouping is written as ``group=none``).

    :param controls: query key -> control name (``ids.control(view, name)``, its ``value``);
        the run selection store and the shared scope controls are added here.
    """
    from dash import Input, Output, State

    keys = {"exp": "exp", "sweep": "sweep", "runs": "runs", **controls}
    props = {key: ("data" if name == "runs" else "value") for key, name in keys.items()}

    @app.callback(
        Output(ids.VIEW_STATE, "data", allow_duplicate=True),
        [Input(ids.control(view, name), props[key]) for key, name in keys.items()],
        prevent_initial_call="initial_duplicate",
    )
    def write_query(*values: Any) -> dict[str, Any]:
        query = {}
        for key, value in zip(keys, values):
            if key == "group" and value == []:
                value = NO_GROUPING
            if isinstance(value, list):
                value = ",".join(str(v)[:RUN_PREFIX] if key == "runs" else str(v) for v in value)
            query[key] = "" if value is None else str(value)
        return {"query": query}

    if "group" in controls:
        @app.callback(
            Output(ids.control(view, "group"), "value", allow_duplicate=True),
            Input(ids.control(view, "exp"), "value"),
            Input(ids.control(view, "sweep"), "value"),
            Input(ids.control(view, "runs"), "data"),
            prevent_initial_call=True,
        )
        def regroup_for_scope(experiments: list[str] | None, sweeps: list[str] | None,
                              selected: list[str] | None) -> list[str]:
            from seqlab_dashboard.data import open_store

            return default_grouping(in_scope(open_store().runs(), experiments, sweeps, selected))

    @app.callback(
        Output(ids.control(view, "runs"), "data", allow_duplicate=True),
        Output(ids.control(view, "selection-note"), "children"),
        Output(ids.control(view, "clear-selection"), "style"),
        Input(ids.control(view, "clear-selection"), "n_clicks"),
        State(ids.control(view, "runs"), "data"),
        prevent_initial_call=True,
    )
    def clear_selection(clicks: int | None, selected: list[str]) -> tuple[list[str], str, dict[str, str]]:
        return [], "Showing every run in scope; select runs in the Runs view to narrow.", {"display": "none"}


def scope_inputs(view: str, grouping: bool = True) -> list[Any]:
    """The ``Input``s of ``view``'s scope controls: experiments, sweeps, selection, group-by."""
    from dash import Input

    names = ["exp", "sweep", "runs"] + (["group"] if grouping else [])
    return [Input(ids.control(view, name), "data" if name == "runs" else "value") for name in names]


def final_metric_keys(runs: pd.DataFrame) -> list[str]:
    """Metrics worth comparing at the end of training, the normalized score first."""
    from seqlab_dashboard.data import METRIC

    keys = [c[len(METRIC):] for c in runs.columns if c.startswith(METRIC) and runs[c].notna().any()]
    first = [record.NORMALIZED_SCORE, record.BEST_METRIC, "val/loss"]
    return sorted(keys, key=lambda k: (first.index(k) if k in first else len(first), not k.startswith("val/"), k))


def scoped_runs(
    experiments: list[str] | None, sweeps: list[str] | None, selected: list[str] | None
) -> pd.DataFrame:
    """Every run in scope, whatever its status (colors and default groupings come from these)."""
    from seqlab_dashboard.data import open_store

    return in_scope(open_store().runs(), experiments, sweeps, selected)


def final_runs(
    experiments: list[str] | None, sweeps: list[str] | None, selected: list[str] | None
) -> pd.DataFrame:
    """The runs in scope whose final metrics count: FINISHED and FAILED (diverged) runs."""
    from seqlab_dashboard.data import FINAL_STATUSES

    scoped = scoped_runs(experiments, sweeps, selected)
    return scoped[scoped["status"].isin(FINAL_STATUSES)] if len(scoped) else scoped


def group_columns(group: Sequence[str] | None, without: Sequence[str] = ()) -> list[str]:
    """Runs-frame columns of the chosen group-by keys, leaving out ``without`` (e.g. the x axis)."""
    return [param_column(k) for k in texts(group) if k not in without]
