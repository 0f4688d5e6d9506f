"""The Dash app: a shell (header, navigation, downloads, URL state) around the registered views.

``create_app()`` builds a fresh app over the store named by ``MLFLOW_TRACKING_URI`` (default
``./mlruns``); every view comes from the ``register_dashboard_panels`` hook, the built-in ones
included, and is registered with ``dash.register_page`` and a callable layout.
"""

from __future__ import annotations

import warnings

from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab_dashboard import ids
from seqlab_dashboard.data import StoreNotFound, store_uri

__all__ = ["StoreNotFound", "create_app", "store_uri"]  # what `seqlab dash` imports from here

if TYPE_CHECKING:
    from dash import Dash

    from seqlab.registry.hookcall import Problem

ASSETS = Path(__file__).with_name("assets")

URL_STATE_JS = """
function(state, linkIds) {
    const shared = %s;
    const query = (state && state.query) || {};
    const params = new URLSearchParams();
    const carried = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
        if (value === null || value === undefined || value === '') { continue; }
        params.set(key, value);
        if (shared.includes(key)) { carried.set(key, value); }
    }
    const search = params.toString();
    const url = window.location.pathname + (search ? '?' + search : '');
    if (state && url !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, '', url);
    }
    const tail = carried.toString();
    const here = window.location.pathname;
    return [
        linkIds.map(id => id.path + (tail ? '?' + tail : '')),
        linkIds.map(id => here.endsWith(id.path) ? 'active' : ''),
    ];
}
"""

IMAGE_FORMAT_JS = """
function(format, figureIds) {
    return figureIds.map(id => ({
        displaylogo: false,
        modeBarButtonsToRemove: ['lasso2d', 'select2d'],
        toImageButtonOptions: {format: format, filename: id.name, scale: 2},
    }));
}
"""


def warm_up() -> None:
    """Import and load now what the first figure needs, not on a visitor's first request:
    scipy's filters and statistics (bands, smoothing), plotly's figure template (a JSON file
    read and parsed once per process) and its layout classes (a figure's first layout took
    0.3 s)."""
    import scipy.signal  # noqa: F401
    import scipy.stats  # noqa: F401

    from seqlab_dashboard.figures import empty_figure

    empty_figure("")


def create_app() -> Dash:
    """Build the dashboard: one page per registered view, over the default MLflow store.

    Reads the store once before returning, so the first page is served from the cache.
    The app is read-only; serve it with ``app.run()`` (``seqlab dash``) or any WSGI server
    through ``app.server`` (see :mod:`seqlab_dashboard.wsgi`).
    """
    import dash
    from dash import ALL, Dash, Input, Output, State, dcc, html

    from seqlab_dashboard.controls import SHARED_KEYS
    from seqlab_dashboard.data import open_store
    from seqlab.registry.views import collect_panels

    open_store().runs()  # read the store now, so the first visitor does not wait for it
    warm_up()

    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,
        title="seqlab · compare runs",
    )
    problems: list[Problem] = []
    panels = collect_panels(problems)
    for problem in problems:  # a broken view plugin is left out, not fatal
        warnings.warn(f"dashboard view skipped: {problem}", stacklevel=2)
    for panel in panels:
        dash.register_page(
            f"seqlab_view{panel.path.replace('/', '_')}",
            path=panel.path,
            name=panel.title,
            title=f"{panel.title} · seqlab",
            description=panel.description,
            order=panel.order,
            layout=panel.layout,
        )
        if panel.callbacks is not None:
            panel.callbacks(app)
    if panels and panels[0].path != "/":
        dash.register_page("seqlab_view_home", path="/", name=panels[0].title,
                           layout=panels[0].layout, order=-1)
    app.layout = html.Div(className="shell", children=[
        html.Header(className="header", children=[
            html.Div(className="brand", children=[html.Span("seqlab"), html.Small("compare runs")]),
            html.Nav(className="nav", children=[
                dcc.Link(panel.title, href=panel.path, id={"type": ids.NAV_LINK, "path": panel.path},
                         title=panel.description)
                for panel in panels
            ]),
            html.Div(className="header-right", children=[
                html.Span(id=ids.STORE_SUMMARY, className="store-summary"),
                html.Label("figures as", className="format-label"),
                dcc.RadioItems(id=ids.IMAGE_FORMAT, options=["png", "svg"], value="png",
                               inline=True, persistence=True, className="format"),
            ]),
        ]),
        html.Main(className="page", children=[dash.page_container]),
        dcc.Store(id=ids.VIEW_STATE),
        dcc.Interval(id=ids.REFRESH_TIMER, interval=10_000),
    ])
    app.clientside_callback(
        URL_STATE_JS % list(SHARED_KEYS),
        Output({"type": ids.NAV_LINK, "path": ALL}, "href"),
        Output({"type": ids.NAV_LINK, "path": ALL}, "className"),
        Input(ids.VIEW_STATE, "data"),
        State({"type": ids.NAV_LINK, "path": ALL}, "id"),
    )
    app.clientside_callback(
        IMAGE_FORMAT_JS,
        Output({"type": ids.FIGURE, "name": ALL}, "config"),
        Input(ids.IMAGE_FORMAT, "value"),
        Input({"type": ids.FIGURE, "name": ALL}, "id"),
    )
    _add_shell_callbacks(app)
    return app


def _add_shell_callbacks(app: Dash) -> None:
    from dash import MATCH, Input, Output, State, dcc

    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.figures import figure_csv

    @app.callback(
        Output({"type": ids.CSV_DOWNLOAD, "name": MATCH}, "data"),
        Input({"type": ids.CSV_BUTTON, "name": MATCH}, "n_clicks"),
        State({"type": ids.FIGURE, "name": MATCH}, "figure"),
        State({"type": ids.FIGURE, "name": MATCH}, "id"),
        prevent_initial_call=True,
    )
    def download_csv(clicks: int, figure: dict[str, Any], graph_id: dict[str, str]) -> dict[str, Any]:
        return dcc.send_string(figure_csv(figure or {}), f"{graph_id['name']}.csv")

    @app.callback(Output(ids.STORE_SUMMARY, "children"), Input(ids.REFRESH_TIMER, "n_intervals"))
    def summarize_store(ticks: int | None) -> str:
        runs = open_store().runs()
        if runs.empty:
            return "no runs recorded yet"
        counts = runs["status"].value_counts()
        extra = [f"{counts[s]} {s.lower()}" for s in ("RUNNING", "FAILED", "KILLED") if s in counts]
        experiments = runs["experiment_id"].nunique()
        return (f"{len(runs)} runs in {experiments} experiment{'s' * (experiments != 1)}"
                + (f" ({', '.join(extra)})" if extra else ""))
