"""A CallbackGroup is one Lightning callback running its members' own hooks in order."""

from __future__ import annotations

import pytorch_lightning as pl

from seqlab.measure.callback_group import CallbackGroup


class Logs(pl.Callback):
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name, self.calls = name, calls

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.calls.append(f"{self.name}.start")


class LogsBatches(Logs):
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # type: ignore[no-untyped-def]
        self.calls.append(f"{self.name}.batch{batch_idx}")


def test_members_hooks_run_in_order_and_others_stay_no_ops() -> None:
    calls: list[str] = []
    group = CallbackGroup([LogsBatches("a", calls), Logs("b", calls)])
    group.on_train_start(None, None)  # type: ignore[arg-type]
    group.on_train_batch_end(None, None, None, None, 7)  # type: ignore[arg-type]
    group.on_validation_end(None, None)  # type: ignore[arg-type]  # nobody's: the no-op
    assert calls == ["a.start", "b.start", "a.batch7"]
    assert "on_validation_end" not in vars(group)
