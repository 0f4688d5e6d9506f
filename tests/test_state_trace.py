"""The state trace: the RMS of each part of a model's state by position, exact on a linear
recurrence, telling an LSTM without forget gate from one with, and recorded per capture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from measure_plugins import LinearRecurrence, train_tiny
from mlflow import MlflowClient

from seqlab.store import record
from seqlab.registry.components import build_registry
from seqlab.spec import load_spec
from seqlab.measure.state_trace import state_rms_by_position


def test_a_linear_recurrence_traces_its_partial_sums_exactly() -> None:
    # h_t = a h_{t-1} + x_t with x = 1 everywhere: h_t = 1 + a + ... + a^t for every sequence,
    # so the RMS over the batch is that sum.
    a = 0.5
    traces = state_rms_by_position(LinearRecurrence(a, learn_a=False), torch.ones(3, 6, 1))
    assert list(traces) == ["hidden"]
    expected = [sum(a**k for k in range(t + 1)) for t in range(6)]
    assert traces["hidden"].tolist() == pytest.approx(expected, rel=1e-6)


def lstm(*overrides: str) -> torch.nn.Module:
    registry = build_registry()
    spec = load_spec(["model=lstm", "model.hidden_size=16", *overrides], None, registry)
    torch.manual_seed(0)
    return registry.get("model", "lstm").build(spec.model.params, input_size=2).eval()


def test_without_a_forget_gate_the_cell_state_keeps_growing() -> None:
    x = torch.ones(8, 200, 2)
    full = state_rms_by_position(lstm(), x)
    unfused = state_rms_by_position(lstm("model.cell=unfused"), x)
    no_forget = state_rms_by_position(lstm("model.variant=no_forget_gate"), x)
    assert set(full) == {"hidden", "cell"}
    assert torch.allclose(full["cell"], unfused["cell"], atol=1e-5)  # same trace, either kernel
    growth = {name: float(trace["cell"][199] / trace["cell"][19])
              for name, trace in (("full", full), ("no_forget", no_forget))}
    assert growth["full"] < 1.2  # bounded: the forget gate lets old content go
    assert growth["no_forget"] > 5  # about linear growth: 200 / 20 steps
    assert float(no_forget["hidden"].max()) <= 1.0  # h = o * tanh(c) stays bounded


def test_runs_of_stateful_models_record_the_state_trace_before_and_after_training(
    store: str, tmp_path: Path
) -> None:
    client = MlflowClient(store)
    outcome = train_tiny("model=lstm", "task.length=10")
    artifacts = {a.path for a in client.list_artifacts(outcome.run_id)}
    assert record.STATE_TRACE_ARTIFACT in artifacts
    path = client.download_artifacts(outcome.run_id, record.STATE_TRACE_ARTIFACT, str(tmp_path))
    trace = json.loads(Path(path).read_text())
    assert trace["positions"] == list(range(10)) and trace["steps"] == [0, 6]  # start and end
    assert set(trace["rms"]) == {"hidden", "cell"}
    assert all(len(row) == 10 and min(row) > 0 for row in trace["rms"]["cell"])

    window = train_tiny("model=window", "task.length=10")  # no state to trace
    assert record.STATE_TRACE_ARTIFACT not in {a.path for a in client.list_artifacts(window.run_id)}
