"""A suite's evidence: its hypotheses judged on its runs, with what a report must state.

What ``seqlab evidence`` prints (table, JSON, HTML) and what :func:`seqlab.evidence.evaluate`
returns are built from one :class:`EvidenceReport`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.evidence.estimate import Resampling
from seqlab.evidence.verdicts import COLUMNS
from seqlab.evidence.hypotheses import EvidenceError, Hypothesis, parse_hypotheses

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.kinds import Kinds
    from seqlab.sweep.suite import Suite



@dataclass
class EvidenceReport:
    """A suite's hypotheses judged on its runs at one size.

    :param suite: the suite as read.
    :param path: its file.
    :param digest: the first 12 hex digits of the file's SHA-256: the suite's version.
    :param size: the size whose runs were judged (``None`` for a suite without sizes).
    :param experiment: the MLflow experiment read.
    :param tracking_uri: the store read.
    :param hypotheses: the suite's hypotheses, in order.
    :param runs: the runs judged (one row per run, ``params.*``, ``metrics.*``, ``tags.*``).
    :param verdicts: one row per hypothesis (see :func:`seqlab.evidence.evaluate_frame`).
    :param kinds: the hypothesis kinds used.
    """

    suite: Suite
    path: Path
    digest: str
    size: str | None
    experiment: str
    tracking_uri: str
    hypotheses: list[Hypothesis]
    runs: pd.DataFrame
    verdicts: pd.DataFrame
    kinds: Kinds
    _drawn: list[Any] | None = field(default=None, init=False, repr=False)

    @property
    def seqlab_version(self) -> str:
        """The version of seqlab that judged it."""
        from importlib.metadata import version

        return version("seqlab")

    def command(self) -> str:
        """The commands that make the runs (resuming) and judge them again."""
        size = f" --size {self.size}" if self.size else ""
        return f"seqlab sweep {self.path}{size} && seqlab evidence {self.path}{size}"

    def records(self) -> list[dict[str, Any]]:
        """The verdicts as JSON-ready objects (NaN as ``null``), with every verdict column."""
        return verdict_records(self.verdicts)

    def figures(self) -> list[Any]:
        """The figure that answers each hypothesis, in order (plotly; ``None`` for a kind no
        longer registered): the claim's own figure its ``figure:`` names, else its kind's
        (:mod:`seqlab.evidence.figures`), drawn once from the runs judged and their artifacts."""
        from seqlab.evidence.figures import draw
        from seqlab.evidence.figures.artifacts import ArtifactReader

        if self._drawn is None:
            artifacts = ArtifactReader(self.tracking_uri)
            self._drawn = [draw(hypothesis, self.runs, self.kinds, artifacts)
                           for hypothesis in self.hypotheses]
        return self._drawn

    def to_json(self) -> str:
        """The verdicts as a JSON list (what ``--json`` prints)."""
        return json.dumps(self.records(), indent=2)


def verdict_records(verdicts: pd.DataFrame) -> list[dict[str, Any]]:
    """A verdict frame as JSON-ready objects (NaN as ``None``), with every verdict column.

    :param verdicts: what :func:`seqlab.evidence.evaluate_frame` returned.
    """
    return [
        {key: _plain(row[key]) for key in COLUMNS}
        for row in verdicts.to_dict(orient="records")
    ]


def _plain(value: Any) -> Any:
    """A value JSON can hold: NaN and missing become ``None``, numpy scalars Python ones."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | bool):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def load_hypotheses(suite: Suite, kinds: Kinds | None = None) -> list[Hypothesis]:
    """Check a suite's ``evidence:`` section against the registered kinds.

    :raises EvidenceError: one line naming the hypothesis, the key and what is allowed.
    """
    from seqlab.evidence.kinds import collect_kinds

    kinds = kinds or collect_kinds()
    return parse_hypotheses(suite.evidence, kinds.models())


def build_report(
    path: Path,
    size: str | None = None,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    resampling: Resampling | None = None,
) -> EvidenceReport:
    """Read a suite, its hypotheses and its finished runs at ``size``, and judge them.

    :param path: the suite file.
    :param size: its size (default: as ``seqlab sweep``: quick, when the suite has sizes).
    :param experiment: the experiment (default: ``MLFLOW_EXPERIMENT_NAME``, else the suite name).
    :param tracking_uri: the store (default: ``MLFLOW_TRACKING_URI``, else ``./mlruns``).
    :param resampling: bootstrap resamples, family-wise level and seed.
    :raises seqlab.sweep.suite.SuiteError: for a suite file that cannot be read.
    :raises EvidenceError: for a malformed or empty ``evidence:`` section.
    :raises seqlab.evidence.runs.NoRunsError: when the store has no finished run of it.
    """
    from seqlab.store import tracking
    from seqlab.evidence.verdicts import evaluate_frame
    from seqlab.evidence.kinds import collect_kinds
    from seqlab.evidence.runs import NoRunsError, read_sweep_runs, runs_of_plan
    from seqlab.registry.components import build_registry
    from seqlab.sweep.builtin import builtin_suites
    from seqlab.sweep.suite import expand, load_suite

    suite = load_suite(path)
    kinds = collect_kinds()
    try:
        hypotheses = load_hypotheses(suite, kinds)
    except EvidenceError as exc:
        raise EvidenceError(f"{path}: {exc}") from None
    if not hypotheses:
        raise EvidenceError(f"{path}: no hypotheses: add an evidence: section (docs/evidence.md)")
    plan = expand(suite, build_registry(), size)
    # the sweep to suggest: a built-in suite by its name, another by its path; at this size
    named = suite.name if builtin_suites().get(suite.name) == Path(path) else str(path)
    sweep = f"seqlab sweep {named}" + (f" --size {plan.size}" if plan.size else "")
    uri = tracking_uri or tracking.tracking_uri()
    name = tracking.experiment_name(experiment, default=suite.name)
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        raise NoRunsError(f"no store at {uri}: run `{sweep}` first")
    try:
        every = read_sweep_runs(uri, name, suite.name)
    except NoRunsError as exc:
        raise NoRunsError(f"{exc}: run `{sweep}` first") from None
    runs = runs_of_plan(every, plan)
    if runs.empty:
        other = f" ({len(every)} of another size: pass --size)" if len(every) else ""
        at = f" at size {plan.size}" if plan.size else ""
        raise NoRunsError(
            f"no finished runs of suite {suite.name!r}{at} in experiment {name!r} of {uri}"
            f"{other}: run `{sweep}` first"
        )
    verdicts = evaluate_frame(runs, hypotheses, resampling, kinds)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    return EvidenceReport(suite, Path(path), digest, plan.size, name, uri, hypotheses, runs,
                          verdicts, kinds)
