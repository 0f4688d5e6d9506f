"""The dashboard's data layer and views' callbacks, on a store of runs from the real runner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import as_sent, copy_store
from test_dashboard_store import GRID, real_store  # noqa: F401  (a fixture)

from seqlab.store import record

HIDDEN = "params.model.hidden_size"


@pytest.fixture
def runs_store(real_store: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A fresh RunStore on the shared store, which is also the default store of the views."""
    from seqlab_dashboard.data import RunStore, _stores

    monkeypatch.setenv("MLFLOW_TRACKING_URI", real_store)
    _stores.pop(real_store, None)
    return RunStore(real_store)


def finished(runs):  # type: ignore[no-untyped-def]
    return runs[(runs["status"] == "FINISHED") & (runs["params.strategy"] == "bptt")]


def test_runs_frame_has_every_run_with_typed_params(runs_store) -> None:  # type: ignore[no-untyped-def]
    runs = runs_store.runs()
    assert len(runs) == len(GRID) + 2
    assert sorted(runs["status"].unique()) == ["FAILED", "FINISHED", "RUNNING"]
    assert runs[HIDDEN].dtype.kind in "if" and set(finished(runs)[HIDDEN]) == {4, 8}
    assert runs["experiment"].unique().tolist() == ["dashboard-test"]
    assert finished(runs)["metrics.val/mse"].notna().all()
    runs_store.runs()
    assert runs_store.searches == 1, "a second read within check_seconds must come from the cache"


def test_cache_refreshes_when_a_new_run_arrives(real_store: str, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    from seqlab_dashboard.data import RunStore

    copy = tmp_path / "mlflow.db"
    copy_store(Path(real_store.removeprefix("sqlite:///")), copy)
    store = RunStore(f"sqlite:///{copy}", check_seconds=0)
    before = len(store.runs())
    store.runs()
    assert store.searches == 1, "an unchanged store is not read again"
    client = MlflowClient(f"sqlite:///{copy}")
    experiment = client.get_experiment_by_name("dashboard-test").experiment_id
    client.set_terminated(client.create_run(experiment).info.run_id)
    assert len(store.runs()) == before + 1 and store.searches == 2


def test_groups_and_bands_match_numpy(runs_store) -> None:  # type: ignore[no-untyped-def]
    from seqlab_dashboard.analysis import group_labels, summarize

    runs = finished(runs_store.runs())
    labels = group_labels(runs, [HIDDEN, "params.task.length"])
    assert sorted(labels.unique()) == ["hidden_size=4 · length=4", "hidden_size=4 · length=8",
                                       "hidden_size=8 · length=4", "hidden_size=8 · length=8"]
    frame = runs.assign(group=labels.to_numpy())
    for kind in ("std", "se", "ci95", "minmax"):
        table = summarize(frame, "metrics.val/mse", kind=kind).set_index("group")
        for group, members in frame.groupby("group"):
            values = members["metrics.val/mse"].to_numpy()
            row = table.loc[group]
            assert row["n"] == 2 and row["center"] == pytest.approx(values.mean())
            half = {"std": values.std(ddof=1), "se": values.std(ddof=1) / np.sqrt(2),
                    "ci95": 12.7062 * values.std(ddof=1) / np.sqrt(2)}.get(kind)
            if kind == "minmax":
                assert (row["lower"], row["upper"]) == (values.min(), values.max())
            else:
                assert row["upper"] - row["center"] == pytest.approx(half, rel=1e-4)


def test_groups_are_ordered_by_the_numbers_in_their_labels() -> None:
    import pandas as pd

    from seqlab_dashboard.analysis import natural_key, summarize
    from seqlab_dashboard.figures import group_colors

    labels = ["lstm · length=100", "lstm · length=8", "gru · length=20", "lstm · lr=0.01",
              "lstm · lr=0.001", "lstm · lr=1e-4"]
    assert sorted(labels, key=natural_key) == [
        "gru · length=20", "lstm · length=8", "lstm · length=100", "lstm · lr=1e-4",
        "lstm · lr=0.001", "lstm · lr=0.01",
    ]
    frame = pd.DataFrame({"group": ["length=100", "length=8", "length=20"], "v": [1.0, 2.0, 3.0]})
    assert list(summarize(frame, "v")["group"]) == ["length=8", "length=20", "length=100"]
    assert list(group_colors(frame["group"])) == ["length=8", "length=20", "length=100"]


def test_curves_average_members_step_by_step(runs_store) -> None:  # type: ignore[no-untyped-def]
    from seqlab_dashboard.analysis import curves, group_labels

    runs = finished(runs_store.runs())
    histories = runs_store.histories(list(runs["run_id"]), record.TRAIN_LOSS)
    assert histories["run_id"].nunique() == len(runs)
    labels = group_labels(runs, [HIDDEN])
    members, groups = curves(histories, labels, kind="std")
    assert sorted(groups["group"].unique()) == ["hidden_size=4", "hidden_size=8"]
    pivot = histories.assign(group=histories["run_id"].map(labels)).pivot_table(
        index=["group", "step"], values="value", aggfunc=["mean", "std", "count"])
    for row in groups.itertuples():
        assert row.n == pivot.loc[(row.group, row.x), ("count", "value")] == 4
        assert row.center == pytest.approx(pivot.loc[(row.group, row.x), ("mean", "value")])
        assert row.upper - row.center == pytest.approx(pivot.loc[(row.group, row.x), ("std", "value")])
    assert set(members["run_id"]) == set(runs["run_id"])
    smoothed, _ = curves(histories, labels, smoothing=0.9)
    assert smoothed["value"].std() < members["value"].std(), "EMA smoothing flattens the curves"


def test_histories_are_downsampled_keeping_first_and_last(runs_store) -> None:  # type: ignore[no-untyped-def]
    run_id = finished(runs_store.runs())["run_id"].iloc[0]
    full = runs_store.histories([run_id], record.TRAIN_LOSS)
    short = runs_store.histories([run_id], record.TRAIN_LOSS, max_points=3)
    assert len(full) > 3 and len(short) == 3
    assert short["step"].tolist() == [full["step"].min(), short["step"].iloc[1], full["step"].max()]
    assert runs_store.histories([run_id], "no/such_metric").empty


def test_normalized_score_by_length_and_memory_horizon(runs_store) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from seqlab_dashboard.analysis import group_labels, memory_horizon, solved_by_length

    runs = finished(runs_store.runs())
    score, solved = "metrics." + record.NORMALIZED_SCORE, "metrics." + record.SOLVED
    table = solved_by_length(runs, group_labels(runs, [HIDDEN]), "params.task.length", score, solved)
    assert len(table) == 4 and (table["n"] == 2).all()
    for row in table.itertuples():
        members = runs[(runs[HIDDEN] == int(row.group.split("=")[1])) & (runs["params.task.length"] == row.length)]
        assert row.center == pytest.approx(members[score].mean())
        assert row.solved_fraction == pytest.approx(members[solved].mean())
    horizons = memory_horizon(table)
    assert set(horizons["longest_tested"]) == {8}
    made_up = pd.DataFrame({"group": ["a"] * 3 + ["b"] * 3, "length": [10, 20, 40] * 2,
                            "solved_fraction": [1.0, 1.0, 0.0, 1.0, 0.0, 1.0]})
    assert memory_horizon(made_up).set_index("group")["horizon"].to_dict() == {"a": 20, "b": 10}


def test_pareto_front_and_ema() -> None:
    from seqlab_dashboard.analysis import ema, pareto_front

    assert pareto_front([1, 2, 3, 2], [0.5, 0.9, 0.95, 0.4]).tolist() == [True, True, True, False]
    assert ema(np.array([1.0, 1.0, 1.0]), 0.9).tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert ema(np.array([0.0, 2.0]), 0.0).tolist() == [0.0, 2.0]


def test_gradient_flows_are_read_from_artifacts(runs_store) -> None:  # type: ignore[no-untyped-def]
    runs = runs_store.runs()
    flows = runs_store.gradient_flows(runs["run_id"])
    ended = runs[runs["status"].isin(["FINISHED", "FAILED"])]["run_id"]
    assert set(finished(runs)["run_id"]) <= set(flows) <= set(ended)  # FAILED runs may have one
    flow = next(iter(flows.values()))
    assert len(flow.values) == len(flow.steps) and len(flow.values[0]) == len(flow.positions)


@pytest.mark.parametrize("scope", ["every-run", "one-experiment-of-three"])
def test_column_read_equals_mlflow_search_runs(real_store: str, tmp_path: Path, scope: str) -> None:
    """The direct read returns what MLflow's client does, whether it reads whole tables and
    drops other runs' rows (most of the store asked for: a deleted run's rows are dropped) or
    joins each row to its run (a third of the store asked for)."""
    import mlflow
    import pandas as pd
    from mlflow.entities import Metric, Param

    from seqlab_dashboard import data

    copy_store(Path(real_store.removeprefix("sqlite:///")), tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    count = len(client.search_runs(experiments))
    deleted = client.search_runs(experiments, max_results=1)[0].info.run_id
    client.delete_run(deleted)
    others = [client.create_experiment(f"other-{i}") for i in range(2)]
    for other in others:
        for _ in range(count):
            run_id = client.create_run(other).info.run_id
            client.log_batch(run_id, [Metric("val/loss", 1.0, 0, 0)], [Param("model", "x")])
    if scope == "every-run":
        asked = [*experiments, *others]
    else:
        asked = experiments
    read: list[bool] = []
    original = data._fetch_rows

    def noting_joins(session: object, sql: str, params: object) -> list:
        read.append(" JOIN " in sql)
        return original(session, sql, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(data, "_fetch_rows", noting_joins)
        fast = data._read_runs_sql(client, asked).set_index("run_id").sort_index()
    assert read[1:] == [scope != "every-run"] * 3, "joined when a third of the runs is asked for"
    mlflow.set_tracking_uri(uri)
    reference = mlflow.search_runs(experiment_ids=asked, output_format="pandas")
    reference = reference.set_index("run_id").sort_index()
    assert deleted not in fast.index and len(fast) == len(reference)
    assert set(fast.columns) == set(reference.columns)
    pd.testing.assert_frame_equal(fast[reference.columns], reference, check_dtype=False)


def test_a_failing_fast_read_falls_back_to_mlflows_client(
    runs_store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    """Should an MLflow release change its tables, the dashboard reads through the client."""
    import pandas as pd

    from seqlab_dashboard import data

    fast_runs = runs_store.runs().set_index("run_id").sort_index()
    ids = list(fast_runs.index)
    fast_history = runs_store.histories(ids, "val/loss")

    def changed_tables(*args: object) -> None:
        raise AttributeError("type object 'SqlRun' has no attribute 'run_uuid'")

    monkeypatch.setattr(data, "_read_runs_sql", changed_tables)
    monkeypatch.setattr(data, "_read_histories_sql", changed_tables)
    fallback = data.RunStore(runs_store.tracking_uri)
    with caplog.at_level("WARNING", logger=data.__name__):
        slow_runs = fallback.runs().set_index("run_id").sort_index()
        slow_history = fallback.histories(ids, "val/loss")
    assert "reading MLflow's tables directly failed (AttributeError" in caplog.text
    columns = [c for c in fast_runs.columns if c.startswith(("params.", "metrics.")) or c == "status"]
    pd.testing.assert_frame_equal(slow_runs[columns], fast_runs[columns], check_dtype=False)
    pd.testing.assert_frame_equal(slow_history, fast_history, check_dtype=False)
    assert len(fast_history) > 0


def test_a_gradient_flow_with_non_finite_norms_is_read_with_nan(store: str) -> None:
    import json
    import math

    from mlflow import MlflowClient

    from seqlab_dashboard.data import RunStore

    client = MlflowClient(store)
    experiment = client.create_experiment("flows")
    run_id = client.create_run(experiment).info.run_id
    content = {"positions": [0, 1], "steps": [0, 5], "norms": [[0.5, 1.0], [None, 2.0]]}
    client.log_text(run_id, json.dumps(content), record.GRADIENT_FLOW_ARTIFACT)
    client.set_terminated(run_id)
    flow = RunStore(store).gradient_flows([run_id])[run_id]
    assert flow.values[0] == [0.5, 1.0] and math.isnan(flow.values[1][0]) and flow.values[1][1] == 2.0


def test_threads_reading_histories_at_once_agree_and_the_caches_stay_bounded(real_store: str) -> None:
    """Under ``gunicorn --threads``: many requests hit one RunStore at once."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    import pandas as pd

    from seqlab_dashboard.data import RunStore

    reference = RunStore(real_store)
    run_ids = list(reference.runs()["run_id"])
    metrics = [record.TRAIN_LOSS, "val/loss", "val/mse", record.GRAD_NORM]
    expected = {m: reference.histories(run_ids, m).set_index(["run_id", "step"]).sort_index() for m in metrics}
    shared = RunStore(real_store, history_cache=5, artifact_cache=2)

    def request(seed: int) -> list[str]:
        rng = random.Random(seed)
        wrong = []
        for _ in range(15):
            metric, chosen = rng.choice(metrics), rng.sample(run_ids, rng.randint(1, len(run_ids)))
            got = shared.histories(chosen, metric).set_index(["run_id", "step"]).sort_index()
            want = expected[metric][expected[metric].index.get_level_values("run_id").isin(chosen)]
            try:
                if len(got) or len(want):
                    pd.testing.assert_frame_equal(got, want, check_dtype=False)
            except AssertionError as exc:
                wrong.append(str(exc))
            flows = shared.gradient_flows(chosen)
            if not set(flows) <= set(chosen):
                wrong.append("gradient flows of runs that were not asked for")
        return wrong

    with ThreadPoolExecutor(max_workers=8) as pool:
        problems = [p for found in pool.map(request, range(8)) for p in found]
    assert not problems
    sizes = shared.cache_sizes()
    assert sizes["histories"] <= 5 and sizes["by_position"] <= 2


def test_a_spike_survives_downsampling() -> None:
    from seqlab_dashboard.data import downsample

    values = np.sin(np.linspace(0, 6, 10_000))
    values[4321], values[7777] = 50.0, -40.0
    values[100] = np.nan
    keep = downsample(values, 200)
    assert len(keep) <= 200 and keep[0] == 0 and keep[-1] == len(values) - 1
    assert 4321 in keep and 7777 in keep and 100 not in keep
    assert np.nanmax(values[keep]) == 50.0 and np.nanmin(values[keep]) == -40.0
    assert downsample(values[:50], 200).tolist() == list(range(50))


def test_the_fallback_never_sets_mlflows_process_wide_uri(
    runs_store, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    import mlflow

    from seqlab_dashboard import data

    def refuse(*args: object) -> None:
        raise AssertionError("the dashboard changed MLflow's process-wide tracking URI")

    monkeypatch.setattr(data, "_read_runs_sql", lambda *args: None)
    monkeypatch.setattr(mlflow, "set_tracking_uri", refuse)
    runs = data.RunStore(runs_store.tracking_uri).runs()
    assert len(runs) == len(GRID) + 2 and runs["params.model.hidden_size"].dtype.kind in "if"


def test_a_reader_never_creates_a_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seqlab_dashboard.data import StoreNotFound, open_store

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(StoreNotFound, match="no MLflow store at .*mlruns/mlflow.db"):
        open_store()
    typo = tmp_path / "stroe" / "mlflow.db"
    with pytest.raises(StoreNotFound, match=f"no SQLite database at {typo}"):
        open_store(f"sqlite:///{typo}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreNotFound, match="missing or empty"):
        open_store(str(tmp_path / "empty"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]
    assert not any((tmp_path / "empty").iterdir())


def test_seqlab_dash_without_a_store_says_so_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess

    from conftest import SEQLAB

    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    done = subprocess.run([SEQLAB, "dash"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("error: no MLflow store at ")
    assert not (tmp_path / "mlruns").exists()


def test_stability_aligns_groups_by_run_id_in_natural_order(runs_store) -> None:  # type: ignore[no-untyped-def]
    from seqlab_dashboard.pages.stability import draw_stability

    runs = runs_store.runs()
    ended = runs[runs["status"].isin(["FINISHED", "FAILED"])]
    figures = draw_stability(None, None, None, ["task.length"], "std", "val/loss")
    boxes = [t for t in as_sent(figures[3])["data"] if t["type"] == "box"]
    assert [t["name"] for t in boxes] == ["length=4", "length=8"]  # the crashed run has no val/loss
    for box in boxes:
        length = int(box["name"].split("=")[1])
        members = ended[(ended["params.task.length"] == length)]["metrics.val/loss"].dropna()
        assert sorted(box["y"]) == pytest.approx(sorted(members))
    assert list(figures[2].layout.yaxis.categoryarray) == ["length=100", "length=8", "length=4"]


def test_a_loss_spike_survives_into_the_curves_figure(store: str) -> None:
    """A run logged at 5,000 steps with one spike: the figure, at most 1,000 points a run, keeps it."""
    import time

    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    from seqlab_dashboard import data
    from seqlab_dashboard.pages.curves import draw_curves

    client = MlflowClient(store)
    run_id = client.create_run(client.create_experiment("spike")).info.run_id
    now = int(time.time() * 1000)
    values = [1.0 / (1 + step / 100) for step in range(5000)]
    values[3217] = 40.0
    for start in range(0, 5000, 1000):
        client.log_batch(run_id, params=[Param("model", "lstm")] if start == 0 else [], metrics=[
            Metric(record.TRAIN_LOSS, values[s], now + s, s) for s in range(start, start + 1000)])
    client.set_terminated(run_id)
    data._stores.pop(store, None)
    history = data.open_store(store).histories([run_id], record.TRAIN_LOSS)
    assert len(history) <= 1000 and history["value"].max() == 40.0
    figure, _ = draw_curves(None, None, None, [], record.TRAIN_LOSS, "step", "mean", "none", 0, [])
    center = [t for t in as_sent(figure)["data"] if t["name"] == "all runs (n=1)"][0]
    assert max(center["y"]) == 40.0 and 3217 in center["x"]


@pytest.mark.parametrize("left_open", [False, True], ids=["closed-cleanly", "wal-left-by-a-writer"])
def test_a_wal_store_on_read_only_media_is_read(
    real_store: str, tmp_path: Path, left_open: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write-ahead-log store needs its -shm and -wal files: on a read-only mount it is opened
    read-only (what a writer left in the -wal is read too), every run is there, and nothing is
    created in the working directory."""
    import shutil
    import sqlite3

    from conftest import read_only_mount

    from seqlab_dashboard.data import RunStore

    folder = tmp_path / "media"
    folder.mkdir()
    copy_store(Path(real_store.removeprefix("sqlite:///")), tmp_path / "writer.db")
    writer = sqlite3.connect(tmp_path / "writer.db")
    writer.execute("PRAGMA journal_mode=WAL")
    if left_open:  # a sweep still writing when the store was copied: the last run is only in the -wal
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE runs SET name = 'only in the wal'")
        writer.commit()
        for suffix in ("", "-wal", "-shm"):
            shutil.copy(tmp_path / f"writer.db{suffix}", folder / f"mlflow.db{suffix}")
    writer.close()
    if not left_open:
        shutil.copy(tmp_path / "writer.db", folder / "mlflow.db")
    elsewhere = tmp_path / "working"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with read_only_mount(folder) as media:
        store = RunStore(f"sqlite:///{media / 'mlflow.db'}")
        assert store.tracking_uri.startswith(f"sqlite+pysqlite:///file:{media / 'mlflow.db'}?mode=ro")
        runs = store.runs()
        assert len(runs) == len(GRID) + 2
        history = store.histories(list(runs["run_id"]), record.TRAIN_LOSS)
        assert set(history["run_id"]) >= set(finished(runs)["run_id"])
        assert store.gradient_flows(finished(runs)["run_id"])
        if left_open:
            assert {run.info.run_name for run in store.client().search_runs(runs["experiment_id"].unique().tolist())} == {"only in the wal"}
        assert sorted(p.name for p in media.iterdir()) == sorted(p.name for p in folder.iterdir())
    assert list(elsewhere.iterdir()) == []


def test_a_history_reads_nan_and_infinity_as_mlflows_client_does(store: str) -> None:
    """MLflow's tables keep NaN as 0 with a flag: the fast read must give NaN back, not 0."""
    import math
    import time

    from mlflow import MlflowClient
    from mlflow.entities import Metric

    from seqlab_dashboard import data

    client = MlflowClient(store)
    experiment = client.create_experiment("non-finite")
    run_ids = [client.create_run(experiment).info.run_id for _ in range(2)]
    now = int(time.time() * 1000)
    values = [1.0, math.nan, math.inf, -math.inf, 0.5]
    client.log_batch(run_ids[0], metrics=[Metric(record.TRAIN_LOSS, v, now + s, s) for s, v in enumerate(values)])
    client.log_batch(run_ids[1], metrics=[Metric(record.TRAIN_LOSS, 2.0, now, 0)])
    for run_id in run_ids:
        client.set_terminated(run_id)
    data._stores.pop(store, None)
    history = data.open_store(store).histories(run_ids, record.TRAIN_LOSS)
    for run_id in run_ids:
        read = history[history["run_id"] == run_id]
        reference = client.get_metric_history(run_id, record.TRAIN_LOSS)
        assert read["step"].tolist() == [m.step for m in reference]
        np.testing.assert_array_equal(read["value"].to_numpy(), [m.value for m in reference])
    assert np.isnan(history["value"]).sum() == 1


@pytest.mark.parametrize("asked", [2, 12])
def test_histories_of_a_few_or_all_runs_equal_mlflows_client(store: str, asked: int) -> None:
    """Both ways the fast read takes on SQLite (the run index for a few of the store's runs,
    the metric's primary-key range for most) give each run's history as MLflow's client does:
    the last value of a step logged twice, NaN where MLflow flags it, runs without it left out."""
    import math
    import time

    from mlflow import MlflowClient
    from mlflow.entities import Metric

    from seqlab_dashboard import data

    client = MlflowClient(store)
    experiment = client.create_experiment("many runs")
    run_ids = [client.create_run(experiment).info.run_id for _ in range(12)]
    now = int(time.time() * 1000)
    for number, run_id in enumerate(run_ids[:-1]):
        points = [Metric(record.TRAIN_LOSS, number + 1 / (s + 1), now + s, s) for s in range(30)]
        points += [Metric(record.TRAIN_LOSS, -1.0 * number, now + 100, 5), Metric(record.TRAIN_LOSS, math.nan, now, 31)]
        points += [Metric("val/loss", 7.0, now + s, s) for s in range(30)]
        client.log_batch(run_id, metrics=points)
    for run_id in run_ids:
        client.set_terminated(run_id)
    data._stores.pop(store, None)
    wanted = run_ids[-asked:]
    history = data.open_store(store).histories(wanted, record.TRAIN_LOSS)
    assert sorted(set(history["run_id"])) == sorted(wanted[:-1])  # the last run logged no train/loss
    for run_id in wanted[:-1]:
        read = history[history["run_id"] == run_id]
        reference = {}
        for m in sorted(client.get_metric_history(run_id, record.TRAIN_LOSS), key=lambda m: (m.step, m.timestamp)):
            reference[m.step] = m.value
        assert read["step"].tolist() == list(reference)
        np.testing.assert_array_equal(read["value"].to_numpy(), list(reference.values()))


def test_log_axis_labels_cannot_be_misread() -> None:
    """Powers of ten across decades; full numbers within one; 1, 2 and 5 of each decade for a
    lone value, which plotly pads to two decades (every digit of both labelled overlapped)."""
    from seqlab_dashboard.figures import log_axis

    assert log_axis([0.004, 0.09])["exponentformat"] == "power"
    assert log_axis([3600, 17000]) == {"type": "log", "tickformat": ",.3~r"}
    assert log_axis([4000.0, 4000.0, None, float("nan")])["dtick"] == "D2"


def test_a_log_axis_is_chosen_over_the_member_runs_it_draws_too() -> None:
    """Centers within a decade, member runs over two: the axis is labelled in powers of ten
    (chosen over the centers alone, its every digit was labelled across plotly's wider range)."""
    import pandas as pd

    from seqlab_dashboard.figures import curve_figure

    groups = pd.DataFrame({"group": ["a", "a"], "x": [0.0, 1.0], "center": [0.3, 0.9], "lower": [0.2, 0.8],
                           "upper": [0.4, 1.0], "n": [2, 2]})
    members = pd.DataFrame({"run_id": ["r1", "r1", "r2", "r2"], "group": ["a"] * 4, "x": [0.0, 1.0, 0.0, 1.0],
                            "value": [0.01, 0.5, 2.0, 1.3]})
    drawn = as_sent(curve_figure(members, groups, "stab/grad_norm", "step", "std", True, False, True, {"a": "#1f77b4"}))
    assert drawn["layout"]["yaxis"]["exponentformat"] == "power"
    alone = as_sent(curve_figure(members, groups, "stab/grad_norm", "step", "std", False, False, True, {"a": "#1f77b4"}))
    assert "exponentformat" not in alone["layout"]["yaxis"]


def test_an_empty_figures_message_is_wrapped_to_fit_its_card() -> None:
    from seqlab_dashboard.figures import EMPTY_LINE, empty_figure

    message = "1,000 finished runs in scope: the by-position records are read per run, so select at most 500 " * 2
    lines = empty_figure(message).layout.annotations[0].text.split("<br>")
    assert len(lines) > 2 and max(len(line) for line in lines) <= EMPTY_LINE
    assert " ".join(lines) == message.strip()


def test_center_lines_are_drawn_above_every_groups_member_runs() -> None:
    """Above MEMBER_LIMIT members the member lines are WebGL, which the browser draws above SVG
    traces: the centers are WebGL too and come after every group's members and bands."""
    import pandas as pd

    from seqlab_dashboard.figures import MEMBER_LIMIT, curve_figure

    runs = [f"r{i}" for i in range(MEMBER_LIMIT + 1)]
    members = pd.DataFrame({"run_id": [r for r in runs for _ in (0, 1)],
                            "group": [f"g{i % 2}" for i in range(len(runs)) for _ in (0, 1)],
                            "x": [0.0, 1.0] * len(runs), "value": [1.0, 0.5] * len(runs)})
    groups = pd.DataFrame({"group": ["g0", "g0", "g1", "g1"], "x": [0.0, 1.0] * 2, "center": [1.0, 0.5] * 2,
                           "lower": [0.9, 0.4] * 2, "upper": [1.1, 0.6] * 2, "n": [101, 101, 100, 100]})
    drawn = as_sent(curve_figure(members, groups, "train/loss", "step", "std", True, False, False,
                                 {"g0": "#1f77b4", "g1": "#d62728"}))["data"]
    kinds = [t["name"].rsplit(" ", 1)[-1] for t in drawn]
    assert kinds == ["band", "band", "members", "members", "(n=101)", "(n=100)"]
    assert {t["type"] for t in drawn} == {"scattergl"}
