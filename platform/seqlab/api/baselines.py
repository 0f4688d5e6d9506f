"""Naive baselines: the zero point of the normalized score.

A task names its naive predictors (:meth:`seqlab.api.task.Task.naive_predictors`): predictors
that do without what the task tests, such as the best constant on the fixed validation set,
persistence for a forecast, or an n-gram for a language model. Each is scored on the
validation set exactly as a model is, and the normalized score counts from the strongest of
them (:func:`strongest_baseline`, the one home of that rule). A task without naive
predictors falls back on its theoretical :attr:`~seqlab.api.task.Task.baseline`.

The helpers here build the common ones (a constant value, class frequencies) for plugin
authors as for the built-in tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from seqlab.api.task import Batch, Task

Predictor = Callable[["Batch"], "torch.Tensor"]
"""A naive predictor: a batch in, a prediction shaped like the readout head's output out."""

CHANCE = "chance"
"""The kind of the fallback baseline: the task's theoretical ``baseline`` attribute."""


def mean_target(batches: Sequence[Batch]) -> float:
    """The mean of every ``y`` value over ``batches`` (the best constant under squared error)."""
    total = sum(float(batch["y"].double().sum()) for batch in batches)
    count = sum(batch["y"].numel() for batch in batches)
    return total / count


def constant_predictor(value: float) -> Predictor:
    """A predictor of ``value`` for every target of a regression task (shaped like ``y``)."""

    def predict(batch: Batch) -> torch.Tensor:
        return batch["y"].float().new_full(batch["y"].shape, value)

    return predict


def class_frequency_predictor(
    batches: Sequence[Batch], classes: int, per_position: bool = False
) -> Predictor:
    """Logits of the classes' frequencies among the ``y`` of ``batches``: the best constant
    distribution under cross-entropy, whose argmax is the majority class.

    :param batches: where the frequencies are counted (integer targets, (batch,) or
        (batch, time)).
    :param classes: how many classes there are.
    :param per_position: count each position of (batch, time) targets apart (the best
        predictor that ignores the input but knows the position).
    """
    import torch

    counts = None
    for batch in batches:
        targets = batch["y"].long()
        if per_position:
            hits = torch.nn.functional.one_hot(targets, classes).double().sum(0)
        else:
            hits = torch.bincount(targets.flatten(), minlength=classes).double()
        counts = hits if counts is None else counts + hits
    assert counts is not None, "no batches to count"
    logits = (counts / counts.sum(-1, keepdim=True)).log().float()

    def predict(batch: Batch) -> torch.Tensor:
        shape = (*batch["y"].shape, classes)
        return logits.to(batch["y"].device).expand(shape)

    return predict


def score_predictor(task: Task, predictor: Predictor, batches: Sequence[Batch]) -> float:
    """The task's metric of ``predictor`` over ``batches``: batch means weighted by batch
    size, as a model's validation metric is computed."""
    total, count = 0.0, 0
    for batch in batches:
        size = batch["x"].shape[0]
        total += float(task.evaluate(predictor(batch), batch)[task.metric]) * size
        count += size
    return total / count


def baseline_values(task: Task, batches: Sequence[Batch]) -> dict[str, float]:
    """Each naive baseline's metric on the validation ``batches``, by kind; the task's
    theoretical ``baseline`` as ``chance`` when it names no naive predictor."""
    import torch

    with torch.no_grad():
        predictors = task.naive_predictors(batches)
        values = {kind: score_predictor(task, p, batches) for kind, p in predictors.items()}
    return values or {CHANCE: task.baseline}


def strongest_baseline(task: Task, values: dict[str, float]) -> tuple[str, float]:
    """The strongest honest baseline: of the naive baselines ``values`` (by kind), the one
    closest to the optimum (the highest for a metric where higher is better, else the
    lowest). Ties go to the first named."""
    better = max if task.higher_is_better else min
    kind = better(values, key=lambda name: values[name])
    return kind, values[kind]
