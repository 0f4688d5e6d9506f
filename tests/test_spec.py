"""Run specs: dotted overrides, config files, and one-line errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqlab.registry.components import build_registry
from seqlab.spec import SpecError, load_spec, read_overrides


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


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["model=lsmt"], "model=lsmt: unknown model 'lsmt'; did you mean 'lstm'?"),
        (["model.hidden_size=abc"], "model.hidden_size='abc': Input should be a valid integer"),
        (["model.hidden_size=0"], "model.hidden_size=0: Input should be greater than or equal to 1"),
        (["trainer.lr=-1"], "trainer.lr=-1: Input should be greater than 0"),
        (["model.hiden_size=3"], "unknown key model.hiden_size; did you mean 'hidden_size'?"),
        (["trainr.max_steps=3"], "unknown key trainr; did you mean 'trainer'?"),
        (["trainer.accelerator=tpu"], "trainer.accelerator='tpu': Input should be 'auto', 'cpu'"),
        (["seed=-2"], "seed=-2: Input should be greater than or equal to 0"),
        (["hidden_size"], "override 'hidden_size' is not of the form key=value"),
    ],
)
def test_bad_input_is_one_line_naming_key_value_and_rule(overrides, expected, registry) -> None:
    with pytest.raises(SpecError) as error:
        load_spec(overrides, None, registry)
    message = str(error.value)
    assert expected in message
    assert "\n" not in message


def test_unknown_keys_list_what_is_allowed(registry) -> None:
    with pytest.raises(SpecError, match=r"unknown key model.widht \(allowed: .*hidden_size"):
        load_spec(["model.widht=3"], None, registry)


def test_missing_config_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read it"):
        read_overrides([], tmp_path / "nope.yaml")
