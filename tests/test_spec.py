"""Run specs: dotted overrides and config files (bad input: tests/test_bad_input.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqlab.registry.components import build_registry
from seqlab.spec import load_spec


@pytest.fixture(scope="module")
def registry():
    return build_registry()


def test_overrides_resolve_with_defaults(registry) -> None:
    spec = load_spec(
        ["model=lstm", "task.length=200", "model.hidden_size=128", "trainer.lr=0.01", "seed=3"],
        None,
        registry,
    )
    assert spec.model.name == "lstm" and spec.model.params.hidden_size == 128
    assert spec.task.name == "adding" and spec.task.params.length == 200
    assert spec.strategy.name == "bptt"
    assert spec.trainer.lr == 0.01 and spec.seed == 3
    flat = spec.flat()
    assert flat["model"] == "lstm" and flat["task.length"] == 200 and flat["seed"] == 3
    assert flat["trainer.max_steps"] == 500


def test_config_file_nested_or_dotted_and_flags_win(tmp_path: Path, registry) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        "model: {name: lstm, hidden_size: 16}\n"
        "task: adding\n"
        "task.length: 30\n"
        "trainer: {max_steps: 7, lr: 0.5}\n"
    )
    spec = load_spec(["trainer.lr=0.25", "model.num_layers=2"], config, registry)
    assert spec.model.params.hidden_size == 16 and spec.model.params.num_layers == 2
    assert spec.task.params.length == 30
    assert spec.trainer.max_steps == 7 and spec.trainer.lr == 0.25


def test_resolved_spec_yaml_reads_back_to_the_same_spec(tmp_path: Path, registry) -> None:
    spec = load_spec(["task.length=12", "seed=9"], None, registry)
    saved = tmp_path / "spec.yaml"
    saved.write_text(spec.to_yaml())
    again = load_spec([], saved, registry)
    assert again == spec and again.spec_hash() == spec.spec_hash()
    assert load_spec(["seed=10"], saved, registry).spec_hash() != spec.spec_hash()


