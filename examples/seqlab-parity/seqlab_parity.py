"""The parity task for seqlab: is the number of ones in a random bit sequence odd?

Every bit matters, however far back (Hochreiter & Schmidhuber 1997 list it among the
long-time-lag problems); guessing gives 50% accuracy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, RegisterTask, hookimpl

if TYPE_CHECKING:
    from seqlab_parity_task import ParityTask


class ParityParams(Params):
    """Parameters of the ``parity`` task."""

    length: int = Field(20, ge=1, le=10_000, description="bits per sequence")


@hookimpl
def register_tasks(register: RegisterTask) -> None:
    """Register ``parity``."""
    register("parity", build_parity, ParityParams, causal=False)


def build_parity(params: ParityParams) -> ParityTask:
    """Parity: is the number of ones in a bit sequence odd? (accuracy; chance 0.5)"""
    from seqlab_parity_task import ParityTask

    return ParityTask(params.length)
