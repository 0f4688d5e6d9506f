"""The example third-party plugins in examples/ (a model, a task, a strategy), installed with pip
and used through the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from conftest import run_seqlab

EXAMPLES = Path(__file__).parents[1] / "examples"
PACKAGES = ("seqlab-leaky-rnn", "seqlab-parity", "seqlab-warmup")


@pytest.fixture
def installed_example():
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    folders = [str(EXAMPLES / package) for package in PACKAGES]
    subprocess.run([*pip, "install", "--no-deps", "--no-build-isolation", *folders],
                   check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run([*pip, "uninstall", "-y", *PACKAGES], check=True, capture_output=True)


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


def test_example_task_and_strategy_train_with_the_example_model(installed_example, store: str) -> None:
    rows = {row["name"]: row for row in json.loads(run_seqlab("plugins", "--json").stdout)}
    assert rows["parity"]["component"] == "task" and rows["parity"]["status"] == "ok"
    assert rows["warmup_bptt"]["component"] == "strategy" and rows["warmup_bptt"]["status"] == "ok"
    result = run_seqlab("run", "model=leaky_rnn", "model.hidden_size=8", "task=parity",
                        "task.length=6", "strategy=warmup_bptt", "strategy.warmup_steps=4",
                        "trainer.max_steps=6", "trainer.batch_size=4", "trainer.val_size=8",
                        "trainer.log_every=2", "trainer.lr=0.01", "--no-progress")
    assert result.returncode == 0, result.stderr
    client = MlflowClient(store)
    [run] = client.search_runs([client.get_experiment_by_name("seqlab").experiment_id])
    assert run.data.tags["seqlab.plugin.task"] == "seqlab-parity==0.1.0 (parity)"
    assert run.data.tags["seqlab.plugin.strategy"] == "seqlab-warmup==0.1.0 (warmup_bptt)"
    assert "val/accuracy" in run.data.metrics
    warmup = [m.value for m in client.get_metric_history(run.info.run_id, "strategy/warmup")]
    assert warmup == [0.5, 1.0, 1.0]
    rates = [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "train/lr")]
    assert rates == [(0, 0.0025), (1, 0.005), (2, 0.0075), (3, 0.01)]


def test_the_tutorials_test_recipes_work_as_written(installed_example, tmp_path: Path) -> None:
    """The pytest recipes of docs/writing-plugins.md ("8. Test it"), run as written by this
    virtualenv's Python with the example installed."""
    tutorial = (Path(__file__).parents[1] / "docs" / "writing-plugins.md").read_text()
    section = tutorial.split("\n## 8. Test it\n", 1)[1].split("\n## ", 1)[0]
    recipes = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(recipes) == 2
    for number, recipe in enumerate(recipes):
        (tmp_path / f"test_recipe_{number}.py").write_text(recipe)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(tmp_path)], capture_output=True, text=True, cwd=tmp_path,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
