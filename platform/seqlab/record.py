"""The names seqlab records in MLflow: one place for every param, tag and metric key.

The runner writes them and the dashboard reads them; ``docs/metrics.md`` documents them.
"""

from __future__ import annotations

# Params: every resolved setting under its dotted key (``model``, ``task.length``, ...),
# see :meth:`seqlab.spec.RunSpec.flat`.

# Tags
TAG_SEQLAB_VERSION = "seqlab.version"
TAG_TORCH_VERSION = "seqlab.torch_version"
TAG_DEVICE = "seqlab.device"
TAG_SPEC_HASH = "seqlab.spec_hash"
TAG_END_REASON = "seqlab.end_reason"
TAG_GIT_COMMIT = "mlflow.source.git.commit"
TAG_RUN_NAME = "mlflow.runName"


def plugin_tag(kind: str) -> str:
    """The tag naming the plugin (distribution and version) that provided a component."""
    return f"seqlab.plugin.{kind}"


# Metrics
TRAIN_LOSS = "train/loss"
"""Mean training loss over each logging interval (``trainer.log_every`` steps)."""


def validation_metric(name: str) -> str:
    """The key of a validation value: ``val/loss`` or ``val/<task metric>``."""
    return f"val/{name}"


# Artifacts
SPEC_ARTIFACT = "spec.yaml"
"""The resolved run spec, readable back with ``seqlab run --config``."""
