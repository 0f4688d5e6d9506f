"""A leaky-integrator RNN for seqlab (Jaeger et al. 2007).

Each step moves the state only part of the way towards its new value:
h_t = (1 - leak) * h_{t-1} + leak * tanh(W x_t + U h_{t-1} + b).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, RegisterModel, hookimpl

if TYPE_CHECKING:
    from seqlab_leaky_rnn_module import LeakyRNN


class LeakyRNNParams(Params):
    """Parameters of the ``leaky_rnn`` model."""

    hidden_size: int = Field(64, ge=1, le=4096, description="units in the state")
    leak: float = Field(0.5, gt=0.0, le=1.0, description="share of the state renewed each step")


@hookimpl
def register_models(register: RegisterModel) -> None:
    """Register ``leaky_rnn``."""
    register("leaky_rnn", build_leaky_rnn, LeakyRNNParams, bidirectional=True, carries_state=True)


def build_leaky_rnn(params: LeakyRNNParams, input_size: int) -> LeakyRNN:
    """Leaky-integrator RNN: a tanh RNN whose state changes by a fixed share per step."""
    from seqlab_leaky_rnn_module import LeakyRNN

    return LeakyRNN(input_size, params.hidden_size, params.leak)
