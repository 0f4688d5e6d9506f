"""The model contract: what a model plugin's ``build(params, input_size)`` returns.

A model is an ``nn.Module`` over batch-first tensors that returns its outputs *and* its state,
so strategies can carry state across chunks (truncated BPTT) or read it (the state trace).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

if TYPE_CHECKING:
    import torch

State: TypeAlias = "torch.Tensor | tuple[torch.Tensor, ...]"
"""A model's carried state: one tensor (RNN, GRU) or a tuple of tensors (an LSTM's ``(h, c)``)."""


@runtime_checkable
class SequenceModel(Protocol):
    """The interface every model satisfies (an ``nn.Module`` in practice).

    :ivar output_size: the size of the last axis of ``outputs``.
    """

    output_size: int

    def __call__(
        self, x: torch.Tensor, state: Any = None, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, Any]:
        """Read ``x`` of shape ``(batch, time, input_size)`` from ``state`` (fresh if ``None``).

        :param x: batch-first inputs.
        :param state: the state a previous call returned, or ``None`` to start afresh.
        :param lengths: each sequence's true length for padded batches, or ``None``.
        :returns: ``(outputs, state)``: outputs of shape ``(batch, time, output_size)`` and the
            state after the last valid position (``None`` for a model without state).
        """
        ...


def map_state(function: Callable[[torch.Tensor], torch.Tensor], state: State) -> State:
    """Apply ``function`` to a state tensor, or to each tensor of a tuple state.

    :param function: e.g. ``torch.Tensor.detach`` to cut the graph between TBPTT chunks.
    :param state: a state as a model returned it.
    :returns: the state with ``function`` applied to every tensor.
    """
    if isinstance(state, tuple):
        return tuple(function(part) for part in state)
    return function(state)
