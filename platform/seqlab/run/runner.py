"""Train one validated RunSpec with Lightning and record it as one MLflow run.

Everything that can fail on the user's input fails before the MLflow run exists; once it
exists, it always ends FINISHED, FAILED or KILLED, never left RUNNING.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seqlab.messages import clipped
from seqlab.spec import COMPONENT_KINDS
from seqlab.store import record
from seqlab.store.status import RunStatus
from seqlab.store.writing import uninterrupted

if TYPE_CHECKING:
    import pytorch_lightning as pl

    from seqlab.api.task import Batch
    from seqlab.measure.recorder import MlflowRecorder
    from seqlab.api.component import Component
    from seqlab.registry.components import Registry
    from seqlab.spec import RunSpec


class RunError(RuntimeError):
    """A run that did not finish; ``run_id`` is its MLflow run, if one was created."""

    def __init__(
        self, message: str, run_id: str | None = None, status: RunStatus = RunStatus.FAILED
    ) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.status = status


@dataclass(frozen=True)
class RunOutcome:
    """A finished run: its MLflow id, the last value of each recorded metric, and why it
    stopped early if it diverged."""

    run_id: str
    experiment_id: str
    metrics: dict[str, float]
    divergence: str | None = None


def _plugin_tags(components: dict[str, Component]) -> dict[str, str]:
    from seqlab.registry.plugin_manager import plugin_info

    tags = {}
    for kind, component in components.items():
        info = plugin_info(component.plugin)
        tags[record.plugin_tag(kind)] = f"{info.distribution}=={info.version} ({info.name})"
    return tags


def _quiet_lightning() -> None:
    """Keep Lightning's start-up chatter and data-loader advice off the user's screen."""
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*IterableDataset.*__len__.*")
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    # a run shorter than trainer.log_every: its values are still recorded at the end
    warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")


def unavailable_accelerator(accelerator: str) -> str | None:
    """Why ``trainer.accelerator`` names a device this machine lacks, or ``None``."""
    import torch

    if accelerator in ("cuda", "gpu") and not torch.cuda.is_available():
        return f"trainer.accelerator={accelerator}: CUDA is not available here, no GPU found (use auto or cpu)"
    if accelerator == "mps" and not torch.backends.mps.is_available():
        return "trainer.accelerator=mps: MPS is not available here (use auto or cpu)"
    return None


def validation_interval(
    system: pl.LightningModule, spec: RunSpec, validation_data: Iterable[Batch]
) -> int:
    """Lightning's ``val_check_interval``, in batches, for ``trainer.val_every``.

    Under ``trainer.budget=updates``, a strategy making several optimizer updates per batch
    (``updates_per_batch``, counted on the first validation batch) validates at the batch
    nearest every ``val_every`` updates; under ``sequences``, ``val_every`` counts batches.
    """
    settings = spec.trainer
    per_batch = 1
    if settings.budget == "updates":
        first = next(iter(validation_data))
        count = getattr(system, "updates_per_batch", lambda batch: 1)(first)
        per_batch = max(int(count), 1)
    every = max(round(settings.val_every / per_batch), 1)
    return min(every, -(-settings.max_steps // per_batch))


def train(
    spec: RunSpec,
    registry: Registry,
    experiment: str | None = None,
    progress: bool = True,
    extra_tags: Mapping[str, str] | None = None,
    extra_artifacts: Mapping[str, str] | None = None,
    experiment_id: str | None = None,
) -> RunOutcome:
    """Build the run's components, train them, and record everything in MLflow.

    A run whose loss or gradients become NaN or infinite stops early and ends FINISHED,
    marked diverged (see ``docs/metrics.md``); it is a result, not an error.

    :param spec: a validated run spec.
    :param registry: where the spec's component names are looked up.
    :param experiment: MLflow experiment name (default: ``MLFLOW_EXPERIMENT_NAME`` or seqlab).
    :param progress: show progress by step (a bar on a terminal, lines elsewhere).
    :param extra_tags: more tags of the run (a sweep tags its runs with its name).
    :param extra_artifacts: more text artifacts of the run, by file name, written when it is
        created (a sweep records its suite).
    :param experiment_id: the experiment's id, when the caller has made sure it exists (a
        sweep's launcher has): it is not looked up again.
    :raises RunError: when building fails (no run recorded), or training fails or is
        interrupted (the run is recorded as FAILED or KILLED).
    """
    import pytorch_lightning as pl
    import torch
    from pytorch_lightning.utilities.exceptions import MisconfigurationException

    from seqlab import __version__
    from seqlab.api.baselines import baseline_values, strongest_baseline
    from seqlab.measure import allocator

    from seqlab.store import tracking
    from seqlab.store.operations import RunStartError
    from seqlab.api.strategy import RunParts
    from seqlab.measure.efficiency import device_name
    from seqlab.measure.measurements import build_measurements
    from seqlab.registry.checks import model_output_problem
    from seqlab.run.data import training_loader, validation_loader
    from seqlab.run.interruption import StopSignals
    from seqlab.run.cores import usable_cores
    from seqlab.run.memory_estimate import estimate_memory, refusal

    _quiet_lightning()
    allocator.apply_in_process()
    missing_device = unavailable_accelerator(spec.trainer.accelerator)
    if missing_device:
        raise RunError(missing_device, status=RunStatus.REFUSED)
    components = {kind: registry.get(kind, getattr(spec, kind).name) for kind in COMPONENT_KINDS}
    pl.seed_everything(spec.seed, verbose=False)
    try:
        task = components["task"].build(spec.task.params)

        def new_model() -> torch.nn.Module:
            return components["model"].build(spec.model.params, input_size=task.input_size)

        too_large = refusal(estimate_memory(spec, task, new_model))
        if too_large:
            raise RunError(too_large, status=RunStatus.REFUSED)
        model = new_model()
        try:
            wrong_output = model_output_problem(model, task.input_size)
        except Exception:  # a crash, not a broken contract: training meets it and records it
            wrong_output = None
        if wrong_output:
            plugin = components["model"].plugin
            raise RunError(
                f"model={spec.model.name} (plugin {plugin}) breaks the model contract: "
                f"{wrong_output}"
            )
        parts = RunParts(model, task, spec.trainer, new_model)
        system = components["strategy"].build(spec.strategy.params, parts)
        train_data = training_loader(task, spec.trainer.batch_size, spec.seed)
        validation_data = validation_loader(task, spec.trainer.val_size)
        baselines = baseline_values(task, list(validation_data))
    except RunError:
        raise
    except Exception as exc:
        raise RunError(f"building the run failed: {type(exc).__name__}: {exc}") from exc

    try:
        client = tracking.open_client()
    except tracking.StoreError as exc:
        raise RunError(str(exc)) from None
    stop_signals = StopSignals()
    carries_state = bool(components["model"].traits.get("carries_state", False))
    measured = build_measurements(
        client, task, spec.trainer, carries_state, progress, baselines, first=[stop_signals]
    )
    recorder, stability = measured.recorder, measured.stability
    try:
        by_batches = spec.trainer.budget == "sequences"  # max_steps batches, whatever the updates
        trainer = pl.Trainer(
            max_steps=-1 if by_batches else spec.trainer.max_steps,
            max_epochs=1 if by_batches else None,
            limit_train_batches=spec.trainer.max_steps if by_batches else None,
            accelerator=spec.trainer.accelerator,
            devices=1,
            val_check_interval=validation_interval(system, spec, validation_data),
            check_val_every_n_epoch=None,
            num_sanity_val_steps=0,
            gradient_clip_val=spec.trainer.grad_clip if system.automatic_optimization else None,
            logger=measured.logger,
            log_every_n_steps=spec.trainer.log_every,
            enable_checkpointing=False,
            enable_model_summary=False,
            enable_progress_bar=progress,
            callbacks=measured.callbacks,
        )
    except MisconfigurationException as exc:  # e.g. trainer.accelerator=cuda without a GPU
        raise RunError(f"trainer.accelerator={spec.trainer.accelerator}: {exc}") from exc
    try:
        experiment_id = experiment_id or tracking.ensure_experiment(
            client, tracking.experiment_name(experiment))
    except Exception as exc:  # nothing is recorded yet: say so in one line
        problem = clipped(f"{type(exc).__name__}: {exc}", 200)
        raise RunError(f"the store {tracking.tracking_uri()} did not answer: {problem}") from exc
    tags = {
        record.TAG_SEQLAB_VERSION: __version__,
        record.TAG_TORCH_VERSION: str(torch.__version__),  # plain: torch's own str type
        # would make a sweep's launcher import torch to read this tag (seqlab.store.relay)
        record.TAG_DEVICE: str(trainer.strategy.root_device),
        record.TAG_DEVICE_NAME: device_name(trainer.strategy.root_device),
        record.TAG_THREADS: f"{torch.get_num_threads()} of {usable_cores()} cores",
        record.TAG_PROCESS: tracking.process_identity() or "",
        record.TAG_BASELINE_KIND: strongest_baseline(task, baselines)[0],
        **_plugin_tags(components),
        **(extra_tags or {}),
    }
    with stop_signals.installed():  # from the run's creation to its end: see StopSignals
        try:
            recorder.run_id = run_id = tracking.start_run(client, experiment_id, spec, tags,
                                                          extra_artifacts)
        except RunStartError as exc:  # it exists: closed FAILED, now or by the next command
            recorder.run_id = exc.run_id
            what, cause = store_problem(exc.__cause__ or exc)
            reason = f"it could not be started: {what} ({cause})"
            close_run(recorder, RunStatus.FAILED, reason)
            raise RunError(f"run {exc.run_id} FAILED: {reason}", exc.run_id) from exc
        except Exception as exc:  # nothing was created
            what, cause = store_problem(exc)
            raise RunError(f"the run could not be recorded: {what} ({cause})") from exc
        try:
            stop_signals.raise_if_received()  # one that came while the run was created
            trainer.fit(system, train_dataloaders=train_data, val_dataloaders=validation_data)
            if trainer.interrupted:
                raise KeyboardInterrupt("training was interrupted")
            validated = recorder.last_validation_step == trainer.global_step
            if not validated and stability.divergence is None:
                trainer.validate(system, dataloaders=validation_data, verbose=False)
            stop_signals.raise_if_received()  # one held during the last writes
        except BaseException as exc:
            cause = recorder.exception or exc
            interrupted = isinstance(cause, (KeyboardInterrupt, SystemExit))
            status = RunStatus.KILLED if interrupted else RunStatus.FAILED
            reason = f"{type(cause).__name__}: {cause}"
            close_run(recorder, status, reason)
            raise RunError(f"run {run_id} {status}: {reason}", run_id, status) from exc
        with uninterrupted():  # a signal now waits for the finished run's writes, then is dropped
            diverged = stability.divergence is not None
            recorder.add(record.DIVERGED, float(diverged), trainer.global_step)
            reason = f"diverged: {stability.divergence}" if diverged else None
            close_run(recorder, RunStatus.FINISHED, reason,
                      {record.TAG_DIVERGED: str(diverged).lower()})
    return RunOutcome(run_id, experiment_id, dict(recorder.latest), stability.divergence)


def close_run(
    recorder: MlflowRecorder,
    status: RunStatus,
    reason: str | None,
    tags: Mapping[str, str] | None = None,
) -> None:
    """Write what the recorder still holds, then end its run as ``status``.

    When the store does not answer (within ``$SEQLAB_STORE_TIMEOUT``), nothing measured is
    lost: it is kept in a local file (:mod:`seqlab.store.unsent`) that the next seqlab command
    against the store writes back, closing the run FAILED.

    :raises RunError: naming that file, when the store did not answer.
    """
    from seqlab.store import tracking
    from seqlab.store.unsent import disk_full, save_unsent

    run_id = recorder.run_id
    try:
        with uninterrupted():
            recorder.end_run(status, reason, tags)  # with the last values: one operation
    except Exception as exc:
        metrics, artifacts = recorder.unsent()
        ended = f"{status}" + (f" ({reason})" if reason else "")
        what, cause = store_problem(exc)
        problem = f"{what} ({cause})"
        unwritten = f"{len(metrics)} unwritten values" + (
            f" and {len(artifacts)} artifact(s)" if artifacts else "")
        try:
            path = save_unsent(tracking.tracking_uri(), run_id, metrics, artifacts, ended, problem)
        except OSError as kept:
            raise RunError(
                f"run {run_id} ended {status} but {problem}, and its {unwritten} could not be "
                f"kept either ({clipped(str(kept), 120)})",
                run_id, RunStatus.FAILED,
            ) from exc
        raise RunError(  # the file first: a long cause is cut short, never the file's name
            f"run {run_id} ended {status} but {what}: its {unwritten} are kept in {path}, and the "
            f"next seqlab command against this store{' once the disk has room' if disk_full(exc) else ''}"
            f" writes them and closes the run FAILED ({cause})",
            run_id,
            RunStatus.FAILED,
        ) from exc


def store_problem(error: BaseException) -> tuple[str, str]:
    """What a store's failure to take a write means, and its cause, each in one line:
    ``("the disk holding the store is full", "OSError: [Errno 28] ...")``, or
    ``("the store did not answer", ...)``."""
    from seqlab.store.unsent import full_or

    what = full_or(error, "the store did not answer")
    return what, clipped(f"{type(error).__name__}: {error}", 200)
