"""The base class for component parameters.

Each model, task and strategy declares its parameters as a subclass of :class:`Params`:
pydantic fields with a type, a default, allowed ranges and a one-line ``description``.
seqlab validates run specs against these classes and shows them in ``seqlab describe``.
"""

from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """Parameters of one component; unknown keys, NaN and infinities are refused, values are
    immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class NoParams(Params):
    """For a component that takes no parameters."""
