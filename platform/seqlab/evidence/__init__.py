"""Evidence: a suite's hypotheses judged on its runs, with statistics (``seqlab evidence``).

For notebooks::

    import seqlab.evidence
    verdicts = seqlab.evidence.evaluate("gradients")   # a pandas DataFrame

and for a tool that already holds a frame of runs (the dashboard)::

    from seqlab.evidence import evaluate_frame, load_hypotheses

Nothing heavy is imported here: numpy, scipy, pandas and MLflow load when a function runs.
``docs/evidence.md`` documents the vocabulary, the verdict rules and the statistics.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.estimate import Resampling

__all__ = ["evaluate", "evaluate_frame", "load_hypotheses", "Resampling"]

_LAZY = {
    "evaluate_frame": "seqlab.evidence.verdicts",
    "load_hypotheses": "seqlab.evidence.report",
    "Resampling": "seqlab.evidence.estimate",
}


def evaluate(
    suite: str | Path,
    tracking_uri: str | None = None,
    size: str | None = None,
    experiment: str | None = None,
    resampling: Resampling | None = None,
) -> pd.DataFrame:
    """Judge a suite file's hypotheses on its finished runs in a store.

    :param suite: a built-in suite's name or a suite file (its ``evidence:`` section holds the
        hypotheses).
    :param tracking_uri: the MLflow store (default: ``MLFLOW_TRACKING_URI``, else ``./mlruns``).
    :param size: the suite's size whose runs are judged (default: quick, when defined).
    :param experiment: the experiment (default: ``MLFLOW_EXPERIMENT_NAME``, else the suite name).
    :param resampling: bootstrap resamples, family-wise level and seed (default 10,000, 95 %, 0).
    :returns: one row per hypothesis: claim, statement, kind, metric, verdict, effect,
        ci_low, ci_high, ci_level, p_improvement, n_a, n_b, strata, reason, run_ids...
    :raises seqlab.evidence.hypotheses.EvidenceError: for a malformed ``evidence:`` section.
    :raises seqlab.evidence.runs.NoRunsError: when the store has no finished run of the suite.
    """
    from seqlab.evidence.report import build_report
    from seqlab.sweep.builtin import resolve_suite

    return build_report(resolve_suite(str(suite)), size, experiment, tracking_uri, resampling).verdicts


def __getattr__(name: str) -> Any:
    """Resolve :func:`evaluate_frame`, :func:`load_hypotheses` and ``Resampling`` lazily."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'seqlab.evidence' has no attribute {name!r}")
