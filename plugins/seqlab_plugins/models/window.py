"""The ``window`` model: a memory-less MLP that sees only the last k inputs (a time-delay
network in the spirit of Waibel et al. 1989), the control for claims about memory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, hookimpl

if TYPE_CHECKING:
    from torch import nn

    from seqlab.api.register import RegisterModel


class WindowParams(Params):
    """Parameters of the ``window`` model."""

    window: int = Field(8, ge=1, le=4096, description="k: how many of the latest inputs it sees")
    hidden_size: int = Field(64, ge=1, le=8192, description="units in each hidden layer")
    num_layers: int = Field(1, ge=1, le=16, description="hidden layers of the MLP")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after each hidden layer")


@hookimpl
def register_models(register: RegisterModel) -> None:
    """Register ``window``."""
    register("window", build_window, WindowParams, bidirectional=True, carries_state=False)


def build_window(params: WindowParams, input_size: int) -> nn.Module:
    """Memory-less MLP over the last k inputs only; nothing older reaches it."""
    from seqlab_plugins.models.window_module import WindowMLP

    return WindowMLP(
        input_size, params.window, params.hidden_size, params.num_layers, params.dropout
    )
