"""A wrapper giving torch's fused recurrent layers (RNN, LSTM, GRU) seqlab's model interface.

``forward(x, state=None, lengths=None) -> (outputs, state)`` on batch-first tensors; with
``lengths``, padded batches go through the fused kernel as packed sequences, so padding
never reaches the state.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class FusedRecurrent(nn.Module):
    """A batch-first ``nn.RNN``/``nn.LSTM``/``nn.GRU`` with the seqlab model interface.

    :param layer: the torch recurrent layer, built with ``batch_first=True``.
    """

    def __init__(self, layer: nn.RNNBase) -> None:
        super().__init__()
        if not layer.batch_first:
            raise ValueError("FusedRecurrent needs a batch_first layer")
        self.layer = layer
        self.output_size = layer.hidden_size * (2 if layer.bidirectional else 1)

    def forward(
        self,
        x: torch.Tensor,
        state: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        """Run the layer over ``x`` (batch, time, features) from ``state`` (zeros if None)."""
        if lengths is None:
            return self.layer(x, state)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, state = self.layer(packed, state)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=x.shape[1])
        return outputs, state
