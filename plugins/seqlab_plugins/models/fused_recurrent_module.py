"""A wrapper giving torch's fused recurrent layers (RNN, LSTM, GRU) seqlab's model interface.

``forward(x, state=None, lengths=None) -> (outputs, state)`` on batch-first tensors; with
``lengths``, padded batches go through the fused kernel as packed sequences, so padding
never reaches the state. A sequence of length 0 (one that ended before a TBPTT chunk) keeps
its state unchanged and outputs zeros.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqlab.api.model import State, map_state

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
        self, x: torch.Tensor, state: State | None = None, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State]:
        """Run the layer over ``x`` (batch, time, features) from ``state`` (zeros if None)."""
        if lengths is None:
            return self.layer(x, state)
        lengths = lengths.cpu()
        if bool((lengths > 0).all()):
            return self._packed(x, state, lengths)
        return self._skipping_empty(x, state, lengths)

    def _packed(
        self, x: torch.Tensor, state: State | None, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, State]:
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        outputs, state = self.layer(packed, state)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=x.shape[1])
        return outputs, state

    def _skipping_empty(
        self, x: torch.Tensor, state: State | None, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, State]:
        """Run only the sequences with steps left; the others keep their state."""
        if state is None:
            state = self._zero_state(x)
        rows = torch.nonzero(lengths > 0).squeeze(1).to(x.device)
        outputs = x.new_zeros(x.shape[0], x.shape[1], self.output_size)
        if rows.numel() == 0:
            return outputs, state
        row_state = map_state(lambda part: part[:, rows], state)
        row_outputs, row_state = self._packed(x[rows], row_state, lengths[rows.cpu()])
        outputs = outputs.index_copy(0, rows, row_outputs)
        if isinstance(state, tuple):
            state = tuple(old.index_copy(1, rows, new) for old, new in zip(state, row_state))
        else:
            state = state.index_copy(1, rows, row_state)
        return outputs, state

    def _zero_state(self, x: torch.Tensor) -> State:
        layers = self.layer.num_layers * (2 if self.layer.bidirectional else 1)
        zeros = x.new_zeros(layers, x.shape[0], self.layer.hidden_size)
        return (zeros, zeros.clone()) if isinstance(self.layer, nn.LSTM) else zeros
