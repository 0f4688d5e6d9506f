"""The dashboard under hostile data and hostile requests, through the real app's HTTP callbacks.

Param values and run names are data: plotly must draw ``<b>`` as written, never as markup, and
a megabyte value must not fill every response; a crafted POST to ``/_dash-update-component``
with values no control offers falls back to the default instead of answering 500.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

HOSTILE = ["<b>bold</b>", "<a href='https://example.org'>link</a>", "%{y} <i>x</i>", "a" * 1_000_000]
"""Param values an author might write, the last a megabyte long."""
FIGURE_VIEWS = ("curves", "efficiency", "stability", "longterm", "parameters")


def dash_post(client: Any, app: Any, view: str, values: dict[str, Any]) -> Any:
    """POST the figure callback of ``view`` as the browser would, each input from ``values``
    (by control name: ``band``, ``x``, ...) or the view's layout default; the response."""
    from dash._utils import split_callback_id

    from seqlab_dashboard import ids
    from seqlab_dashboard.pages import curves, efficiency, longterm, parameters, stability

    module = {"curves": curves, "efficiency": efficiency, "stability": stability,
              "longterm": longterm, "parameters": parameters}[view]
    defaults = control_values(module.layout())
    key, callback = next((k, c) for k, c in app.callback_map.items()
                         if '"type":"figure"' in k and c["inputs"][0]["id"] == ids.control(module.VIEW, "exp"))
    outputs = split_callback_id(key)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    inputs = []
    for given in callback["inputs"]:
        name = given["id"].removeprefix(f"{module.VIEW}-")
        value = values[name] if name in values else defaults.get(given["id"])
        inputs.append({"id": given["id"], "property": given["property"], "value": value})
    payload = {
        "output": key,
        "outputs": [{"id": json.loads(o["id"]) if o["id"].startswith("{") else o["id"],
                     "property": o["property"]} for o in outputs],
        "inputs": inputs, "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs], "state": [],
    }
    return client.post("/_dash-update-component", json=payload)


def control_values(component: Any, found: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each control's initial ``value`` (or ``data``) in a layout, by id."""
    found = {} if found is None else found
    component_id = getattr(component, "id", None)
    if isinstance(component_id, str):
        for prop in ("value", "data"):
            if prop in getattr(component, "_prop_names", []):
                found[component_id] = getattr(component, prop, None)
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            control_values(child, found)
    return found


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The app over a store of 8 runs (two seeds of four notes) recorded with MLflow's client,
    whose ``note`` param values and run names are hostile, one note a megabyte long (written
    into MLflow's table directly: its client cuts params at 6,000 characters, other writers
    need not); the app and its test client."""
    import sqlite3

    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    from seqlab.store import record
    from seqlab_dashboard import data

    folder = tmp_path_factory.mktemp("hostile")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.create_experiment("hostile", artifact_location=(folder / "artifacts").as_uri())
    flow = {"positions": [0, 1, 2], "steps": [0, 5], "norms": [[0.1, 0.5, 1.0], [0.2, 0.6, 1.0]]}
    for i in range(8):
        note, seed = HOSTILE[i % len(HOSTILE)], i // len(HOSTILE)
        run_id = client.create_run(experiment).info.run_id
        name = f"<b>run {i}</b> %{{x}}"
        finals = {record.NORMALIZED_SCORE: 0.1 * i, record.SOLVED: float(i % 2), record.STEP_TIME: 0.01 + i / 1000,
                  record.SEQUENCES_PER_S: 100.0 + i, record.MEMORY_GROWTH_MB: 1.0 + i, record.PARAMETERS: 1000.0,
                  record.GRAD_NORM: 1.0, record.CLIP_EVENTS: 0.0, record.DIVERGED: 0.0, "val/loss": 1.0 / (i + 1)}
        client.log_batch(run_id, params=[
            Param("model", "lstm"), Param("task", "adding"), Param("strategy", "bptt"), Param("seed", str(seed)),
            Param("task.length", str(8 * (1 + i % 2))), Param("trainer.lr", "0.001"), Param("note", note[:6000]),
        ], tags=[RunTag(record.TAG_RUN_NAME, name)], metrics=[
            *(Metric(record.TRAIN_LOSS, 1.0 / (s + 1 + i), 1000 * s, s) for s in range(20)),
            *(Metric(key, value, 20_000, 20) for key, value in finals.items()),
        ])
        client.log_text(run_id, json.dumps(flow), record.GRADIENT_FLOW_ARTIFACT)
        client.set_terminated(run_id)
    with sqlite3.connect(folder / "mlflow.db") as connection:
        connection.execute("UPDATE params SET value = ? WHERE key = 'note' AND value LIKE 'aaaa%'", (HOSTILE[-1],))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        data._stores.pop(uri, None)
        from seqlab_dashboard.app import create_app

        app = create_app()
        yield app, app.server.test_client()


def drawn_text(figure: dict[str, Any]) -> list[str]:
    """Every string plotly draws as pseudo-HTML in a figure: trace names, hover templates and
    texts, category values and tick texts, titles and annotations."""
    texts: list[str] = []

    def strings(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, list):
            for item in value:
                strings(item)
        elif isinstance(value, dict) and "bdata" not in value:
            for key, item in value.items():
                if key not in ("color", "colorscale", "fillcolor", "type", "mode", "legendgroup", "uid"):
                    strings(item)

    for trace in figure.get("data", []):
        strings({k: v for k, v in trace.items() if k in (
            "name", "hovertemplate", "hovertext", "text", "x", "y", "dimensions")})
    strings(figure.get("layout", {}))
    return texts


@pytest.mark.parametrize("view", FIGURE_VIEWS)
def test_param_values_and_names_are_drawn_as_data_and_clipped(app_client: tuple[Any, Any], view: str) -> None:
    app, client = app_client
    group = {"group": ["note"]} if view != "parameters" else {}
    response = dash_post(client, app, view, group)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_data(as_text=True)
    assert len(body) < 1_000_000, f"{view}: {len(body):,} characters for a megabyte param value"
    figures = [value for output in response.get_json()["response"].values() for value in output.values()
               if isinstance(value, dict) and "data" in value]
    texts = [t for figure in figures for t in drawn_text(figure)]
    for raw in ("<b>bold", "<a href", "<i>x", "<b>run", "%{y} &lt;i", "&lt;/b&gt; %{x}"):
        assert not [t for t in texts if raw in t], f"{view} draws {raw!r} as markup"
    if view != "parameters":
        assert any("&lt;b&gt;bold&lt;/b&gt;" in t for t in texts), f"{view}: the value is shown, escaped"


@pytest.mark.parametrize("view, values", [
    ("curves", {"x": "bogus"}), ("curves", {"x": 12}), ("curves", {"band": "bogus"}),
    ("curves", {"band": ["std"]}), ("curves", {"center": "mode"}), ("curves", {"smoothing": 5}),
    ("curves", {"smoothing": 1}), ("curves", {"smoothing": -3}), ("curves", {"smoothing": "abc"}),
    ("curves", {"options": 7}), ("curves", {"group": "model"}), ("curves", {"group": [1, None, {"a": 1}]}),
    ("curves", {"metric": ["val/loss"]}), ("curves", {"runs": "abc"}), ("curves", {"exp": 5}),
    ("curves", {"sweep": [None, 3]}), ("efficiency", {"band": "bogus"}), ("efficiency", {"cost": "bogus"}),
    ("efficiency", {"cost": 3}), ("stability", {"band": 1e308}), ("stability", {"metric": {"a": 1}}),
    ("longterm", {"band": "bogus"}), ("longterm", {"heatmap": 123}), ("longterm", {"heatmap": "run:nope"}),
    ("parameters", {"metric": 5}),
])
def test_crafted_callback_values_fall_back_instead_of_failing(
    app_client: tuple[Any, Any], view: str, values: dict[str, Any]
) -> None:
    app, client = app_client
    response = dash_post(client, app, view, values)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]


def test_the_runs_table_shows_long_values_clipped(app_client: tuple[Any, Any]) -> None:
    from seqlab.messages import DISPLAY_LIMIT
    from seqlab_dashboard.data import open_store
    from seqlab_dashboard.pages.runs import page, scoped_table

    rows = page(scoped_table(open_store().runs(), None, None), {"startRow": 0, "endRow": 100})["rowData"]
    notes = [row["params.note"] for row in rows]
    assert "<b>bold</b>" in notes, "a table cell is plain text: shown as written"
    assert max(len(n) for n in notes) < DISPLAY_LIMIT + 40 and any(n.endswith("(1000000 characters)") for n in notes)
    assert page(scoped_table(open_store().runs(), 5, None), {"startRow": "x", "filterModel": {"params.note": 3},
                                                             "sortModel": [{"colId": 1}]})["rowCount"] == 8


GOOD_FLOW = {"positions": [0, 1, 2], "steps": [0, 5], "norms": [[0.1, 0.5, 1.0], [0.2, 0.6, 1.0]]}
GOOD_TRACE = {"positions": [0, 1, 2], "steps": [0, 5],
              "rms": {"cell": [[0.1, 0.2, 0.3], [0.1, 0.2, 0.4]], "hidden": [[0.1, 0.1, 0.1], [0.2, 0.2, 0.2]]}}


def artifact(name: str, content: bytes) -> Any:
    """A corruption: the victim's artifact ``name`` replaced by ``content``."""
    def corrupt(client: Any, run_id: str, database: Any) -> None:
        client.log_text(run_id, content.decode("latin-1"), name)
    corrupt.artifact = name  # type: ignore[attr-defined]
    return corrupt


def sql(*statements: str) -> Any:
    """A corruption: SQL run on the store's tables, ``{run}`` standing for the victim's id."""
    def corrupt(client: Any, run_id: str, database: Any) -> None:
        with database:
            for statement in statements:
                database.execute(statement.replace("{run}", run_id))
    return corrupt


def metrics(*values: tuple[float, int]) -> Any:
    """A corruption: more ``train/loss`` points ``(value, step)`` for the victim."""
    def corrupt(client: Any, run_id: str, database: Any) -> None:
        from mlflow.entities import Metric

        from seqlab.store import record

        client.log_batch(run_id, metrics=[Metric(record.TRAIN_LOSS, value, 1000, step) for value, step in values])
    return corrupt


def still_running(client: Any, run_id: str, database: Any) -> None:
    """A corruption: the victim is RUNNING again, as a run whose process died leaves it."""
    with database:
        database.execute("UPDATE runs SET status = 'RUNNING', end_time = NULL WHERE run_uuid = ?", (run_id,))


CORRUPTED_DATA = {
    "gradient flow cut short": artifact("gradient_flow.json", b'{"positions": [0, 1], "ste'),
    "gradient flow binary": artifact("gradient_flow.json", b"\x00\xff\xfe binary \x89PNG"),
    "gradient flow empty": artifact("gradient_flow.json", b""),
    "gradient flow rows do not match": artifact("gradient_flow.json", json.dumps(
        {"positions": [0, 1, 2], "steps": [0, 5], "norms": [[0.1, 0.5], [0.2]]}).encode()),
    "gradient flow not a mapping": artifact("gradient_flow.json", b"[1, 2, 3]"),
    "gradient flow with nulls": artifact("gradient_flow.json", json.dumps(
        {"positions": [0, 1, 2], "steps": [0, 5], "norms": [[None, 0.5, 1.0], [0.2, None, None]]}).encode()),
    "state trace cut short": artifact("state_trace.json", b'{"positions": [0, 1], "rms": {"cell": [[0.1'),
    "state trace binary": artifact("state_trace.json", b"\x89PNG\r\n\x1a\n\x00\x00"),
    "non-finite losses": metrics((float("nan"), 21), (float("inf"), 22), (float("-inf"), 23)),
    "duplicate and negative steps": metrics((0.5, 3), (0.7, 3), (0.9, -5)),
    "no metrics": sql("DELETE FROM metrics WHERE run_uuid = '{run}'", "DELETE FROM latest_metrics WHERE run_uuid = '{run}'"),
    "no params": sql("DELETE FROM params WHERE run_uuid = '{run}'"),
    "text where a number is": sql("UPDATE params SET value = 'long' WHERE run_uuid = '{run}' AND key = 'task.length'",
                                  "UPDATE params SET value = 'fast' WHERE run_uuid = '{run}' AND key = 'trainer.lr'"),
    "left RUNNING": still_running,
}
"""Every corrupted-data case issue #13 counts: one run's data spoilt, as a full disk, a killed
process or another writer leaves it; every view still draws the other runs."""


@pytest.mark.parametrize("case", list(CORRUPTED_DATA))
def test_corrupted_data_renders_every_view(
    case: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, empty_store_file: Any
) -> None:
    """Three healthy runs and a victim whose data is spoilt: each figure view answers 200 and
    draws, and an artifact it cannot read is named with its run."""
    import shutil
    import sqlite3

    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    from seqlab.store import record
    from seqlab_dashboard import data

    shutil.copy(empty_store_file, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.create_experiment("corrupted", artifact_location=(tmp_path / "artifacts").as_uri())
    run_ids = []
    for i, name in enumerate(["healthy 0", "healthy 1", "healthy 2", "victim"]):
        run_id = client.create_run(experiment).info.run_id
        finals = {record.NORMALIZED_SCORE: 0.1 * i, record.STEP_TIME: 0.01, record.SEQUENCES_PER_S: 100.0 + i,
                  record.PARAMETERS: 1000.0, record.GRAD_NORM: 1.0, "val/loss": 1.0 / (i + 1)}
        client.log_batch(run_id, params=[
            Param("model", "lstm"), Param("task", "adding"), Param("strategy", "bptt"), Param("seed", str(i % 2)),
            Param("task.length", str(8 * (1 + i % 2))), Param("trainer.lr", "0.001"),
        ], tags=[RunTag(record.TAG_RUN_NAME, name)], metrics=[
            *(Metric(record.TRAIN_LOSS, 1.0 / (s + 1 + i), 1000 * s, s) for s in range(20)),
            *(Metric(key, value, 20_000, 20) for key, value in finals.items()),
        ])
        client.log_text(run_id, json.dumps(GOOD_FLOW), record.GRADIENT_FLOW_ARTIFACT)
        client.log_text(run_id, json.dumps(GOOD_TRACE), record.STATE_TRACE_ARTIFACT)
        client.set_terminated(run_id)
        run_ids.append(run_id)
    corrupt = CORRUPTED_DATA[case]
    with sqlite3.connect(tmp_path / "mlflow.db") as database:
        corrupt(client, run_ids[-1], database)
    database.close()

    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    data._stores.pop(uri, None)
    from seqlab_dashboard.app import create_app

    app = create_app()
    http = app.server.test_client()
    for view in FIGURE_VIEWS:
        response = dash_post(http, app, view, {})
        assert response.status_code == 200, (view, response.get_data(as_text=True)[:500])
        figures = [value for output in response.get_json()["response"].values() for value in output.values()
                   if isinstance(value, dict) and "data" in value]
        assert any(figure["data"] for figure in figures), f"{view} draws nothing"
        if view == "longterm" and getattr(corrupt, "artifact", "") and "nulls" not in case and "not a mapping" not in case:
            notes = " ".join(note.get("text", "") for figure in figures
                             for note in figure.get("layout", {}).get("annotations", []))
            assert f"Skipped unreadable artifacts of run victim ({corrupt.artifact})" in notes, notes
            if corrupt.artifact == record.GRADIENT_FLOW_ARTIFACT:  # nor offered in the heatmap
                choices = [option["value"] for output in response.get_json()["response"].values()
                           for option in output.get("options", [])]
                assert f"run:{run_ids[0]}" in choices and f"run:{run_ids[-1]}" not in choices, choices
    assert http.get("/").status_code == 200
