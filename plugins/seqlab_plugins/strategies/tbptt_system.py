"""The LightningModule of the ``tbptt`` strategy, with Lightning's manual optimization (as
on its "Truncated Backpropagation Through Time" page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import torch

from seqlab.api.strategy import RunParts, SequenceSystem
from seqlab.api.task import Batch, select_rows
from seqlab.api.model import State, map_state


class _Chunk(NamedTuple):
    """One update's slice of a sequence: the model runs over [start, end), the losses are
    those of [losses_from, end) (or of ``rows``, the sequences read out there, for a task
    reading out at the end), and the next chunk starts from the state at ``next_start``."""

    start: int
    losses_from: int
    end: int
    next_start: int
    rows: torch.Tensor | None


class TruncatedBPTT(SequenceSystem):
    """BPTT(k1, k2): an update every ``k1`` steps whose gradient reaches ``k2`` steps back.

    The update at step e carries the losses of steps [e - k1, e) (for a task that reads out
    only at the end: the losses of sequences ending there) and re-runs the model from the
    detached state at e - k2, so nothing before e - k2 gets a gradient. With k2 > k1 the
    windows overlap and each step is run k2 / k1 times in all.
    """

    def __init__(self, parts: RunParts, k1: int, k2: int) -> None:
        super().__init__(parts)
        self.automatic_optimization = False
        self.k1 = k1
        self.k2 = k2

    def updates(self, batch: Batch) -> Iterator[torch.Tensor]:
        """The loss of each update of ``batch``, in order, each ready to backpropagate.

        Steps whose chunk holds no loss (the first chunks of a read-out-at-the-end task, or a
        window whose ``mask`` has no target: :meth:`Task.has_targets`) only advance the state,
        without a graph.
        """
        last = self._last_steps(batch)
        state: State | None = None
        for chunk in self._chunks(batch["x"].shape[1], last):
            if not self._has_losses(batch, chunk):
                with torch.no_grad():
                    state = self._advance(batch, state, chunk.start, chunk.next_start)[1]
                continue
            first, next_state = self._advance(batch, state, chunk.start, chunk.next_start)
            second, _ = self._advance(batch, next_state, chunk.next_start, chunk.end)
            features = torch.cat([first, second], dim=1)  # steps [start, end)
            rows = chunk.rows
            if rows is None or last is None:
                prediction = self.head(features[:, chunk.losses_from - chunk.start :])
                window = self.task.window(batch, chunk.losses_from, chunk.end)
                loss = self.task.loss(prediction, window)
            else:
                prediction = self.head(features[rows, last[rows] - chunk.start])
                share = len(rows) / len(last)  # keeps a batch's losses on the scale of bptt
                loss = self.task.loss(prediction, select_rows(batch, rows)) * share
            state = None if next_state is None else map_state(torch.Tensor.detach, next_state)
            yield loss

    def updates_per_batch(self, batch: Batch) -> int:
        """How many optimizer updates training on ``batch`` makes (chunks that carry a loss)."""
        chunks = self._chunks(batch["x"].shape[1], self._last_steps(batch))
        return sum(1 for chunk in chunks if self._has_losses(batch, chunk))

    def _has_losses(self, batch: Batch, chunk: _Chunk) -> bool:
        """Whether the chunk's losses exist: sequences read out in it, or targets in it."""
        if chunk.rows is not None:
            return chunk.rows.numel() > 0
        return self.task.has_targets(self.task.window(batch, chunk.losses_from, chunk.end))

    def _chunks(self, steps: int, last: torch.Tensor | None) -> Iterator[_Chunk]:
        """The chunks of a sequence of ``steps`` steps, in order (index arithmetic only)."""
        start = end = 0
        while end < steps:
            losses_from, end = end, min(end + self.k1, steps)
            next_start = max(0, min(end + self.k1, steps) - self.k2)
            rows = None  # a loss at every step of [losses_from, end)
            if last is not None:  # the sequences read out in [losses_from, end)
                rows = torch.nonzero((last >= losses_from) & (last < end)).squeeze(1)
            yield _Chunk(start, losses_from, end, next_start, rows)
            start = next_start

    def _last_steps(self, batch: Batch) -> torch.Tensor | None:
        """Each sequence's read-out step for a task reading out at the end, else None."""
        if self.task.readout != "last":
            return None
        x = batch["x"]
        if "lengths" in batch:
            return batch["lengths"].to(x.device).long() - 1
        return torch.full((x.shape[0],), x.shape[1] - 1, dtype=torch.long, device=x.device)

    def _advance(
        self, batch: Batch, state: State | None, start: int, stop: int
    ) -> tuple[torch.Tensor, State | None]:
        """Run the model over steps [start, stop) from ``state``: (features, state at stop)."""
        if stop <= start:
            return batch["x"].new_zeros(batch["x"].shape[0], 0, self.model.output_size), state
        part = self.task.window(batch, start, stop)
        return self.model(part["x"], state=state, lengths=part.get("lengths"))

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """One optimizer step per update; returns the mean of the updates' losses, detached."""
        optimizer = self.optimizers()
        losses = []
        for loss in self.updates(batch):
            optimizer.zero_grad()
            self.manual_backward(loss)
            optimizer.step()
            losses.append(loss.detach())
        return torch.stack(losses).mean()

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        """Clip the gradient norm to ``trainer.grad_clip``, if set.

        Lightning calls this after the callbacks' hook of the same name, so they measure the
        gradient before clipping, as under automatic optimization.
        """
        if self.settings.grad_clip is not None:
            self.clip_gradients(
                optimizer, gradient_clip_val=self.settings.grad_clip, gradient_clip_algorithm="norm"
            )
