"""A registered component, as the registry keeps it and ``check_combination`` receives it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seqlab.api.params import Params

if TYPE_CHECKING:
    from seqlab.spec import Kind


@dataclass(frozen=True)
class Component:
    """A registered model, task or strategy.

    :param kind: ``"model"``, ``"task"`` or ``"strategy"``.
    :param name: the name users type (``model=lstm``).
    :param build: the factory the runner calls.
    :param params: the pydantic class of its parameters.
    :param plugin: the name of the plugin that registered it.
    :param traits: its declared traits (:data:`seqlab.api.traits.TRAITS`).
    """

    kind: Kind
    name: str
    build: Callable[..., Any]
    params: type[Params]
    plugin: str
    traits: Mapping[str, bool] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The first line of the factory's docstring: the component's one-line help."""
        doc = (self.build.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""
