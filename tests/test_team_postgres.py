"""A team's setup, for real (docs/sweeps.md): PostgreSQL behind ``mlflow server`` with proxied
artifacts, a local and a Ray sweep recording to it, ``seqlab evidence`` and the dashboard reading
it over HTTP, and the dashboard's direct SQL reader against PostgreSQL itself.

PostgreSQL is Debian's ``postgresql`` package (``.ci/run`` installs it); the test starts its own
throwaway cluster in a temporary folder, listening on 127.0.0.1 only, as the ``postgres`` user
when run as root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import io
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from conftest import SEQLAB, TINY_RUN
from seqlab.registry.components import build_registry
from seqlab.store import record
from seqlab.sweep.launch import run_sweep
from seqlab.sweep.suite import expand, load_suite
from test_dashboard_browser import CHROMEDRIVER, CHROMIUM, browser, settled  # noqa: F401
from test_mlflow_server import free_port

INITDB = shutil.which("initdb") or max(glob.glob("/usr/lib/postgresql/*/bin/initdb"), default="")
pytestmark = pytest.mark.skipif(
    not INITDB, reason="needs Debian's postgresql package (.ci/run installs it)")

TINY_BASE = dict(item.split("=", 1) for item in TINY_RUN)
RUNS = 6
"""Runs in each sweep, 12 in all to one server: two writers at a time meet on every one."""


def as_cluster_owner() -> list[str]:
    """The command prefix that runs PostgreSQL's programs: ``runuser -u postgres --`` as root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 with an empty database; yields its URI."""
    bindir = Path(INITDB).resolve().parent  # createdb, pg_ctl beside it
    folder = Path(tempfile.mkdtemp(prefix="seqlab-postgres-"))  # not under root's private tmp
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, port = folder / "data", free_port()
    owner_runs = as_cluster_owner()
    subprocess.run([*owner_runs, str(bindir / "initdb"), "-D", str(data), "-U", "seqlab",
                    "--auth", "trust", "--no-sync"], check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder}"
    subprocess.run([*owner_runs, str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                    "-l", str(folder / "log"), "-w", "start"], check=True, capture_output=True)
    try:
        subprocess.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                        "-U", "seqlab", "mlflow"], check=True, capture_output=True)
        yield f"postgresql://seqlab@127.0.0.1:{port}/mlflow"
    finally:
        subprocess.run([*owner_runs, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                        "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def team_server(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mlflow server`` on that database, proxying artifacts to a folder; yields its URL."""
    folder = tmp_path_factory.mktemp("team-server")
    port = free_port()
    with open(folder / "server.log", "wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("mlflow")), "server", "--backend-store-uri",
             postgres, "--artifacts-destination", str(folder / "artifacts"),
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/health", process, folder / "server.log")
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a server and the workers it forked: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path | None = None,
             timeout: float = 240) -> None:
    """Wait until ``url`` answers, failing (with the end of ``log``) if ``process`` exits or
    ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                said = log.read_text(errors="replace")[-3000:] if log else ""
                pytest.fail(f"{url} did not answer\n{said}")
            time.sleep(0.5)


def check_recorded(server: str, name: str, tmp_path: Path) -> None:
    """Every run launched is recorded FINISHED, with its spec downloadable through the server."""
    from mlflow import MlflowClient

    client = MlflowClient(server)
    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == RUNS
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert {run.data.tags[record.TAG_SWEEP] for run in runs} == {name}
    assert sorted((run.data.params["model"], run.data.params["seed"]) for run in runs) == [
        (model, str(seed)) for model in ("gru", "lstm") for seed in range(3)]
    assert all(run.info.artifact_uri.startswith("mlflow-artifacts:") for run in runs)
    for run in runs:
        spec = client.download_artifacts(run.info.run_id, "spec.yaml", str(tmp_path))
        assert yaml.safe_load(Path(spec).read_text())["seed"] == int(run.data.params["seed"])


def suite_file(folder: Path, name: str) -> Path:
    """A suite of ``RUNS`` tiny runs (lstm and gru, three seeds) with one hypothesis to judge."""
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "name": name, "base": TINY_BASE, "grid": {"model": ["lstm", "gru"], "seed": [0, 1, 2]},
        "evidence": [{"claim": "C6", "statement": "lstm and gru differ on a tiny adding problem",
                      "kind": "compare", "metric": "val/mse", "a": {"model": "lstm"},
                      "b": {"model": "gru"}, "better": "lower"}],
    }))
    return path


def sweep_of(folder: Path, name: str) -> Any:
    return expand(load_suite(suite_file(folder, name)), build_registry())


def test_a_two_worker_sweep_records_to_the_team_server_and_evidence_reads_it(
    team_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", team_server)
    monkeypatch.chdir(tmp_path)
    report = run_sweep(sweep_of(tmp_path, "team-local"), workers=2,
                       console=Console(file=io.StringIO()))
    assert report.exit_code == 0
    check_recorded(team_server, "team-local", tmp_path)
    assert not (tmp_path / "mlruns").exists()
    judged = subprocess.run([SEQLAB, "evidence", str(tmp_path / "team-local.yaml"), "--json"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env={**os.environ, "MLFLOW_TRACKING_URI": team_server})
    assert judged.returncode == 0, judged.stderr
    (verdict,) = json.loads(judged.stdout)
    assert verdict["claim"] == "C6" and (verdict["n_a"], verdict["n_b"]) == (3, 3)
    assert len(verdict["run_ids"]) == RUNS


def test_a_ray_sweep_records_to_the_team_server(
    team_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", team_server)
    monkeypatch.chdir(tmp_path)
    with tempfile.TemporaryDirectory(prefix="ray-") as folder:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=folder)
        try:
            report = run_sweep(sweep_of(tmp_path, "team-ray"), executor="ray",
                               console=Console(file=io.StringIO()))
        finally:
            ray.shutdown()
    assert report.exit_code == 0
    check_recorded(team_server, "team-ray", tmp_path)


def read_both(uri: str) -> tuple[Any, Any]:
    """The runs of every experiment at ``uri``: by the SQL reader, and by MLflow's client."""
    import mlflow

    from seqlab_dashboard.data import _read_runs_sql

    client = mlflow.MlflowClient(uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    fast = _read_runs_sql(client, experiments)
    mlflow.set_tracking_uri(uri)
    reference = mlflow.search_runs(experiment_ids=experiments, output_format="pandas")
    return fast, reference.set_index("run_id").sort_index()


def test_the_sql_reader_on_postgres_equals_mlflows_client(
    postgres: str, team_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    from seqlab_dashboard.data import RunStore

    monkeypatch.setenv("MLFLOW_TRACKING_URI", postgres)
    fast, reference = read_both(postgres)
    assert fast is not None  # PostgreSQL is a SQL store: the fast path ran, no fallback
    fast = fast.set_index("run_id").sort_index()
    assert len(reference) >= RUNS
    assert set(fast.columns) == set(reference.columns)
    pd.testing.assert_frame_equal(fast[reference.columns], reference, check_dtype=False)
    over_http = RunStore(team_server).runs().set_index("run_id").sort_index()
    direct = RunStore(postgres).runs().set_index("run_id").sort_index()
    columns = [c for c in direct.columns if c.startswith(("params.", "metrics.")) or c == "status"]
    pd.testing.assert_frame_equal(over_http[columns], direct[columns], check_dtype=False)


@pytest.mark.skipif(not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists(),
                    reason="needs the Debian packages chromium and chromium-driver")
def test_seqlab_dash_reads_the_team_server_over_http(
    team_server: str, browser: Any, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(team_server)
    recorded = len(client.search_runs([e.experiment_id for e in client.search_experiments()]))
    assert recorded >= RUNS
    port = free_port()
    dash = subprocess.Popen(
        [SEQLAB, "dash", "--port", str(port)], cwd=tmp_path,
        env={**os.environ, "MLFLOW_TRACKING_URI": team_server},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url, dash)
        browser.get(f"{url}/runs")
        settled(browser)
        shown = browser.find_element("id", "runs-count").text
        assert shown.startswith(f"{recorded} runs shown"), shown
    finally:
        stop(dash)
