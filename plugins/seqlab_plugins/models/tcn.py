"""The ``tcn`` model: a temporal convolutional network (Bai, Kolter & Koltun 2018), the
parallel-in-time baseline: every position is computed at once, no step-by-step recurrence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, hookimpl

if TYPE_CHECKING:
    from torch import nn

    from seqlab.api.register import RegisterModel


class TCNParams(Params):
    """Parameters of the ``tcn`` model."""

    hidden_size: int = Field(64, ge=1, le=8192, description="channels of every block")
    num_layers: int = Field(4, ge=1, le=16, description="residual blocks; block l dilates by 2**l")
    kernel_size: int = Field(3, ge=2, le=16, description="taps of each causal convolution")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after each convolution")


@hookimpl
def register_models(register: RegisterModel) -> None:
    """Register ``tcn``."""
    register("tcn", build_tcn, TCNParams, bidirectional=True, carries_state=False)


def build_tcn(params: TCNParams, input_size: int) -> nn.Module:
    """Temporal convolutional network: causal dilated convolutions, parallel over time."""
    from seqlab_plugins.models.tcn_module import TemporalConvNet

    return TemporalConvNet(
        input_size, params.hidden_size, params.num_layers, params.kernel_size, params.dropout
    )
