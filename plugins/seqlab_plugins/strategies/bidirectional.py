"""The ``bidirectional`` strategy: a bidirectional recurrent network (Schuster & Paliwal 1997),
one model reading forwards and a second, independent one reading backwards, trained with full
BPTT. Refused where it would see the future (causal tasks) or for models that cannot read
backwards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqlab import hookimpl
from seqlab.api.params import NoParams

if TYPE_CHECKING:
    import pytorch_lightning as pl

    from seqlab.registry.components import Component, RegisterComponent
    from seqlab.api.strategy import RunParts


@hookimpl
def register_strategies(register: RegisterComponent) -> None:
    """Register ``bidirectional``."""
    register("bidirectional", build_bidirectional, NoParams)


@hookimpl
def check_combination(model: Component, task: Component, strategy: Component) -> str | None:
    """Refuse ``bidirectional`` on causal tasks and for models that cannot read backwards."""
    if strategy.name != "bidirectional":
        return None
    reasons = []
    if task.traits.get("causal", False):
        reasons.append(
            f"task {task.name} is causal (a prediction must not see the future) and strategy "
            "bidirectional reads the whole sequence both ways; use strategy=bptt or tbptt"
        )
    if not model.traits.get("bidirectional", False):
        reasons.append(f"model {model.name} cannot read a sequence backwards")
    return "; ".join(reasons) or None


def build_bidirectional(params: NoParams, parts: RunParts) -> pl.LightningModule:
    """Bidirectional: a forward and a backward model side by side, full BPTT."""
    from seqlab_plugins.strategies.bidirectional_system import Bidirectional

    return Bidirectional(parts)
