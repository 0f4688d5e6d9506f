"""Scores: best validation metric, solved flag, normalized score, time to solve, profiles.

At every validation the task's main metric updates the run's best value, whether the task
is solved, and the normalized score ``(baseline - best) / (baseline - optimum)`` (0 at the
strongest naive baseline on the fixed validation set, 1 at the optimum) that puts runs on
different tasks and lengths on one scale. The first validation that reaches the task's solved
threshold records the time to solve.

Tasks that define :meth:`seqlab.api.task.Task.profile` (metrics as 1-D tensors over position or
dependency distance) get it averaged over the validation set by the system
(``validation_profiles``, beside ``validation_metrics``) and written as the artifact
:data:`seqlab.store.record.PROFILES_ARTIFACT`.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import pytorch_lightning as pl

from seqlab.store import record
from seqlab.measure.recorder import json_number

if TYPE_CHECKING:
    from seqlab.measure.recorder import MlflowRecorder
    from seqlab.api.task import Task


def normalized_score(task: Task, value: float, baseline: float) -> float:
    """``(baseline - value) / (baseline - optimum)``: 0 at ``baseline``, 1 at the optimum.

    :param task: the run's task (its optimum).
    :param value: a value of the task's metric.
    :param baseline: the zero point, the strongest naive baseline
        (:func:`seqlab.api.baselines.strongest_baseline`).
    """
    return (baseline - value) / (baseline - task.optimum)


def is_solved(task: Task, value: float) -> bool:
    """Whether ``value`` of the task's metric reaches its solved threshold."""
    if task.higher_is_better:
        return value >= task.solved_threshold
    return value <= task.solved_threshold


class ScoreKeeper(pl.Callback):
    """Record best metric, solved flag, normalized score, time to solve and task profiles.

    :param recorder: where the values go (its client and run id receive the artifact).
    :param task: the run's task.
    :param baselines: the task's naive baselines on the validation set, by kind
        (:func:`seqlab.api.baselines.baseline_values`).
    """

    def __init__(self, recorder: MlflowRecorder, task: Task, baselines: dict[str, float]) -> None:
        from seqlab.api.baselines import strongest_baseline

        self.recorder = recorder
        self.task = task
        self.baselines = baselines
        self.baseline_kind, self.baseline = strongest_baseline(task, baselines)
        self.best: float | None = None
        self.solved_at: int | None = None
        self.profile_steps: list[int] = []
        self.profiles: dict[str, list[list[float | None]]] = {}
        self._train_started: float | None = None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Record the baselines and start the clock for the time to solve."""
        step = trainer.global_step
        for kind, value in self.baselines.items():
            self.recorder.add(record.baseline_metric(kind), value, step)
        self.recorder.add(record.BASELINE, self.baseline, step)
        self._train_started = time.perf_counter()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Update and record the scores, and write the profiles."""
        if trainer.sanity_checking:
            return
        step = trainer.global_step
        value = getattr(pl_module, "validation_metrics", {}).get(self.task.metric)
        if value is not None and math.isfinite(value):
            self._score(value, step)
        profiles = getattr(pl_module, "validation_profiles", {})
        if profiles:
            self._record_profiles(profiles, step)

    def _score(self, value: float, step: int) -> None:
        """Fold one validation value into the best, and record the scores."""
        add = self.recorder.add
        better = max if self.task.higher_is_better else min
        self.best = value if self.best is None else better(self.best, value)
        solved = is_solved(self.task, self.best)
        add(record.BEST_METRIC, self.best, step)
        add(record.SOLVED, float(solved), step)
        if self.baseline != self.task.optimum:
            add(record.NORMALIZED_SCORE, normalized_score(self.task, self.best, self.baseline), step)
        if solved and self.solved_at is None:
            self.solved_at = step
            add(record.TIME_TO_SOLVE_STEPS, step, step)
            if self._train_started is not None:
                add(record.TIME_TO_SOLVE_S, time.perf_counter() - self._train_started, step)

    def _record_profiles(self, profiles: dict[str, list[float]], step: int) -> None:
        """Append this validation's mean profiles and rewrite the artifact."""
        if self.profile_steps and self.profile_steps[-1] == step:
            self.profile_steps.pop()
            for series in self.profiles.values():
                series.pop()
        self.profile_steps.append(step)
        for name, means in profiles.items():
            self.profiles.setdefault(name, []).append([json_number(v) for v in means])
        content = {"steps": self.profile_steps, "profiles": self.profiles}
        self.recorder.write_json(record.PROFILES_ARTIFACT, content)
