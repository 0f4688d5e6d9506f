"""Every model x task x strategy of the catalogue: valid ones train, refused ones are refused
before anything is built or recorded."""

from __future__ import annotations

import itertools
import warnings

import pytest

from conftest import TINY_RUN

TINY_MODELS = {
    "rnn": ["model=rnn", "model.hidden_size=4"],
    "irnn": ["model=rnn", "model.hidden_size=4", "model.nonlinearity=relu", "model.init=identity"],
    "lstm": ["model=lstm", "model.hidden_size=4", "model.num_layers=2", "model.forget_bias=1"],
    "lstm-unfused": [
        "model=lstm",
        "model.hidden_size=4",
        "model.variant=cifg",
        "model.peepholes=true",
    ],
    "gru": ["model=gru", "model.hidden_size=4", "model.init=orthogonal"],
    "window": ["model=window", "model.hidden_size=4", "model.window=3"],
    "tcn": ["model=tcn", "model.hidden_size=4", "model.num_layers=2"],
}
TINY_TASKS = {
    "adding": ["task=adding", "task.length=6"],
    "adding-variable": ["task=adding", "task.length=7", "task.min_length=3"],
    "copy": ["task=copy", "task.length=3", "task.symbols=2"],
    "labeling": ["task=labeling", "task.length=6", "task.distance=2"],
    "lm": ["task=lm", "task.length=10"],
    "timeseries": ["task=timeseries", "task.length=6", "task.horizon=2"],
    "digits": ["task=digits"],
}
TINY_STRATEGIES = {
    "bptt": ["strategy=bptt"],
    "tbptt": ["strategy=tbptt", "strategy.k1=2", "strategy.k2=3"],
    "bidirectional": ["strategy=bidirectional"],
}
REFUSED = {(model, task, "tbptt") for model in ("window", "tcn") for task in TINY_TASKS} | {
    (model, task, "bidirectional") for model in TINY_MODELS for task in ("lm", "timeseries")
}
"""What the plugins must refuse: TBPTT without a carried state, bidirectional on causal tasks."""

COMBINATIONS = list(itertools.product(TINY_MODELS, TINY_TASKS, TINY_STRATEGIES))
VALID = [pytest.param(*c, id="-".join(c)) for c in COMBINATIONS if c not in REFUSED]


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    """The registry of built-in components."""
    from seqlab.registry.components import build_registry

    return build_registry()


def tiny_spec(registry, model: str, task: str, strategy: str):  # type: ignore[no-untyped-def]
    """The resolved spec of a tiny run of a catalogue combination."""
    from seqlab.spec import load_spec

    overrides = [*TINY_MODELS[model], *TINY_TASKS[task], *TINY_STRATEGIES[strategy], "seed=1"]
    return load_spec(overrides, None, registry)


def train_briefly(registry, spec, steps: int = 2):  # type: ignore[no-untyped-def]
    """Build the spec's system as the runner does, fit it ``steps`` steps on CPU (TBPTT may
    make more in the last batch) and validate at the end."""
    import pytorch_lightning as pl

    from seqlab.run.data import training_loader, validation_loader
    from seqlab.api.strategy import RunParts

    components = {
        kind: registry.get(kind, getattr(spec, kind).name) for kind in ("model", "task", "strategy")
    }
    task = components["task"].build(spec.task.params)

    def new_model():  # type: ignore[no-untyped-def]
        return components["model"].build(spec.model.params, input_size=task.input_size)

    system = components["strategy"].build(
        spec.strategy.params, RunParts(new_model(), task, spec.trainer, new_model)
    )
    trainer = pl.Trainer(
        max_steps=steps,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=1,
        val_check_interval=steps,
        check_val_every_n_epoch=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        validation = validation_loader(task, 4)
        trainer.fit(system, training_loader(task, 3, spec.seed), validation)
        if not system.validation_metrics:
            trainer.validate(system, validation, verbose=False)
    return trainer, system


@pytest.mark.parametrize(("model", "task", "strategy"), VALID)
def test_valid_combination_trains(registry, model: str, task: str, strategy: str) -> None:  # type: ignore[no-untyped-def]
    """It resolves, trains at least two optimizer steps and validates to finite metrics."""
    import math

    trainer, system = train_briefly(registry, tiny_spec(registry, model, task, strategy))
    assert trainer.global_step >= 2
    assert system.task.metric in system.validation_metrics
    assert all(math.isfinite(value) for value in system.validation_metrics.values())


@pytest.mark.parametrize(
    ("model", "task", "strategy"), [pytest.param(*c, id="-".join(c)) for c in sorted(REFUSED)]
)
def test_incompatible_combination_is_refused(
    registry, model: str, task: str, strategy: str
) -> None:  # type: ignore[no-untyped-def]
    """The spec is rejected with a one-line reason naming the strategy."""
    from seqlab.spec import SpecError

    with pytest.raises(SpecError, match=strategy) as refused:
        tiny_spec(registry, model, task, strategy)
    assert "\n" not in str(refused.value)


RUNNER_SAMPLE = [
    ("lstm", "copy", "tbptt"),
    ("lstm-unfused", "labeling", "bidirectional"),
    ("gru", "lm", "bptt"),
    ("window", "adding-variable", "bptt"),
    ("tcn", "timeseries", "bptt"),
    ("rnn", "digits", "tbptt"),
]


def test_sample_of_combinations_through_the_runner(store: str, registry) -> None:  # type: ignore[no-untyped-def]
    """A handful of combinations, one per task, train through ``seqlab.run.runner.train`` and are
    read back from the MLflow store with the task's metric recorded."""
    from mlflow import MlflowClient

    from seqlab.store import record
    from seqlab.run.runner import train
    from seqlab.spec import load_spec

    tiny = [item for item in TINY_RUN if item.startswith("trainer.")]
    for model, task, strategy in RUNNER_SAMPLE:
        overrides = [*TINY_MODELS[model], *TINY_TASKS[task], *TINY_STRATEGIES[strategy], *tiny]
        spec = load_spec(overrides, None, registry)
        outcome = train(spec, registry, progress=False)
        run = MlflowClient(store).get_run(outcome.run_id)
        assert run.info.status == "FINISHED"
        assert run.data.params["model"] == spec.model.name
        assert run.data.params["task"] == spec.task.name
        metric = registry.get("task", spec.task.name).build(spec.task.params).metric
        assert record.validation_metric(metric) in run.data.metrics
