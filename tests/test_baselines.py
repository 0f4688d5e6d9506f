"""The normalized score counts from the strongest honest naive baseline on the validation set."""

from __future__ import annotations

import math

import pytest
import torch
from mlflow import MlflowClient

from measure_plugins import train_tiny
from seqlab.api.baselines import baseline_values, strongest_baseline
from seqlab.api.task import Batch, Task
from seqlab.measure.scoring import normalized_score
from seqlab.registry.components import build_registry
from seqlab.run.data import validation_loader
from seqlab.spec import load_spec
from seqlab.store import record


def task_and_validation(*overrides: str) -> tuple[Task, list[Batch]]:
    """A built-in task and its fixed validation set at the default size, as a run builds them."""
    registry = build_registry()
    spec = load_spec(list(overrides), None, registry)
    task = registry.get("task", spec.task.name).build(spec.task.params)
    return task, list(validation_loader(task, spec.trainer.val_size))


def everything(batches: list[Batch], key: str) -> torch.Tensor:
    """One entry of every batch, concatenated along the sequences."""
    return torch.cat([batch[key] for batch in batches])


def batch_weighted(batches: list[Batch], value_of) -> float:  # type: ignore[no-untyped-def]
    """A per-batch value averaged with batch sizes as weights (how validation averages)."""
    sizes = [batch["x"].shape[0] for batch in batches]
    return sum(float(value_of(b)) * n for b, n in zip(batches, sizes)) / sum(sizes)


def majority_rate(targets: torch.Tensor) -> float:
    """The share of the most frequent class."""
    return float(torch.bincount(targets.flatten()).max()) / targets.numel()


def memoryless_entropy(targets: torch.Tensor) -> float:
    """Mean over positions of the empirical entropy (nats) of each position's targets."""
    entropies = []
    for position in targets.T:
        p = torch.bincount(position).double() / len(position)
        p = p[p > 0]
        entropies.append(float(-(p * p.log()).sum()))
    return sum(entropies) / len(entropies)


@pytest.mark.parametrize(
    ("overrides", "kind", "expected"),
    [
        (["task=adding", "task.length=20"], "mean",
         lambda b: float(everything(b, "y").var(correction=0))),
        (["task=adding", "task.length=200"], "mean",
         lambda b: float(everything(b, "y").var(correction=0))),
        (["task=copy", "task.length=20"], "memoryless", lambda b: memoryless_entropy(everything(b, "y"))),
        (["task=labeling"], "majority", lambda b: majority_rate(everything(b, "y"))),
        (["task=digits"], "majority", lambda b: majority_rate(everything(b, "y"))),
    ],
)
def test_the_constant_predictor_on_the_validation_set_scores_zero(
    overrides: list[str], kind: str, expected  # type: ignore[no-untyped-def]
) -> None:
    """For tasks whose strongest naive baseline is the best constant (per position, for copy)
    on the fixed validation set, that constant's metric, computed here from the targets
    alone, is the zero point: its normalized score is 0, not the theoretical chance's bias."""
    task, batches = task_and_validation(*overrides)
    values = baseline_values(task, batches)
    chosen, baseline = strongest_baseline(task, values)
    assert chosen == kind
    constant = expected(batches)
    assert baseline == pytest.approx(constant, rel=1e-5)
    assert normalized_score(task, constant, baseline) == pytest.approx(0.0, abs=1e-5)
    assert normalized_score(task, task.optimum, baseline) == pytest.approx(1.0)


def test_the_adding_problems_theoretical_chance_is_not_its_validation_sets() -> None:
    """1/6 is the expectation; a 512-sequence validation set's own variance differs from it
    by more than a typical effect's hundredth: that gap is the bias the baseline removes."""
    gaps = []
    for length in (20, 100, 400):
        task, batches = task_and_validation("task=adding", f"task.length={length}")
        gaps.append(abs(baseline_values(task, batches)["mean"] - task.baseline))
    assert max(gaps) > 0.002


def test_timeseries_counts_from_persistence_not_the_mean() -> None:
    """Repeating the last value is the strong naive forecast (about 0.15 at horizon 1): the
    normalized score counts from it, so a model worse than persistence scores below 0."""
    task, batches = task_and_validation("task=timeseries")
    values = baseline_values(task, batches)
    assert set(values) == {"mean", "persistence"}
    persistence = batch_weighted(batches, lambda b: ((b["x"] - b["y"]) ** 2).mean().sqrt())
    assert values["persistence"] == pytest.approx(persistence, rel=1e-5)
    assert 0.1 < values["persistence"] < 0.2 < 0.9 < values["mean"] < 1.1
    assert strongest_baseline(task, values) == ("persistence", values["persistence"])
    assert normalized_score(task, values["mean"], values["persistence"]) < -4
    horizon_six, batches = task_and_validation("task=timeseries", "task.horizon=6")
    assert 0.7 < baseline_values(horizon_six, batches)["persistence"] < 0.9


def test_lm_counts_from_the_4gram_which_knows_the_grammar_but_not_the_long_k() -> None:
    """Uniform guessing (log2 7 = 2.81 bits) flatters; the symbol frequencies, a bigram and a
    4-gram counted on generated data are the naive baselines, the 4-gram the strongest: close
    to the best a model without long memory does (8/12 bits at loop 0.5), above the optimum
    (7/12) by about the closing k's bit per sentence. Its accuracy on the closing k's is 1/2:
    it knows a k is due, not which (an argmax over 7 symbols: a uniform guess gets 1/7)."""
    from seqlab.api.baselines import score_predictor

    task, batches = task_and_validation("task=lm")
    values = baseline_values(task, batches)
    assert set(values) == {"unigram", "bigram", "4gram"}
    assert math.log2(7) > values["unigram"] > values["bigram"] > values["4gram"]
    assert 1.7 < values["bigram"] < 2.0
    assert task.optimum + 0.05 < values["4gram"] < task.no_long_memory_bits + 0.05
    assert strongest_baseline(task, values) == ("4gram", values["4gram"])

    predictors = task.naive_predictors(batches)
    task.metric = "long_range_accuracy"  # this instance only: score the closing k's
    assert score_predictor(task, predictors["4gram"], batches) == pytest.approx(0.5, abs=0.1)


def test_the_strongest_is_the_one_closest_to_the_optimum() -> None:
    """The rule, in both directions; a task without naive predictors falls back on chance."""
    lower, _ = task_and_validation("task=adding")
    higher, _ = task_and_validation("task=digits")
    assert strongest_baseline(lower, {"a": 0.3, "b": 0.1, "c": 0.2}) == ("b", 0.1)
    assert strongest_baseline(higher, {"a": 0.3, "b": 0.1, "c": 0.2}) == ("a", 0.3)

    class NoPredictors(type(lower)):  # type: ignore[misc]
        def naive_predictors(self, validation):  # type: ignore[no-untyped-def]
            return {}

    plain = NoPredictors(8)
    assert baseline_values(plain, list(validation_loader(plain, 8))) == {"chance": 1 / 6}


def test_a_run_records_its_baselines_and_scores_from_the_strongest(store: str) -> None:
    """A real run records each naive baseline, the zero point and its kind, and its
    normalized score counts from that zero point."""
    outcome = train_tiny("trainer.val_size=64")
    run = MlflowClient(store).get_run(outcome.run_id)
    metrics = run.data.metrics
    task, batches = task_and_validation("task=adding", "task.length=8", "trainer.val_size=64")
    variance = float(everything(batches, "y").var(correction=0))
    assert run.data.tags[record.TAG_BASELINE_KIND] == "mean"
    assert metrics[record.BASELINE] == pytest.approx(variance, rel=1e-5)
    assert metrics[record.baseline_metric("mean")] == metrics[record.BASELINE]
    best = metrics[record.BEST_METRIC]
    assert metrics[record.NORMALIZED_SCORE] == pytest.approx((variance - best) / variance, rel=1e-4)
