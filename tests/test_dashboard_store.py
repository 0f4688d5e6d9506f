"""A small MLflow store of real runs for the dashboard tests (no tests here), built once per session.

Runs come from the real runner (``seqlab.run.runner.train``): LSTMs of two sizes on the adding
task at two lengths and two seeds, a run whose strategy crashes (FAILED) and one left RUNNING.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import ModuleType

import pytest

from seqlab import hookimpl

from seqlab.store import record

from conftest import copy_store

TINY = ["trainer.max_steps=6", "trainer.batch_size=4", "trainer.val_every=3",
        "trainer.val_size=8", "trainer.log_every=1"]
GRID = [(hidden, length, seed) for hidden in (4, 8) for length in (4, 8) for seed in (0, 1)]
EXPERIMENT = "dashboard-test"


def crashing_strategy_plugin() -> ModuleType:
    """A throwaway plugin whose ``crash`` strategy raises in its third training step."""
    module = ModuleType("dashboard_test_crash")

    @hookimpl
    def register_strategies(register):  # type: ignore[no-untyped-def]
        from seqlab.api.params import NoParams

        def build_crash(params, parts):  # type: ignore[no-untyped-def]
            from seqlab.api.strategy import SequenceSystem

            class Crash(SequenceSystem):
                def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
                    if self.global_step >= 2:
                        raise FloatingPointError("loss became NaN")
                    return self.task.loss(self.predict(batch), batch)

            return Crash(parts)

        register("crash", build_crash, NoParams)

    module.register_strategies = register_strategies  # type: ignore[attr-defined]
    return module


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URI of the shared store of real runs (built once per session)."""
    return build_store(tmp_path_factory.getbasetemp() / "dashboard-store")


def build_store(folder: Path) -> str:
    """Train the runs into a SQLite store under ``folder`` (reused if already built); its URI."""
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    done = folder / "complete"
    if done.exists():
        return uri
    folder.mkdir(parents=True, exist_ok=True)
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    try:
        from seqlab.store.tracking import open_client

        open_client().search_experiments()  # creates the database: keep a copy as the empty store
        copy_store(folder / "mlflow.db", folder / "empty.db")
        _train_runs()
    finally:
        if previous is None:
            os.environ.pop("MLFLOW_TRACKING_URI")
        else:
            os.environ["MLFLOW_TRACKING_URI"] = previous
    done.touch()
    return uri


def empty_store(folder: Path) -> str:
    """The URI of an empty store beside the one :func:`build_store` built in ``folder``."""
    return f"sqlite:///{folder / 'empty.db'}"


def _train_runs() -> None:
    from conftest import registered_plugin

    from seqlab.registry.components import build_registry
    from seqlab.run.runner import RunError, train
    from seqlab.spec import load_spec
    from seqlab.store.tracking import ensure_experiment, open_client

    registry = build_registry()
    client = open_client()
    for hidden, length, seed in GRID:
        spec = load_spec([*TINY, f"model.hidden_size={hidden}", f"task.length={length}", f"seed={seed}"],
                         None, registry)
        train(spec, registry, experiment=EXPERIMENT, progress=False)
    with registered_plugin(crashing_strategy_plugin()):
        crash_registry = build_registry()
        spec = load_spec([*TINY, "strategy=crash", "model.hidden_size=4"], None, crash_registry)
        try:
            train(spec, crash_registry, experiment=EXPERIMENT, progress=False)
        except RunError:
            pass
    experiment_id = ensure_experiment(client, EXPERIMENT)
    running = client.create_run(experiment_id, run_name="lstm-adding-bptt-live",
                                tags={record.TAG_RUN_NAME: "lstm-adding-bptt-live"})
    from mlflow.entities import Metric, Param

    now = int(time.time() * 1000)
    client.log_batch(running.info.run_id, params=[Param("model", "lstm"), Param("task", "adding"),
                                                  Param("strategy", "bptt"), Param("task.length", "8")],
                     metrics=[Metric(record.TRAIN_LOSS, 1.0 / (step + 1), now + step, step) for step in range(3)])
