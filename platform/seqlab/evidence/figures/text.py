"""Text in figures: what a run's or suite's author wrote is shown as typed, never as markup."""

from __future__ import annotations

import html
from typing import Any


def plain(text: str) -> str:
    """Text plotly shows as typed: its HTML-like tags (``<b>``, ``<a href>``) are escaped."""
    return html.escape(text, quote=False)


def group_title(name: str, wanted: dict[str, Any]) -> str:
    """A group's legend title, ``a: model=lstm``, escaped for plotly."""
    return plain(f"{name}: " + " ".join(f"{k}={v}" for k, v in wanted.items()))
