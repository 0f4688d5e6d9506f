"""A recorded run always ends: FINISHED, FAILED on a crash, KILLED on Ctrl-C; never RUNNING."""

from __future__ import annotations

import signal
import subprocess
import time
import types
from collections.abc import Callable

import pytest
from mlflow import MlflowClient

from seqlab import hookimpl
from seqlab.registry.components import build_registry
from seqlab.run.runner import RunError, train
from seqlab.spec import load_spec

from conftest import SEQLAB, TINY_RUN, registered_plugin


def lstm_plugin_acting_on_third_call(name: str, action: Callable[[], None]) -> types.ModuleType:
    """A plugin registering model ``name``: an LSTM that calls ``action`` on its third forward
    pass, then goes on."""
    from seqlab_plugins.models.lstm import LSTMParams, build_lstm

    def build(params: LSTMParams, input_size: int):
        """An LSTM that acts on its third call."""
        model = build_lstm(params, input_size)
        calls = {"n": 0}
        forward = model.forward

        def counting_forward(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                action()
            return forward(*args, **kwargs)

        model.forward = counting_forward
        return model

    module = types.ModuleType(f"{name}_model")
    module.register_models = hookimpl(lambda register: register(name, build, LSTMParams))
    return module


def crashing_model_plugin() -> types.ModuleType:
    """A plugin whose model raises on its third forward pass."""

    def crash() -> None:
        raise RuntimeError("the model broke")

    return lstm_plugin_acting_on_third_call("crashing", crash)


@pytest.mark.fault
def test_a_crash_ends_the_run_failed_with_the_reason(store: str) -> None:
    with registered_plugin(crashing_model_plugin()):
        registry = build_registry()
        spec = load_spec([*TINY_RUN, "model=crashing"], None, registry)
        with pytest.raises(RunError) as error:
            train(spec, registry, progress=False)
    assert error.value.status == "FAILED"
    run = MlflowClient(store).get_run(error.value.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["seqlab.end_reason"] == "RuntimeError: the model broke"


@pytest.mark.fault
def test_ctrl_c_ends_the_run_killed(store: str) -> None:
    client = MlflowClient(store)
    process = subprocess.Popen(
        [SEQLAB, "run", *TINY_RUN, "trainer.max_steps=1000000", "trainer.log_every=1",
         "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            experiments = client.search_experiments()
            runs = client.search_runs([e.experiment_id for e in experiments]) if experiments else []
            if runs and "train/loss" in runs[0].data.metrics:
                break
            time.sleep(0.5)
        else:
            pytest.fail("training never started")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "KILLED" in stderr.strip().splitlines()[-1]
    [run] = client.search_runs([runs[0].info.experiment_id])
    assert run.info.status == "KILLED"
    assert "KeyboardInterrupt" in run.data.tags["seqlab.end_reason"]


@pytest.mark.fault
def test_ctrl_c_inside_a_store_write_waits_for_it(store: str) -> None:
    """Ctrl-C between an SQL statement and its commit (CI once caught it there): raised at
    once, it left the database locked and the run could not be ended. It waits for the write."""
    import os

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    inserts = {"n": 0}

    def interrupt_on_second_metrics_insert(connection, cursor, statement, *args) -> None:
        if statement.startswith("INSERT INTO metrics"):
            inserts["n"] += 1
            if inserts["n"] == 2:
                os.kill(os.getpid(), signal.SIGINT)

    registry = build_registry()
    spec = load_spec([*TINY_RUN, "trainer.max_steps=20000", "trainer.log_every=1"], None,
                     registry)
    event.listen(Engine, "after_cursor_execute", interrupt_on_second_metrics_insert)
    try:
        with pytest.raises(RunError) as error:
            train(spec, registry, progress=False)
    finally:
        event.remove(Engine, "after_cursor_execute", interrupt_on_second_metrics_insert)
    assert error.value.status == "KILLED", str(error.value)
    assert inserts["n"] >= 2
    client = MlflowClient(store)
    run = client.get_run(error.value.run_id)
    assert run.info.status == "KILLED"
    assert "KeyboardInterrupt" in run.data.tags["seqlab.end_reason"]
    losses = client.get_metric_history(error.value.run_id, "train/loss")
    assert losses and max(m.step for m in losses) < 20000  # stopped, not trained to the end


def test_a_signal_held_for_a_store_write_comes_after_it_and_a_second_one_at_once() -> None:
    import os

    from seqlab.run.interruption import StopSignals
    from seqlab.store.writing import uninterrupted

    def signal_and_let_the_handler_run() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10_000):  # the handler runs here
            pass

    stop = StopSignals()
    with stop.installed():
        with uninterrupted():
            signal_and_let_the_handler_run()
            held = True  # the write goes on
        with pytest.raises(KeyboardInterrupt):
            stop.raise_if_received()  # the next batch
        signal_and_let_the_handler_run()  # while the stop is recorded: ignored, no raise
    assert held

    forced = StopSignals()
    with forced.installed(), uninterrupted():
        signal_and_let_the_handler_run()
        with pytest.raises(KeyboardInterrupt, match="signal 2"):
            signal_and_let_the_handler_run()  # a second one during a write that hangs


def lost_signal_plugin() -> types.ModuleType:
    """A plugin whose model gets Ctrl-C (SIGINT) inside a finalizer on its third forward pass,
    where Python reports the KeyboardInterrupt as "Exception ignored" and drops it. (Lightning
    itself notices a SIGTERM at the next batch, but not a SIGINT.)"""
    import os

    class SignalsWhenCollected:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10_000):  # the handler runs here, inside the finalizer
                pass

    return lstm_plugin_acting_on_third_call("signalled", lambda: SignalsWhenCollected() and None)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the drop itself
def test_a_signal_whose_interrupt_python_drops_still_stops_the_run(store: str) -> None:
    with registered_plugin(lost_signal_plugin()):
        registry = build_registry()
        spec = load_spec([*TINY_RUN, "model=signalled", "trainer.max_steps=200"], None, registry)
        with pytest.raises(RunError) as error:
            train(spec, registry, progress=False)
    assert error.value.status == "KILLED"
    client = MlflowClient(store)
    run = client.get_run(error.value.run_id)
    assert run.info.status == "KILLED"
    losses = client.get_metric_history(error.value.run_id, "train/loss")
    assert max((m.step for m in losses), default=0) < 10  # stopped at the next batch, not 200
