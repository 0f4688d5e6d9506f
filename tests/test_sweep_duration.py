"""The sweep time estimate: its cost model reproduces the step times it was fitted to."""

from __future__ import annotations

import pytest

from seqlab.sweep.duration import STEP_S, format_duration, run_seconds


def settings(**overrides: object) -> dict[str, object]:
    base = {"model": "lstm", "model.hidden_size": 64, "task.length": 50, "strategy": "bptt",
            "trainer.batch_size": 32, "trainer.max_steps": 1000, "trainer.val_every": 100_000,
            "trainer.val_size": 1}
    return {**base, **overrides}


def step_seconds(**overrides: object) -> float:
    """Seconds per step: the difference between 1001 and 1 steps, over 1000."""
    one = settings(**overrides)
    return (run_seconds({**one, "trainer.max_steps": 1001})
            - run_seconds({**one, "trainer.max_steps": 1})) / 1000


@pytest.mark.parametrize(("overrides", "measured"), [
    ({}, 0.010),  # docs/benchmarks.md: hidden 64, length 50, batch 32
    ({"model.hidden_size": 128, "task.length": 100, "trainer.batch_size": 64}, 0.075),
])
def test_agrees_with_the_recorded_lstm_step_times(overrides: dict, measured: float) -> None:
    assert step_seconds(**overrides) == pytest.approx(measured, rel=0.3)


def test_cost_follows_what_the_run_does() -> None:
    lstm = step_seconds()
    assert step_seconds(model="rnn") < lstm < step_seconds(model="gru")  # recorded on CPU
    assert step_seconds(strategy="bidirectional") == pytest.approx(2 * lstm - STEP_S)
    assert step_seconds(strategy="tbptt", **{"strategy.k1": 10, "strategy.k2": 25}) == (
        pytest.approx((lstm - STEP_S) / 2 + STEP_S))
    truncated = {"strategy.k1": 10, "strategy.k2": 25, "trainer.budget": "sequences"}
    assert step_seconds(strategy="tbptt", **truncated) == (  # 5 updates of each batch
        pytest.approx(5 * ((lstm - STEP_S) / 2 + STEP_S)))
    assert step_seconds(**{"model.variant": "no_forget_gate"}) > 2 * lstm
    assert step_seconds(model="someone-elses-model") == lstm


def test_durations_read_as_people_say_them() -> None:
    assert format_duration(0.2) == "1 s"
    assert format_duration(40) == "40 s"
    assert format_duration(180) == "3 min"
    assert format_duration(9000) == "2.5 h"
