"""Stability: gradient norms before clipping, clipping events, loss spikes and divergence.

The global gradient norm is taken after every backward pass (``on_after_backward``), which
is before Lightning clips under automatic optimization and before a strategy's own
``clip_gradients`` under manual optimization; the norm current at each optimizer step is
kept. Norms stay tensors on the device until a logging interval closes, so the loop is
never synchronized per step; at each interval they are summarized, and a non-finite loss or
gradient stops training cleanly (``trainer.should_stop``), at most one interval late.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl

from seqlab.store import record

if TYPE_CHECKING:
    import torch

    from seqlab.measure.recorder import MlflowRecorder

SPIKE_FACTOR = 2.0
"""An interval's mean loss above this many times the recent median is a spike."""
SPIKE_WINDOW = 10
"""The recent median is over this many previous intervals (at least 3 are needed)."""
_SPIKE_MIN_HISTORY = 3


def global_grad_norm(parameters: list[torch.nn.Parameter]) -> torch.Tensor | None:
    """The 2-norm of all gradients together, as a 0-d tensor; ``None`` if there are none.

    One fused ``_foreach_norm`` (as ``clip_grad_norm_`` uses inside), about half the time of
    ``torch.nn.utils.get_total_norm``'s grouping by device and dtype: it runs every step.
    """
    import torch

    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return None
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


class StabilityMonitor(pl.Callback):
    """Record gradient norms, clipping events and loss spikes; stop a diverging run.

    :param recorder: where the values go; the monitor listens to its logging intervals.
    :param grad_clip: the clipping threshold of the run (``None``: never clipped, no events).
    """

    def __init__(self, recorder: MlflowRecorder, grad_clip: float | None) -> None:
        self.recorder = recorder
        self.grad_clip = grad_clip
        self.divergence: str | None = None
        """Why training stopped as diverged, or ``None``."""
        self.clip_events = 0
        self.loss_spikes = 0
        self._trainer: pl.Trainer | None = None
        self._parameters: list[torch.nn.Parameter] = []
        self._latest_norm: torch.Tensor | None = None
        self._step_norms: list[torch.Tensor] = []
        self._recent_losses: deque[float] = deque(maxlen=SPIKE_WINDOW)
        recorder.interval_listeners.append(self.close_interval)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Remember the trainer and the parameters whose gradients are measured."""
        self._trainer = trainer
        self._parameters = [p for p in pl_module.parameters() if p.requires_grad]

    def on_after_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Take the global gradient norm as it is before any clipping."""
        self._latest_norm = global_grad_norm(self._parameters)

    def on_before_optimizer_step(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: Any
    ) -> None:
        """Keep the norm of the gradients this step applies (measured before clipping)."""
        norm = self._latest_norm
        if norm is None:
            norm = global_grad_norm(self._parameters)
        if norm is not None:
            self._step_norms.append(norm)
        self._latest_norm = None

    def close_interval(self, step: int, mean_loss: float) -> None:
        """Summarize the interval's norms and loss; stop training on a non-finite value.

        Called by the recorder when it records an interval's mean training loss.
        """
        add = self.recorder.add
        norms_finite = True
        if self._step_norms:
            import torch

            norms = torch.stack(self._step_norms).float().cpu()
            self._step_norms = []
            norms_finite = bool(torch.isfinite(norms).all())
            add(record.GRAD_NORM, float(norms.mean()), step)
            add(record.GRAD_NORM_MAX, float(norms.max()), step)
            if self.grad_clip is not None:
                self.clip_events += int((norms > self.grad_clip).sum())
            add(record.CLIP_EVENTS, self.clip_events, step)
        if not math.isfinite(mean_loss) or not norms_finite:
            what = "loss" if not math.isfinite(mean_loss) else "gradient norm"
            self._diverge(f"non-finite {what} by step {step}")
            return
        if len(self._recent_losses) >= _SPIKE_MIN_HISTORY:
            if mean_loss > SPIKE_FACTOR * statistics.median(self._recent_losses):
                self.loss_spikes += 1
        self._recent_losses.append(mean_loss)
        add(record.LOSS_SPIKES, self.loss_spikes, step)

    def _diverge(self, reason: str) -> None:
        """Mark the run diverged and ask Lightning to stop after this batch."""
        if self.divergence is None:
            self.divergence = reason
        if self._trainer is not None:
            self._trainer.should_stop = True
