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


class ServerProcess:
    """A real ``mlflow server`` on 127.0.0.1 over its own SQLite store, stoppable and
    restartable on the same port and store."""

    def __init__(self, folder: Path, store_file: Path) -> None:
        import shutil

        shutil.copy(store_file, folder / "server.db")
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", "1",
             "--backend-store-uri", f"sqlite:///{self.folder / 'server.db'}",
             "--default-artifact-root", (self.folder / "server-artifacts").as_uri()],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the server forks workers
        )
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    pytest.fail("mlflow server did not come up")
                time.sleep(0.5)

    def stop(self) -> None:
        """Stop the server and every process it forked."""
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


@pytest.fixture
def server(tmp_path: Path, empty_store_file: Path) -> Iterator[ServerProcess]:
    """A started :class:`ServerProcess`, stopped at the end."""
    process = ServerProcess(tmp_path, empty_store_file)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def mlflow_server(server: ServerProcess) -> str:
    """The address of a real mlflow server process with its own SQLite store."""
    return server.url


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


@pytest.mark.fault
def test_a_server_lost_mid_run_loses_nothing_and_the_run_is_closed_when_it_is_back(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_run_lifecycle import lstm_plugin_acting_on_third_call

    from conftest import registered_plugin
    from seqlab.run.runner import RunError
    from seqlab.store import tracking

    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    monkeypatch.setenv("SEQLAB_STORE_TIMEOUT", "6")
    monkeypatch.setenv("SEQLAB_UNSENT_DIR", str(tmp_path / "unsent"))
    for name in ("MAX_RETRIES", "BACKOFF_FACTOR", "BACKOFF_JITTER", "TIMEOUT"):
        monkeypatch.delenv(f"MLFLOW_HTTP_REQUEST_{name}", raising=False)
    tracking.bound_store_retries()  # sets MLflow's variables; monkeypatch restores them after
    for name in ("MAX_RETRIES", "BACKOFF_FACTOR", "BACKOFF_JITTER", "TIMEOUT"):
        monkeypatch.setenv(f"MLFLOW_HTTP_REQUEST_{name}", os.environ[f"MLFLOW_HTTP_REQUEST_{name}"])
    monkeypatch.chdir(tmp_path)
    with registered_plugin(lstm_plugin_acting_on_third_call("doomed", server.stop)):
        registry = build_registry()
        spec = load_spec([*TINY_RUN, "model=doomed"], None, registry)
        started = time.monotonic()
        with pytest.raises(RunError) as error:
            train(spec, registry, progress=False)
        elapsed = time.monotonic() - started
    message = str(error.value)
    assert "\n" not in message and "did not answer" in message and "kept in" in message
    assert elapsed < 90, f"gave up after {elapsed:.0f} s"
    [kept] = (tmp_path / "unsent").glob("*/*.json")
    assert str(kept) in message
    assert error.value.run_id and kept.stem == error.value.run_id

    server.start()
    client = tracking.open_client()  # what the next seqlab command against this store does
    assert not kept.exists()
    run = client.get_run(error.value.run_id)
    assert run.info.status == "FAILED"
    assert "did not take its last writes" in run.data.tags["seqlab.end_reason"]
    assert len(client.get_metric_history(run.info.run_id, "train/loss")) == 3
    assert "gradient_flow.json" in [f.path for f in client.list_artifacts(run.info.run_id)]
