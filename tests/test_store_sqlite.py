"""An SQLite store seqlab opens logs ahead and commits without syncing; other databases don't."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy

from seqlab.store.tracking import ensure_experiment, open_client


def _pragma(engine: sqlalchemy.engine.Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_a_store_seqlab_opens_writes_ahead_and_commits_without_syncing(
    store: str, tmp_path: Path
) -> None:
    database = tmp_path / "mlflow.db"
    with sqlite3.connect(database) as before:
        assert before.execute("PRAGMA journal_mode").fetchone() == ("delete",)

    client = open_client()
    run_id = client.create_run(ensure_experiment(client, "wal")).info.run_id
    client.set_terminated(run_id, "FINISHED")

    engine = client._tracking_client.store.engine
    assert _pragma(engine, "journal_mode") == "wal"
    assert _pragma(engine, "synchronous") == 1, "NORMAL: a commit appends to the log unsynced"
    other = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    assert _pragma(other, "synchronous") == 2, "databases seqlab did not open keep FULL"
    with sqlite3.connect(database) as reader:  # what the open connections committed is there
        status = reader.execute("SELECT status FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
    assert status == ("FINISHED",)
