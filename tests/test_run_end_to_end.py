"""`seqlab run` end to end: Lightning trains, MLflow records, MLflow's client reads it back."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from seqlab.cli import app

from conftest import TINY_RUN, run_seqlab


def only_run(uri: str, experiment: str = "seqlab"):
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    [run] = client.search_runs([exp.experiment_id])
    return client, run


def test_run_is_recorded_with_params_tags_metrics_and_spec(store: str) -> None:
    result = run_seqlab("run", *TINY_RUN, "seed=3")
    assert result.returncode == 0, result.stderr
    assert "FINISHED" in result.stdout
    # to a pipe, progress is plain lines by step with the recorded values, no redrawn bars
    assert "step 6/6 (100%)" in result.stderr and "val/loss=" in result.stderr
    for bar_only in ("\r", "Epoch", "DataLoader"):
        assert bar_only not in result.stderr
    client, run = only_run(store)
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["model"] == "lstm" and params["task"] == "adding" and params["strategy"] == "bptt"
    assert params["seed"] == "3" and params["task.length"] == "8"
    assert params["model.hidden_size"] == "8" and params["trainer.max_steps"] == "6"
    tags = run.data.tags
    assert tags["seqlab.plugin.model"].startswith("seqlab==")
    assert tags["seqlab.version"] and tags["seqlab.torch_version"] and tags["seqlab.device"] == "cpu"
    assert len(tags["seqlab.spec_hash"]) == 16
    losses = client.get_metric_history(run.info.run_id, "train/loss")
    assert [m.step for m in losses] == [2, 4, 6]
    for key in ("val/loss", "val/mse"):
        assert [m.step for m in client.get_metric_history(run.info.run_id, key)] == [3, 6]
    spec_file = Path(client.download_artifacts(run.info.run_id, "spec.yaml"))
    assert "name: lstm" in spec_file.read_text()


def test_config_file_and_experiment_from_the_environment(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process through the CLI app: a config file, flags that win, MLFLOW_EXPERIMENT_NAME."""
    config = tmp_path / "run.yaml"
    config.write_text("task.length: 9\ntrainer: {max_steps: 4, val_every: 2}\n")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-env")
    args = ["run", "--config", str(config), *TINY_RUN[4:], "trainer.max_steps=2", "--no-progress"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    _, run = only_run(store, "from-env")
    assert run.data.params["task.length"] == "9"
    assert run.data.params["trainer.max_steps"] == "2"


def test_same_spec_and_seed_give_the_same_metrics(store: str) -> None:
    from seqlab.registry.components import build_registry
    from seqlab.run.runner import train
    from seqlab.spec import load_spec

    registry = build_registry()
    spec = load_spec(TINY_RUN, None, registry)
    first = train(spec, registry, progress=False).metrics
    second = train(spec, registry, progress=False).metrics
    other_seed = train(load_spec([*TINY_RUN, "seed=1"], None, registry), registry,
                       progress=False).metrics
    timings = ("eff/",)  # wall-clock and memory readings vary
    same = {key: value for key, value in first.items() if not key.startswith(timings)}
    assert same == {key: second[key] for key in same}
    assert {"train/loss", "val/mse", "stab/grad_norm", "ltd/normalized_score"} <= set(same)
    assert first["val/mse"] != other_seed["val/mse"]
