"""The ``gru`` model: the gated recurrent unit (Cho et al. 2014)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqlab import hookimpl
from seqlab_plugins.models.recurrent_params import RecurrentParams

if TYPE_CHECKING:
    from torch import nn

    from seqlab.api.register import RegisterModel


class GRUParams(RecurrentParams):
    """Parameters of the ``gru`` model."""


@hookimpl
def register_models(register: RegisterModel) -> None:
    """Register ``gru``."""
    register("gru", build_gru, GRUParams, bidirectional=True, carries_state=True)


def build_gru(params: GRUParams, input_size: int) -> nn.Module:
    """Gated recurrent unit: reset and update gates, one state; torch's fused kernel."""
    from torch import nn

    from seqlab_plugins.models.fused_recurrent_module import FusedRecurrent
    from seqlab_plugins.models.initialization import initialize_recurrent

    layer = nn.GRU(
        input_size,
        params.hidden_size,
        num_layers=params.num_layers,
        dropout=params.layer_dropout,
        batch_first=True,
    )
    initialize_recurrent(layer, params.init)
    return FusedRecurrent(layer)
