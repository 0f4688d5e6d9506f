"""The CUDA path. Without a GPU, asking for one is a clear error that records nothing; with
one (run this file on a GPU machine), every recurrent model and strategy trains there with
cuDNN's fused kernels and records CUDA memory, the device and the gradient flow. The suite
needs no GPU: each test says which machine it is for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from mlflow import MlflowClient
from typer.testing import CliRunner

from conftest import TINY_RUN
from seqlab.store import record
from seqlab.cli import app

needs_gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.skipif(torch.cuda.is_available(), reason="for a machine without a CUDA GPU")
def test_cuda_without_a_gpu_is_a_one_line_error_and_records_nothing(store: str) -> None:
    result = CliRunner().invoke(app, ["run", *TINY_RUN, "trainer.accelerator=cuda"])
    assert result.exit_code == 2  # bad input: refused before anything is built
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: trainer.accelerator=cuda: ") and "not available" in line
    client = MlflowClient(store)
    experiments = [e.experiment_id for e in client.search_experiments()]
    assert client.search_runs(experiments) == []
    assert [e.name for e in client.search_experiments()] == ["Default"]


@needs_gpu
@pytest.mark.parametrize(
    "overrides",
    [
        ["model=rnn"],
        ["model=lstm"],
        ["model=gru"],
        ["model=lstm", "model.cell=unfused"],
        ["model=lstm", "task=labeling", "strategy=tbptt", "strategy.k1=3"],
        ["model=gru", "task=labeling", "strategy=bidirectional"],
    ],
    ids=["rnn", "lstm", "gru", "unfused-lstm", "tbptt", "bidirectional"],
)
def test_a_run_on_cuda_records_cuda_memory_device_and_gradient_flow(
    store: str, tmp_path: Path, overrides: list[str]
) -> None:
    from measure_plugins import train_tiny

    outcome = train_tiny(*overrides, "trainer.accelerator=cuda")
    client = MlflowClient(store)
    run = client.get_run(outcome.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags[record.TAG_DEVICE] == "cuda:0"
    assert run.data.tags[record.TAG_DEVICE_NAME] == torch.cuda.get_device_name(0)
    metrics = run.data.metrics
    assert metrics[record.PEAK_MEMORY_MB] > 0  # torch.cuda.max_memory_allocated, not the RSS
    assert metrics[record.PEAK_MEMORY_MB] < 1024  # a tiny run; a process RSS would be larger
    assert metrics[record.STEP_TIME] > 0 and metrics[record.DIVERGED] == 0
    path = client.download_artifacts(outcome.run_id, record.GRADIENT_FLOW_ARTIFACT, str(tmp_path))
    flow = json.loads(Path(path).read_text())
    assert flow["steps"][0] == 0 and all(
        value is not None and value >= 0 for norms in flow["norms"] for value in norms
    )


@needs_gpu
def test_fused_recurrent_kernels_use_cudnn_on_cuda() -> None:
    from seqlab.registry.components import build_registry
    from seqlab.spec import load_spec

    registry = build_registry()
    spec = load_spec(["model=lstm", "model.hidden_size=8"], None, registry)
    model = registry.get("model", "lstm").build(spec.model.params, input_size=2).cuda()
    assert torch.backends.cudnn.is_available() and torch.backends.cudnn.enabled
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        model(torch.randn(4, 10, 2, device="cuda"))
    assert "aten::_cudnn_rnn" in {event.name for event in profile.events()}
