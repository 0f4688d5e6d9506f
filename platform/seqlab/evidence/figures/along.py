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
COST_METRICS = (record.PARAMETERS, record.STEP_TIME, record.MEMORY_GROWTH_MB)
"""The panels of ``cost_vs_length``: parameters (flat), step time and the memory training needs
beyond the process's own (peak memory is dominated by the interpreter and libraries)."""


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
    return _along_length_marked(hypothesis, runs, "model.window", "window k")


def tbptt_horizon(
    hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader
) -> Any:
    """C8: the metric against the delay (``task.length``: copy recalls the symbol T + 1 steps
    after it) per group, each truncation length k2 (``strategy.k2``) and any threshold marked."""
    return _along_length_marked(hypothesis, runs, "strategy.k2", "k2")


def _along_length_marked(hypothesis: Hypothesis, runs: pd.DataFrame, key: str, name: str) -> Any:
    """``along_figure`` against ``task.length`` with a dashed line at each value of ``key``."""
    from seqlab.evidence.figures.series import add_marks, split

    figure = along_figure(hypothesis, runs, LENGTH, geometric=False)
    found = split(hypothesis, runs, along=LENGTH, widen=True)
    if not isinstance(found, str):
        for line in found:
            add_marks(figure, line.runs, key, name, log_x=True)
    return figure


def cost_vs_length(
    hypothesis: Hypothesis, runs: pd.DataFrame, artifacts: ArtifactReader
) -> Any:
    """C3, C8, C12: parameters, step time and memory growth against ``task.length``, log-log,
    per group (one line stays flat: the weights are reused at every step)."""
    from seqlab.evidence.figures.series import Palette, add_along, panels, split

    figure = panels(list(COST_METRICS))
    palette = Palette()
    for col, name in enumerate(COST_METRICS, start=1):
        found = split(hypothesis, runs, name, along=LENGTH, widen=True, palette=palette)
        add_along(figure, found, name, LENGTH, geometric=True, col=col)
    figure.update_xaxes(type="log")
    figure.update_yaxes(type="log")
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
