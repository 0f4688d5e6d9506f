"""The torch module of the ``leaky_rnn`` model (imported only when a model is built)."""

from __future__ import annotations

import torch
from torch import nn


class LeakyRNN(nn.Module):
    """A tanh RNN cell whose state moves a share ``leak`` of the way to its new value."""

    def __init__(self, input_size: int, hidden_size: int, leak: float) -> None:
        super().__init__()
        self.cell = nn.RNNCell(input_size, hidden_size)
        self.leak = leak
        self.output_size = hidden_size

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Read ``x`` (batch, time, input_size) from ``state``: every step's state, and the
        last one."""
        h = state if state is not None else x.new_zeros(x.shape[0], self.output_size)
        outputs = []
        for t in range(x.shape[1]):
            new = (1 - self.leak) * h + self.leak * self.cell(x[:, t], h)
            if lengths is not None:  # padded steps leave the state alone
                valid = (t < lengths.to(x.device)).unsqueeze(-1)
                new = torch.where(valid, new, h)
            h = new
            outputs.append(h)
        return torch.stack(outputs, dim=1), h
