"""The state trace: how large a model's state is at every position of a sequence.

A model that carries state (trait ``carries_state``) is run one step at a time from its own
returned state, and at every position t the root mean square of each part of the state is
taken over the whole probe batch (every layer, sequence and unit): ``hidden`` for a state that
is one tensor, ``hidden`` and ``cell`` for an LSTM's ``(h, c)``. Without a forget gate an LSTM's
cell state keeps growing along the sequence; with one it stays bounded (claim C11).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

PART_NAMES = {1: ("hidden",), 2: ("hidden", "cell")}
"""Names of the parts of a state, by how many tensors it has (a tuple, or one tensor)."""


def state_rms_by_position(model: torch.nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """RMS of each part of ``model``'s state after every position of ``x``: (time,) tensors.

    :param model: a seqlab model whose ``forward(x, state=...)`` returns ``(outputs, state)``
        and takes that state back.
    :param x: inputs, (batch, time, features).
    """
    import torch

    squares: dict[str, list[torch.Tensor]] = {}
    state = None
    with torch.no_grad():
        for t in range(x.shape[1]):
            _, state = model(x[:, t : t + 1], state=state)
            parts = state if isinstance(state, tuple) else (state,)
            names = PART_NAMES.get(len(parts), tuple(f"state_{i}" for i in range(len(parts))))
            for name, part in zip(names, parts):
                if isinstance(part, torch.Tensor) and part.numel():
                    squares.setdefault(name, []).append(part.detach().float().pow(2).mean())
    return {name: torch.stack(values).sqrt() for name, values in squares.items()}
