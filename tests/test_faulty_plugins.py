"""A deliberately broken installed plugin never takes the platform down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_seqlab


def install_fake_distribution(site: Path, name: str, module_source: str) -> None:
    """Make ``site`` hold a module and a dist-info declaring it a ``seqlab`` entry point."""
    (site / f"{name}.py").write_text(module_source)
    dist_info = site / f"{name}-1.2.3.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    (dist_info / "entry_points.txt").write_text(f"[seqlab]\n{name} = {name}\n")


@pytest.fixture
def broken_site(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    install_fake_distribution(site, "seqlab_import_error", "import not_a_module_anywhere\n")
    install_fake_distribution(
        site,
        "seqlab_raising_hook",
        "from seqlab import hookimpl\n"
        "@hookimpl\n"
        "def register_models(register):\n"
        "    raise RuntimeError('cannot register today')\n",
    )
    install_fake_distribution(
        site,
        "seqlab_clash",
        "from seqlab import hookimpl\n"
        "from seqlab_plugins.tasks.adding import AddingParams, build_adding\n"
        "@hookimpl\n"
        "def register_tasks(register):\n"
        "    register('adding', build_adding, AddingParams)\n",
    )
    install_fake_distribution(
        site,
        "seqlab_unknown_hook",
        "from seqlab import hookimpl\n"
        "@hookimpl\n"
        "def register_modles(register):\n"
        "    pass\n",
    )
    install_fake_distribution(
        site,
        "seqlab_author_mistakes",
        "import torch\n"
        "from pydantic import Field\n"
        "from seqlab import Params, hookimpl\n"
        "from seqlab_plugins.models.lstm import LSTMParams, build_lstm\n"
        "from seqlab_plugins.tasks.adding import build_adding\n"
        "class Undescribed(Params):\n"
        "    length: int = Field(10, ge=2)\n"
        "class TimeMajor(torch.nn.Module):\n"
        "    def __init__(self, input_size):\n"
        "        super().__init__()\n"
        "        self.rnn = torch.nn.RNN(input_size, 4)\n"
        "        self.output_size = 4\n"
        "    def forward(self, x, state=None, lengths=None):\n"
        "        return self.rnn(x.transpose(0, 1), state)\n"
        "def build_time_major(params, input_size):\n"
        "    return TimeMajor(input_size)\n"
        "def build_without_input_size(params):\n"
        "    return None\n"
        "@hookimpl\n"
        "def register_models(register):\n"
        "    register('typo_lstm', build_lstm, LSTMParams, carries_sate=True)\n"
        "    register('time_major', build_time_major)\n"
        "    register('no_input_size', build_without_input_size)\n"
        "@hookimpl\n"
        "def register_tasks(register):\n"
        "    register('undescribed', build_adding, Undescribed)\n"
        "def register_strategies(register):\n"
        "    pass\n",
    )
    return {"PYTHONPATH": str(site)}


def test_plugins_lists_everything_else_and_each_fault(broken_site: dict[str, str]) -> None:
    result = run_seqlab("plugins", "--json", env=broken_site)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    ok = {(row["component"], row["name"]) for row in rows if row["status"] == "ok"}
    assert {("model", "lstm"), ("strategy", "bptt")} <= ok
    errors = {row["plugin"]: row for row in rows if row["status"] != "ok"}
    assert "ModuleNotFoundError" in errors["seqlab_import_error"]["status"]
    assert errors["seqlab_import_error"]["version"] == "1.2.3"
    assert "cannot register today" in errors["seqlab_raising_hook"]["status"]
    clash = errors["seqlab_clash"]
    assert "registered by both" in clash["status"] and clash["name"] == "adding"
    assert "register_modles" in errors["seqlab_unknown_hook"]["status"]
    table = run_seqlab("plugins", env=broken_site)
    assert table.returncode == 0 and "seqlab_import_error" in table.stdout


def test_author_mistakes_are_named_with_plugin_and_rule(broken_site: dict[str, str]) -> None:
    rows = json.loads(run_seqlab("plugins", "--json", env=broken_site).stdout)
    status = {(row["plugin"], row["name"]): row["status"] for row in rows}
    mine = "seqlab_author_mistakes"
    assert status[(mine, "typo_lstm")] == (
        "error: unknown trait carries_sate=True; did you mean 'carries_state'? "
        "(known model traits: bidirectional, carries_state)"
    )
    assert status[(mine, "undescribed")].startswith("error: parameter 'length' has no description")
    assert "cannot be called as build(params, input_size)" in status[(mine, "no_input_size")]
    assert status[(mine, "-")] == (
        "warning: function register_strategies is not marked @hookimpl, so seqlab never calls "
        "it (decorate it with seqlab.hookimpl)"
    )
    assert status[(mine, "time_major")] == "ok"  # the forward pass needs --check (torch)
    checked = json.loads(run_seqlab("plugins", "--json", "--check", env=broken_site).stdout)
    [time_major] = [row for row in checked if row["name"] == "time_major"]
    assert "returned outputs of shape (3, 2, 4)" in time_major["status"]
    assert "(time-major: outputs must be batch-first)" in time_major["status"]
    assert all(row["status"] == "ok" for row in checked if row["builtin"])


def test_a_clash_keeps_the_builtin_and_describe_says_why(broken_site: dict[str, str]) -> None:
    described = run_seqlab("describe", "adding", env=broken_site)
    assert described.returncode == 0
    assert "plugin seqlab_plugins.tasks.adding" in described.stdout
    assert "error: task adding of plugin seqlab_clash: task 'adding' is registered by both" in (
        " ".join(described.stdout.split())
    )


def test_a_model_breaking_its_contract_fails_before_anything_is_recorded(
    broken_site: dict[str, str], store: str
) -> None:
    from mlflow import MlflowClient

    result = run_seqlab("run", "model=time_major", "task.length=8", "trainer.max_steps=2",
                        "--no-progress", env=broken_site)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: model=time_major (plugin seqlab_author_mistakes) breaks the "
                           "model contract: forward(x) with x of shape (2, 3, 2) returned outputs "
                           "of shape (3, 2, 4); expected (batch, time, output_size) = (2, 3, 4)")
    typo = run_seqlab("run", "model=typo_lstm", env=broken_site)
    assert typo.returncode == 2
    assert "model 'typo_lstm' of plugin seqlab_author_mistakes is unusable: unknown trait " \
        "carries_sate=True; did you mean 'carries_state'?" in typo.stderr
    assert MlflowClient(store).search_runs(
        [e.experiment_id for e in MlflowClient(store).search_experiments()]) == []


def test_using_a_faulty_component_is_a_clear_error(broken_site: dict[str, str]) -> None:
    result = run_seqlab("run", "model=no_input_size", env=broken_site)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        "error: model=no_input_size: model 'no_input_size' of plugin seqlab_author_mistakes is "
        "unusable: "
    )
    assert "cannot be called as build(params, input_size)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
