"""The warm-up a local sweep's fork server does once, before it forks a process per run.

``multiprocessing`` preloads a fork server by importing modules by name, so importing this
module *is* the warm-up: it imports the training stack (torch, Lightning, MLflow and its SQL
store, seqlab's runner and measurements) and loads the plugins. Every run's process is forked
from that server and starts with all of it in memory, paying none of it again. Nothing here
runs a tensor operation, opens the store or touches a GPU, so a forked process inherits no
threads, connections or device state. Only the fork server imports this module.
"""

from __future__ import annotations

import importlib

import seqlab
from seqlab.registry.plugin_manager import load_plugins

TRAINING_STACK = (
    "torch",
    "pytorch_lightning",
    "mlflow",
    "mlflow.store.tracking.sqlalchemy_store",
    "seqlab.api.baselines",
    "seqlab.api.strategy",
    "seqlab.registry.checks",
    "seqlab.run.runner",
    "seqlab.run.cores",
    "seqlab.run.data",
    "seqlab.run.interruption",
    "seqlab.run.memory_estimate",
    "seqlab.measure.allocator",
    "seqlab.measure.efficiency",
    "seqlab.measure.measurements",
    "seqlab.measure.recorder",
    "seqlab.store.locks",
    "seqlab.store.status",
    "seqlab.store.tracking",
    "seqlab.store.unsent",
    "seqlab.sweep.spec_locks",
    "seqlab.sweep.worker",
)
"""Modules a run imports, imported once by the fork server."""

for _module in TRAINING_STACK:
    importlib.import_module(_module)
load_plugins()
seqlab.__version__  # noqa: B018  (read once here, every run records it)
