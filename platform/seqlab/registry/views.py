"""Collect the dashboard views plugins register through ``register_dashboard_panels``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from seqlab.api.view import Panel
from seqlab.registry.hookcall import Problem, call_each_plugin

if TYPE_CHECKING:
    from dash import Dash

    from seqlab.api.view import RegisterPanel

VIEW: Final = "dashboard view"
"""The kind of component a view is, in problems and listings."""


def collect_panels(problems: list[Problem] | None = None) -> list[Panel]:
    """Every view the loaded plugins register, in navigation order.

    A plugin whose hook raises, and a view whose path another plugin took first, are left out
    and reported, so one broken view never takes the dashboard down.

    :param problems: where to append those problems; when ``None``, the first one is raised.
    :raises ValueError: without ``problems``, for the first problem met.
    """
    panels: dict[str, Panel] = {}
    clashes: list[Problem] = []

    def register_for(plugin: str) -> dict[str, RegisterPanel]:
        def register(
            path: str,
            title: str,
            layout: Callable[..., Any],
            callbacks: Callable[[Dash], None] | None = None,
            order: int = 100,
            description: str = "",
        ) -> None:
            if path in panels:
                message = f"dashboard path {path!r} of plugin {plugin} is taken by {panels[path].plugin}"
                clashes.append(Problem(plugin, message, VIEW, path))
                return
            panels[path] = Panel(path, title, layout, callbacks, order, description, plugin)

        return {"register": register}

    _, raised = call_each_plugin("register_dashboard_panels", register_for)
    found = raised + clashes
    if problems is None and found:
        raise ValueError(str(found[0]))
    if problems is not None:
        problems.extend(Problem(p.plugin, p.message, VIEW, p.name) for p in found)
    return sorted(panels.values(), key=lambda panel: (panel.order, panel.title))
