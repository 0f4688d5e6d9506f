"""A sweep's store operations made by its launcher for its workers (seqlab.store.relay): through
a real socket, on a real MLflow store read back with MLflow's own client, with a launcher killed
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
from seqlab.store.relay import RelayedClient, RelayError, StoreRelay, relayable
from seqlab.store.status import RunStatus
from seqlab.store.operations import RunStartError, create_run, end_run, log_values
from seqlab.store.tracking import ensure_experiment, open_store
from seqlab.store.unsent import disk_full
from seqlab.sweep.spec_locks import finished_meanwhile


def never_directly() -> Any:
    raise AssertionError("the worker opened the store itself while its launcher was there")


def a_run(client: Any, experiment_id: str) -> str:
    """Create, fill and end one run through ``client``, with the operations a run makes."""
    run_id = create_run(client, experiment_id, "relayed-run", {record.TAG_SWEEP: "relayed"},
                        {"model": "lstm"}, {record.SPEC_ARTIFACT: "model: lstm\n"})
    log_values(client, run_id, [("val/loss", 0.5, 1000, 1)], None, {"profile.json": "[1]"})
    end_run(client, run_id, RunStatus.FINISHED, None, {"ended": "yes"}, [("val/loss", 0.25, 2000, 5)])
    return run_id


def test_a_workers_operations_are_made_by_the_launchers_client_and_land_in_the_store(
    store: str,
) -> None:
    from mlflow import MlflowClient

    launcher = open_store()
    experiment_id = ensure_experiment(launcher, "relayed")
    with StoreRelay(launcher) as relay:
        worker = RelayedClient(relay.address, never_directly)
        run_id = a_run(worker, experiment_id)
        assert worker.relayed
        assert finished_meanwhile(worker, experiment_id, "no such spec") is False
    client = MlflowClient(store)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "relayed-run"
    assert run.data.params == {"model": "lstm"} and run.data.metrics == {"val/loss": 0.25}
    assert [m.step for m in client.get_metric_history(run_id, "val/loss")] == [1, 5]
    assert run.data.tags[record.TAG_SWEEP] == "relayed" and run.data.tags["ended"] == "yes"
    assert Path(client.download_artifacts(run_id, record.SPEC_ARTIFACT)).read_text() == "model: lstm\n"
    assert json.loads(Path(client.download_artifacts(run_id, "profile.json")).read_text()) == [1]


def test_a_relay_makes_only_relayable_operations(store: str) -> None:
    from multiprocessing.connection import Client

    with StoreRelay(open_store()) as relay:
        with Client(relay.address[0], authkey=relay.address[1]) as connection:
            connection.send(("os:system", ("touch relayed-anything",), {}))
            made, (error, _) = connection.recv()
    assert not made and isinstance(error, RelayError)
    assert "os:system is not an operation the store relay makes" in str(error)
    assert not Path("relayed-anything").exists()


class FailingClient:
    """Stands for a launcher's client whose store is full."""

    def log_batch(self, run_id: str, **values: Any) -> None:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as full:
            raise RuntimeError("the write failed") from full


class FullAfterCreating(FailingClient):
    """Creates runs in a real store, then finds its disk full."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def create_run(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.create_run(*args, **kwargs)


@relayable()
def raise_what_cannot_travel(client: Any) -> None:
    """An operation whose error pickle cannot find again."""

    class Local(Exception):
        pass

    raise Local("an error that cannot travel")


def test_what_the_launchers_store_raises_is_raised_in_the_worker_with_its_causes(store: str) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    with StoreRelay(open_store()) as relay:
        worker = RelayedClient(relay.address, never_directly)
        with pytest.raises(MlflowException, match="not found|does not exist"):
            log_values(worker, "0123456789abcdef0123456789abcdef", [("x", 1.0, 0, 0)])
    with StoreRelay(FailingClient()) as relay:  # type: ignore[arg-type]
        worker = RelayedClient(relay.address, never_directly)
        with pytest.raises(RuntimeError, match="the write failed") as full:
            log_values(worker, "run", [("x", 1.0, 0, 0)])
        assert disk_full(full.value)  # the cause, ENOSPC, came along in words
        with pytest.raises(RelayError, match="Local: an error that cannot travel"):
            raise_what_cannot_travel(worker)
        assert worker.relayed  # the connection still answers operations in order
    experiment_id = ensure_experiment(open_store(), "full")
    with StoreRelay(FullAfterCreating(open_store())) as relay:  # type: ignore[arg-type]
        worker = RelayedClient(relay.address, never_directly)
        with pytest.raises(RunStartError) as started:  # created, but not started
            create_run(worker, experiment_id, "full", {}, {"model": "lstm"}, {})
    assert disk_full(started.value)
    (created,) = MlflowClient(store).search_runs([experiment_id])
    assert started.value.run_id == created.info.run_id  # the worker can close it


LAUNCHER = """
import json, os, sys, time
from seqlab.store.relay import StoreRelay
from seqlab.store.tracking import open_store

class DiesCreatingARun:
    def __init__(self, client):
        self.client = client
    def __getattr__(self, name):
        if name == "create_run":
            os._exit(9)  # killed in the middle of the operation
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

    experiment_id = ensure_experiment(open_store(), "orphaned")
    process, address = launcher()
    worker = RelayedClient(address, open_store)
    run_id = create_run(worker, experiment_id, "orphan", {}, {}, {})
    assert worker.relayed
    process.send_signal(signal.SIGKILL)
    process.wait()
    end_run(worker, run_id, RunStatus.FINISHED, values=[("val/loss", 0.5, 1000, 1)])
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
    assert finished_meanwhile(worker, experiment_id, "a spec") is False
    assert worker.relayed
    with pytest.raises((EOFError, OSError)):
        create_run(worker, experiment_id, "orphan", {}, {}, {})
    assert MlflowClient(store).search_runs([experiment_id]) == []
    assert finished_meanwhile(worker, experiment_id, "a spec") is False  # made directly
    assert not worker.relayed


def test_a_relay_takes_no_caller_without_its_key(store: str) -> None:
    from multiprocessing import AuthenticationError

    experiment_id = ensure_experiment(open_store(), "relayed")
    with StoreRelay(open_store()) as relay:
        stranger = RelayedClient((relay.address[0], b"not the key"), never_directly)
        with pytest.raises(AuthenticationError):
            finished_meanwhile(stranger, experiment_id, "a spec")
        worker = RelayedClient(relay.address, never_directly)
        assert finished_meanwhile(worker, experiment_id, "a spec") is False
