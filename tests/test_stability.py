"""Stability: clipping counted before clipping (automatic and manual optimization), loss
spikes, and a diverging run that stops cleanly and is marked, not crashed."""

from __future__ import annotations

import measure_plugins
import pytest
from measure_plugins import train_tiny
from mlflow import MlflowClient

from conftest import registered_plugin
from seqlab.store import record
from seqlab.measure.recorder import MlflowRecorder
from seqlab.measure.stability import StabilityMonitor


def test_a_diverging_run_stops_early_and_ends_finished_marked_diverged(store: str) -> None:
    # A learnable linear recurrence at lr=10 (Adam, no clipping): after one update |a| ~ 10,
    # and h_60 ~ 10^60 overflows float32, so the loss turns infinite and the gradients NaN.
    with registered_plugin(measure_plugins):
        outcome = train_tiny("model=linear_recurrence", "model.learn_a=true",
                             "task.length=60", "trainer.lr=10")
    client = MlflowClient(store)
    run = client.get_run(outcome.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags[record.TAG_DIVERGED] == "true"
    assert run.data.tags[record.TAG_END_REASON].startswith("diverged: non-finite")
    assert run.data.metrics[record.DIVERGED] == 1
    losses = client.get_metric_history(outcome.run_id, record.TRAIN_LOSS)
    assert max(m.step for m in losses) < 6  # stopped before max_steps


def test_seqlab_run_reports_a_diverged_run_as_diverged(store: str) -> None:
    from typer.testing import CliRunner

    from seqlab.cli import app

    with registered_plugin(measure_plugins):
        result = CliRunner().invoke(app, [
            "run", "model=linear_recurrence", "model.learn_a=true", "task.length=60",
            "trainer.lr=10", "trainer.max_steps=6", "trainer.batch_size=4",
            "trainer.val_size=8", "trainer.log_every=2", "--no-progress",
        ])
    assert result.exit_code == 0, result.output
    headline = result.output.splitlines()[0]
    assert " DIVERGED (non-finite " in headline and "recorded FINISHED" in headline
    assert "diverged" in result.output and "FINISHED\n" not in result.output


@pytest.mark.parametrize("strategy", ["bptt", "manual_bptt"])
def test_gradient_norms_are_taken_before_clipping(store: str, strategy: str) -> None:
    clip = 1e-6
    with registered_plugin(measure_plugins):
        outcome = train_tiny(f"strategy={strategy}", f"trainer.grad_clip={clip}")
    metrics = MlflowClient(store).get_run(outcome.run_id).data.metrics
    assert metrics[record.GRAD_NORM] > 1000 * clip  # the norm before clipping
    assert metrics[record.CLIP_EVENTS] == 6  # every one of the 6 steps clipped
    assert metrics[record.DIVERGED] == 0


def test_loss_spikes_are_counted_against_the_recent_median(store: str) -> None:
    client = MlflowClient(store)
    run_id = client.create_run(client.create_experiment("spikes")).info.run_id
    recorder = MlflowRecorder(client, run_id, log_every=1)
    monitor = StabilityMonitor(recorder, grad_clip=None)
    for step, loss in enumerate([1.0, 0.9, 1.1, 3.0, 1.0, 0.8, 0.5, 0.2, 0.45], start=1):
        monitor.close_interval(step, loss)
    recorder.flush()
    spikes = [(m.step, m.value) for m in client.get_metric_history(run_id, record.LOSS_SPIKES)]
    # 3.0 > 2 x median(1.0, 0.9, 1.1) is a spike; 0.45 after 0.2 is not (median 0.95)
    assert spikes[-1] == (9, 1)
    assert [value for _, value in spikes] == [0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert monitor.divergence is None
