"""The training strategies: TBPTT's truncation and stepping, the bidirectional reader and its
refusals, and an LSTM that learns."""

from __future__ import annotations

import sqlite3
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from conftest import registered_plugin, run_seqlab
from seqlab import hookimpl
from seqlab.spec import SpecError


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Tiny models on a shared machine run faster on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    """The registry of built-in components."""
    from seqlab.registry.components import build_registry

    return build_registry()


def build_system(registry, overrides: list[str]):  # type: ignore[no-untyped-def]
    """The LightningModule of a spec, built as the runner builds it, and the spec."""
    from seqlab.spec import load_spec
    from seqlab.api.strategy import RunParts

    spec = load_spec(overrides, None, registry)
    model, task, strategy = (
        registry.get(kind, getattr(spec, kind).name) for kind in ("model", "task", "strategy")
    )
    built_task = task.build(spec.task.params)

    def new_model():  # type: ignore[no-untyped-def]
        return model.build(spec.model.params, input_size=built_task.input_size)

    torch.manual_seed(0)
    return strategy.build(
        spec.strategy.params, RunParts(new_model(), built_task, spec.trainer, new_model)
    ), spec


def gradient_reach(loss: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Whether each input step gets a non-zero gradient from ``loss``."""
    (gradient,) = torch.autograd.grad(loss, x, retain_graph=True)
    return gradient.abs().sum(dim=(0, 2)) > 0


@pytest.mark.parametrize("model", ["model=rnn", "model=lstm", "model.cell=unfused", "model=gru"])
def test_tbptt_gradient_stops_exactly_k2_steps_back_for_a_final_target(
    registry, model: str
) -> None:  # type: ignore[no-untyped-def]
    """Adding (one target at the end), T=20, k1=5, k2=7: one update, whose gradient reaches the
    last 7 inputs and is exactly zero on the 13 before."""
    overrides = [
        model,
        "task=adding",
        "task.length=20",
        "strategy=tbptt",
        "strategy.k1=5",
        "strategy.k2=7",
    ]
    system, _ = build_system(
        registry,
        [item for item in overrides if item != "model.cell=unfused"]
        + (["model=lstm", "model.cell=unfused"] if "cell" in model else []),
    )
    batch = system.task.sample(3, torch.Generator().manual_seed(0))
    batch["x"].requires_grad_(True)
    losses = list(system.updates(batch))
    assert len(losses) == 1
    reach = gradient_reach(losses[0], batch["x"])
    assert not reach[:13].any()
    assert bool(reach[13:].all())


def test_tbptt_every_update_reaches_back_k2_steps_for_per_step_targets(registry) -> None:  # type: ignore[no-untyped-def]
    """Time series (a target per step), T=22, k1=4, k2=6: an update every 4 steps (the last
    one shorter); the update ending at step e gets gradients from steps e-6..e-1 only."""
    system, _ = build_system(
        registry,
        [
            "model=lstm",
            "task=timeseries",
            "task.length=22",
            "strategy=tbptt",
            "strategy.k1=4",
            "strategy.k2=6",
        ],
    )
    batch = system.task.sample(3, torch.Generator().manual_seed(0))
    batch["x"].requires_grad_(True)
    losses = list(system.updates(batch))
    ends = [4, 8, 12, 16, 20, 22]
    assert len(losses) == len(ends)
    for loss, end in zip(losses, ends):
        reach = gradient_reach(loss, batch["x"])
        assert reach.nonzero().flatten().tolist() == list(range(max(0, end - 6), end))


def test_tbptt_with_variable_lengths_reads_each_sequence_at_its_end(registry) -> None:  # type: ignore[no-untyped-def]
    """With variable lengths, each sequence's loss enters the update of the chunk where it
    ends, and that update's gradient for it reaches back k2 steps from the update (the chunk's
    end), not from the sequence's end."""
    system, _ = build_system(
        registry,
        [
            "model=gru",
            "task=adding",
            "task.length=12",
            "task.min_length=3",
            "strategy=tbptt",
            "strategy.k1=3",
            "strategy.k2=4",
        ],
    )
    batch = system.task.sample(16, torch.Generator().manual_seed(1))
    batch["x"].requires_grad_(True)
    losses = list(system.updates(batch))
    lengths = batch["lengths"].tolist()
    assert len(losses) == len({(length - 1) // 3 for length in lengths})
    updates_reaching = [0] * len(lengths)
    for loss in losses:
        (gradient,) = torch.autograd.grad(loss, batch["x"], retain_graph=True)
        for row, length in enumerate(lengths):
            reach = (gradient[row].abs().sum(-1) > 0).nonzero().flatten().tolist()
            update = min(((length - 1) // 3 + 1) * 3, 12)
            assert reach in ([], list(range(max(0, update - 4), length)))
            updates_reaching[row] += bool(reach)
    assert updates_reaching == [1] * len(lengths)


def test_tbptt_steps_the_optimizer_per_update_and_clips(registry) -> None:  # type: ignore[no-untyped-def]
    """Under Lightning's manual optimization every update is an optimizer step counted in
    ``trainer.global_step``; callbacks see each gradient before it is clipped to
    trainer.grad_clip, the step uses it clipped; training_step returns the detached mean loss."""
    import pytorch_lightning as pl

    from seqlab.run.data import training_loader

    system, spec = build_system(
        registry,
        [
            "model=rnn",
            "model.hidden_size=8",
            "task=copy",
            "task.length=6",
            "task.symbols=2",
            "strategy=tbptt",
            "strategy.k1=5",
            "trainer.grad_clip=0.01",
            "trainer.lr=0.1",
        ],
    )
    norms: list[float] = []
    stepped_norms: list[float] = []
    returned: list[torch.Tensor] = []

    def gradient_norm(module: torch.nn.Module) -> float:
        return float(torch.cat([p.grad.flatten() for p in module.parameters()]).norm())

    class Watch(pl.Callback):
        def on_before_optimizer_step(self, trainer, pl_module, optimizer):  # type: ignore[no-untyped-def]
            norms.append(gradient_norm(pl_module))

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):  # type: ignore[no-untyped-def]
            returned.append(outputs)
            stepped_norms.append(gradient_norm(pl_module))  # the last update's, as stepped

    trainer = pl.Trainer(
        max_steps=6,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        callbacks=[Watch()],
    )
    trainer.fit(system, training_loader(system.task, 4, 0))
    assert trainer.global_step == 6 and len(norms) == 6
    assert len(returned) == 3  # 10 steps per sequence, k1 = 5: two updates per batch
    assert min(norms) > 0.01
    assert max(stepped_norms) <= 0.01 + 1e-6
    assert all(not output["loss"].requires_grad for output in returned)


def test_tbptt_refuses_k2_below_k1_and_models_without_state(registry) -> None:  # type: ignore[no-untyped-def]
    """One-line refusals before anything is built."""
    from seqlab.spec import load_spec

    with pytest.raises(SpecError, match=r"strategy.*k2=3 is less than k1=5"):
        load_spec(["strategy=tbptt", "strategy.k1=5", "strategy.k2=3"], None, registry)
    with pytest.raises(SpecError, match="model window carries no state"):
        load_spec(["strategy=tbptt", "model=window"], None, registry)


def test_bidirectional_reads_the_future_within_each_length(registry) -> None:  # type: ignore[no-untyped-def]
    """A step's prediction depends on later inputs of its own sequence, never on padding, and
    a padded sequence gets the predictions it gets alone."""
    system, _ = build_system(
        registry,
        [
            "model=lstm",
            "model.hidden_size=6",
            "task=labeling",
            "task.length=8",
            "task.distance=2",
            "strategy=bidirectional",
        ],
    )
    system.eval()
    x = torch.randn(3, 8, system.task.input_size, requires_grad=True)
    lengths = torch.tensor([8, 5, 3])
    features = system.features({"x": x, "lengths": lengths})
    (gradient,) = torch.autograd.grad(features[1, 0].sum(), x)
    assert (gradient[1].abs().sum(-1) > 0).tolist() == [True] * 5 + [False] * 3
    for row, length in enumerate(lengths.tolist()):
        alone = system.features({"x": x[row : row + 1, :length]})
        torch.testing.assert_close(features[row, :length], alone[0], rtol=1e-5, atol=1e-6)


def test_bidirectional_on_a_causal_task_is_refused_before_any_run(store: str) -> None:
    """``seqlab run strategy=bidirectional task=lm``: exit 2, one line naming the reason, and
    no MLflow run."""
    result = run_seqlab(
        "run", "strategy=bidirectional", "task=lm", "task.length=10", "trainer.max_steps=2"
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "task lm is causal" in lines[0] and "strategy=bidirectional" in lines[0]
    database = Path(store.removeprefix("sqlite:///"))
    if database.exists():
        with sqlite3.connect(database) as connection:
            assert connection.execute("select count(*) from runs").fetchone()[0] == 0


def test_bidirectional_refuses_a_model_that_cannot_read_backwards(registry) -> None:  # type: ignore[no-untyped-def]
    """A third-party model registered with ``bidirectional=False`` is refused."""
    from seqlab.registry.components import build_registry
    from seqlab.spec import load_spec

    plugin = types.ModuleType("forward_only_plugin")

    @hookimpl
    def register_models(register):  # type: ignore[no-untyped-def]
        register("forward_only", lambda params, input_size: None, bidirectional=False)

    plugin.register_models = register_models  # type: ignore[attr-defined]
    with registered_plugin(plugin):
        with pytest.raises(SpecError, match="model forward_only cannot read a sequence backwards"):
            load_spec(["strategy=bidirectional", "model=forward_only"], None, build_registry())


@pytest.mark.parametrize("strategy", ["bptt", "bidirectional"])
def test_lstm_clearly_beats_chance_and_only_bidirectional_reads_ahead(
    registry, strategy: str
) -> None:  # type: ignore[no-untyped-def]
    """A small LSTM on labeling (T=10, d=2, chance 1/4) learns within 300 steps: it labels the
    steps whose label lies in the past nearly perfectly; read causally (bptt) it stays at
    chance on the steps whose label lies ahead, read both ways it labels those too (C9)."""
    import pytorch_lightning as pl

    from seqlab.run.data import training_loader, validation_loader

    system, spec = build_system(
        registry,
        [
            "model=lstm",
            "model.hidden_size=16",
            "task=labeling",
            "task.length=10",
            "task.distance=2",
            "trainer.lr=0.01",
            f"strategy={strategy}",
        ],
    )
    trainer = pl.Trainer(
        max_steps=300,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        val_check_interval=300,
        check_val_every_n_epoch=None,
    )
    trainer.fit(
        system, training_loader(system.task, 32, spec.seed), validation_loader(system.task, 256)
    )
    metrics = system.validation_metrics
    assert metrics["accuracy"] > 2 * system.task.baseline
    assert metrics["accuracy_past"] > 0.9
    if strategy == "bidirectional":
        assert metrics["accuracy_future"] > 0.9
    else:
        assert metrics["accuracy_future"] < system.task.baseline + 0.1


def test_tbptt_validates_every_val_every_updates_not_batches(
    registry, store: str, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:  # type: ignore[no-untyped-def]
    """``trainer.val_every`` and ``trainer.max_steps`` count the same optimizer updates: a
    labeling batch of 12 steps makes 4 updates at k1=3, so val_every=8 validates every second
    batch, and the gradient flow is captured at each of those validations."""
    import json

    from mlflow import MlflowClient

    from seqlab.store import record
    from seqlab.run.runner import train
    from seqlab.spec import load_spec

    spec = load_spec(
        [
            "model=rnn",
            "model.hidden_size=4",
            "task=labeling",
            "task.length=12",
            "task.distance=2",
            "strategy=tbptt",
            "strategy.k1=3",
            "trainer.max_steps=24",
            "trainer.val_every=8",
            "trainer.batch_size=4",
            "trainer.val_size=8",
        ],
        None,
        registry,
    )
    system, _ = build_system(registry, ["task=labeling", "task.length=12", "strategy=tbptt",
                                        "strategy.k1=3", "model=rnn"])
    assert system.updates_per_batch(system.task.sample(2, torch.Generator())) == 4
    outcome = train(spec, registry, progress=False)
    client = MlflowClient(store)
    steps = [m.step for m in client.get_metric_history(outcome.run_id, record.validation_metric("loss"))]
    assert steps == [8, 16, 24]
    path = client.download_artifacts(outcome.run_id, record.GRADIENT_FLOW_ARTIFACT, str(tmp_path))
    flow = json.loads(Path(path).read_text())
    assert flow["steps"] == [0, 8, 16, 24]


def test_under_a_sequence_budget_tbptt_and_bptt_train_on_the_same_sequences(
    registry, store: str  # type: ignore[no-untyped-def]
) -> None:
    """C8 compares at equal data: with ``trainer.budget=sequences`` a tbptt run (4 updates per
    12-step labeling batch at k1=3) and a bptt run of the same spec see the same number of
    training sequences, and validate after the same batches; under the default budget,
    ``max_steps`` counts updates and tbptt sees a quarter of the sequences."""
    from mlflow import MlflowClient

    from seqlab.run.runner import train
    from seqlab.spec import load_spec
    from seqlab.store import record

    def sequences_seen(*overrides: str) -> tuple[float, list[int]]:
        spec = load_spec(
            ["model=rnn", "model.hidden_size=4", "task=labeling", "task.length=12",
             "task.distance=2", "trainer.max_steps=8", "trainer.val_every=4",
             "trainer.batch_size=4", "trainer.val_size=8", "trainer.log_every=2", *overrides],
            None,
            registry,
        )
        outcome = train(spec, registry, progress=False)
        client = MlflowClient(store)
        validations = client.get_metric_history(outcome.run_id, record.validation_metric("loss"))
        return outcome.metrics[record.TRAIN_SEQUENCES], [m.step for m in validations]

    budget = "trainer.budget=sequences"
    bptt = sequences_seen("strategy=bptt", budget)
    tbptt = sequences_seen("strategy=tbptt", "strategy.k1=3", budget)
    assert bptt == (32, [4, 8])  # 8 batches of 4 sequences; steps are optimizer steps
    assert tbptt == (32, [16, 32])  # the same 8 batches, 4 updates each
    assert sequences_seen("strategy=tbptt", "strategy.k1=3") == (8, [4, 8])  # budget=updates


def test_tbptt_chunk_without_targets_makes_no_update_and_no_nan(registry) -> None:  # type: ignore[no-untyped-def]
    """A per-position task whose mask sets only the last two steps: TBPTT(2, 2) over 8 steps
    updates once, on the last chunk; the chunks before only carry the state (their loss would
    be 0/0). ``masked_mean`` of an empty mask is 0, not NaN."""
    from seqlab.api.strategy import RunParts
    from seqlab.api.task import Task, masked_mean
    from seqlab.spec import TrainerSettings
    from seqlab_plugins.strategies.tbptt_system import TruncatedBPTT

    class SparseTargets(Task):
        input_size, output_size, readout, metric = 1, 1, "all", "mse"
        higher_is_better, baseline, solved_threshold, optimum = False, 1.0, 0.0, 0.0
        time_keys = ("x", "y", "mask")

        def sample(self, batch_size, generator, split="train"):  # type: ignore[no-untyped-def]
            x = torch.randn(batch_size, 8, 1, generator=generator)
            mask = torch.zeros(batch_size, 8)
            mask[:, -2:] = 1
            return {"x": x, "y": x.cumsum(1), "mask": mask}

        def loss(self, prediction, batch):  # type: ignore[no-untyped-def]
            return masked_mean((prediction - batch["y"]).squeeze(-1) ** 2, batch["mask"])

        def evaluate(self, prediction, batch):  # type: ignore[no-untyped-def]
            return {"mse": self.loss(prediction, batch)}

    lstm = registry.get("model", "lstm")
    model = lstm.build(lstm.params(hidden_size=4), input_size=1)
    task = SparseTargets()
    system = TruncatedBPTT(RunParts(model, task, TrainerSettings(), lambda: model), k1=2, k2=2)
    batch = task.sample(3, torch.Generator().manual_seed(0))
    assert system.updates_per_batch(batch) == 1
    [loss] = list(system.updates(batch))
    assert torch.isfinite(loss) and loss.requires_grad
    assert float(masked_mean(torch.ones(2, 2), torch.zeros(2, 2))) == 0.0
