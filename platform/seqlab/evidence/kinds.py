"""Hypothesis kinds, collected from the ``register_hypothesis_kinds`` hook of every plugin.

The built-in kinds (``compare``, ``trend``, ``horizon``) register through the same hook as a
third-party one; a plugin whose implementation raises, or that registers a name another plugin
already registered, loses that kind and is listed with the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from seqlab.evidence.hypotheses import Hypothesis

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.estimate import Estimate, Resampling

EstimateFunction = Callable[[Any, "pd.DataFrame", "Resampling"], "Estimate"]
"""``estimate(hypothesis, runs, resampling)``: measure a hypothesis on a frame of runs."""
FigureFunction = Callable[[Any, "pd.DataFrame"], Any]
"""``figure(hypothesis, runs)``: the plotly figure that answers it, from the same frame."""


class RegisterHypothesisKind(Protocol):
    """The ``register`` callback handed to ``register_hypothesis_kinds``."""

    def __call__(
        self,
        name: str,
        hypothesis: type[Hypothesis],
        estimate: EstimateFunction,
        figure: FigureFunction,
    ) -> None:
        """Register the kind ``name``: its keys, how it is measured, how it is drawn."""


@dataclass(frozen=True)
class HypothesisKind:
    """A registered kind of hypothesis.

    :param name: what a suite writes as ``kind:``.
    :param hypothesis: the pydantic class declaring its keys.
    :param estimate: measures a hypothesis of this kind on runs.
    :param figure: draws the runs behind it.
    :param plugin: the plugin that registered it.
    """

    name: str
    hypothesis: type[Hypothesis]
    estimate: EstimateFunction
    figure: FigureFunction
    plugin: str


@dataclass
class Kinds:
    """Every usable kind by name, and the plugins' problems met while collecting them."""

    by_name: dict[str, HypothesisKind] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    """``(plugin, one-line message)`` per problem; a clash names both plugins, joined by "and"."""

    def models(self) -> dict[str, type[Hypothesis]]:
        """Each kind's pydantic class, by name (what the suite's section is checked against)."""
        return {name: kind.hypothesis for name, kind in self.by_name.items()}


def collect_kinds() -> Kinds:
    """Load the plugins and collect their hypothesis kinds, each plugin's call in isolation
    (:func:`seqlab.registry.hookcall.call_each_plugin`)."""
    from seqlab.registry.hookcall import call_each_plugin

    kinds = Kinds()
    registered: list[HypothesisKind] = []

    def register_for(plugin: str) -> dict[str, RegisterHypothesisKind]:
        def register(
            name: str,
            hypothesis: type[Hypothesis],
            estimate: EstimateFunction,
            figure: FigureFunction,
        ) -> None:
            if not (isinstance(hypothesis, type) and issubclass(hypothesis, Hypothesis)):
                raise TypeError(f"kind {name!r}: hypothesis must subclass Hypothesis")
            registered.append(HypothesisKind(name, hypothesis, estimate, figure, plugin))

        return {"register": register}

    _, raised = call_each_plugin("register_hypothesis_kinds", register_for)
    kinds.problems += [(problem.plugin, problem.message) for problem in raised]
    failed = {problem.plugin for problem in raised}  # a plugin that raised loses its kinds
    owners: dict[str, list[HypothesisKind]] = {}
    for kind in registered:
        if kind.plugin not in failed:
            owners.setdefault(kind.name, []).append(kind)
    for name, entries in owners.items():
        if len(entries) == 1:
            kinds.by_name[name] = entries[0]
        else:
            plugins = " and ".join(entry.plugin for entry in entries)
            kinds.problems.append((plugins, f"kind {name!r} is registered by both {plugins}"))
    return kinds
