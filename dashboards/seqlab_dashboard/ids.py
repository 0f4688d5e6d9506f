"""Component ids shared by the app shell and its views, in one place.

Ids of a view's own controls are made with :func:`control` so two views never clash.
"""

from __future__ import annotations

VIEW_STATE = "view-state"
"""Store: ``{"query": {...}}`` written by the current view; the shell mirrors it into the URL."""
NAV_LINK = "nav-link"
"""Pattern-matching type of the navigation links (``{"type": NAV_LINK, "path": ...}``)."""
FIGURE = "figure"
"""Pattern-matching type of every downloadable graph (``{"type": FIGURE, "name": ...}``)."""
CSV_BUTTON = "csv-button"
CSV_DOWNLOAD = "csv-download"
IMAGE_FORMAT = "image-format"
"""Radio in the header: download figures as PNG or SVG."""
STORE_SUMMARY = "store-summary"
REFRESH_TIMER = "refresh-timer"


def control(view: str, name: str) -> str:
    """The id of control ``name`` of view ``view`` (e.g. ``curves-metric``)."""
    return f"{view}-{name}"
