"""Shared fixtures: a throwaway MLflow store, the seqlab command, throwaway plugins."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

SEQLAB = str(Path(sys.executable).with_name("seqlab"))
"""The console script installed beside this interpreter (the venv's ``seqlab``)."""

TINY_RUN = [
    "model=lstm",
    "task=adding",
    "strategy=bptt",
    "task.length=8",
    "model.hidden_size=8",
    "trainer.max_steps=6",
    "trainer.batch_size=4",
    "trainer.val_every=3",
    "trainer.val_size=8",
    "trainer.log_every=2",
]
"""A run small enough to train in well under a second."""


@pytest.fixture(scope="session")
def empty_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite database with its schema created, made once per session
    (creating the schema takes seconds; copying the file takes none)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("template") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


def copy_store(source: Path, target: Path) -> None:
    """Copy an SQLite store with SQLite's backup API: a store seqlab opened is in
    write-ahead-log mode, and what its open connections committed may still be in
    ``mlflow.db-wal`` rather than in the file itself."""
    import sqlite3

    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        copy.close()
        origin.close()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_store_file: Path) -> str:
    """An empty SQLite MLflow store in a temporary folder, used via MLFLOW_TRACKING_URI.

    The working directory moves there too, so nothing lands in the repository's mlruns/.
    MLflow's process-wide URI (which ``mlflow.set_tracking_uri`` in an earlier test may have
    set, and which outranks the variable) is pointed at it as well.
    """
    import mlflow

    shutil.copy(empty_store_file, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    return uri


def run_seqlab(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``seqlab`` command in a subprocess and capture its output."""
    return subprocess.run(
        [SEQLAB, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@contextmanager
def registered_plugin(module: ModuleType, name: str | None = None) -> Iterator[None]:
    """Register a throwaway plugin module for the duration of a ``with`` block."""
    from seqlab.registry.plugin_manager import load_plugins, pm

    load_plugins()
    pm.register(module, name=name or module.__name__)
    try:
        yield
    finally:
        pm.unregister(module)
