"""seqlab: compare sequence models with evidence.

The plugin API, importable from here (``from seqlab import hookimpl, Params, Task``):

- :data:`hookimpl` marks hook implementations (:mod:`seqlab.api.hookspecs` lists the hooks);
- :class:`Params`, :class:`NoParams`: a component's parameters;
- :class:`SequenceModel`, :data:`State`, :func:`map_state`: the model contract;
- :class:`Task`, :data:`Batch`, :data:`Split`, :func:`masked_mean`: the task contract;
- :class:`SequenceSystem`, :class:`RunParts`: what strategies build on;
- :class:`RegisterModel`, :class:`RegisterTask`, :class:`RegisterStrategy` and the factory
  Protocols :class:`BuildModel`, :class:`BuildTask`, :class:`BuildStrategy`: the typed
  ``register`` callbacks; :data:`TRAITS`: the traits a component may declare;
- :class:`Component`: a registration, as ``check_combination`` receives it;
- :class:`RegisterPanel`, :class:`Panel`: dashboard views.

Nothing heavy is imported here: each name is resolved on first use (module ``__getattr__``),
and torch, Lightning, MLflow and Dash load only where a command needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # the names below, for type checkers (``X as X`` marks a re-export)
    from seqlab.api.component import Component as Component
    from seqlab.api.model import SequenceModel as SequenceModel
    from seqlab.api.model import State as State
    from seqlab.api.model import map_state as map_state
    from seqlab.api.params import NoParams as NoParams
    from seqlab.api.params import Params as Params
    from seqlab.api.register import BuildModel as BuildModel
    from seqlab.api.register import BuildStrategy as BuildStrategy
    from seqlab.api.register import BuildTask as BuildTask
    from seqlab.api.register import RegisterModel as RegisterModel
    from seqlab.api.register import RegisterStrategy as RegisterStrategy
    from seqlab.api.register import RegisterTask as RegisterTask
    from seqlab.api.strategy import RunParts as RunParts
    from seqlab.api.strategy import SequenceSystem as SequenceSystem
    from seqlab.api.task import Batch as Batch
    from seqlab.api.task import Split as Split
    from seqlab.api.task import Task as Task
    from seqlab.api.task import masked_mean as masked_mean
    from seqlab.api.traits import TRAITS as TRAITS
    from seqlab.api.view import Panel as Panel
    from seqlab.api.view import RegisterPanel as RegisterPanel

hookimpl = pluggy.HookimplMarker("seqlab")
"""Marker for plugin hook implementations (see :mod:`seqlab.api.hookspecs`)."""

_LAZY: dict[str, str] = {
    "Params": "seqlab.api.params",
    "NoParams": "seqlab.api.params",
    "SequenceModel": "seqlab.api.model",
    "State": "seqlab.api.model",
    "map_state": "seqlab.api.model",
    "Task": "seqlab.api.task",
    "Batch": "seqlab.api.task",
    "Split": "seqlab.api.task",
    "masked_mean": "seqlab.api.task",
    "SequenceSystem": "seqlab.api.strategy",
    "RunParts": "seqlab.api.strategy",
    "BuildModel": "seqlab.api.register",
    "BuildTask": "seqlab.api.register",
    "BuildStrategy": "seqlab.api.register",
    "RegisterModel": "seqlab.api.register",
    "RegisterTask": "seqlab.api.register",
    "RegisterStrategy": "seqlab.api.register",
    "TRAITS": "seqlab.api.traits",
    "Component": "seqlab.api.component",
    "RegisterPanel": "seqlab.api.view",
    "Panel": "seqlab.api.view",
}
"""Each public name and the module defining it (``SequenceSystem`` and ``RunParts`` import
torch and Lightning)."""

__all__ = ["hookimpl", *_LAZY]


def __getattr__(name: str) -> Any:
    """Resolve ``seqlab.__version__`` and the public API names on first use."""
    if name == "__version__":
        from importlib.metadata import version

        globals()["__version__"] = found = version("seqlab")  # read the metadata once
        return found
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'seqlab' has no attribute {name!r}")
