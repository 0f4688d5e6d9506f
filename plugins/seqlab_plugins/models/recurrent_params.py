"""Parameters every recurrent model shares: ``model.hidden_size``, ``model.num_layers``,
``model.dropout`` and ``model.init`` (the initialization of the recurrent weights)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from seqlab import Params

InitScheme = Literal["default", "orthogonal", "xavier", "identity"]


class RecurrentParams(Params):
    """Parameters shared by ``rnn``, ``lstm`` and ``gru``."""

    hidden_size: int = Field(64, ge=1, le=8192, description="units in each layer's state")
    num_layers: int = Field(1, ge=1, le=16, description="stacked recurrent layers")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout between stacked layers")
    init: InitScheme = Field(
        "default",
        description="recurrent weights: default (torch's uniform), orthogonal, xavier "
        "(uniform Glorot) or identity (with zero biases, as in IRNN), per gate block",
    )

    @property
    def layer_dropout(self) -> float:
        """Dropout between stacked layers: 0 for a single layer, where torch ignores it."""
        return self.dropout if self.num_layers > 1 else 0.0
