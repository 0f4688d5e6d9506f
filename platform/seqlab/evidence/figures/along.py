"""Figures of metrics against a numeric param (length, distance, learning rate), per series.

``along_figure`` is the generic figure of the ``trend`` and ``horizon`` kinds; the others are
claims' own figures (:data:`seqlab.evidence.figures.FIGURES`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqlab.store import record

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.figures.artifacts import ArtifactReader
    from seqlab.evidence.hypotheses import Hypothesis

LENGTH = "task.length"
COST_METRICS = (record.PARAMETERS, record.STEP_TIME, record.PEAK_MEMORY_MB)
"""The panels of ``cost_vs_length``: parameters (flat), step time and peak memory."""


def along_figure(
    hypothesis: Hypothesis, runs: pd.DataFrame, along: str, geometric: bool
) -> Any:
    """The hypothesis' metric against ``along`` over the runs it uses: each seed, and a line
    through each setting's mean per group and stratum (``geometric`` means, log-log, for
    trends); with a ``threshold``, that line too."""
    from seqlab.evidence.figures.series import add_along, panels, split

    figure = panels([""])
    add_along(figure, split(hypothesis, runs, along=along), hypothesis.metric, along, geometric)
    figure.update_xaxes(type="log")
    if geometric:
        figure.update_yaxes(type="log")
    threshold = getattr(hypothesis, "threshold", None)
    if threshold is not None:
        figure.add_hline(y=threshold, line_dash="dash", annotation_text=f"threshold {threshold:g}")
    return figure


def score_vs_length(
    hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader
) -> Any:
    """C1, C4: the metric against ``task.length`` per group, the window model's size k
    (``model.window``) and any threshold marked."""
    from seqlab.evidence.figures.series import add_marks, split

    figure = along_figure(hypothesis, runs, LENGTH, geometric=False)
    found = split(hypothesis, runs, along=LENGTH, widen=True)
    if not isinstance(found, str):
        for line in found:
            add_marks(figure, line.runs, "model.window", "window k", log_x=True)
    return figure


def cost_vs_length(
    hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader
) -> Any:
    """C3, C12: parameters, step time and peak memory against ``task.length``, log-log, per
    group (one line stays flat: the weights are reused at every step)."""
    from seqlab.evidence.figures.series import Palette, add_along, panels, split

    figure = panels(list(COST_METRICS))
    palette = Palette()
    for col, name in enumerate(COST_METRICS, start=1):
        found = split(hypothesis, runs, name, along=LENGTH, widen=True, palette=palette)
        add_along(figure, found, name, LENGTH, geometric=True, col=col)
    figure.update_xaxes(type="log")
    figure.update_yaxes(type="log")
    return figure


def tbptt_horizon(
    hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader
) -> Any:
    """C8: the normalized score against the dependency distance (``task.distance``) with each
    truncation length k2 (``strategy.k2``) marked, and peak memory against ``task.length``,
    per group."""
    from seqlab.evidence.figures.series import Palette, add_along, add_marks, panels, split

    distance = "task.distance"
    figure = panels([f"{record.NORMALIZED_SCORE} vs {distance}", f"{record.PEAK_MEMORY_MB} vs {LENGTH}"])
    palette = Palette()
    found = split(hypothesis, runs, record.NORMALIZED_SCORE, along=distance, widen=True,
                  palette=palette)
    add_along(figure, found, record.NORMALIZED_SCORE, distance, col=1)
    if not isinstance(found, str):
        for line in found:
            add_marks(figure, line.runs, "strategy.k2", "k2", col=1)
    memory = split(hypothesis, runs, record.PEAK_MEMORY_MB, along=LENGTH, widen=True,
                   palette=palette)
    add_along(figure, memory, record.PEAK_MEMORY_MB, LENGTH, geometric=True, col=2)
    figure.update_xaxes(type="log", row=1, col=2)
    return figure


def lr_sensitivity(
    hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader
) -> Any:
    """C12: the metric against the learning rate (``trainer.lr``, log axis) per group and
    setting of the other params (batch size)."""
    from seqlab.evidence.figures.series import add_along, panels, split

    lr = "trainer.lr"
    figure = panels([""])
    add_along(figure, split(hypothesis, runs, along=lr, widen=True), hypothesis.metric, lr)
    figure.update_xaxes(type="log")
    return figure
