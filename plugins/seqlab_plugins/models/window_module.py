"""An MLP applied at every position to the concatenation of the last k inputs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class WindowMLP(nn.Module):
    """Output at step t is a function of x[t-k+1 .. t] only (zeros before the start).

    :param input_size: features per step.
    :param window: k, the number of latest steps seen.
    :param hidden_size: units per hidden layer (also the output width).
    :param num_layers: hidden layers.
    :param dropout: dropout after each hidden layer.
    """

    def __init__(
        self, input_size: int, window: int, hidden_size: int, num_layers: int, dropout: float
    ) -> None:
        super().__init__()
        self.window = window
        layers: list[nn.Module] = []
        width = input_size * window
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden_size), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden_size
        self.mlp = nn.Sequential(*layers)
        self.output_size = hidden_size

    def forward(
        self, x: torch.Tensor, state: None = None, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        """Outputs (batch, time, hidden); no state. Padding after a sequence's end never
        reaches its valid positions, so ``lengths`` needs no handling."""
        batch, steps, features = x.shape
        padded = F.pad(x, (0, 0, self.window - 1, 0))
        windows = padded.unfold(1, self.window, 1)  # (batch, time, features, window)
        flat = windows.transpose(2, 3).reshape(batch, steps, self.window * features)
        return self.mlp(flat), None
