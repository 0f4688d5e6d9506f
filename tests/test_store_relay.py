"""A sweep's store calls made by its launcher for its workers (seqlab.store.relay): through a
real socket, on a real MLflow store read back with MLflow's own client, with a launcher killed
outright in a separate process."""

from __future__ import annotations

import errno
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seqlab.store import record
from seqlab.store.relay import RelayedClient, RelayError, StoreRelay
from seqlab.store.tracking import ensure_experiment, open_store
from seqlab.store.unsent import disk_full


def never_directly() -> Any:
    raise AssertionError("the worker opened the store itself while its launcher was there")


def a_run(client: Any, experiment_id: str) -> str:
    """Create, fill and end one run through ``client``."""
    from mlflow.entities import Metric, Param

    run_id = client.create_run(experiment_id, tags={record.TAG_SWEEP: "relayed"}).info.run_id
    client.log_batch(run_id, params=[Param("model", "lstm")],
                     metrics=[Metric("val/loss", 0.25, 1000, 5)])
    client.log_text(run_id, "model: lstm\n", record.SPEC_ARTIFACT)
    client.set_terminated(run_id, status="FINISHED")
    return run_id


def test_a_workers_calls_are_made_by_the_launchers_client_and_land_in_the_store(store: str) -> None:
    from mlflow import MlflowClient

    launcher = open_store()
    experiment_id = ensure_experiment(launcher, "relayed")
    with StoreRelay(launcher) as relay:
        worker = RelayedClient(relay.address, never_directly)
        assert worker.get_experiment_by_name("relayed").experiment_id == experiment_id
        run_id = a_run(worker, experiment_id)
        assert worker.relayed
    run = MlflowClient(store).get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"model": "lstm"} and run.data.metrics == {"val/loss": 0.25}
    assert run.data.tags[record.TAG_SWEEP] == "relayed"
    assert MlflowClient(store).download_artifacts(run_id, record.SPEC_ARTIFACT)
    with pytest.raises(AttributeError, match="delete_experiment is not a call the store relay makes"):
        worker.delete_experiment  # noqa: B018


class FailingClient:
    """Stands for a launcher's client whose store fails in the ways a worker must tell apart."""

    def log_batch(self, run_id: str, **values: Any) -> None:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as full:
            raise RuntimeError("the write failed") from full

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        class Local(Exception):  # a class pickle cannot find again
            pass

        raise Local("an error that cannot travel")


def test_what_the_launchers_store_raises_is_raised_in_the_worker_with_its_causes(store: str) -> None:
    from mlflow.exceptions import MlflowException

    with StoreRelay(open_store()) as relay:
        worker = RelayedClient(relay.address, never_directly)
        with pytest.raises(MlflowException, match="not found|does not exist"):
            worker.get_run("0123456789abcdef0123456789abcdef")
    with StoreRelay(FailingClient()) as relay:  # type: ignore[arg-type]
        worker = RelayedClient(relay.address, never_directly)
        with pytest.raises(RuntimeError, match="the write failed") as full:
            worker.log_batch("run")
        assert disk_full(full.value)  # the cause, ENOSPC, came along in words
        with pytest.raises(RelayError, match="Local: an error that cannot travel"):
            worker.set_tag("run", "key", "value")
        assert worker.relayed  # the connection still answers calls in order


LAUNCHER = """
import json, os, sys, time
from seqlab.store.relay import StoreRelay
from seqlab.store.tracking import open_store

class DiesCreatingARun:
    def __init__(self, client):
        self.client = client
    def __getattr__(self, name):
        if name == "create_run":
            os._exit(9)  # killed in the middle of the call
        return getattr(self.client, name)

client = open_store()
relay = StoreRelay(DiesCreatingARun(client) if sys.argv[1] == "dies" else client)
print(json.dumps([relay.address[0], relay.address[1].hex()]), flush=True)
time.sleep(600)
"""


@pytest.fixture
def launcher(store: str) -> Iterator[Any]:
    """Start a launcher process serving the store with a relay; yields a function that starts
    one (``dies`` kills it as it creates a run) and returns ``(process, address)``."""
    started: list[subprocess.Popen[str]] = []

    def start(kind: str = "lives") -> tuple[subprocess.Popen[str], tuple[str, bytes]]:
        process = subprocess.Popen([sys.executable, "-c", LAUNCHER, kind],
                                   stdout=subprocess.PIPE, text=True)
        started.append(process)
        path, key = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        return process, (path, bytes.fromhex(key))

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_a_worker_whose_launcher_was_killed_records_its_run_to_the_end_itself(
    store: str, launcher: Any
) -> None:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    experiment_id = ensure_experiment(open_store(), "orphaned")
    process, address = launcher()
    worker = RelayedClient(address, open_store)
    run_id = worker.create_run(experiment_id).info.run_id
    assert worker.relayed
    process.send_signal(signal.SIGKILL)
    process.wait()
    worker.log_batch(run_id, metrics=[Metric("val/loss", 0.5, 1000, 1)])
    worker.set_terminated(run_id, status="FINISHED")
    assert not worker.relayed  # the store was opened here once the launcher had gone
    run = MlflowClient(store).get_run(run_id)
    assert (run.info.status, run.data.metrics) == ("FINISHED", {"val/loss": 0.5})


def test_a_run_being_created_when_the_launcher_was_killed_is_not_created_twice(
    store: str, launcher: Any
) -> None:
    from mlflow import MlflowClient

    experiment_id = ensure_experiment(open_store(), "orphaned")
    _, address = launcher("dies")
    worker = RelayedClient(address, open_store)
    assert worker.get_experiment_by_name("orphaned").experiment_id == experiment_id
    with pytest.raises((EOFError, OSError)):
        worker.create_run(experiment_id)
    assert MlflowClient(store).search_runs([experiment_id]) == []
    assert worker.get_experiment_by_name("orphaned").experiment_id == experiment_id  # directly
    assert not worker.relayed


def test_a_relay_takes_no_caller_without_its_key(store: str) -> None:
    from multiprocessing import AuthenticationError

    with StoreRelay(open_store()) as relay:
        stranger = RelayedClient((relay.address[0], b"not the key"), never_directly)
        with pytest.raises(AuthenticationError):
            stranger.get_experiment_by_name("relayed")
        worker = RelayedClient(relay.address, never_directly)
        assert worker.get_experiment_by_name("nothing here") is None
