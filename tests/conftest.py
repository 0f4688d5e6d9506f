"""Shared fixtures: a throwaway MLflow store, the seqlab command, throwaway plugins."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def python_stop_signals() -> Iterator[None]:
    """Each test starts with Python's own Ctrl-C and SIGTERM handling, however pytest was
    started. A shell starts a background job (``make test &``, ``nohup ... &``) with SIGINT
    ignored; the in-process runs then rightly leave Ctrl-C alone (a sweep worker's way of
    leaving it to its launcher), and every subprocess inherits it ignored: both Ctrl-C tests of
    test_run_lifecycle failed in a suite started that way, and passed in a terminal. (No test
    leaves a signal changed: a hook checking both after every test found none.)"""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield


@pytest.fixture(autouse=True)
def unsent_files_kept_apart(tmp_path_factory: pytest.TempPathFactory,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Unsent-value files of a test's runs go to a folder of its own, never the user's cache
    (a failing Ctrl-C test once left 0.4 MB there, read by every later seqlab command)."""
    monkeypatch.setenv("SEQLAB_UNSENT_DIR", str(tmp_path_factory.mktemp("unsent")))


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


def as_sent(figure: Any) -> dict[str, Any]:
    """A dashboard figure (a plotly figure or a plain dict) as the browser receives it: plain
    JSON data, typed arrays decoded into lists."""
    import json

    from plotly.io.json import to_json_plotly

    from seqlab_dashboard.figures import plotted_values

    def decoded(value: Any) -> Any:
        if isinstance(value, dict):
            return list(plotted_values(value)) if "bdata" in value else {k: decoded(v) for k, v in value.items()}
        return [decoded(v) for v in value] if isinstance(value, list) else value

    return decoded(json.loads(to_json_plotly(figure)))  # type: ignore[no-any-return]


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


@contextmanager
def read_only_mount(folder: Path) -> Iterator[Path]:
    """``folder`` bind-mounted read-only beside itself, for the ``with`` block.

    A read-only mount refuses every write with EROFS, root's included (root ignores the
    permission bits a ``chmod`` would set). Skips the test where mounting is not allowed.
    """
    mount_point = folder.with_name(folder.name + "-read-only")
    mount_point.mkdir()
    bind = subprocess.run(["mount", "--bind", str(folder), str(mount_point)], capture_output=True, text=True)
    if bind.returncode != 0:
        mount_point.rmdir()
        pytest.skip(f"cannot bind-mount a folder here (needs root, as in CI): {bind.stderr.strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mount_point)], check=True, capture_output=True)
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)  # lazily: a reader may still hold the file
        mount_point.rmdir()


@contextmanager
def tiny_filesystem(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``"600k"``) mounted on ``folder`` for the ``with`` block, to fill up.

    Skips the test where mounting is not allowed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root, as in CI): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)
