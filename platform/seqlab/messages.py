"""Messages every stage prints: values a user wrote echoed in one line however long, the
same values as figures show them, and the hint runs and sweeps end with."""

from __future__ import annotations

import html
from typing import Any

LOOK_AT_IT = "look at it: seqlab dash   (then open http://127.0.0.1:8050)"
"""The hint ``seqlab run`` and ``seqlab sweep`` end with."""


def clipped(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters with the full length said.

    :param text: a message or a value's text, perhaps long or multi-line.
    :param limit: the most characters to keep.
    :returns: the text with runs of whitespace made single spaces, cut when longer.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for echoing user input in one-line errors."""
    return clipped(repr(value), limit)


DISPLAY_LIMIT = 120
"""The most characters of a run-controlled value (a param, a tag, a name) a page shows."""


def display_text(value: Any, limit: int = DISPLAY_LIMIT) -> str:
    """``value`` as a page shows it: its text on one line, clipped to ``limit`` characters
    (a megabyte param value would otherwise fill every response that names it)."""
    return clipped(str(value), limit)


def plot_text(value: Any, limit: int = DISPLAY_LIMIT) -> str:
    """``value`` as a plotly figure should show it: :func:`display_text`, as data.

    plotly draws a subset of HTML (``<b>``, ``<i>``, ``<a href>``, ``<br>``) in legends, hover
    labels, axis titles, ticks and annotations, and fills ``%{...}`` in hover templates: both
    are escaped here (as entities plotly turns back into the characters), so a name or a
    param value is drawn as it was written.
    """
    return html.escape(display_text(value, limit), quote=False).replace("%{", "%&#123;")
