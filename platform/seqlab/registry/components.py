"""Collect the components plugins register into name -> component tables.

Each plugin's ``register_*`` hook is called on its own, so a plugin that raises loses only its
own components. Each registration is checked (:mod:`seqlab.registry.checks`); one that breaks a
rule is left out and reported. A name registered twice keeps its first registration (the
built-in one) and reports the newcomer; so does a function named like a hook but not marked
``@hookimpl``, which pluggy would ignore silently.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import partial
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from seqlab.api.component import Component
from seqlab.api.params import NoParams, Params
from seqlab.spec import COMPONENT_KINDS, Kind
from seqlab.api.traits import trait_conflicts
from seqlab.registry.checks import registration_problems
from seqlab.registry.hookcall import Problem, call_each_plugin
from seqlab.registry.plugin_manager import pm

_HOOK_OF_KIND: dict[Kind, str] = {
    "model": "register_models",
    "task": "register_tasks",
    "strategy": "register_strategies",
}


class ComponentError(LookupError):
    """A component name that cannot be used: unknown, or broken by its plugin."""


@dataclass
class Registry:
    """Every usable component by kind and name, and the problems met while collecting them."""

    components: dict[Kind, dict[str, Component]] = field(
        default_factory=lambda: {kind: {} for kind in COMPONENT_KINDS}
    )
    problems: list[Problem] = field(default_factory=list)

    def get(self, kind: Kind, name: str) -> Component:
        """Look up a component, or raise :class:`ComponentError` with a one-line reason.

        Unknown names get the closest known ones as suggestions; names whose plugin failed
        get that plugin's error.
        """
        table = self.components[kind]
        if name in table:
            return table[name]
        for problem in self.problems:
            if problem.kind == kind and problem.name == name:
                raise ComponentError(
                    f"{kind} {name!r} of plugin {problem.plugin} is unusable: {problem.message}"
                )
        known = sorted(table)
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        broken = sorted({p.plugin for p in self.problems if p.name is None and p.level == "error"})
        note = f"; plugins that failed: {', '.join(broken)}" if broken else ""
        raise ComponentError(
            f"unknown {kind} {name!r}{hint} (known: {', '.join(known) or 'none'}){note}"
        )

    def find(self, name: str) -> list[Component]:
        """Every component, of any kind, registered under ``name``."""
        return [table[name] for table in self.components.values() if name in table]

    def check_combination(
        self, model: Component, task: Component, strategy: Component
    ) -> list[str]:
        """The reasons the combination cannot work (see :func:`check_combination`)."""
        return check_combination(model, task, strategy)

    def problems_about(self, name: str) -> list[Problem]:
        """The problems concerning components called ``name`` (left out, or clashing)."""
        return [problem for problem in self.problems if problem.name == name]


def build_registry() -> Registry:
    """Load the plugins and collect their components, isolating each plugin's failures."""
    registry = Registry()
    for kind in COMPONENT_KINDS:
        registered: list[Component] = []
        arguments = partial(_register_arguments, kind, registered, registry.problems)
        _, raised = call_each_plugin(_HOOK_OF_KIND[kind], arguments)
        registry.problems += raised
        failed = {problem.plugin for problem in raised}
        table = registry.components[kind]
        for component in registered:
            if component.plugin in failed:  # a plugin that raised loses its components
                continue
            first = table.get(component.name)
            if first is None:
                table[component.name] = component
                continue
            registry.problems.append(Problem(
                component.plugin,
                f"{kind} {component.name!r} is registered by both {first.plugin} and "
                f"{component.plugin}: {first.plugin}'s is kept, this one is disabled (rename it)",
                kind, component.name,
            ))
    registry.problems += _unmarked_hook_functions()
    return registry


def _register_arguments(
    kind: Kind, registered: list[Component], problems: list[Problem], plugin: str
) -> dict[str, Any]:
    """The ``register`` callback one plugin's ``register_*`` hook receives.

    A registration that breaks a rule is reported in ``problems`` and left out; the plugin's
    other registrations go on.
    """

    def register(
        name: str, build: Callable[..., Any], params: type[Params] = NoParams, **traits: Any
    ) -> None:
        broken = registration_problems(kind, build, params, traits)
        if broken:
            problems.extend(
                Problem(plugin, message, kind, name) for message in broken
            )
            return
        traits_view = MappingProxyType(dict(traits))
        registered.append(Component(kind, name, build, params, plugin, traits_view))

    return {"register": register}


def _unmarked_hook_functions() -> list[Problem]:
    """A warning for each plugin function named like a hook but not marked ``@hookimpl``."""
    hooks = [name for name in vars(pm.hook) if not name.startswith("_")]
    warnings = []
    for plugin in pm.get_plugins():
        for hook in hooks:
            function = getattr(plugin, hook, None)
            if callable(function) and pm.parse_hookimpl_opts(plugin, hook) is None:
                warnings.append(Problem(
                    pm.get_name(plugin) or repr(plugin),
                    f"function {hook} is not marked @hookimpl, so seqlab never calls it "
                    "(decorate it with seqlab.hookimpl)",
                    level="warning",
                ))
    return warnings


def check_combination(model: Component, task: Component, strategy: Component) -> list[str]:
    """Whether the combination can work: the traits' rules, then every plugin's
    ``check_combination``; returns the reasons it cannot."""
    reasons = trait_conflicts(
        (model.name, model.traits), (task.name, task.traits), (strategy.name, strategy.traits)
    )
    arguments = {"model": model, "task": task, "strategy": strategy}
    answers, problems = call_each_plugin("check_combination", arguments)
    reasons += [str(answer.value) for answer in answers if answer.value]
    reasons += [f"plugin {p.plugin} failed to check: {p.message.split(' raised ', 1)[1]}"
                for p in problems]
    return reasons
