"""The ``lstm`` model: torch's fused LSTM (Hochreiter & Schmidhuber 1997)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, hookimpl

if TYPE_CHECKING:
    from torch import nn

    from seqlab.registry import RegisterComponent


class LSTMParams(Params):
    """Parameters of the ``lstm`` model."""

    hidden_size: int = Field(64, ge=1, le=8192, description="units in each layer's state")
    num_layers: int = Field(1, ge=1, le=16, description="stacked LSTM layers")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout between stacked layers")


@hookimpl
def register_models(register: RegisterComponent) -> None:
    """Register ``lstm``."""
    register("lstm", build_lstm, LSTMParams, bidirectional=True, carries_state=True)


def build_lstm(params: LSTMParams, input_size: int) -> nn.Module:
    """Long short-term memory: gated cell state, torch's fused kernel (cuDNN on GPU)."""
    from torch import nn

    from seqlab_plugins.models.fused import FusedRecurrent

    layer = nn.LSTM(
        input_size,
        params.hidden_size,
        num_layers=params.num_layers,
        dropout=params.dropout if params.num_layers > 1 else 0.0,
        batch_first=True,
    )
    return FusedRecurrent(layer)
