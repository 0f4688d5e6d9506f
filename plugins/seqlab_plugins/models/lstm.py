"""The ``lstm`` model: long short-term memory (Hochreiter & Schmidhuber 1997; forget gate:
Gers, Schmidhuber & Cummins 2000), fused by default, or unfused for the ablations of
Greff et al. (2017)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from seqlab import hookimpl
from seqlab_plugins.models.recurrent_params import RecurrentParams

if TYPE_CHECKING:
    from torch import nn

    from seqlab.api.register import RegisterModel

Variant = Literal[
    "full", "no_forget_gate", "no_input_gate", "no_output_gate", "cifg", "no_output_activation"
]

FUSED_FORGET_BLOCK = 1
"""torch's LSTM stacks its gate blocks as input, forget, cell, output."""


class LSTMParams(RecurrentParams):
    """Parameters of the ``lstm`` model."""

    cell: Literal["auto", "fused", "unfused"] = Field(
        "auto",
        description="fused: torch's kernel (cuDNN on GPU); unfused: a step-by-step cell that "
        "allows variants and peepholes; auto: fused unless a variant or peepholes need unfused",
    )
    variant: Variant = Field(
        "full",
        description="ablation (Greff et al. 2017): no_forget_gate (the 1997 LSTM), "
        "no_input_gate, no_output_gate, cifg (input gate = 1 - forget gate), "
        "no_output_activation (h = o * c)",
    )
    peepholes: bool = Field(False, description="cell-to-gate peephole connections (unfused)")
    forget_bias: float | None = Field(
        None, ge=-10, le=10, description="initial forget-gate bias (null: torch's uniform init)"
    )

    @model_validator(mode="after")
    def _fused_cell_has_no_ablation(self) -> LSTMParams:
        if self.cell == "fused" and (self.variant != "full" or self.peepholes):
            raise ValueError(
                "cell=fused has no ablations: variant must be 'full' and peepholes false "
                "(use cell=unfused or cell=auto)"
            )
        if self.forget_bias is not None and self.variant == "no_forget_gate":
            raise ValueError("forget_bias needs a forget gate; variant=no_forget_gate has none")
        return self

    @property
    def unfused(self) -> bool:
        """Whether the step-by-step cell is used."""
        return self.cell == "unfused" or (
            self.cell == "auto" and (self.variant != "full" or self.peepholes)
        )


@hookimpl
def register_models(register: RegisterModel) -> None:
    """Register ``lstm``."""
    register("lstm", build_lstm, LSTMParams, bidirectional=True, carries_state=True)


def build_lstm(params: LSTMParams, input_size: int) -> nn.Module:
    """Long short-term memory: gated additive cell state; fused, or unfused with ablations."""
    from torch import nn

    from seqlab_plugins.models.initialization import initialize_recurrent, set_forget_bias

    if params.unfused:
        from seqlab_plugins.models.unfused_lstm_module import UnfusedLSTM

        model = UnfusedLSTM(
            input_size,
            params.hidden_size,
            num_layers=params.num_layers,
            dropout=params.layer_dropout,
            variant=params.variant,
            peepholes=params.peepholes,
        )
        weights = model
    else:
        from seqlab_plugins.models.fused_recurrent_module import FusedRecurrent

        layer = nn.LSTM(
            input_size,
            params.hidden_size,
            num_layers=params.num_layers,
            dropout=params.layer_dropout,
            batch_first=True,
        )
        model, weights = FusedRecurrent(layer), layer
    initialize_recurrent(weights, params.init)
    if params.forget_bias is not None:
        forget_index = model.gate_index("f") if params.unfused else FUSED_FORGET_BLOCK
        set_forget_bias(weights, params.forget_bias, forget_index)
    return model
