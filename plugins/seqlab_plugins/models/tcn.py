"""The ``tcn`` model: a temporal convolutional network (Bai, Kolter & Koltun 2018), the
parallel-in-time baseline: every position is computed at once, no step-by-step recurrence.

A fair comparison with a recurrent model gives it a receptive field that reaches the task's
dependency (``model.receptive_field``: the fewest blocks that do) and about the recurrent
model's parameters (``model.parameters``: the widest channels within them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from seqlab import Params, hookimpl

if TYPE_CHECKING:
    from torch import nn

    from seqlab.api.register import RegisterModel


MAX_WIDTH = 8192
"""The most channels ``hidden_size`` allows."""


class TCNParams(Params):
    """Parameters of the ``tcn`` model."""

    hidden_size: int = Field(64, ge=1, le=MAX_WIDTH, description="channels of every block")
    num_layers: int = Field(4, ge=1, le=16, description="residual blocks; block l dilates by 2**l")
    kernel_size: int = Field(3, ge=2, le=16, description="taps of each causal convolution")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout after each convolution")
    receptive_field: int | None = Field(
        None,
        ge=2,
        le=1_000_000,
        description="steps each output must see, e.g. the task's length: sets num_layers to the "
        "fewest blocks that reach them (null: num_layers decides)",
    )
    parameters: int | None = Field(
        None,
        ge=1,
        le=10**9,
        description="about this many weights, e.g. a recurrent model's: sets hidden_size to the "
        "widest within them, counted for one input feature (null: hidden_size decides)",
    )

    @model_validator(mode="after")
    def _derive_layers_and_width(self) -> TCNParams:
        derived: dict[str, int] = {}
        if self.receptive_field is not None:
            derived["num_layers"] = layers_reaching(self.receptive_field, self.kernel_size)
        if self.parameters is not None:
            layers = derived.get("num_layers", self.num_layers)
            derived["hidden_size"] = widest_within(self.parameters, layers, self.kernel_size)
        for name, value in derived.items():  # a resolved spec, given back, holds both: equal
            if name in self.model_fields_set and getattr(self, name) != value:
                source = "receptive_field" if name == "num_layers" else "parameters"
                raise ValueError(
                    f"{name}={getattr(self, name)} contradicts {source}={getattr(self, source)}, "
                    f"which needs {name}={value}: give one of them"
                )
        for name, value in derived.items():  # frozen: set once, while validating
            object.__setattr__(self, name, value)
        return self


MAX_LAYERS = 16
"""The most residual blocks ``num_layers`` allows."""


def receptive_field(num_layers: int, kernel_size: int) -> int:
    """Steps an output sees: 1 + 2 (kernel_size - 1)(2**num_layers - 1)."""
    return 1 + 2 * (kernel_size - 1) * (2**num_layers - 1)


def layers_reaching(steps: int, kernel_size: int) -> int:
    """The fewest blocks whose receptive field covers ``steps`` steps.

    :raises ValueError: when even ``MAX_LAYERS`` blocks do not.
    """
    for layers in range(1, MAX_LAYERS + 1):
        if receptive_field(layers, kernel_size) >= steps:
            return layers
    reach = receptive_field(MAX_LAYERS, kernel_size)
    raise ValueError(
        f"receptive_field={steps} is beyond {MAX_LAYERS} blocks of kernel_size={kernel_size} "
        f"({reach} steps); raise kernel_size"
    )


def weight_count(hidden_size: int, num_layers: int, kernel_size: int, input_size: int) -> int:
    """Trainable parameters of a :class:`TemporalConvNet` (weights and biases; no head)."""
    first = input_size * hidden_size * kernel_size + hidden_size
    skip = input_size * hidden_size + hidden_size if input_size != hidden_size else 0
    block = hidden_size * hidden_size * kernel_size + hidden_size
    return first + skip + block + (num_layers - 1) * 2 * block


WIDTH_INPUT_SIZE = 1
"""The input width ``parameters`` is counted at (the model's input is known only when it is
built; a task's few input features change the count by a few hundred)."""


def widest_within(parameters: int, num_layers: int, kernel_size: int) -> int:
    """The most channels (at least 1, at most ``MAX_WIDTH``) whose network has at most
    ``parameters`` weights."""
    width = 1
    while (
        width < MAX_WIDTH
        and weight_count(width + 1, num_layers, kernel_size, WIDTH_INPUT_SIZE) <= parameters
    ):
        width += 1
    return width


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
