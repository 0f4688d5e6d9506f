"""The memory gauge reads and resets the process's peak memory."""

from __future__ import annotations

import sys

import pytest
import torch

from seqlab.measure.efficiency import MemoryGauge, count_parameters


@pytest.mark.skipif(sys.platform != "linux", reason="peak RSS reset is Linux's /proc")
def test_cpu_peak_memory_follows_allocations_and_resets() -> None:
    gauge = MemoryGauge(torch.device("cpu"))
    gauge.reset_peak()
    before = gauge.current_mb()
    block = torch.ones(64 * 1024 * 1024 // 4)  # 64 MiB, written
    assert gauge.peak_mb() >= before + 60
    del block
    gauge.reset_peak()
    assert gauge.peak_mb() < before + 30


def test_parameters_count_trainable_ones_only() -> None:
    layer = torch.nn.Linear(3, 2)
    layer.bias.requires_grad_(False)
    assert count_parameters(layer) == 6
