"""The warm-up a local sweep's fork server does once, before it forks a process per run.

``multiprocessing`` preloads a fork server by importing modules by name, so importing this
module *is* the warm-up: it imports the training stack (torch, Lightning, seqlab's runner and
measurements; not MLflow, a second of imports: the launcher makes the runs' store operations,
:mod:`seqlab.store.relay`), loads the plugins, and takes each recurrent layer, a linear layer
and Adam once through a step on one thread (:func:`warm_up_torch`: a process's first backward
pass costs 25-40 ms, a forked one's 5 ms once its server has made one). Every run's process
is forked from that server and starts with all of it in memory, paying none of it
again. Nothing here opens the store, touches a GPU or leaves a thread, so a forked process
inherits no threads, connections or device state; random state and torch's thread count are
left as they were. Only the fork server imports this module.

The launcher starts its fork server before it has checked the suites: a server whose launcher
has ended (bad input) stops at once rather than finish a warm-up nobody will use
(:func:`end_with_launcher`).
"""

from __future__ import annotations

import importlib
import sys

import seqlab
from seqlab.registry.plugin_manager import load_plugins


def end_with_launcher() -> None:
    """Have the kernel end this process when the process that started it ends (Linux's
    ``PR_SET_PDEATHSIG``; elsewhere nothing). A launcher that ended before this line leaves
    the warm-up to finish, and the server then ends as ``multiprocessing`` ends it."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    set_parent_death_signal = 1  # PR_SET_PDEATHSIG in <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(set_parent_death_signal, signal.SIGKILL)


def warm_up_torch() -> None:
    """One forward and backward pass of each recurrent layer and a linear layer, and one Adam
    step, on one thread and on zeros, in a block that gives back the random state: torch's
    one-time set-up of these paths is then inherited by every forked run."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a thread pool would not survive the fork
    try:
        with torch.random.fork_rng(devices=[]):  # the CPU's alone: a GPU stays untouched
            for layer in (torch.nn.RNN(1, 2), torch.nn.LSTM(1, 2), torch.nn.GRU(1, 2)):
                x = torch.zeros(3, 2, 1, requires_grad=True)
                torch.autograd.grad(layer(x)[0].sum(), x)
            linear = torch.nn.Linear(2, 1)
            optimizer = torch.optim.Adam(linear.parameters())
            torch.nn.functional.mse_loss(linear(torch.zeros(2, 2)), torch.zeros(2, 1)).backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)


TRAINING_STACK = (
    "torch",
    "pytorch_lightning",
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
    "seqlab.api.model",
    "seqlab.store.locks",
    "seqlab.store.relay",
    "seqlab.store.status",
    "seqlab.store.tracking",
    "seqlab.store.unsent",
    "seqlab.sweep.spec_locks",
    "seqlab.sweep.worker",
)
"""Modules a run imports, imported once by the fork server."""

end_with_launcher()
for _module in TRAINING_STACK:
    importlib.import_module(_module)
load_plugins()
warm_up_torch()
seqlab.__version__  # noqa: B018  (read once here, every run records it)
