"""The by-position artifacts (gradient flow, state trace) as read back: one parser for every
reader (``seqlab evidence``'s figures and the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ByPosition:
    """A run's values by sequence position over training: ``values[i][j]`` at training step
    ``steps[i]`` and position ``positions[j]`` (the gradient flow ||dloss/dx_t||, or the RMS
    of one part of the state)."""

    positions: list[int]
    steps: list[int]
    values: list[list[float]]


def parse_by_position(content: Any, key: str) -> dict[str, ByPosition]:
    """Every record under ``content[key]`` of a parsed by-position artifact, by part (``""``:
    ``key`` holds the rows themselves, as ``norms`` of
    :data:`~seqlab.store.record.GRADIENT_FLOW_ARTIFACT`; else one per part, as ``rms`` of
    :data:`~seqlab.store.record.STATE_TRACE_ARTIFACT`); empty when it does not have that shape.
    JSON nulls (non-finite values) become NaN.
    """
    try:
        positions = [int(p) for p in content["positions"]]
        steps = [int(s) for s in content["steps"]]
        parts = content[key] if isinstance(content[key], dict) else {"": content[key]}
        return {
            part: ByPosition(positions, steps, [
                [float("nan") if v is None else float(v) for v in row] for row in rows
            ])
            for part, rows in parts.items()
        }
    except (KeyError, TypeError, ValueError):
        return {}
