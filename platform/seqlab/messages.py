"""Messages every stage prints: values a user wrote echoed in one line however long, and the
hint runs and sweeps end with."""

from __future__ import annotations

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
