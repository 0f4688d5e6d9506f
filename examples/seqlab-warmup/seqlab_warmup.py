"""A warm-up strategy for seqlab: full BPTT whose learning rate rises linearly from zero.

Early Adam steps on long sequences can be large; a warm-up keeps them small while the moment
estimates settle (Goyal et al. 2017 made it common).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, RegisterStrategy, RunParts, hookimpl

if TYPE_CHECKING:
    from seqlab_warmup_system import WarmupBPTT


class WarmupParams(Params):
    """Parameters of the ``warmup_bptt`` strategy."""

    warmup_steps: int = Field(
        100, ge=1, le=1_000_000, description="optimizer steps to reach trainer.lr"
    )


@hookimpl
def register_strategies(register: RegisterStrategy) -> None:
    """Register ``warmup_bptt``."""
    register("warmup_bptt", build_warmup_bptt, WarmupParams)


def build_warmup_bptt(params: WarmupParams, parts: RunParts) -> WarmupBPTT:
    """Full BPTT with a linear learning-rate warm-up over the first steps."""
    from seqlab_warmup_system import WarmupBPTT

    return WarmupBPTT(parts, params.warmup_steps)
