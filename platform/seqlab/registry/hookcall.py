"""Call a hook plugin by plugin, so that one faulty plugin never takes the others down.

Every hook seqlab calls (the ``register_*`` hooks, ``check_combination``,
``register_dashboard_panels``) goes through :func:`call_each_plugin`: each plugin's
implementation is called on its own, in registration order (built-ins first), and an exception
becomes a :class:`Problem` naming the plugin and the hook instead of propagating.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from seqlab.registry.plugin_manager import load_plugins, pm

if TYPE_CHECKING:
    from seqlab.spec import Kind


@dataclass(frozen=True)
class Problem:
    """Something wrong with a plugin or a component, kept to show the user.

    :param plugin: the plugin at fault.
    :param message: one line saying what went wrong and, where it helps, what is allowed.
    :param kind: the component kind concerned (``"model"``, ``"dashboard view"``...), if any.
    :param name: the component name concerned, if any.
    :param level: ``"error"`` when something was left out because of it, ``"warning"`` when
        everything still works but the author probably meant something else.
    """

    plugin: str
    message: str
    kind: Kind | Literal["dashboard view"] | None = None
    name: str | None = None
    level: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.plugin}: {self.message}"


@dataclass(frozen=True)
class Answer:
    """What one plugin's implementation of a hook returned.

    :param plugin: the plugin's registered name.
    :param value: its return value (``None`` for hooks that only call ``register``).
    """

    plugin: str
    value: Any


def call_each_plugin(
    hook_name: str,
    arguments: Mapping[str, Any] | Callable[[str], Mapping[str, Any]],
) -> tuple[list[Answer], list[Problem]]:
    """Call every plugin's implementation of ``hook_name`` in isolation, in registration order.

    Each implementation receives only the arguments it names (pluggy's rule: an implementation
    may take fewer arguments than the spec).

    :param hook_name: a hook of :mod:`seqlab.api.hookspecs`.
    :param arguments: the keyword arguments of the call, or a function of the plugin's name
        giving them (for a ``register`` callback that must know which plugin calls it).
    :returns: the answers of the implementations that returned, and one problem per
        implementation that raised (``"<hook> raised <Error>: <message>"``).
    """
    load_plugins()
    answers: list[Answer] = []
    problems: list[Problem] = []
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        given = arguments(impl.plugin_name) if callable(arguments) else arguments
        try:
            value = impl.function(**{name: given[name] for name in impl.argnames})
        except Exception as exc:  # the plugin's fault, reported; the others go on
            message = f"{hook_name} raised {type(exc).__name__}: {exc}".replace("\n", " ")
            problems.append(Problem(impl.plugin_name, message))
            continue
        answers.append(Answer(impl.plugin_name, value))
    return answers, problems
