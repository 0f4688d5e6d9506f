"""One factory for everything that measures a run, in the order the measurements require."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytorch_lightning as pl

from seqlab.measure.callback_group import CallbackGroup
from seqlab.measure.efficiency import EfficiencyMeter
from seqlab.measure.gradient_flow import GradientFlowProbe
from seqlab.measure.learning_rate import LearningRateRecorder
from seqlab.measure.lightning_logger import RecorderLogger
from seqlab.measure.progress import StepProgress
from seqlab.measure.recorder import MlflowRecorder
from seqlab.measure.scoring import ScoreKeeper
from seqlab.measure.stability import StabilityMonitor

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from seqlab.api.task import Task
    from seqlab.spec import TrainerSettings


@dataclass(frozen=True)
class Measurements:
    """The measuring parts of one run, ready for ``pl.Trainer``.

    :param recorder: batches every value into the MLflow run (its ``run_id`` is set once the
        run exists).
    :param stability: watches for divergence; the runner asks it whether the run diverged.
    :param logger: the Lightning logger, so that a strategy's ``self.log`` is recorded too.
    :param callbacks: the Lightning callbacks, in order.
    """

    recorder: MlflowRecorder
    stability: StabilityMonitor
    logger: RecorderLogger
    callbacks: list[pl.Callback]


def build_measurements(
    client: MlflowClient,
    task: Task,
    settings: TrainerSettings,
    carries_state: bool,
    progress: bool,
    baselines: dict[str, float],
    first: Sequence[pl.Callback] = (),
) -> Measurements:
    """Build a run's recorder, measurement callbacks and logger.

    The order matters and lives here: ``first`` (the run's stop signals, which must act before
    anything else at a batch), the recorder (the interval's mean loss, which the stability
    monitor's listeners read), stability, learning rate, scores, the gradient-flow probe, and
    the efficiency meter last (its peak-memory reset at the end of a validation must follow the
    probe's capture). They run as one :class:`CallbackGroup`; the progress bar, if wanted, is
    a separate callback, as Lightning requires.

    :param client: the MLflow client the recorder writes with.
    :param task: the run's task (scores, probe batch).
    :param settings: the run's trainer settings.
    :param carries_state: whether the model carries state (its state is traced with the probe).
    :param progress: add the progress bar.
    :param baselines: the task's naive baselines on the validation set, by kind
        (:func:`seqlab.api.baselines.baseline_values`), for the normalized score.
    :param first: callbacks to run before every measurement.
    """
    recorder = MlflowRecorder(client, "", settings.log_every)
    stability = StabilityMonitor(recorder, settings.grad_clip)
    members: list[pl.Callback] = [
        *first, recorder, stability, LearningRateRecorder(recorder),
        ScoreKeeper(recorder, task, baselines),
    ]
    if settings.gradient_flow:
        members.append(
            GradientFlowProbe(recorder, task, settings.gradient_flow_every, trace_state=carries_state)
        )
    members.append(EfficiencyMeter(recorder))
    callbacks: list[pl.Callback] = [CallbackGroup(members)]
    if progress:
        callbacks.append(StepProgress(recorder))
    return Measurements(recorder, stability, RecorderLogger(recorder), callbacks)
