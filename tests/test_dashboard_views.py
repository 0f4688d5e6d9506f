"""The views' layouts and callbacks: URL state, grouping, empty and partial stores, plugin panels."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import as_sent, registered_plugin
from test_dashboard_store import empty_store, real_store  # noqa: F401  (a fixture)

from seqlab import hookimpl

from seqlab.store import record


@pytest.fixture
def on_store(real_store: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the views at the store of real runs."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", real_store)
    return real_store


def find(component: Any, component_id: str) -> Any:
    """The component with ``id`` in a Dash component tree, or None."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = find(child, component_id)
            if found is not None:
                return found
    return None


def trace_names(figure: Any) -> list[str]:
    return [t["name"] for t in as_sent(figure)["data"] if t.get("name") and "(n=" in t["name"]]


def test_layouts_restore_their_state_from_the_query(on_store: str) -> None:
    from seqlab_dashboard.pages import curves, efficiency, longterm, stability

    query = {"group": "model.hidden_size,seed", "band": "minmax", "metric": "val/mse", "exp": "1",
             "smoothing": "0.6", "show": "logy"}
    tree = curves.layout(**query)
    assert find(tree, "curves-group").value == ["model.hidden_size", "seed"]
    assert find(tree, "curves-band").value == "minmax"
    assert find(tree, "curves-metric").value == "val/mse"
    assert find(tree, "curves-smoothing").value == 0.6
    assert find(tree, "curves-options").value == ["logy"]
    assert find(tree, "curves-exp").value == ["1"]
    assert find(curves.layout(band="bogus"), "curves-band").value == "std", "bad values fall back"
    for module in (efficiency, stability, longterm):
        tree = module.layout(**query)
        assert find(tree, f"{module.VIEW}-band").value == "minmax"
        assert find(tree, f"{module.VIEW}-group").value == ["model.hidden_size", "seed"]


def test_changing_the_grouping_changes_the_curves(on_store: str) -> None:
    from seqlab_dashboard.pages.curves import draw_curves

    by_size, note = draw_curves(None, None, None, ["model.hidden_size"], record.TRAIN_LOSS, "step",
                                "mean", "std", 0, ["members"])
    by_length, _ = draw_curves(None, None, None, ["task.length"], record.TRAIN_LOSS, "step",
                               "median", "ci95", 0.5, ["logy"])
    assert sorted(trace_names(by_size)) == ["hidden_size=4 (n=5)", "hidden_size=8 (n=4)", "hidden_size=— (n=1)"]
    assert sorted(trace_names(by_length)) == ["length=100 (n=1)", "length=4 (n=4)", "length=8 (n=5)"]
    assert "still running" in note
    assert as_sent(by_length)["layout"]["yaxis"]["type"] == "log"


def test_selection_narrows_every_view(on_store: str) -> None:
    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.pages.curves import draw_curves
    from seqlab_dashboard.pages.longterm import draw_longterm

    runs = open_store().runs()
    chosen = runs[(runs["params.model.hidden_size"] == 8) & (runs["status"] == "FINISHED")]
    prefixes = [run_id[:8] for run_id in chosen["run_id"]]
    figure, _ = draw_curves(None, None, prefixes, ["model.hidden_size"], "val/mse", "step",
                            "mean", "se", 0, [])
    assert trace_names(figure) == ["hidden_size=8 (n=4)"]
    figures, horizons, choices = draw_longterm(None, None, prefixes, ["model.hidden_size"], "std", None)
    score = as_sent(figures[0])
    assert [t["name"] for t in score["data"]] == ["hidden_size=8"] and score["data"][0]["x"] == [4, 8]
    assert "group: hidden_size=8 · length=8" in [c["label"] for c in choices]
    assert figures[2].data[0].type == "heatmap"
    state = [t.name for t in figures[3].data if not t.name.endswith("band")]
    assert state == ["hidden_size=8 · length=4 · cell (n=2)", "hidden_size=8 · length=8 · cell (n=2)",
                     "hidden_size=8 · length=4 · hidden (n=2)", "hidden_size=8 · length=8 · hidden (n=2)"]
    assert [t.line.dash for t in figures[3].data if t.name in state] == ["solid", "solid", "dot", "dot"]


def test_views_explain_missing_data_instead_of_failing(on_store: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from seqlab_dashboard.pages import curves, efficiency, longterm, runs, stability

    figure, _ = curves.draw_curves(None, None, None, [], "no/such_metric", "step", "mean", "std", 0, [])
    assert "None of the 10 runs in scope recorded no/such_metric" in figure.layout.annotations[0].text
    assert len(efficiency.draw_efficiency(None, None, None, ["model"], "std", record.PEAK_MEMORY_MB)) == 6
    assert len(stability.draw_stability(None, None, None, ["model"], "std", record.NORMALIZED_SCORE)) == 5
    monkeypatch.setenv("MLFLOW_TRACKING_URI", empty_store(Path(on_store.removeprefix("sqlite:///")).parent))
    assert "No runs recorded yet" in str(runs.layout())
    figure, _ = curves.draw_curves(None, None, None, [], None, "step", "mean", "std", 0, [])
    assert "No runs in scope" in figure.layout.annotations[0].text
    for view in (curves, efficiency, stability, longterm):
        view.layout()
    assert len(efficiency.draw_efficiency(None, None, None, [], "std", record.STEP_TIME)) == 6
    assert len(stability.draw_stability(None, None, None, [], "std", None)) == 5
    assert len(longterm.draw_longterm(None, None, None, [], "std", None)[0]) == 4


def test_csv_holds_the_plotted_points(on_store: str) -> None:
    import csv
    import io

    from seqlab_dashboard.figures import figure_csv
    from seqlab_dashboard.pages.curves import draw_curves

    figure, _ = draw_curves(None, None, None, ["model.hidden_size"], "val/mse", "step", "mean", "std", 0, [])
    sent = as_sent(figure)
    rows = list(csv.DictReader(io.StringIO(figure_csv(sent))))
    drawn = [t for t in sent["data"] if "(n=" in t["name"]][-1]  # a group's center line
    centers = [row for row in rows if row["trace"] == drawn["name"]]
    assert centers and [float(r["y"]) for r in centers] == pytest.approx(drawn["y"])
    assert {"trace", "x", "y", "error_minus"} <= set(rows[0])


def hello_panel_plugin(name: str) -> ModuleType:
    """A throwaway plugin adding a view at ``/hello`` that greets ``?who=``."""
    plugin = ModuleType(name)

    @hookimpl
    def register_dashboard_panels(register):  # type: ignore[no-untyped-def]
        from dash import html

        register("/hello", "Hello", lambda **query: html.P(f"hello {query.get('who', 'world')}"), order=70)

    plugin.register_dashboard_panels = register_dashboard_panels  # type: ignore[attr-defined]
    return plugin


def test_app_serves_every_view_and_a_plugin_panel(on_store: str) -> None:
    from seqlab_dashboard.app import create_app

    plugin = hello_panel_plugin("dashboard_test_panel")
    with registered_plugin(plugin):
        app = create_app()
    client = app.server.test_client()
    for path in ("/", "/runs", "/curves", "/efficiency", "/stability", "/long-term", "/parameters",
                 "/evidence", "/hello?who=you"):
        assert client.get(path).status_code == 200, path
    paths = [link.href for link in app.layout.children[0].children[1].children]
    assert paths == ["/runs", "/curves", "/efficiency", "/stability", "/long-term", "/parameters",
                     "/evidence", "/hello"]
    outputs = [d["output"] for d in client.get("/_dash-dependencies").get_json()]
    assert len(outputs) == len(set(outputs))
    with registered_plugin(plugin), registered_plugin(hello_panel_plugin("again")):
        with pytest.warns(UserWarning, match="path '/hello' of plugin again is taken"):
            clashing = create_app()
    links = [link.href for link in clashing.layout.children[0].children[1].children]
    assert links.count("/hello") == 1


def test_dashboard_hook_is_specified_and_documented() -> None:
    from pathlib import Path

    from seqlab.api import hookspecs

    assert hookspecs.register_dashboard_panels.__doc__
    docs = Path(__file__).parents[1] / "docs" / "dashboard.md"
    assert "register_dashboard_panels" in docs.read_text()


def test_seqlab_dash_serves_on_localhost(on_store: str) -> None:
    import socket
    import subprocess
    import time
    import urllib.request

    from conftest import SEQLAB

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([SEQLAB, "dash", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/runs", timeout=5) as page:
                    assert page.status == 200 and "seqlab" in page.read().decode()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "seqlab dash did not start"
                time.sleep(0.5)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}" in output and on_store in output


def test_runs_table_is_filtered_sorted_and_paged_on_the_server(on_store: str) -> None:
    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.pages.runs import page, table

    shown = table(open_store().runs())
    assert shown["config"].nunique() == len(shown), "every configuration has its own name"
    request = {"startRow": 0, "endRow": 3, "sortModel": [{"colId": "params.task.length", "sort": "desc"}],
               "filterModel": {"params.model.hidden_size": {"filterType": "number", "type": "equals", "filter": 8}}}
    first = page(shown, request)
    assert first["rowCount"] == 4 and len(first["rowData"]) == 3
    assert {row["params.model.hidden_size"] for row in first["rowData"]} == {8}
    lengths = [row["params.task.length"] for row in first["rowData"]]
    assert lengths == sorted(lengths, reverse=True)
    rest = page(shown, {**request, "startRow": 3, "endRow": 6})
    assert rest["rowCount"] == 4 and len(rest["rowData"]) == 1
    either = {"filterType": "text", "operator": "OR", "conditions": [
        {"filterType": "text", "type": "contains", "filter": "FAILED"},
        {"filterType": "text", "type": "equals", "filter": "running"}]}
    assert page(shown, {"filterModel": {"status": either}})["rowCount"] == 2


def test_serving_pages_imports_neither_torch_nor_lightning(on_store: str) -> None:
    """``seqlab dash`` reads the store and draws; it never pays for the training stack."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from seqlab_dashboard.app import create_app\n"
        "client = create_app().server.test_client()\n"
        "for path in ('/', '/runs', '/curves', '/efficiency', '/stability', '/long-term',\n"
        "             '/parameters', '/evidence', '/_dash-layout', '/_dash-dependencies'):\n"
        "    assert client.get(path).status_code == 200, path\n"
        "heavy = ['torch', 'pytorch_lightning', 'lightning', 'lightning_fabric']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_efficiency_draws_every_group_in_two_traces_in_its_page_color(on_store: str) -> None:
    """The browser lays a figure out trace by trace: a cost card and the Pareto scatter hold
    one trace of member dots and one of group centers (each point in its group's color, the
    group in its text), however many groups; the CSV names each point's group."""
    import csv
    import io

    from seqlab_dashboard.controls import scoped_runs
    from seqlab_dashboard.figures import figure_csv, page_colors
    from seqlab_dashboard.pages.efficiency import draw_efficiency

    grouping = ["model.hidden_size", "task.length"]
    colors = page_colors(scoped_runs(None, None, None), grouping)
    card, *_, pareto, _ = [as_sent(f) for f in draw_efficiency(None, None, None, grouping, "std", record.STEP_TIME)]
    for figure in (card, pareto):
        assert [t["name"] for t in figure["data"][:2]] == ["runs", "groups"]
        centers = figure["data"][1]
        assert len(centers["text"]) >= 3 and len(set(centers["text"])) == len(centers["text"])
        assert centers["marker"]["color"] == [colors[group] for group in centers["text"]]
    assert len(card["data"]) == 2 and card["data"][1]["y"] == card["data"][1]["text"], "a card's rows are its groups"
    legend = {t["name"].split(" (n=")[0]: t["marker"]["color"] for t in pareto["data"][2:] if " (n=" in t["name"]}
    assert legend == {group: colors[group] for group in pareto["data"][1]["text"]}, "a few groups get a legend"
    rows = [r for r in csv.DictReader(io.StringIO(figure_csv(pareto))) if r["trace"] == "groups"]
    assert [r["text"] for r in rows] == pareto["data"][1]["text"]
