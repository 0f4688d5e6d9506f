"""A leaky-integrator RNN for seqlab (Jaeger et al. 2007).

Each step moves the state only part of the way towards its new value:
h_t = (1 - leak) * h_{t-1} + leak * tanh(W x_t + U h_{t-1} + b).
"""

from __future__ import annotations

from pydantic import Field

from seqlab import Params, hookimpl


class LeakyRNNParams(Params):
    """Parameters of the ``leaky_rnn`` model."""

    hidden_size: int = Field(64, ge=1, le=4096, description="units in the state")
    leak: float = Field(0.5, gt=0.0, le=1.0, description="share of the state renewed each step")


@hookimpl
def register_models(register):
    """Register ``leaky_rnn``."""
    register("leaky_rnn", build_leaky_rnn, LeakyRNNParams, bidirectional=True, carries_state=True)


def build_leaky_rnn(params: LeakyRNNParams, input_size: int):
    """Leaky-integrator RNN: a tanh RNN whose state changes by a fixed share per step."""
    import torch
    from torch import nn

    class LeakyRNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = nn.RNNCell(input_size, params.hidden_size)
            self.output_size = params.hidden_size

        def forward(self, x, state=None, lengths=None):
            h = state if state is not None else x.new_zeros(x.shape[0], self.output_size)
            outputs = []
            for t in range(x.shape[1]):
                new = (1 - params.leak) * h + params.leak * self.cell(x[:, t], h)
                if lengths is not None:  # padded steps leave the state alone
                    valid = (t < lengths.to(x.device)).unsqueeze(-1)
                    new = torch.where(valid, new, h)
                h = new
                outputs.append(h)
            return torch.stack(outputs, dim=1), h

    return LeakyRNN()
