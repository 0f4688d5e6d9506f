"""Training progress by optimizer step, beside the latest recorded losses.

Training is step-based (``trainer.max_steps``), so progress counts steps, never epochs, and
validation draws nothing of its own: its values appear beside the steps once recorded. On a
terminal it is one tqdm bar; written to a file or a pipe it is plain lines, one every few
seconds or every tenth of the run, so a log holds no carriage-return redraws.
"""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING, Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks.progress import ProgressBar

from seqlab.store import record

if TYPE_CHECKING:
    from tqdm import tqdm

    from seqlab.measure.recorder import MlflowRecorder

_SHOWN_PREFIXES = (record.TRAIN_LOSS, record.validation_metric(""))

LINE_SECONDS = 5.0
"""Away from a terminal, write a line at least this often while training..."""

LINE_FRACTION = 0.1
"""...and each time this fraction of the steps more is done (but not twice a second)."""


class StepProgress(ProgressBar):
    """Lightning's progress bar for seqlab: steps done of ``max_steps``, the latest training
    loss and validation values, nothing per epoch or validation batch.

    :param recorder: the run's recorder, read for the latest values.
    :param stream: where to draw (default: standard error); a bar on a terminal, else lines.
    :param refresh_steps: on a terminal, redraw every this many steps (drawing costs time).
    """

    def __init__(
        self, recorder: MlflowRecorder, stream: IO[str] | None = None, refresh_steps: int = 10
    ) -> None:
        super().__init__()
        self.recorder = recorder
        self.stream = stream or sys.stderr
        self.refresh_steps = refresh_steps
        self.enabled = True
        self._bar: tqdm | None = None
        self._started = 0.0
        self._last_line = 0.0
        self._next_fraction = 0.0

    def disable(self) -> None:
        """Draw nothing (Lightning calls this in processes that should stay quiet)."""
        self.enabled = False

    def enable(self) -> None:
        """Draw again."""
        self.enabled = True

    def values(self) -> dict[str, str]:
        """The latest training loss and validation values, formatted for display."""
        return {
            key: f"{value:.4g}"
            for key, value in self.recorder.latest.items()
            if key.startswith(_SHOWN_PREFIXES)
        }

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Open the bar (terminal) or start the clock for lines."""
        if not self.enabled:
            return
        self._started = self._last_line = time.monotonic()
        self._next_fraction = LINE_FRACTION
        if self.stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(
                total=trainer.max_steps, desc="training", unit="step", file=self.stream,
                dynamic_ncols=True, leave=True,
            )

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        """Advance the bar every ``refresh_steps`` steps, or write a line when one is due."""
        if not self.enabled:
            return
        step, total = trainer.global_step, trainer.max_steps
        if self._bar is not None:
            if step - self._bar.n >= self.refresh_steps or step >= total:
                self._bar.set_postfix(self.values(), refresh=False)
                self._bar.update(step - self._bar.n)
            return
        now = time.monotonic()
        fraction_done = step >= self._next_fraction * total and now - self._last_line >= 1.0
        if now - self._last_line >= LINE_SECONDS or fraction_done:
            self._write_line(step, total, now)
            self._next_fraction = (int(step / total / LINE_FRACTION) + 1) * LINE_FRACTION

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Show the last step and values, and close the bar."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix(self.values(), refresh=False)
            self._bar.update(trainer.global_step - self._bar.n)
            self._bar.close()
            self._bar = None
            return
        self._write_line(trainer.global_step, trainer.max_steps, time.monotonic())

    def _write_line(self, step: int, total: int, now: float) -> None:
        """``step 250/500 (50%)  3.1s  train/loss=0.04 val/loss=0.05``"""
        shown = "  ".join(f"{key}={value}" for key, value in self.values().items())
        percent = f"{100 * step / total:.0f}%" if total > 0 else "?"
        print(f"step {step}/{total} ({percent})  {now - self._started:.1f}s  {shown}".rstrip(),
              file=self.stream, flush=True)
        self._last_line = now
