"""A small MLflow store of real runs for the dashboard tests (no tests here), built once per session.

Runs come from the real runner (``seqlab.runner.train``): LSTMs of two sizes on the adding
task at two lengths and two seeds, a run whose strategy crashes (FAILED) and one left RUNNING.
Metrics of the measurement contract (``ltd/*``, ``eff/*``, ``gradient_flow.json``) that this
runner does not record yet are added where missing, computed from the run's own records and
model, so the views have something true to show until the measurement plugins record them.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from types import ModuleType

import pytest

from seqlab import hookimpl, record

TINY = ["trainer.max_steps=6", "trainer.batch_size=4", "trainer.val_every=3",
        "trainer.val_size=8", "trainer.log_every=1"]
GRID = [(hidden, length, seed) for hidden in (4, 8) for length in (4, 8) for seed in (0, 1)]
EXPERIMENT = "dashboard-test"


def crashing_strategy_plugin() -> ModuleType:
    """A throwaway plugin whose ``crash`` strategy raises in its third training step."""
    module = ModuleType("dashboard_test_crash")

    @hookimpl
    def register_strategies(register):  # type: ignore[no-untyped-def]
        from seqlab.params import NoParams

        def build_crash(params, parts):  # type: ignore[no-untyped-def]
            from seqlab.system import SequenceSystem

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
        from seqlab.tracking import open_client

        open_client().search_experiments()  # creates the database: keep a copy as the empty store
        shutil.copy(folder / "mlflow.db", folder / "empty.db")
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

    from seqlab.registry import build_registry
    from seqlab.runner import RunError, train
    from seqlab.spec import load_spec
    from seqlab.tracking import ensure_experiment, open_client

    registry = build_registry()
    client = open_client()
    for hidden, length, seed in GRID:
        spec = load_spec([*TINY, f"model.hidden_size={hidden}", f"task.length={length}", f"seed={seed}"],
                         None, registry)
        outcome = train(spec, registry, experiment=EXPERIMENT, progress=False)
        _complete_contract(client, outcome.run_id, spec, registry)
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


def _complete_contract(client, run_id: str, spec, registry) -> None:  # type: ignore[no-untyped-def]
    """Record the measurement contract's metrics the runner left out, from the run itself."""
    from mlflow.entities import Metric

    run = client.get_run(run_id)
    have = run.data.metrics
    task = registry.get("task", spec.task.name).build(spec.task.params)
    model = registry.get("model", spec.model.name).build(spec.model.params, input_size=task.input_size)
    best = min(m.value for m in client.get_metric_history(run_id, f"val/{task.metric}"))
    now = int(time.time() * 1000)
    extra = {
        record.NORMALIZED_SCORE: (task.baseline - best) / (task.baseline - task.optimum),
        record.SOLVED: float(best <= task.solved_threshold if not task.higher_is_better
                             else best >= task.solved_threshold),
        record.BEST_METRIC: best,
        record.STEP_TIME: (run.info.end_time - run.info.start_time) / 1000 / spec.trainer.max_steps,
        record.PARAMETERS: float(sum(p.numel() for p in model.parameters())),
    }
    metrics = [Metric(k, v, now, spec.trainer.max_steps) for k, v in extra.items() if k not in have]
    if metrics:
        client.log_batch(run_id, metrics=metrics)
    if record.GRADIENT_FLOW_ARTIFACT not in {a.path for a in client.list_artifacts(run_id)}:
        client.log_text(run_id, json.dumps(_gradient_flow(model, task, spec.seed)), record.GRADIENT_FLOW_ARTIFACT)


def _gradient_flow(model, task, seed: int, steps: int = 4) -> dict:  # type: ignore[no-untyped-def]
    """||dloss/dx_t|| per position over a few Adam steps of ``model`` on ``task`` (real gradients)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    head = torch.nn.Linear(model.output_size, task.output_size)
    optimizer = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=0.01)
    norms = []
    for _ in range(steps):
        batch = task.sample(16, generator)
        x = batch["x"].clone().requires_grad_(True)
        outputs, _ = model(x)
        loss = task.loss(head(outputs[:, -1]), batch)
        optimizer.zero_grad()
        loss.backward()
        norms.append(x.grad.norm(dim=(0, 2)).tolist())
        optimizer.step()
    return {"positions": list(range(task.length)), "steps": list(range(steps)), "norms": norms}
