"""A strategy's own metrics reach MLflow: ``self.log``, Lightning's LearningRateMonitor, and the
learning rate whenever a schedule changes it."""

from __future__ import annotations

import types
from typing import Any

import torch
from pytorch_lightning.callbacks import LearningRateMonitor

from seqlab import NoParams, RunParts, SequenceSystem, hookimpl
from seqlab.api.task import Batch

from conftest import TINY_RUN, registered_plugin


class HalvingSystem(SequenceSystem):
    """Full BPTT whose learning rate halves every 2 steps, logging a metric of its own."""

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        """The usual loss, also logged as ``custom/double_loss``."""
        loss = super().training_step(batch, batch_idx)
        self.log("custom/double_loss", 2 * loss.detach())
        return loss

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        """The usual validation, plus a logged constant."""
        super().validation_step(batch, batch_idx)
        self.log("custom/val_constant", 7.0)

    def configure_optimizers(self) -> Any:
        """Adam with a step schedule."""
        optimizer = torch.optim.Adam(self.parameters(), lr=self.settings.lr)
        schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

    def configure_callbacks(self) -> list[Any]:
        """Lightning's own learning-rate monitor, which needs a logger."""
        return [LearningRateMonitor(logging_interval="step")]


def build_halving(params: NoParams, parts: RunParts) -> HalvingSystem:
    """A strategy for tests."""
    return HalvingSystem(parts)


@hookimpl
def register_strategies(register: Any) -> None:
    """Register ``halving``."""
    register("halving", build_halving)


def test_strategy_logs_learning_rate_monitor_and_schedule_are_recorded(store: str) -> None:
    from mlflow import MlflowClient

    from seqlab.registry.components import build_registry
    from seqlab.run.runner import train
    from seqlab.spec import load_spec

    plugin = types.ModuleType("halving_plugin")
    plugin.register_strategies = register_strategies  # type: ignore[attr-defined]
    with registered_plugin(plugin):
        registry = build_registry()
        overrides = [*TINY_RUN, "strategy=halving", "trainer.lr=0.008"]
        outcome = train(load_spec(overrides, None, registry), registry, progress=False)
    client = MlflowClient(store)
    run = client.get_run(outcome.run_id)
    assert run.info.status == "FINISHED"
    logged = client.get_metric_history(outcome.run_id, "custom/double_loss")
    assert [m.step for m in logged] == [2, 4, 6]  # every trainer.log_every=2 steps
    assert [m.step for m in client.get_metric_history(outcome.run_id, "custom/val_constant")] == [3, 6]
    rates = [(m.step, m.value) for m in client.get_metric_history(outcome.run_id, "train/lr")]
    assert rates == [(0, 0.008), (2, 0.004), (4, 0.002)]
    assert "lr-Adam" in run.data.metrics
