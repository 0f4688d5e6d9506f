"""Dashboard views as plugins: what ``register_dashboard_panels`` registers, and collecting them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from dash import Dash


class RegisterPanel(Protocol):
    """The ``register`` callback handed to ``register_dashboard_panels``."""

    def __call__(
        self, path: str, title: str, layout: Callable[..., Any],
        callbacks: Callable[[Dash], None] | None = None, order: int = 100, description: str = "",
    ) -> None: ...


@dataclass(frozen=True)
class Panel:
    """One dashboard view.

    :param path: URL path, e.g. ``/curves``.
    :param title: name in the navigation bar and the browser tab.
    :param layout: ``layout(**query)`` -> the view's component tree.
    :param callbacks: adds the view's callbacks to an app, or ``None``.
    :param order: position in the navigation bar.
    :param description: one line shown under the title.
    :param plugin: the plugin that registered it.
    """

    path: str
    title: str
    layout: Callable[..., Any]
    callbacks: Callable[[Dash], None] | None
    order: int
    description: str
    plugin: str


def collect_panels(problems: list[str] | None = None) -> list[Panel]:
    """Every view the loaded plugins register, in navigation order.

    :param problems: if given, a plugin whose hook raises is skipped and its error appended
        here, so one broken view never takes the dashboard down.
    :raises ValueError: when two views claim the same path.
    """
    from seqlab.registry.plugin_manager import load_plugins, pm

    load_plugins()
    panels: dict[str, Panel] = {}
    for impl in pm.hook.register_dashboard_panels.get_hookimpls():
        def register(
            path: str, title: str, layout: Callable[..., Any],
            callbacks: Callable[[Dash], None] | None = None, order: int = 100,
            description: str = "", plugin: str = impl.plugin_name,
        ) -> None:
            if path in panels:
                raise ValueError(
                    f"dashboard path {path!r} of plugin {plugin} is taken by {panels[path].plugin}"
                )
            panels[path] = Panel(path, title, layout, callbacks, order, description, plugin)

        if problems is None:
            impl.function(register=register)
            continue
        try:
            impl.function(register=register)
        except Exception as exc:
            problems.append(f"{impl.plugin_name}: {type(exc).__name__}: {exc}")
    return sorted(panels.values(), key=lambda panel: (panel.order, panel.title))
