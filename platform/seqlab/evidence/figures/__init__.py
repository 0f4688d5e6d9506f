"""The figures that answer the claims, one home each; a hypothesis names one with ``figure:``.

A suite's hypothesis may say ``figure: gradient_flow`` (docs/evidence.md lists the names): the
report then draws that claim's own figure (CLAIMS.md's last column) from the suite's runs and
their artifacts. Without ``figure:`` the hypothesis' kind draws its generic figure (a box per
group, or the metric against ``along``). Every figure is a plotly figure; :mod:`.png` exports
it as a PNG through matplotlib.

Nothing heavy is imported here: a figure's module (and plotly) loads when it is drawn.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.figures.artifacts import ArtifactReader
    from seqlab.evidence.hypotheses import Hypothesis
    from seqlab.evidence.kinds import Kinds

ClaimFigure = Callable[["Hypothesis", "pd.DataFrame", "ArtifactReader"], Any]
"""``draw(hypothesis, runs, artifacts)``: a claim's plotly figure from a suite's runs."""

FIGURES: dict[str, tuple[str, str]] = {
    "gradient_flow": ("gradient_flow", "||dloss/dx_t|| against the distance to the output, "
                      "one curve per group and length (C4, C5)"),
    "score_vs_length": ("along", "the metric against task.length per group, the window size "
                        "(model.window) and any threshold marked (C1, C4)"),
    "cost_vs_length": ("along", "parameters, step time and memory growth against task.length, "
                       "log-log, per group (C3, C8, C12)"),
    "tbptt_horizon": ("along", "the metric against the delay (task.length) per group, with k2 "
                      "marked (C8)"),
    "context_split": ("context", "accuracy where the deciding context lies in the past and in "
                      "the future, per group (C9)"),
    "gate_variants": ("gates", "normalized score against task.length per variant, and the cell "
                      "state's RMS along the sequence (C11)"),
    "lr_sensitivity": ("along", "the metric against trainer.lr per group (C12)"),
    "position_accuracy": ("position", "validation accuracy against the position per group, "
                          "the mean over seeds in a band from the lowest to the highest (C7)"),
    "side_by_side": ("side_by_side", "a table per group: parameters, median step time, "
                     "diverged runs, seed spread (std) of the normalized score, memory horizon "
                     "(C6)"),
}
"""Each named figure: the module of this package that draws it (its function has the figure's
name), and what it shows."""


def claim_figure(name: str) -> ClaimFigure:
    """The drawing function of the named figure.

    :raises KeyError: for a name not in :data:`FIGURES`.
    """
    module = importlib.import_module(f"{__name__}.{FIGURES[name][0]}")
    drawn: ClaimFigure = getattr(module, name)
    return drawn


def draw(
    hypothesis: Hypothesis, runs: pd.DataFrame, kinds: Kinds, artifacts: ArtifactReader
) -> Any | None:
    """The figure that answers a hypothesis: the one its ``figure:`` names, else its kind's.

    :param hypothesis: the hypothesis.
    :param runs: the suite's runs (one row per run, ``params.*``, ``metrics.*``, ``run_id``).
    :param kinds: the registered kinds (for the generic figure).
    :param artifacts: reads the runs' artifacts (gradient flow, state trace, profiles).
    :returns: a plotly figure, or ``None`` when the kind is not registered.
    """
    name = getattr(hypothesis, "figure", None)
    if name:
        return claim_figure(name)(hypothesis, runs, artifacts)
    kind = kinds.by_name.get(hypothesis.kind)
    return None if kind is None else kind.figure(hypothesis, runs)
