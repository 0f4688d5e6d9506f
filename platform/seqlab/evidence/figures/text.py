"""Text in figures: what a run's or suite's author wrote is shown as typed, never as markup
(:func:`seqlab.messages.plot_text`)."""

from __future__ import annotations

from typing import Any

from seqlab.messages import plot_text


def group_title(name: str, wanted: dict[str, Any]) -> str:
    """A group's legend title, ``a: model=lstm``, escaped for plotly."""
    return plot_text(f"{name}: " + " ".join(f"{k}={v}" for k, v in wanted.items()))
