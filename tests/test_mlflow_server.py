"""Recording to a real `mlflow server` over HTTP, chosen with MLFLOW_TRACKING_URI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow import MlflowClient

from seqlab.registry.components import build_registry
from seqlab.run.runner import train
from seqlab.spec import load_spec

from conftest import TINY_RUN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path: Path, empty_store_file: Path) -> Iterator[str]:
    """A real mlflow server process on 127.0.0.1 with its own SQLite store."""
    import shutil

    shutil.copy(empty_store_file, tmp_path / "server.db")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--default-artifact-root", (tmp_path / "server-artifacts").as_uri()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the server forks workers
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("mlflow server did not come up")
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_runs_record_to_a_remote_server(
    mlflow_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "remote")
    monkeypatch.chdir(tmp_path)
    registry = build_registry()
    outcome = train(load_spec(TINY_RUN, None, registry), registry, progress=False)
    client = MlflowClient(mlflow_server)
    run = client.get_run(outcome.run_id)
    assert run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "remote"
    assert run.data.params["model"] == "lstm"
    assert len(client.get_metric_history(outcome.run_id, "train/loss")) == 3
    assert "spec.yaml" in [f.path for f in client.list_artifacts(outcome.run_id)]
    assert not (tmp_path / "mlruns").exists()  # nothing written to a local store
