"""The example third-party plugin in examples/, installed with pip and used through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from conftest import run_seqlab

EXAMPLE = Path(__file__).parents[1] / "examples" / "seqlab-leaky-rnn"


@pytest.fixture
def installed_example():
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--no-deps", "--no-build-isolation", str(EXAMPLE)],
                   check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run([*pip, "uninstall", "-y", "seqlab-leaky-rnn"], check=True,
                       capture_output=True)


def test_installed_example_is_listed_described_and_trains(installed_example, store: str) -> None:
    rows = json.loads(run_seqlab("plugins", "--json").stdout)
    leaky = next(row for row in rows if row["name"] == "leaky_rnn")
    assert leaky["plugin"] == "leaky_rnn" and leaky["distribution"] == "seqlab-leaky-rnn"
    assert leaky["version"] == "0.1.0" and leaky["status"] == "ok" and not leaky["builtin"]
    assert "model.leak" in run_seqlab("describe", "leaky_rnn").stdout
    result = run_seqlab("run", "model=leaky_rnn", "model.leak=0.3", "model.hidden_size=8",
                        "task.length=8", "trainer.max_steps=4", "trainer.batch_size=4",
                        "trainer.val_size=8", "--no-progress")
    assert result.returncode == 0, result.stderr
    client = MlflowClient(store)
    [run] = client.search_runs([client.get_experiment_by_name("seqlab").experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["model.leak"] == "0.3"
    assert run.data.tags["seqlab.plugin.model"] == "seqlab-leaky-rnn==0.1.0 (leaky_rnn)"
    assert "val/mse" in run.data.metrics
