"""The ``bptt`` strategy: full backpropagation through time over the whole sequence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqlab import hookimpl
from seqlab.api.params import NoParams

if TYPE_CHECKING:
    import pytorch_lightning as pl

    from seqlab.api.register import RegisterStrategy
    from seqlab.api.strategy import RunParts


@hookimpl
def register_strategies(register: RegisterStrategy) -> None:
    """Register ``bptt``."""
    register("bptt", build_bptt, NoParams)


def build_bptt(params: NoParams, parts: RunParts) -> pl.LightningModule:
    """Full BPTT: one forward pass over the sequence, gradients through every step."""
    from seqlab.api.strategy import SequenceSystem

    return SequenceSystem(parts)
