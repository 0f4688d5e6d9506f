"""Collect the components plugins register into name -> component tables.

Each plugin's ``register_*`` hook is called on its own, so a plugin that raises loses only its
own components; a name registered by two plugins is refused for both, naming them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol

from seqlab.api.params import NoParams, Params
from seqlab.registry.plugin_manager import load_plugins, pm

Kind = Literal["model", "task", "strategy"]
KINDS: tuple[Kind, ...] = ("model", "task", "strategy")
_HOOK_OF_KIND: dict[Kind, str] = {
    "model": "register_models",
    "task": "register_tasks",
    "strategy": "register_strategies",
}


class RegisterComponent(Protocol):
    """The ``register`` callback handed to the ``register_*`` hooks."""

    def __call__(
        self,
        name: str,
        build: Callable[..., Any],
        params: type[Params] = NoParams,
        **traits: Any,
    ) -> None:
        """Register ``build`` under ``name`` with its parameter class and traits."""


@dataclass(frozen=True)
class Component:
    """A registered model, task or strategy.

    :param kind: ``"model"``, ``"task"`` or ``"strategy"``.
    :param name: the name users type (``model=lstm``).
    :param build: the factory the runner calls.
    :param params: the pydantic class of its parameters.
    :param plugin: the name of the plugin that registered it.
    :param traits: facts other plugins read in ``check_combination``.
    """

    kind: Kind
    name: str
    build: Callable[..., Any]
    params: type[Params]
    plugin: str
    traits: Mapping[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The first line of the factory's docstring: the component's one-line help."""
        doc = (self.build.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


@dataclass(frozen=True)
class Problem:
    """Something wrong with a plugin or a component, kept to show the user.

    :param plugin: the plugin at fault (two names joined by " and " for a clash).
    :param message: one line saying what went wrong.
    :param kind: the component kind concerned, if any.
    :param name: the component name concerned, if any.
    """

    plugin: str
    message: str
    kind: Kind | None = None
    name: str | None = None


class ComponentError(LookupError):
    """A component name that cannot be used: unknown, or broken by its plugin."""


@dataclass
class Registry:
    """Every usable component by kind and name, and the problems met while collecting them."""

    components: dict[Kind, dict[str, Component]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
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
                raise ComponentError(f"{kind} {name!r} is unusable: {problem.message}")
        known = sorted(table)
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        broken = sorted({p.plugin for p in self.problems if p.name is None})
        note = f"; plugins that failed: {', '.join(broken)}" if broken else ""
        raise ComponentError(
            f"unknown {kind} {name!r}{hint} (known: {', '.join(known) or 'none'}){note}"
        )

    def find(self, name: str) -> list[Component]:
        """Every component, of any kind, registered under ``name``."""
        return [table[name] for table in self.components.values() if name in table]


def build_registry() -> Registry:
    """Load the plugins and collect their components, isolating each plugin's failures."""
    load_plugins()
    registry = Registry()
    owners: dict[tuple[Kind, str], list[Component]] = {}
    for kind in KINDS:
        hook = getattr(pm.hook, _HOOK_OF_KIND[kind])
        for impl in hook.get_hookimpls():  # registration order
            _call_register_hook(kind, impl, owners, registry)
    for (kind, name), entries in owners.items():
        if len(entries) == 1:
            registry.components[kind][name] = entries[0]
            continue
        plugins = " and ".join(entry.plugin for entry in entries)
        registry.problems.append(
            Problem(plugins, f"{kind} {name!r} is registered by both {plugins}", kind, name)
        )
    return registry


def _call_register_hook(
    kind: Kind, impl: Any, owners: dict[tuple[Kind, str], list[Component]], registry: Registry
) -> None:
    """Call one plugin's ``register_*`` implementation, recording what it registers."""

    registered: list[Component] = []

    def register(
        name: str, build: Callable[..., Any], params: type[Params] = NoParams, **traits: Any
    ) -> None:
        if not (isinstance(params, type) and issubclass(params, Params)):
            raise TypeError(f"{kind} {name!r}: params must be a seqlab.Params subclass")
        traits_view = MappingProxyType(dict(traits))
        registered.append(Component(kind, name, build, params, impl.plugin_name, traits_view))

    kwargs = {"register": register} if "register" in impl.argnames else {}
    try:
        impl.function(**kwargs)
    except Exception as exc:  # the plugin loses its components of this kind, nothing else
        registry.problems.append(
            Problem(impl.plugin_name, f"{_HOOK_OF_KIND[kind]} raised {type(exc).__name__}: {exc}")
        )
        return
    for component in registered:
        owners.setdefault((kind, component.name), []).append(component)


def check_combination(model: Component, task: Component, strategy: Component) -> list[str]:
    """Ask every plugin whether the combination can work; returns the reasons it cannot."""
    reasons = []
    for impl in pm.hook.check_combination.get_hookimpls():
        arguments = {"model": model, "task": task, "strategy": strategy}
        try:
            reason = impl.function(**{arg: arguments[arg] for arg in impl.argnames})
        except Exception as exc:
            reason = f"plugin {impl.plugin_name} failed to check: {type(exc).__name__}: {exc}"
        if reason:
            reasons.append(reason)
    return reasons
