"""The Ray executor: a sweep on a local Ray instance recording to a real ``mlflow server``."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from conftest import TINY_RUN
from seqlab.store import record
from seqlab.registry.components import build_registry
from seqlab.sweep.launch import SweepError, run_sweep
from seqlab.sweep.suite import Suite, expand

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")

TINY_BASE = dict(item.split("=", 1) for item in TINY_RUN)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path: Path) -> Iterator[str]:
    """A real ``mlflow server`` on 127.0.0.1 with its own SQLite backend; yields its URL."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlflow")), "server",
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--default-artifact-root", str(tmp_path / "artifacts"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_healthy(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"mlflow server at {url} did not answer /health in {timeout} s")


@pytest.fixture
def local_ray() -> Iterator[None]:
    """A local Ray instance whose state lives in its own temporary folder, removed after.

    The folder is short (under /tmp) because Ray puts Unix sockets in it.
    """
    with tempfile.TemporaryDirectory(prefix="ray-") as folder:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=folder)
        try:
            yield
        finally:
            ray.shutdown()


def test_ray_sweep_records_to_a_tracking_server(
    mlflow_server: str, local_ray: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    monkeypatch.chdir(tmp_path)
    wait_healthy(mlflow_server)
    suite = Suite(name="on-ray", base=TINY_BASE, grid={"seed": [0, 1]})
    plan = expand(suite, build_registry())
    report = run_sweep(plan, executor="ray", console=Console(file=io.StringIO()))
    assert report.exit_code == 0, [result.reason for result in report.results]
    assert report.count("FINISHED") == 2

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server)
    experiment = client.get_experiment_by_name("on-ray")
    runs = client.search_runs([experiment.experiment_id])
    assert sorted(run.data.params["seed"] for run in runs) == ["0", "1"]
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert {run.data.tags[record.TAG_SWEEP] for run in runs} == {"on-ray"}
    assert not (tmp_path / "mlruns").exists()  # nothing went to a local store

    again = run_sweep(plan, executor="ray", console=Console(file=io.StringIO()))
    assert len(again.already_finished) == 2 and again.results == []


def test_a_cluster_needs_a_shared_tracking_server(store: str) -> None:
    plan = expand(Suite(name="s", base=TINY_BASE), build_registry())
    with pytest.raises(SweepError, match="MLFLOW_TRACKING_URI=http"):
        run_sweep(plan, executor="ray", address="ray://head:10001")
