"""The Lightning system of the ``warmup_bptt`` strategy (imported only when it is built)."""

from __future__ import annotations

from typing import Any

import torch

from seqlab import Batch, RunParts, SequenceSystem


class WarmupBPTT(SequenceSystem):
    """Full BPTT (``SequenceSystem``'s training step) with a warm-up schedule."""

    def __init__(self, parts: RunParts, warmup_steps: int) -> None:
        super().__init__(parts)
        self.warmup_steps = warmup_steps

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """The task's loss; also logs how far the warm-up has come (``strategy/warmup``)."""
        loss = super().training_step(batch, batch_idx)
        self.log("strategy/warmup", min(1.0, (self.global_step + 1) / self.warmup_steps))
        return loss

    def configure_optimizers(self) -> Any:
        """Adam at ``trainer.lr``, scaled by ``(step + 1) / warmup_steps`` until it is reached."""
        optimizer = torch.optim.Adam(self.parameters(), lr=self.settings.lr)
        warmup = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: min(1.0, (step + 1) / self.warmup_steps)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}
