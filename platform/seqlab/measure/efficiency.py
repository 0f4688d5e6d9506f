"""Efficiency: step time, throughput, training time, peak memory and parameter count.

Per step the meter only reads the clock and appends a float; memory is read from the
operating system (CPU) or the CUDA allocator, at the edges of training and validation.
Peak memory counts training steps only: validation and the gradient-flow probe run inside
validation, and the peak counter is folded in before and reset after it.
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl

from seqlab.store import record

if TYPE_CHECKING:
    import torch

    from seqlab.measure.recorder import MlflowRecorder

MIB = 1024 * 1024
_PROC_STATUS = Path("/proc/self/status")
_PROC_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> float | None:
    """A ``/proc/self/status`` field in KiB (Linux), or ``None`` where there is none."""
    try:
        match = re.search(rf"^{field}:\s+(\d+)\s+kB", _PROC_STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return float(match.group(1)) if match else None


class MemoryGauge:
    """Current and peak memory of the device a run trains on, in MiB.

    CUDA: ``torch.cuda.memory_allocated`` and ``max_memory_allocated``, reset with
    ``reset_peak_memory_stats``. CPU: the process's resident set size and its high-water
    mark (``VmRSS``/``VmHWM``), reset by writing 5 to ``/proc/self/clear_refs``; where that is
    not possible, the peak is ``getrusage``'s lifetime maximum.

    :param device: the device training runs on.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.cuda = device.type == "cuda"

    def current_mb(self) -> float:
        """Memory in use now."""
        if self.cuda:
            import torch

            return torch.cuda.memory_allocated(self.device) / MIB
        kib = _status_kib("VmRSS")
        return kib / 1024 if kib is not None else self._lifetime_peak_mb()

    def peak_mb(self) -> float:
        """The highest memory use since the last :meth:`reset_peak`."""
        if self.cuda:
            import torch

            return torch.cuda.max_memory_allocated(self.device) / MIB
        kib = _status_kib("VmHWM")
        return kib / 1024 if kib is not None else self._lifetime_peak_mb()

    def reset_peak(self) -> None:
        """Start a new peak from the memory in use now."""
        if self.cuda:
            import torch

            torch.cuda.reset_peak_memory_stats(self.device)
            return
        try:
            _PROC_CLEAR_REFS.write_text("5")
        except OSError:
            pass  # the peak stays the process's lifetime peak

    @staticmethod
    def _lifetime_peak_mb() -> float:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def device_name(device: torch.device) -> str:
    """The GPU's or the processor's model name, e.g. ``NVIDIA H100`` or ``AMD EPYC``."""
    if device.type == "cuda":
        import torch

        return torch.cuda.get_device_name(device)
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    if match:
        return match.group(1).strip()
    import platform

    return platform.processor() or platform.machine()


def count_parameters(module: torch.nn.Module) -> int:
    """Trainable parameters of ``module`` (model and readout head)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class EfficiencyMeter(pl.Callback):
    """Record step time, throughput, training time, peak memory and parameter count.

    A step is one training batch, from one batch's start to the next one's, so it includes
    generating the batch, forward, backward, the update and every callback; intervals that
    contain a validation are left out of the median. A run of a single batch (a long
    sequence under ``tbptt``) times that batch from its start to its end.

    :param recorder: where the values go.
    """

    def __init__(self, recorder: MlflowRecorder) -> None:
        self.recorder = recorder
        self.step_times: list[float] = []
        self.train_started: float | None = None
        self._batch_started: float | None = None
        self._last_batch_time: float | None = None
        self._sequences = 0
        self._timesteps = 0
        self._memory: MemoryGauge | None = None
        self._memory_before = 0.0
        self._peak = 0.0

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Count parameters, and start the clock and the memory peak."""
        self.recorder.add(record.PARAMETERS, count_parameters(pl_module), trainer.global_step)
        self._memory = MemoryGauge(pl_module.device)
        self._synchronize()
        self._memory_before = self._memory.current_mb()
        self._memory.reset_peak()
        self._peak = 0.0
        self.train_started = time.perf_counter()

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        """Close the previous step's interval and remember the batch's shape."""
        now = time.perf_counter()
        if self._batch_started is not None:
            self.step_times.append(now - self._batch_started)
        self._batch_started = now
        sequences, timesteps = batch["x"].shape[:2]
        self._sequences, self._timesteps = int(sequences), int(timesteps)

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        """Time the batch alone, for runs too short to have a whole step interval."""
        if not self.step_times and self._batch_started is not None:
            self._last_batch_time = time.perf_counter() - self._batch_started

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Keep the training peak so far; leave this interval out of the step times."""
        self._batch_started = None
        if self._memory is not None and not trainer.sanity_checking:
            self._peak = max(self._peak, self._memory.peak_mb())

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Start a fresh peak, so validation's memory does not count as training's."""
        if self._memory is not None and not trainer.sanity_checking:
            self._memory.reset_peak()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Record the run's efficiency figures."""
        self._synchronize()
        if self.train_started is None or self._memory is None:
            return
        step = trainer.global_step
        add = self.recorder.add
        add(record.TRAIN_TIME, time.perf_counter() - self.train_started, step)
        peak = max(self._peak, self._memory.peak_mb())
        add(record.PEAK_MEMORY_MB, peak, step)
        add(record.MEMORY_GROWTH_MB, max(peak - self._memory_before, 0.0), step)
        times = self.step_times or ([self._last_batch_time] if self._last_batch_time else [])
        if times:
            median = statistics.median(times)
            add(record.STEP_TIME, median, step)
            add(record.SEQUENCES_PER_S, self._sequences / median, step)
            add(record.TIMESTEPS_PER_S, self._sequences * self._timesteps / median, step)

    def _synchronize(self) -> None:
        """Wait for queued CUDA work, so that clocks and memory read what was done."""
        if self._memory is not None and self._memory.cuda:
            import torch

            torch.cuda.synchronize(self._memory.device)
