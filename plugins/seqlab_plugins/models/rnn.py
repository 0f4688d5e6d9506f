"""The ``rnn`` model: the Elman network (Elman 1990); with ``nonlinearity=relu`` and
``init=identity`` it is the IRNN of Le, Jaitly & Hinton (2015)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from seqlab import hookimpl
from seqlab_plugins.models.recurrent_params import RecurrentParams

if TYPE_CHECKING:
    from torch import nn

    from seqlab.api.register import RegisterModel


class RNNParams(RecurrentParams):
    """Parameters of the ``rnn`` model."""

    nonlinearity: Literal["tanh", "relu"] = Field(
        "tanh", description="state activation; relu with init=identity is the IRNN"
    )


@hookimpl
def register_models(register: RegisterModel) -> None:
    """Register ``rnn``."""
    register("rnn", build_rnn, RNNParams, bidirectional=True, carries_state=True)


def build_rnn(params: RNNParams, input_size: int) -> nn.Module:
    """Vanilla (Elman) RNN, h_t = act(W x_t + U h_t-1 + b); torch's fused kernel."""
    from torch import nn

    from seqlab_plugins.models.fused_recurrent_module import FusedRecurrent
    from seqlab_plugins.models.initialization import initialize_recurrent

    layer = nn.RNN(
        input_size,
        params.hidden_size,
        num_layers=params.num_layers,
        nonlinearity=params.nonlinearity,
        dropout=params.layer_dropout,
        batch_first=True,
    )
    initialize_recurrent(layer, params.init)
    return FusedRecurrent(layer)
