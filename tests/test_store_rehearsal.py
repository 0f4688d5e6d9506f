"""A run's writes rehearsed in a transaction that is rolled back (seqlab.store.rehearsal):
the store is left exactly as it was, and the same writes afterwards are not compiled anew."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow.entities import Metric, Param, RunTag

from seqlab.store.rehearsal import rehearse_run_writes
from seqlab.store.tracking import ensure_experiment, open_client


def _everything_in(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of an SQLite database, by table."""
    connection = sqlite3.connect(database)
    try:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
                for table in tables}
    finally:
        connection.close()


def _files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*")
                  if "mlflow.db" not in path.name)


def _a_run(client: Any, experiment_id: str) -> None:
    """Write a run as seqlab's runs do: created with tags, params, metrics, ended."""
    run_id = client.create_run(experiment_id, tags={"a": "1"}, run_name="r").info.run_id
    client.log_batch(run_id, params=[Param("p", "1"), Param("q", "2")])
    client.log_batch(run_id, metrics=[Metric("m", 1.0, 1000, 0), Metric("n", 2.0, 1000, 0)])
    client.log_batch(run_id, metrics=[Metric("m", 1.5, 1010, 1)])
    client.log_batch(run_id, tags=[RunTag("end", "x")])
    client.set_terminated(run_id, status="FINISHED")


def _compiled_anew(caplog: pytest.LogCaptureFixture, action: Callable[[], None]) -> list[str]:
    """The INSERT and UPDATE statements that SQLAlchemy compiled (rather than found in its
    cache) while ``action`` ran, read from its engine log ("[generated in ...]")."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        action()
    messages = [record.getMessage() for record in caplog.records
                if record.name.startswith("sqlalchemy.engine")]
    return [statement.split("(")[0].strip() for statement, stats in zip(messages, messages[1:])
            if statement.startswith(("INSERT", "UPDATE")) and stats.startswith("[generated in")]


def test_a_rehearsal_leaves_the_store_as_it_was(store: str, tmp_path: Path) -> None:
    client = open_client()
    experiment_id = ensure_experiment(client, "kept")
    _a_run(client, experiment_id)
    database = tmp_path / "mlflow.db"
    rows, files = _everything_in(database), _files_under(tmp_path)
    assert rows["runs"] and rows["metrics"]

    rehearse_run_writes(client, experiment_id)

    assert _everything_in(database) == rows
    assert _files_under(tmp_path) == files
    assert len(client.search_runs([experiment_id])) == 1


def test_after_a_rehearsal_a_runs_writes_are_compiled_already(
    store: str, tmp_path: Path, empty_store_file: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rehearsed = open_client()
    rehearsed_experiment = ensure_experiment(rehearsed, "rehearsed")
    rehearse_run_writes(rehearsed, rehearsed_experiment)
    assert _compiled_anew(caplog, lambda: _a_run(rehearsed, rehearsed_experiment)) == []

    other = tmp_path / "other"  # a store of its own: MLflow keeps one engine per store
    other.mkdir()
    shutil.copy(empty_store_file, other / "mlflow.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{other / 'mlflow.db'}")
    plain = open_client()
    plain_experiment = ensure_experiment(plain, "plain")
    anew = _compiled_anew(caplog, lambda: _a_run(plain, plain_experiment))
    assert "INSERT INTO runs" in anew and "UPDATE runs SET" in " ".join(anew), anew


def test_a_rehearsal_that_fails_midway_leaves_the_store_as_it_was_and_usable(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MLflow rolls a failed call's session back, which ends the rehearsal's transaction:
    nothing is kept, nothing warns, and the store's own sessions commit again afterwards."""
    import warnings

    from mlflow.exceptions import MlflowException
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    client = open_client()
    experiment_id = ensure_experiment(client, "kept")
    database = tmp_path / "mlflow.db"
    rows = _everything_in(database)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise MlflowException("refused midway")

    with monkeypatch.context() as patched:
        patched.setattr(SqlAlchemyStore, "_check_run_is_active", refuse)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(MlflowException, match="refused midway"):
                rehearse_run_writes(client, experiment_id)

    assert _everything_in(database) == rows
    _a_run(client, experiment_id)
    assert len(client.search_runs([experiment_id])) == 1


def test_a_rehearsal_holds_its_writes_back_on_a_store_that_commits_every_statement(
    store: str, tmp_path: Path,
) -> None:
    """Its connection is made transactional whatever the store's engine says (an engine
    set to AUTOCOMMIT would otherwise commit every statement of the rehearsal)."""
    client = open_client()
    experiment_id = ensure_experiment(client, "kept")
    database = tmp_path / "mlflow.db"
    rows = _everything_in(database)
    sql_store = client._tracking_client.store
    engine = sql_store.engine
    sql_store.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        rehearse_run_writes(client, experiment_id)
    finally:
        sql_store.engine = engine
    assert _everything_in(database) == rows
