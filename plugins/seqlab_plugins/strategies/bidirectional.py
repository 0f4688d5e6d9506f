"""The ``bidirectional`` strategy: a bidirectional recurrent network (Schuster & Paliwal 1997),
one model reading forwards and a second, independent one reading backwards, trained with full
BPTT. Its trait ``reads_backwards`` has it refused where it would see the future (causal tasks)
or for models that cannot read backwards (:mod:`seqlab.api.traits`)."""

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
    """Register ``bidirectional``; it reads backwards, so seqlab refuses it on causal tasks
    and for models that are not bidirectional."""
    register("bidirectional", build_bidirectional, NoParams, reads_backwards=True)


def build_bidirectional(params: NoParams, parts: RunParts) -> pl.LightningModule:
    """Bidirectional: a forward and a backward model side by side, full BPTT."""
    from seqlab_plugins.strategies.bidirectional_system import Bidirectional

    return Bidirectional(parts)
