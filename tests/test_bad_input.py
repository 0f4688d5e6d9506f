"""Malformed run configs, overrides and suites: one line on stderr, exit 2, nothing recorded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

from conftest import run_seqlab

BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
)

class Bad(NamedTuple):
    """A bad input and a text its one-line error must hold.

    :param args: the command's arguments after ``seqlab run`` (or ``seqlab sweep``); ``FILE``
        stands for the file written from ``content``.
    :param expected: texts the error line holds.
    :param content: the bytes of the config or suite file, if the case has one.
    """

    args: list[str]
    expected: tuple[str, ...]
    content: bytes | None = None


def config(content: bytes, *expected: str) -> Bad:
    """A ``--config`` file with ``content``."""
    return Bad(["--config", "FILE"], expected, content)


def overrides(*args: str, expected: tuple[str, ...] | str) -> Bad:
    """Dotted overrides on the command line."""
    return Bad(list(args), (expected,) if isinstance(expected, str) else expected)


BAD_RUN_INPUTS = {
    # --config files (issue #13, item 4)
    "config code tag": config(b'a: !!python/object/apply:os.system ["echo pwned"]\n', "could not determine a constructor"),
    "config unclosed list": config(b"model: [lstm\n", "not valid YAML: expected ',' or ']'"),
    "config duplicate key": config(b"seed: 1\nseed: 2\n", "key 'seed' appears twice (line 2)"),
    "config recursive alias": config(b"a: &a [*a]\n", "recursive"),
    "config alias bomb": config(BOMB.encode() + b"\n", "alias bomb"),
    "config not utf-8": config(b"\xff\xfe model: lstm\n", "not UTF-8 text"),
    "config empty": config(b"", "the file is empty"),
    "config a list": config(b"- model\n", "expected a mapping of run settings"),
    "config tab indentation": config(b"model:\n\t- lstm\n", "not valid YAML: found character '\\t'"),
    "config wrong type inside": config(b"model: {name: lstm, hidden_size: [8]}\n", "model.hidden_size=[8]: Input should be a valid integer"),
    "config /dev/null": Bad(["--config", "/dev/null"], ("the file is empty",)),
    "config missing file": Bad(["--config", "nope.yaml"], ("--config nope.yaml: cannot read it",)),
    "config a folder": Bad(["--config", "."], ("cannot read it: Is a directory",)),
    # names and keys
    "unknown model": overrides("model=lsmt", expected="model=lsmt: unknown model 'lsmt'; did you mean 'lstm'?"),
    "unknown task": overrides("task=nope", expected="task=nope: unknown task 'nope' (known: adding"),
    "unknown strategy": overrides("strategy=nope", expected="strategy=nope: unknown strategy 'nope' (known: bidirectional"),
    "unknown model key": overrides("model.hiden_size=2", expected="unknown key model.hiden_size; did you mean 'hidden_size'?"),
    "unknown key, no near name": overrides("model.widht=3", expected=("unknown key model.widht (allowed: ", "hidden_size")),
    "unknown section": overrides("trainr.max_steps=3", expected="unknown key trainr; did you mean 'trainer'?"),
    "empty key": overrides("=lstm", expected="unknown key (allowed: model, seed, strategy, task, trainer)"),
    "not key=value": overrides("hidden_size", expected="override 'hidden_size' is not of the form key=value"),
    "a section given a value": overrides("trainer=5", expected="trainer=5: Input should be a valid dictionary"),
    "incompatible combination": overrides("model=window", "strategy=tbptt", expected="model window carries no state"),
    # values out of type or range (item 4, item 7, item 10)
    "hidden_size not a number": overrides("model.hidden_size=abc", expected="model.hidden_size='abc': Input should be a valid integer"),
    "hidden_size zero": overrides("model.hidden_size=0", expected="model.hidden_size=0: Input should be greater than or equal to 1"),
    "task.length not a number": overrides("task.length=abc", expected="task.length='abc': Input should be a valid integer"),
    "task.length too short": overrides("task.length=1", expected="task.length=1: Input should be greater than or equal to 2"),
    "negative lr": overrides("trainer.lr=-1", expected="trainer.lr=-1: Input should be greater than 0"),
    "lr nan": overrides("trainer.lr=nan", expected="trainer.lr='nan': not a number"),
    "grad_clip inf": overrides("trainer.grad_clip=inf", expected="not a number"),
    "negative seed": overrides("seed=-2", expected="seed=-2: Input should be greater than or equal to 0"),
    "fractional seed": overrides("seed=1.5", expected="seed=1.5: Input should be a valid integer, got a number with a fractional part"),
    "max_steps zero": overrides("trainer.max_steps=0", expected="trainer.max_steps=0: Input should be greater than or equal to 1"),
    "batch_size zero": overrides("trainer.batch_size=0", expected="trainer.batch_size=0: Input should be greater than or equal to 1"),
    "log_every 1e24": overrides("trainer.log_every=1e24", expected="trainer.log_every="),
    "log_every huge": overrides("trainer.log_every=1000000000", expected="less than or equal to 100000000"),
    "val_size huge": overrides("trainer.val_size=1000000000", expected="less than or equal to 100000"),
    "100 KB number": overrides("model.hidden_size=" + "9" * 100_000, expected="(100020 characters)"),
    "100 KB name": overrides("model=" + "x" * 100_000, expected="characters)"),
    # what the machine cannot do (item 7, item 10)
    "oversized model": overrides(
        "model.hidden_size=8192", "model.num_layers=16", "trainer.batch_size=65536", "task.length=100000",
        expected=("this run needs at least", "8,322,613,248 parameters", "GiB this machine has available")),
    "accelerator unknown": overrides("trainer.accelerator=tpu", expected="trainer.accelerator='tpu': Input should be 'auto', 'cpu'"),
    "accelerator cuda without a GPU": overrides("trainer.accelerator=cuda", expected="CUDA is not available here"),
    "accelerator mps off a Mac": overrides("trainer.accelerator=mps", expected="MPS is not available here"),
}
"""Every bad input to ``seqlab run`` issue #13 counts: one line on stderr, exit 2, no store."""


def one_line_error(result) -> str:  # noqa: ANN001 - a CompletedProcess
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


def run_in(folder: Path, command: str, case: Bad, *more: str) -> str:
    """Run ``seqlab command`` on a case in ``folder`` (the case's file written there first);
    its one-line error, checked to hold the expected texts."""
    if case.content is not None:
        (folder / f"{command}.yaml").write_bytes(case.content)
    args = [f"{command}.yaml" if arg == "FILE" else arg for arg in case.args]
    line = one_line_error(run_seqlab(command, *args, *more, cwd=folder))
    for expected in case.expected:
        assert expected in line, line
    assert len(line) < 700, f"{len(line)} characters"
    return line


@pytest.fixture
def no_store_yet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder whose default store (``./mlruns``) does not exist, and no other store named."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


@pytest.mark.parametrize("case", list(BAD_RUN_INPUTS))
def test_bad_run_input(case: str, no_store_yet: Path) -> None:
    """One line on stderr, exit 2, and nothing recorded: no store is even created."""
    bad = BAD_RUN_INPUTS[case]
    if case == "accelerator cuda without a GPU" and __import__("torch").cuda.is_available():
        pytest.skip("this machine has a GPU: trainer.accelerator=cuda is valid here")
    line = run_in(no_store_yet, "run", bad)
    assert "pwned" not in line
    assert not (no_store_yet / "mlruns").exists()


def test_a_key_given_twice_is_said_and_the_last_wins(tmp_path: Path) -> None:
    result = run_seqlab("run", "seed=1", "seed=2", "model=lsmt", cwd=tmp_path)
    note, error = result.stderr.strip().splitlines()
    assert note == "note: seed is given 2 times ('1', '2'); the last is used"
    assert error.startswith("error: model=lsmt")
    from seqlab.spec import read_overrides, repeated_overrides

    assert read_overrides(["seed=1", "seed=2"])["seed"] == 2
    assert repeated_overrides(["seed=3", "seed=3", "model=rnn"]) == {}


def suite(data: object, *expected: str, args: tuple[str, ...] = ()) -> Bad:
    """A suite file holding ``data`` as YAML, with more ``args`` to ``seqlab sweep``."""
    return Bad(["FILE", *args], expected, yaml.safe_dump(data).encode())


def suite_file(content: bytes, *expected: str) -> Bad:
    """A suite file of raw bytes."""
    return Bad(["FILE"], expected, content)


MALFORMED_SUITES = {
    # YAML (item 4, as for run configs)
    "code tag": suite_file(b'a: !!python/object/apply:os.system ["echo pwned"]\n', "could not determine a constructor"),
    "unclosed list": suite_file(b"name: s\ngrid: {seed: [0, 1\n", "not valid YAML: expected ',' or ']'"),
    "duplicate key": suite_file(b"seed: 1\nseed: 2\n", "key 'seed' appears twice (line 2)"),
    "recursive alias": suite_file(b"name: s\nbase: &a [*a]\n", "recursive"),
    "alias bomb": suite_file(BOMB.encode() + b"\n", "alias bomb"),
    "not utf-8": suite_file(b"\xff\xfe name: s\n", "not UTF-8 text"),
    "empty": suite_file(b"", "the file is empty; expected a mapping of suite keys"),
    "a list": suite_file(b"- name\n", "expected a mapping of suite keys (name, base, grid, ...), got ['name']"),
    # the suite's own keys (item 6, item 10)
    "no name": suite({"base": {"model": "lstm", "task.length": 10}, "grid": {"seed": list(range(500))}},
                     "name: missing (required)"),  # and the document is not echoed (< 700 characters)
    "bad name": suite({"name": "x y"}, "name='x y'"),
    "unknown top-level key": suite({"name": "x", "gird": {}}, "unknown key gird; did you mean 'grid'?"),
    "unknown key in base": suite({"name": "s", "base": {"trainer.max_step": 5}},
                                 "base: unknown key trainer.max_step; did you mean 'trainer.max_steps'?"),
    "unknown key in grid": suite({"name": "s", "grid": {"modle": ["lstm"]}}, "grid: unknown key modle; did you mean 'model'?"),
    "unknown key in include": suite({"name": "s", "include": [{"trainer": {"lr_x": 1}}]}, "include[0]: unknown key trainer.lr_x"),
    "unknown key in exclude": suite({"name": "s", "exclude": [{"modle": "lstm"}]}, "exclude[0]: unknown key modle"),
    "unknown key in a size": suite({"name": "s", "sizes": {"quick": {"base": {"sead": 1}}}}, "sizes.quick.base: unknown key sead"),
    "grid value not a list": suite({"name": "x", "grid": {"seed": 3}}, "grid.seed=3: Input should be a valid list"),
    "zip lists of different lengths": suite({"name": "x", "zip": [{"seed": [1, 2], "task.length": [8]}]},
                                            "zip group lists differ in length"),
    "no such size": suite({"name": "dry", "base": {"task.length": 8}}, "--size full: suite 'dry' has no such size",
                          args=("--size", "full")),
    # what runs: nothing, or too much (item 6, item 7)
    "no runnable combination": suite({"name": "s", "grid": {"model": ["lsmt", "lstmm"]}},
                                     "none of its 2 combinations can run; the first, run 1 (model=lsmt), is invalid: model=lsmt"),
    "every combination excluded": suite({"name": "s", "grid": {"seed": [0, 1]}, "exclude": [{"seed": [0, 1]}]},
                                        "s: no combination to run: exclude removes every combination"),
    "huge without a flag": suite({"name": "huge", "base": {"task.length": 10},
                                  "grid": {"seed": list(range(200)), "trainer.lr": [0.001 * i for i in range(1, 101)]}},
                                 "20,000 runs, more than 10,000", "--allow-large"),
}
"""Every malformed suite issue #13 counts: refused in one line, exit 2, before any store exists."""


@pytest.mark.parametrize("case", list(MALFORMED_SUITES))
def test_malformed_suite(case: str, no_store_yet: Path) -> None:
    """Refused in one line with exit 2, by ``--dry-run`` and by the sweep itself: a sweep that
    would run nothing never exits 0, and no store is created."""
    bad = MALFORMED_SUITES[case]
    for more in (("--dry-run",), ()):
        line = run_in(no_store_yet, "sweep", bad, *more)
        assert "pwned" not in line
    assert not (no_store_yet / "mlruns").exists()


def test_a_refused_sweep_leaves_no_process_behind(no_store_yet: Path) -> None:
    """The fork server a sweep starts while it checks its suites ends with the refused sweep,
    rather than finish seconds of warm-up holding the command's output open. Its output goes
    to a file here: a pipe would make the test wait for every process holding it."""
    import subprocess

    from conftest import SEQLAB

    (no_store_yet / "bad.yaml").write_text("name: bad\nbase: {model: nosuch}\n")
    with open(no_store_yet / "output.txt", "w") as output:
        done = subprocess.run([SEQLAB, "sweep", "bad.yaml"], stdout=output, stderr=output,
                              cwd=no_store_yet, timeout=300)
    assert done.returncode == 2
    deadline = time.monotonic() + 2.0
    while processes_working_in(no_store_yet) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_working_in(no_store_yet) == []
    assert not (no_store_yet / "mlruns").exists()


def processes_working_in(folder: Path) -> list[str]:
    """The command lines of the processes whose working directory is ``folder``."""
    found = []
    for process in Path("/proc").iterdir():
        try:
            if process.name.isdigit() and (process / "cwd").resolve() == folder.resolve():
                found.append((process / "cmdline").read_text().replace("\0", " "))
        except OSError:  # ended meanwhile, or not ours to look at
            continue
    return found


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
