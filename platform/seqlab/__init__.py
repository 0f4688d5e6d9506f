"""seqlab: compare sequence models with evidence.

Plugin authors import :data:`hookimpl` to mark their hook implementations::

    from seqlab import hookimpl

Nothing heavy is imported here: torch, Lightning, MLflow and Dash load only where a command
needs them.
"""

from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("seqlab")
"""Marker for plugin hook implementations (see :mod:`seqlab.api.hookspecs`)."""

__all__ = ["hookimpl", "Params"]


def __getattr__(name: str) -> Any:
    """Resolve ``seqlab.__version__`` and ``seqlab.Params`` lazily."""
    if name == "__version__":
        from importlib.metadata import version

        globals()["__version__"] = found = version("seqlab")  # read the metadata once
        return found
    if name == "Params":
        from seqlab.api.params import Params

        return Params
    raise AttributeError(f"module 'seqlab' has no attribute {name!r}")
