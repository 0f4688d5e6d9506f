"""Every metric family of a tiny run is recorded and readable with MlflowClient."""

from __future__ import annotations

import json
from pathlib import Path

import measure_plugins
import pytest
import torch
from measure_plugins import train_tiny
from mlflow import MlflowClient

from conftest import registered_plugin
from seqlab.store import record
from seqlab.run.data import validation_loader
from seqlab_plugins.tasks.adding import AddingTask


def _history(client: MlflowClient, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]


def test_efficiency_stability_and_scores_are_recorded(store: str, tmp_path: Path) -> None:
    outcome = train_tiny()
    client = MlflowClient(store)
    run = client.get_run(outcome.run_id)
    metrics, tags = run.data.metrics, run.data.tags
    assert run.info.status == "FINISHED"

    # efficiency: lstm(2 -> 8) has 4*8*(2+8) + 2*4*8 weights and biases, the head 8 + 1
    assert metrics[record.PARAMETERS] == 4 * 8 * 10 + 2 * 4 * 8 + 9
    step_time = metrics[record.STEP_TIME]
    assert 0 < step_time < metrics[record.TRAIN_TIME]
    assert metrics[record.SEQUENCES_PER_S] == pytest.approx(4 / step_time, rel=1e-6)
    assert metrics[record.TIMESTEPS_PER_S] == pytest.approx(4 * 8 / step_time, rel=1e-6)
    assert metrics[record.PEAK_MEMORY_MB] > 50  # a process with torch loaded
    assert 0 <= metrics[record.MEMORY_GROWTH_MB] < metrics[record.PEAK_MEMORY_MB]
    assert record.TIME_TO_SOLVE_STEPS not in metrics  # mse 0.01 is out of reach in 6 steps
    assert tags[record.TAG_DEVICE] == "cpu" and tags[record.TAG_DEVICE_NAME]
    threads, _, cores = tags[record.TAG_THREADS].partition(" of ")
    assert int(threads) == torch.get_num_threads() and cores.endswith(" cores")

    # stability: one value per logging interval (log_every=2, max_steps=6)
    norms = _history(client, outcome.run_id, record.GRAD_NORM)
    assert [step for step, _ in norms] == [2, 4, 6]
    maxima = dict(_history(client, outcome.run_id, record.GRAD_NORM_MAX))
    assert all(0 < norm <= maxima[step] for step, norm in norms)
    assert metrics[record.CLIP_EVENTS] == 0
    assert metrics[record.LOSS_SPIKES] >= 0
    assert metrics[record.DIVERGED] == 0 and tags[record.TAG_DIVERGED] == "false"

    # long-term dependency: scores at each validation (val_every=3)
    mse = _history(client, outcome.run_id, record.validation_metric("mse"))
    best = _history(client, outcome.run_id, record.BEST_METRIC)
    assert [step for step, _ in best] == [3, 6]
    assert best[-1][1] == pytest.approx(min(value for _, value in mse))
    baseline = metrics[record.BASELINE]  # the validation set's own best constant (its variance)
    assert metrics[record.NORMALIZED_SCORE] == pytest.approx((baseline - best[-1][1]) / baseline)
    assert metrics[record.SOLVED] == 0

    path = client.download_artifacts(outcome.run_id, record.GRADIENT_FLOW_ARTIFACT, str(tmp_path))
    flow = json.loads(Path(path).read_text())
    assert flow["positions"] == list(range(8))
    assert flow["steps"] == [0, 3, 6]
    assert all(len(row) == 8 and all(v > 0 for v in row) for row in flow["norms"])


def test_time_to_solve_and_profiles_are_recorded(store: str, tmp_path: Path) -> None:
    with registered_plugin(measure_plugins):
        outcome = train_tiny("task=easy_adding", "trainer.val_size=300")
    client = MlflowClient(store)
    metrics = client.get_run(outcome.run_id).data.metrics
    assert metrics[record.SOLVED] == 1
    assert metrics[record.TIME_TO_SOLVE_STEPS] == 3  # the first validation
    assert 0 < metrics[record.TIME_TO_SOLVE_S] < metrics[record.TRAIN_TIME]

    path = client.download_artifacts(outcome.run_id, record.PROFILES_ARTIFACT, str(tmp_path))
    profiles = json.loads(Path(path).read_text())
    assert profiles["steps"] == [3, 6]
    marks = [batch["x"][..., 1] for batch in validation_loader(AddingTask(8), 300)]
    expected = torch.cat(marks).mean(0).tolist()  # 256 + 44 sequences, weighted by size
    for row in profiles["profiles"]["mark_rate_by_position"]:
        assert row == pytest.approx(expected, rel=1e-5)
