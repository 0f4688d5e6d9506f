"""An LSTM written step by step, so that its gates can be removed or changed one at a time.

The variants follow Greff et al. (2017), "LSTM: A Search Space Odyssey". Parameters are named
and laid out like ``torch.nn.LSTM`` (``weight_ih_l<k>``, ``weight_hh_l<k>``, ``bias_ih_l<k>``,
``bias_hh_l<k>``, gate blocks in the order i, f, g, o), minus the blocks of removed gates, so
that the full variant loads a fused LSTM's ``state_dict`` and computes the same function.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LSTM_GATES = ("i", "f", "g", "o")
"""Gate blocks of torch's LSTM, in its order: input, forget, cell candidate, output."""

REMOVED_GATES = {
    "full": (),
    "no_forget_gate": ("f",),
    "no_input_gate": ("i",),
    "no_output_gate": ("o",),
    "cifg": ("i",),
    "no_output_activation": (),
}
"""The gate blocks each variant does without (CIFG computes i = 1 - f instead)."""


class UnfusedLSTM(nn.Module):
    """A batch-first, stacked LSTM with the seqlab model interface and Greff et al.'s variants.

    :param input_size: features per input step.
    :param hidden_size: units per layer.
    :param num_layers: stacked layers.
    :param dropout: dropout on the outputs of every layer but the last.
    :param variant: ``full``, ``no_forget_gate`` (f = 1, the 1997 LSTM), ``no_input_gate``
        (i = 1), ``no_output_gate`` (o = 1), ``cifg`` (i = 1 - f) or ``no_output_activation``
        (h = o * c).
    :param peepholes: add diagonal cell-to-gate connections (Gers & Schmidhuber 2000).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        variant: str = "full",
        peepholes: bool = False,
    ) -> None:
        super().__init__()
        if variant not in REMOVED_GATES:
            raise ValueError(f"unknown LSTM variant {variant!r}")
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.variant = variant
        self.gates = tuple(gate for gate in LSTM_GATES if gate not in REMOVED_GATES[variant])
        self.peephole_gates = tuple(gate for gate in self.gates if gate != "g") if peepholes else ()
        self.output_size = hidden_size
        rows = len(self.gates) * hidden_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(rows, width)))
            self.register_parameter(
                f"weight_hh_l{layer}", nn.Parameter(torch.empty(rows, hidden_size))
            )
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(rows)))
            self.register_parameter(f"bias_hh_l{layer}", nn.Parameter(torch.empty(rows)))
            for gate in self.peephole_gates:
                self.register_parameter(
                    f"peephole_{gate}_l{layer}", nn.Parameter(torch.empty(hidden_size))
                )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in ±1/sqrt(hidden_size), like torch's LSTM."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            nn.init.uniform_(parameter, -bound, bound)

    def gate_index(self, gate: str) -> int:
        """The block index of ``gate`` (one of i, f, g, o) in this variant's weights."""
        return self.gates.index(gate)

    def forward(
        self,
        x: torch.Tensor,
        state: tuple[torch.Tensor, torch.Tensor] | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Run over ``x`` (batch, time, features) from ``state`` = (h, c), each (layers, batch,
        hidden), zeros if None. Past a sequence's length the state stays as it was and the
        outputs are zero, as with packed sequences."""
        batch, steps, _ = x.shape
        if state is None:
            zeros = x.new_zeros(self.num_layers, batch, self.hidden_size)
            state = (zeros, zeros)
        valid = None
        if lengths is not None:
            positions = torch.arange(steps, device=x.device)
            valid = (positions[None, :] < lengths.to(x.device)[:, None]).unsqueeze(-1)
        final_h, final_c = [], []
        layer_input = x
        for layer in range(self.num_layers):
            layer_input, h, c = self._run_layer(
                layer, layer_input, state[0][layer], state[1][layer], valid
            )
            final_h.append(h)
            final_c.append(c)
            if layer < self.num_layers - 1 and self.dropout > 0:
                layer_input = F.dropout(layer_input, self.dropout, self.training)
        return layer_input, (torch.stack(final_h), torch.stack(final_c))

    def _run_layer(
        self,
        layer: int,
        x: torch.Tensor,
        h: torch.Tensor,
        c: torch.Tensor,
        valid: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        weight_hh = getattr(self, f"weight_hh_l{layer}")
        bias_hh = getattr(self, f"bias_hh_l{layer}")
        peepholes = {
            gate: getattr(self, f"peephole_{gate}_l{layer}") for gate in self.peephole_gates
        }
        projected = F.linear(
            x, getattr(self, f"weight_ih_l{layer}"), getattr(self, f"bias_ih_l{layer}")
        )
        outputs = []
        for step in range(x.shape[1]):
            blocks = projected[:, step] + F.linear(h, weight_hh, bias_hh)
            pre = dict(zip(self.gates, blocks.chunk(len(self.gates), dim=1)))
            new_h, new_c = self._cell(pre, c, peepholes)
            if valid is not None:
                keep = valid[:, step]
                new_h, new_c = torch.where(keep, new_h, h), torch.where(keep, new_c, c)
                outputs.append(new_h * keep)
            else:
                outputs.append(new_h)
            h, c = new_h, new_c
        return torch.stack(outputs, dim=1), h, c

    def _cell(
        self, pre: dict[str, torch.Tensor], c: torch.Tensor, peepholes: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of the cell from the gates' pre-activations and the previous cell state."""

        def gate(name: str, cell: torch.Tensor) -> torch.Tensor:
            peephole = peepholes[name] * cell if name in peepholes else 0.0
            return torch.sigmoid(pre[name] + peephole)

        candidate = torch.tanh(pre["g"])
        forget = gate("f", c) if "f" in pre else None
        if self.variant == "cifg":
            write = 1.0 - forget
        else:
            write = gate("i", c) if "i" in pre else 1.0
        new_c = (c if forget is None else forget * c) + write * candidate
        read = gate("o", new_c) if "o" in pre else 1.0
        activation = new_c if self.variant == "no_output_activation" else torch.tanh(new_c)
        return read * activation, new_c
