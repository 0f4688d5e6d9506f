"""An SQLite store seqlab opens logs ahead and commits without syncing; other databases don't."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy
import yaml

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


@pytest.mark.fault
def test_a_store_on_read_only_media_is_one_line_at_once(
    tmp_path: Path, empty_store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run or a sweep on a store that cannot be written is refused in one line, before any
    attempt to write (MLflow's own retries took 112 s, each said, then a traceback), and
    nothing is recorded."""
    import shutil

    from conftest import TINY_RUN, read_only_mount, run_seqlab

    folder = tmp_path / "store"
    folder.mkdir()
    shutil.copy(empty_store_file, folder / "mlflow.db")
    suite = tmp_path / "suite.yaml"
    suite.write_text(yaml.safe_dump({"name": "ro", "base": dict(item.split("=", 1) for item in TINY_RUN)}))
    with read_only_mount(folder) as media:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{media / 'mlflow.db'}")
        for args, code in ((["run", *TINY_RUN, "--no-progress"], 1), (["sweep", str(suite)], 2)):
            done = run_seqlab(*args, cwd=tmp_path)
            assert done.returncode == code, (done.stdout, done.stderr)
            assert "Traceback" not in done.stderr
            [line] = done.stderr.strip().splitlines()
            assert line.startswith("error: the store sqlite:///") and "cannot be written" in line, line
    with sqlite3.connect(folder / "mlflow.db") as store:
        assert store.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_a_finished_command_leaves_the_store_checkpointed(store: str, tmp_path: Path) -> None:
    """``seqlab`` ends without the interpreter's teardown, but still closes the store's
    connections: the log is copied into the database file and removed, so the file alone
    holds every run (what a user copying ``mlflow.db`` gets)."""
    from conftest import TINY_RUN, run_seqlab

    done = run_seqlab("run", *TINY_RUN, "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    database = tmp_path / "mlflow.db"
    assert not Path(f"{database}-wal").exists()
    with sqlite3.connect(database) as reader:
        assert reader.execute("SELECT status FROM runs").fetchall() == [("FINISHED",)]
