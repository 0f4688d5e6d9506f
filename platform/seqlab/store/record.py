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
TAG_DEVICE_NAME = "seqlab.device_name"
"""The processor or GPU model the run trained on, for comparing timings across machines."""
TAG_THREADS = "seqlab.threads"
"""The torch threads the run trained with, beside the cores the machine offered it."""
TAG_SPEC_HASH = "seqlab.spec_hash"
TAG_END_REASON = "seqlab.end_reason"
TAG_PROCESS = "seqlab.process"
"""``host:pid:start`` of the process training the run, so that a run whose process died
without closing it (SIGKILL, out of memory) can be told from one still training."""
TAG_SWEEP = "seqlab.sweep"
TAG_SWEEP_SIZE = "seqlab.sweep_size"
"""The size of the suite a sweep ran (``quick``, ``full``, ...), so quick runs are never pooled
with evidence runs; absent when the suite defines no sizes."""
TAG_SUITE_HASH = "seqlab.suite_sha256"
"""The first 12 hex digits of the SHA-256 of the suite a sweep ran, as recorded in
:data:`SUITE_ARTIFACT`: which version of a suite file a run belongs to."""
TAG_GIT_COMMIT = "mlflow.source.git.commit"
TAG_RUN_NAME = "mlflow.runName"
"""The name of the sweep a run belongs to (the dashboard filters by it)."""


def plugin_tag(kind: str) -> str:
    """The tag naming the plugin (distribution and version) that provided a component."""
    return f"seqlab.plugin.{kind}"


# Metrics
TRAIN_LOSS = "train/loss"
"""Mean training loss over each logging interval (``trainer.log_every`` steps)."""
TRAIN_SEQUENCES = "train/sequences"
"""Training sequences seen so far, at each logging interval: the data a run trained on."""


LEARNING_RATE = "train/lr"
"""The learning rate (first optimizer, first parameter group): at the start of training and at
each step where a schedule changed it."""


def validation_metric(name: str) -> str:
    """The key of a validation value: ``val/loss`` or ``val/<task metric>``."""
    return f"val/{name}"


# Efficiency (final values, logged once at the end of training; PARAMETERS at its start)
STEP_TIME = "eff/step_time_s"
"""Median wall time of one training step (one batch: data, forward, backward, update), seconds."""
SEQUENCES_PER_S = "eff/sequences_per_s"
"""Training sequences per second at the median step time."""
TIMESTEPS_PER_S = "eff/timesteps_per_s"
"""Training time steps (sequences x padded length) per second at the median step time."""
TRAIN_TIME = "eff/train_time_s"
"""Wall time of the whole training loop, seconds."""
TIME_TO_SOLVE_STEPS = "eff/time_to_solve_steps"
"""Steps until the validation metric first reached the task's solved threshold (absent if never;
logged once, at that validation)."""
TIME_TO_SOLVE_S = "eff/time_to_solve_s"
"""Seconds of training until the validation metric first reached the solved threshold."""
PEAK_MEMORY_MB = "eff/peak_memory_mb"
"""Peak during training steps (validation and probes excluded). CPU: process peak RSS;
CUDA: torch.cuda.max_memory_allocated. MiB."""
MEMORY_GROWTH_MB = "eff/memory_growth_mb"
"""Peak memory during training minus memory before training, MiB."""
PARAMETERS = "eff/parameters"
"""Trainable parameters of model and head."""

# Stability
GRAD_NORM = "stab/grad_norm"
"""Global gradient norm before clipping, at logged steps (mean over the interval)."""
GRAD_NORM_MAX = "stab/grad_norm_max"
"""Largest global gradient norm in each logging interval."""
CLIP_EVENTS = "stab/clip_events"
"""Cumulative number of steps whose gradient norm exceeded trainer.grad_clip."""
LOSS_SPIKES = "stab/loss_spikes"
"""Cumulative number of loss spikes: an interval's mean loss above ``SPIKE_FACTOR`` times the
median of the previous ``SPIKE_WINDOW`` interval means (see :mod:`seqlab.measure.stability`)."""
DIVERGED = "stab/diverged"
"""1 if training stopped on a NaN/Inf loss or gradient, else 0 (final)."""
TAG_DIVERGED = "seqlab.diverged"

# Long-term dependency
NORMALIZED_SCORE = "ltd/normalized_score"
"""(baseline - best) / (baseline - optimum) on the task's metric, ``baseline`` the strongest
naive baseline on the validation set (:data:`BASELINE`): 0 there, 1 perfect.
Logged at every validation (as are SOLVED and BEST_METRIC); the last value is the run's."""
BASELINE = "ltd/baseline"
"""The normalized score's zero point: the strongest naive baseline's metric on the validation
set (its kind in :data:`TAG_BASELINE_KIND`), recorded at the start of training."""
TAG_BASELINE_KIND = "seqlab.baseline_kind"


def baseline_metric(kind: str) -> str:
    """The metric of one naive baseline of the run's task: ``ltd/baseline_persistence``."""
    return f"ltd/baseline_{kind}"


SOLVED = "ltd/solved"
"""1 once the best validation metric has reached the task's solved threshold, else 0."""
BEST_METRIC = "ltd/best_metric"
"""Best validation value of the task's metric so far."""
GRADIENT_DECAY = "ltd/grad_decay_per_step"
"""Slope of log10 ||dloss/dx_t|| against the distance from the sequence's end, decades per step."""
GRADIENT_FIRST_LAST = "ltd/grad_log10_first_over_last"
"""log10 of ||dloss/dx_0|| over ||dloss/dx_(T-1)||: how many decades the gradient loses."""


def state_growth_metric(part: str) -> str:
    """The metric of a state part's growth along the sequence: ``ltd/state_growth_cell``."""
    return f"ltd/state_growth_{part}"


GRADIENT_FLOW_ARTIFACT = "gradient_flow.json"
"""{"positions": [...], "steps": [...], "norms": [[...] per step]}: ||dloss/dx_t|| per position."""
STATE_TRACE_ARTIFACT = "state_trace.json"
"""{"positions": [...], "steps": [...], "rms": {part: [[...] per step]}}: the RMS of each part of
the state (``hidden``, ``cell``) by position, for models that carry state."""
PROFILES_ARTIFACT = "profiles.json"
"""{"steps": [...], "profiles": {name: [[...] per step]}}: the task's ``profile()`` at validation."""

# Artifacts
SPEC_ARTIFACT = "spec.yaml"
"""The resolved run spec, readable back with ``seqlab run --config``."""
SUITE_ARTIFACT = "suite.yaml"
"""On every run a sweep makes: the suite it ran (every key, sizes and ``evidence:`` included),
so the dashboard's Evidence view judges the runs of any suite file, not only built-in ones."""
