"""Malformed run configs, overrides and suites: one line on stderr, exit 2, nothing recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import run_seqlab

BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
)

CONFIGS = {
    "code tag": (b'a: !!python/object/apply:os.system ["echo pwned"]\n', "could not determine a constructor"),
    "unclosed list": (b"model: [lstm\n", "not valid YAML: expected ',' or ']'"),
    "duplicate key": (b"seed: 1\nseed: 2\n", "key 'seed' appears twice (line 2)"),
    "recursive alias": (b"a: &a [*a]\n", "recursive"),
    "alias bomb": (BOMB.encode() + b"\n", "alias bomb"),
    "not utf-8": (b"\xff\xfe model: lstm\n", "not UTF-8 text"),
    "empty": (b"", "the file is empty"),
    "a list": (b"- model\n", "expected a mapping of run settings"),
}


def one_line_error(result) -> str:  # noqa: ANN001 - a CompletedProcess
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_malformed_config_files_are_one_line(case: str, tmp_path: Path) -> None:
    content, expected = CONFIGS[case]
    config = tmp_path / "run.yaml"
    config.write_bytes(content)
    line = one_line_error(run_seqlab("run", "--config", str(config), cwd=tmp_path, timeout=60))
    assert expected in line and "run.yaml" in line
    assert not (tmp_path / "mlruns").exists()
    assert "pwned" not in line


def test_dev_null_config_is_refused(tmp_path: Path) -> None:
    line = one_line_error(run_seqlab("run", "--config", "/dev/null", cwd=tmp_path))
    assert "the file is empty" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["trainer.log_every=1e24"], "trainer.log_every="),
        (["trainer.log_every=1000000000"], "less than or equal to 100000000"),
        (["trainer.val_size=1000000000"], "less than or equal to 100000"),
        (["trainer.lr=nan"], "trainer.lr='nan': not a number"),
        (["trainer.grad_clip=inf"], "not a number"),
        (["model.hidden_size=" + "9" * 100_000], "(100020 characters)"),
        (["model=" + "x" * 100_000], "characters)"),
    ],
)
def test_bad_overrides_are_one_short_line(args: list[str], expected: str, tmp_path: Path) -> None:
    line = one_line_error(run_seqlab("run", *args, cwd=tmp_path))
    assert expected in line
    assert len(line) < 700
    assert not (tmp_path / "mlruns").exists()


def test_a_key_given_twice_is_said_and_the_last_wins(tmp_path: Path) -> None:
    result = run_seqlab("run", "seed=1", "seed=2", "model=lsmt", cwd=tmp_path)
    note, error = result.stderr.strip().splitlines()
    assert note == "note: seed is given 2 times ('1', '2'); the last is used"
    assert error.startswith("error: model=lsmt")
    from seqlab.spec import read_overrides, repeated_overrides

    assert read_overrides(["seed=1", "seed=2"])["seed"] == 2
    assert repeated_overrides(["seed=3", "seed=3", "model=rnn"]) == {}


def write(folder: Path, data: object) -> Path:
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"base": {"model": "lstm"}, "grid": {"seed": [0, 1]}}, "name: missing (required)"),
        ({"name": "s", "base": {"trainer.max_step": 5}}, "base: unknown key trainer.max_step; did you mean 'trainer.max_steps'?"),
        ({"name": "s", "grid": {"modle": ["lstm"]}}, "grid: unknown key modle; did you mean 'model'?"),
        ({"name": "s", "include": [{"trainer": {"lr_x": 1}}]}, "include[0]: unknown key trainer.lr_x"),
        ({"name": "s", "sizes": {"quick": {"base": {"sead": 1}}}}, "sizes.quick.base: unknown key sead"),
        ({"name": "s", "grid": {"model": ["lsmt", "lstmm"]}}, "none of its 2 combinations can run; the first, run 1 (model=lsmt), is invalid: model=lsmt"),
    ],
)
def test_bad_suites_exit_2_in_one_line(data: dict, expected: str, tmp_path: Path) -> None:
    path = write(tmp_path, data)
    for args in (["sweep", str(path), "--dry-run"], ["sweep", str(path)]):
        line = one_line_error(run_seqlab(*args, cwd=tmp_path))
        assert expected in line
    assert not (tmp_path / "mlruns").exists()


def test_suite_without_name_does_not_echo_the_document(tmp_path: Path) -> None:
    path = write(tmp_path, {"base": {"model": "lstm", "task.length": 10}, "grid": {"seed": list(range(500))}})
    line = one_line_error(run_seqlab("sweep", str(path), "--dry-run", cwd=tmp_path))
    assert len(line) < 300 and "499" not in line


@pytest.mark.parametrize("case", ["duplicate key", "code tag", "alias bomb"])
def test_malformed_suite_files_are_one_line(case: str, tmp_path: Path) -> None:
    content, expected = CONFIGS[case]
    path = tmp_path / "suite.yaml"
    path.write_bytes(content)
    line = one_line_error(run_seqlab("sweep", str(path), "--dry-run", cwd=tmp_path, timeout=60))
    assert expected in line


def test_a_run_that_cannot_fit_in_memory_is_refused_with_the_estimate(tmp_path: Path) -> None:
    line = one_line_error(run_seqlab(
        "run", "model.hidden_size=8192", "model.num_layers=16", "trainer.batch_size=65536",
        "task.length=100000", cwd=tmp_path,
    ))
    assert "this run needs at least" in line and "8,322,613,248 parameters" in line and "parameters" in line
    assert "GiB this machine has available" in line
    assert not (tmp_path / "mlruns").exists()


def test_the_memory_bound_counts_parameters_without_allocating_them() -> None:
    from seqlab.registry.components import build_registry
    from seqlab.run.memory_estimate import BYTES_PER_PARAMETER, estimate_memory
    from seqlab.spec import load_spec

    registry = build_registry()
    spec = load_spec(["model=lstm", "model.hidden_size=8", "task.length=20",
                      "trainer.batch_size=4", "trainer.val_size=10"], None, registry)
    task = registry.get("task", "adding").build(spec.task.params)
    model = registry.get("model", "lstm")
    estimate = estimate_memory(spec, task, lambda: model.build(spec.model.params, task.input_size))
    real = sum(p.numel() for p in model.build(spec.model.params, task.input_size).parameters())
    assert estimate.parameters == real
    assert estimate.optimizer_state == real * BYTES_PER_PARAMETER
    assert estimate.training_batch == 4 * 20 * task.input_size * 4
    assert estimate.validation_set == 10 * 20 * task.input_size * 4


@pytest.mark.skipif(
    __import__("torch").cuda.is_available(), reason="for a machine without a CUDA GPU"
)
def test_cuda_without_a_gpu_creates_no_store(tmp_path: Path) -> None:
    line = one_line_error(run_seqlab("run", "trainer.accelerator=cuda", cwd=tmp_path))
    assert "CUDA is not available here" in line
    assert not (tmp_path / "mlruns").exists()


def test_a_huge_suite_needs_a_flag(tmp_path: Path) -> None:
    path = write(tmp_path, {"name": "huge", "base": {"task.length": 10},
                            "grid": {"seed": list(range(200)), "trainer.lr": [0.001 * i for i in range(1, 101)]}})
    line = one_line_error(run_seqlab("sweep", str(path), "--dry-run", cwd=tmp_path))
    assert "20,000 runs, more than 10,000" in line and "--allow-large" in line
