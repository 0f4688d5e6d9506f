"""A causal temporal convolutional network after Bai, Kolter & Koltun (2018), without
weight normalization: residual blocks of two dilated causal convolutions."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CausalBlock(nn.Module):
    """Two causal convolutions with dilation ``dilation`` and a residual connection."""

    def __init__(
        self, in_channels: int, channels: int, kernel_size: int, dilation: int, dropout: float
    ) -> None:
        super().__init__()
        self.left_padding = (kernel_size - 1) * dilation
        self.first = nn.Conv1d(in_channels, channels, kernel_size, dilation=dilation)
        self.second = nn.Conv1d(channels, channels, kernel_size, dilation=dilation)
        self.dropout = nn.Dropout(dropout)
        self.skip = (
            nn.Conv1d(in_channels, channels, 1) if in_channels != channels else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, channels, time) -> (batch, channels, time); step t sees steps <= t only."""
        out = self.dropout(F.relu(self.first(F.pad(x, (self.left_padding, 0)))))
        out = self.dropout(F.relu(self.second(F.pad(out, (self.left_padding, 0)))))
        return F.relu(out + self.skip(x))


class TemporalConvNet(nn.Module):
    """Stacked causal blocks with dilations 1, 2, 4, ...; receptive field
    ``1 + 2 (kernel_size - 1)(2**num_layers - 1)`` steps.

    :param input_size: features per step.
    :param hidden_size: channels per block (also the output width).
    :param num_layers: residual blocks.
    :param kernel_size: taps per convolution.
    :param dropout: dropout after each convolution.
    """

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int, kernel_size: int, dropout: float
    ) -> None:
        super().__init__()
        self.blocks = nn.Sequential(
            *(
                CausalBlock(
                    input_size if level == 0 else hidden_size,
                    hidden_size,
                    kernel_size,
                    2**level,
                    dropout,
                )
                for level in range(num_layers)
            )
        )
        self.receptive_field = 1 + 2 * (kernel_size - 1) * (2**num_layers - 1)
        self.output_size = hidden_size

    def forward(
        self, x: torch.Tensor, state: None = None, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        """Outputs (batch, time, hidden); no state. Causal, so padding after a sequence's end
        never reaches its valid positions."""
        return self.blocks(x.transpose(1, 2)).transpose(1, 2), None
