"""The ``tbptt`` strategy: truncated backpropagation through time, BPTT(k1, k2) in the sense
of Williams & Peng (1990) (their BPTT(h; h') with h' = k1, h = k2; Sutskever 2013).

Every k1 steps of a sequence, one optimizer update: the losses of those k1 steps are
backpropagated k2 >= k1 steps back, not further; the state is carried across chunks and
detached. ``trainer.max_steps`` counts these updates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from seqlab import Params, hookimpl

if TYPE_CHECKING:
    import pytorch_lightning as pl

    from seqlab.api.register import RegisterStrategy
    from seqlab.api.strategy import RunParts


class TBPTTParams(Params):
    """Parameters of the ``tbptt`` strategy."""

    k1: int = Field(20, ge=1, le=100_000, description="forward steps between two updates")
    k2: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="steps each update backpropagates through, k2 >= k1 (null: k2 = k1)",
    )

    @model_validator(mode="after")
    def _k2_covers_k1(self) -> TBPTTParams:
        if self.k2 is not None and self.k2 < self.k1:
            raise ValueError(
                f"k2={self.k2} is less than k1={self.k1}: each update must reach back over "
                "the k1 steps whose losses it carries"
            )
        return self

    @property
    def truncation(self) -> int:
        """k2, the number of steps an update's gradient reaches back."""
        return self.k2 if self.k2 is not None else self.k1


@hookimpl
def register_strategies(register: RegisterStrategy) -> None:
    """Register ``tbptt``; it carries the state, so seqlab refuses it for stateless models."""
    register("tbptt", build_tbptt, TBPTTParams, carries_state=True)


def build_tbptt(params: TBPTTParams, parts: RunParts) -> pl.LightningModule:
    """Truncated BPTT(k1, k2): an update every k1 steps, gradients k2 steps back."""
    from seqlab_plugins.strategies.tbptt_system import TruncatedBPTT

    return TruncatedBPTT(parts, params.k1, params.truncation)
