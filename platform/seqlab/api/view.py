"""The view contract: what a ``register_dashboard_panels`` implementation registers.

Types only: nothing here imports Dash, so the core can list views without the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from dash import Dash


class RegisterPanel(Protocol):
    """The ``register`` callback handed to ``register_dashboard_panels``."""

    def __call__(
        self,
        path: str,
        title: str,
        layout: Callable[..., Any],
        callbacks: Callable[[Dash], None] | None = None,
        order: int = 100,
        description: str = "",
    ) -> None:
        """Register one view.

        :param path: its URL path, e.g. ``/my-view``; one view per path.
        :param title: its name in the navigation bar and the browser tab.
        :param layout: ``layout(**query)`` returns the view's component tree; ``query`` holds
            the URL's query parameters as strings.
        :param callbacks: ``callbacks(app)`` adds the view's callbacks to the ``dash.Dash``
            app, or ``None``.
        :param order: its position in the navigation bar (built-in views use 10 to 50).
        :param description: one line shown under the title.
        """


@dataclass(frozen=True)
class Panel:
    """One registered dashboard view.

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
