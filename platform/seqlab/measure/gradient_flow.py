"""Gradient flow: how strongly the loss depends on the input at every position.

On a fixed probe batch the gradient of the task's loss with respect to the inputs is taken
with one backward pass (``x.requires_grad``), so it works with torch's fused RNN, LSTM and GRU
kernels, cuDNN included: no unrolled Python loop is needed. The norm at position t,
``||dloss/dx_t||``, is the 2-norm of the gradient over the probe batch's (sequence, feature)
slice at t. It is captured before training and at every validation (or every
``trainer.gradient_flow_every`` optimizer steps and at the end), and written as the artifact
:data:`seqlab.store.record.GRADIENT_FLOW_ARTIFACT`.

The probe runs the system's ``predict``: the whole sequence with full backpropagation, also
for strategies that train with truncated gradients, so it shows what the model can pass back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl

from seqlab.store import record
from seqlab.measure.flow_summary import gradient_decay, state_growth
from seqlab.measure.recorder import json_number
from seqlab.measure.state_trace import state_rms_by_position

if TYPE_CHECKING:
    import torch

    from seqlab.measure.recorder import MlflowRecorder
    from seqlab.api.task import Batch, Task

PROBE_SEED = 2**40 + 11
"""Seeds the probe batch: the same sequences for every run of a task (and not the validation
set's, see :data:`seqlab.run.data.VALIDATION_SEED`)."""
PROBE_SIZE = 32
"""Sequences in the probe batch."""
MAX_POSITIONS = 1000
"""Longer sequences are recorded at this many evenly spaced positions, first and last included."""
WRITE_SECONDS = 30.0
"""Rewrite the artifact at most this often while training (an MLflow artifact costs ms)."""


def input_gradient_norms(
    predict: Callable[[Batch], torch.Tensor],
    loss: Callable[[torch.Tensor, Batch], torch.Tensor],
    batch: Batch,
) -> torch.Tensor:
    """``||dloss/dx_t||`` for every position t of ``batch["x"]``: a (time,) tensor.

    :param predict: the system's prediction for a batch.
    :param loss: the task's scalar loss of a prediction on a batch.
    :param batch: a batch whose ``x`` is (batch, time, features) floats.
    """
    import torch

    x = batch["x"].detach().clone().requires_grad_(True)
    probe = {**batch, "x": x}
    with torch.enable_grad():
        (gradient,) = torch.autograd.grad(loss(predict(probe), probe), x)
    return torch.linalg.vector_norm(gradient.float(), dim=(0, 2))


@contextmanager
def _modes_kept(module: pl.LightningModule) -> Iterator[None]:
    """Give every submodule back its training/eval mode when the block ends."""
    modes = {part: part.training for part in module.modules()}
    try:
        yield
    finally:
        for part, training in modes.items():
            part.training = training


def recorded_positions(length: int) -> list[int]:
    """The positions recorded for sequences of ``length`` steps (0-based)."""
    if length <= MAX_POSITIONS:
        return list(range(length))
    last = length - 1
    return sorted({round(i * last / (MAX_POSITIONS - 1)) for i in range(MAX_POSITIONS)})


class GradientFlowProbe(pl.Callback):
    """Capture ``||dloss/dx_t||`` on a fixed probe batch before training, then at validations
    or at a fixed interval; with ``trace_state``, the state trace of the same batch
    (:mod:`seqlab.measure.state_trace`) before training and at its end (it steps through the sequence
    one position at a time, so it is kept off the training's course).

    :param recorder: the run's recorder (its client and run id receive the artifacts).
    :param task: the run's task, which draws the probe batch.
    :param every: capture every this many optimizer steps and at the end of training
        (``None``: at every validation).
    :param trace_state: also record the state's RMS by position (models that carry state).
    """

    def __init__(
        self, recorder: MlflowRecorder, task: Task, every: int | None = None,
        trace_state: bool = False,
    ) -> None:
        self.recorder = recorder
        self.task = task
        self.every = every
        self.trace_state = trace_state
        self._next_step = every or 0
        self.steps: list[int] = []
        self.norms: list[list[float | None]] = []
        self.state_steps: list[int] = []
        self.state_rms: dict[str, list[list[float | None]]] = {}
        self.positions: list[int] = []
        self._batch: Batch | None = None
        self._written_at = 0.0
        self._unwritten = False

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Draw the probe batch once (float inputs only; otherwise there is nothing to probe)."""
        import torch

        if self._batch is not None or not hasattr(pl_module, "predict"):
            return
        batch = self.task.sample(PROBE_SIZE, torch.Generator().manual_seed(PROBE_SEED))
        if batch["x"].is_floating_point():
            self._batch = batch
            self.positions = recorded_positions(batch["x"].shape[1])

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Capture the freshly initialised model (step 0); like every capture, it is written
        once ``WRITE_SECONDS`` have passed, or when training ends (a short run writes once)."""
        self._written_at = time.monotonic()
        self.trace(pl_module, trainer.global_step)
        self.capture(pl_module, trainer.global_step)

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        """With an interval: capture at the first batch that reaches its next multiple."""
        step = trainer.global_step
        if self.every is not None and step >= self._next_step:
            self._next_step = (step // self.every + 1) * self.every
            self.capture(pl_module, step)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Trace the trained model's state; with an interval, capture its gradient flow too,
        unless that step has just been."""
        self.trace(pl_module, trainer.global_step)
        if self.every is not None and (not self.steps or self.steps[-1] != trainer.global_step):
            self.capture(pl_module, trainer.global_step)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Without an interval: capture the gradient flow at this validation's step."""
        if self.every is None and not trainer.sanity_checking:
            self.capture(pl_module, trainer.global_step)

    def capture(self, pl_module: pl.LightningModule, step: int) -> None:
        """Measure the gradient flow on the probe batch and rewrite the artifacts.

        Runs with gradients on (also inside validation's inference mode), every module in
        training mode (cuDNN's recurrent backward needs it) and the random state forked, so
        neither dropout draws nor mode changes leak into training.
        """
        import torch

        if self._batch is None:
            return
        device = pl_module.device
        batch = {key: value.to(device) for key, value in self._batch.items()}
        rng_devices = [torch.cuda.current_device() if device.index is None else device.index] \
            if device.type == "cuda" else []
        with torch.inference_mode(False), torch.random.fork_rng(devices=rng_devices), \
                _modes_kept(pl_module):
            pl_module.train()
            norms = input_gradient_norms(pl_module.predict, self.task.loss, batch)
        if self.steps and self.steps[-1] == step:
            self.steps.pop()
            self.norms.pop()
        self.steps.append(step)
        self.norms.append(self._recorded(norms))
        length = batch["x"].shape[1]
        for key, value in gradient_decay(self.positions, self.norms[-1], length).items():
            self.recorder.add(key, value, step)
        self._unwritten = True
        if time.monotonic() - self._written_at >= WRITE_SECONDS:
            self.write()

    def trace(self, pl_module: pl.LightningModule, step: int) -> None:
        """Record the state trace of the probe batch, in eval mode (no dropout), if enabled."""
        model = getattr(pl_module, "model", None)
        if not self.trace_state or self._batch is None or model is None:
            return
        with _modes_kept(pl_module):
            pl_module.eval()
            traces = state_rms_by_position(model, self._batch["x"].to(pl_module.device))
        self.state_steps.append(step)
        for part, values in traces.items():
            self.state_rms.setdefault(part, []).append(self._recorded(values))
            growth = state_growth(self.state_rms[part][-1])
            if growth is not None:
                self.recorder.add(record.state_growth_metric(part), growth, step)
        self._unwritten = True

    def _recorded(self, values: torch.Tensor) -> list[float | None]:
        """The values at the recorded positions, as JSON numbers."""
        return [json_number(value) for value in values[self.positions].tolist()]

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Write what was captured when training or validation ends."""
        self.write()

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        """Keep what was captured before a failure."""
        self.write()

    def write(self) -> None:
        """Rewrite the run's gradient-flow (and state-trace) artifacts with every capture so
        far, if any is new."""
        if not self._unwritten:
            return
        self._unwritten = False
        self._written_at = time.monotonic()
        content = {"positions": self.positions, "steps": self.steps, "norms": self.norms}
        self.recorder.write_json(record.GRADIENT_FLOW_ARTIFACT, content)
        if self.state_rms:
            trace = {"positions": self.positions, "steps": self.state_steps, "rms": self.state_rms}
            self.recorder.write_json(record.STATE_TRACE_ARTIFACT, trace)
