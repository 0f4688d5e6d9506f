"""Gradient flow: ||dloss/dx_t|| is right where it can be computed by hand, works through
torch's fused LSTM, and is recorded per capture through the real stack."""

from __future__ import annotations

import json
import math
from pathlib import Path

import measure_plugins
import pytest
import torch
from measure_plugins import LinearRecurrence, train_tiny
from mlflow import MlflowClient
from torch import nn

from conftest import registered_plugin
from seqlab.store import record
from seqlab.measure.gradient_flow import MAX_POSITIONS, input_gradient_norms, recorded_positions
from seqlab_plugins.models.fused_recurrent_module import FusedRecurrent


def test_linear_recurrence_gradient_decays_as_a_power() -> None:
    # h_t = a h_{t-1} + x_t and loss = h_T (summed over the batch): dloss/dx_t = a^(T-t),
    # so over B sequences the norm at t is sqrt(B) a^(T-t) (0-based: a^(T-1-t)).
    a, length, sequences = 0.8, 12, 3
    model = LinearRecurrence(a, learn_a=False)
    batch = {"x": torch.randn(sequences, length, 1, dtype=torch.float64)}
    model.double()
    norms = input_gradient_norms(lambda b: model(b["x"])[1], lambda p, b: p.sum(), batch)
    expected = sequences**0.5 * a ** torch.arange(length - 1, -1, -1, dtype=torch.float64)
    assert torch.allclose(norms.double(), expected, rtol=1e-6)
    assert batch["x"].grad is None  # the caller's batch is left alone


def test_fused_lstm_gradient_matches_an_unrolled_lstm_cell() -> None:
    torch.manual_seed(0)
    fused = FusedRecurrent(nn.LSTM(3, 5, batch_first=True))
    cell = nn.LSTMCell(3, 5)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, name).data.copy_(getattr(fused.layer, f"{name}_l0"))
    head = nn.Linear(5, 1)

    def unrolled(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        h = c = torch.zeros(batch["x"].shape[0], 5)
        for t in range(batch["x"].shape[1]):
            h, c = cell(batch["x"][:, t], (h, c))
        return head(h)

    def loss(prediction: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return (prediction**2).mean()

    batch = {"x": torch.randn(4, 30, 3)}
    from_fused = input_gradient_norms(lambda b: head(fused(b["x"])[0][:, -1]), loss, batch)
    assert torch.allclose(from_fused, input_gradient_norms(unrolled, loss, batch), rtol=1e-4)
    assert from_fused.shape == (30,) and bool((from_fused > 0).all())


def test_long_sequences_are_recorded_at_evenly_spaced_positions() -> None:
    assert recorded_positions(5) == [0, 1, 2, 3, 4]
    positions = recorded_positions(4000)
    assert len(positions) == MAX_POSITIONS and positions[0] == 0 and positions[-1] == 3999


def test_runs_record_the_gradient_flow_at_start_and_every_validation(
    store: str, tmp_path: Path
) -> None:
    a = 0.7
    with registered_plugin(measure_plugins):
        outcome = train_tiny("model=linear_recurrence", f"model.a={a}",
                             "task=mean_output", "task.length=10")
    path = MlflowClient(store).download_artifacts(
        outcome.run_id, record.GRADIENT_FLOW_ARTIFACT, str(tmp_path)
    )
    flow = json.loads(Path(path).read_text())
    assert flow["positions"] == list(range(10))
    assert flow["steps"] == [0, 3, 6]
    # through the trained readout head: |w| a^(9-t) / sqrt(B); relative to the last step, a^(9-t)
    for norms in flow["norms"]:
        ratios = [value / norms[-1] for value in norms]
        assert ratios == pytest.approx([a ** (9 - t) for t in range(10)], rel=1e-4)
    decay = MlflowClient(store).get_metric_history(outcome.run_id, record.GRADIENT_DECAY)
    assert [m.step for m in decay] == [0, 3, 6]
    assert [m.value for m in decay] == pytest.approx([math.log10(a)] * 3, rel=1e-4)
    first_last = MlflowClient(store).get_run(outcome.run_id).data.metrics[record.GRADIENT_FIRST_LAST]
    assert first_last == pytest.approx(9 * math.log10(a), rel=1e-4)


def test_gradient_flow_every_sets_its_own_interval_and_false_turns_it_off(
    store: str, tmp_path: Path
) -> None:
    client = MlflowClient(store)
    with registered_plugin(measure_plugins):
        every = train_tiny("model=linear_recurrence", "task=mean_output", "task.length=10",
                           "trainer.max_steps=7", "trainer.gradient_flow_every=2")
        off = train_tiny("model=linear_recurrence", "task=mean_output", "task.length=10",
                         "trainer.gradient_flow=false")
    path = client.download_artifacts(every.run_id, record.GRADIENT_FLOW_ARTIFACT, str(tmp_path))
    flow = json.loads(Path(path).read_text())
    assert flow["steps"] == [0, 2, 4, 6, 7]  # its interval and the end, not validations (3, 6)
    assert all(len(norms) == 10 for norms in flow["norms"])
    assert record.GRADIENT_FLOW_ARTIFACT not in [a.path for a in client.list_artifacts(off.run_id)]


def test_gradient_decay_is_the_log_slope_against_distance() -> None:
    from seqlab.measure.flow_summary import gradient_decay, state_growth
    from seqlab.store import record

    length = 50
    positions = list(range(length))
    norms = [0.5 ** (length - 1 - t) for t in positions]  # halves with every step back
    summary = gradient_decay(positions, norms, length)
    assert summary[record.GRADIENT_DECAY] == pytest.approx(math.log10(0.5))
    assert summary[record.GRADIENT_FIRST_LAST] == pytest.approx((length - 1) * math.log10(0.5))
    flat = gradient_decay(positions, [1.0] * length, length)
    assert flat[record.GRADIENT_DECAY] == pytest.approx(0.0)
    assert gradient_decay(positions, [0.0] * length, length) == {}
    assert state_growth([0.1 * (t + 1) for t in range(100)]) == pytest.approx(100 / 51)
    assert state_growth([0.3] * 100) == pytest.approx(1.0)
    assert state_growth([0.0] * 100) is None
