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
    clash = errors["seqlab_plugins.tasks.adding and seqlab_clash"]
    assert "registered by both" in clash["status"] and clash["name"] == "adding"
    assert "register_modles" in errors["seqlab_unknown_hook"]["status"]
    table = run_seqlab("plugins", env=broken_site)
    assert table.returncode == 0 and "seqlab_import_error" in table.stdout


def test_using_a_faulty_component_is_a_clear_error(broken_site: dict[str, str]) -> None:
    result = run_seqlab("run", "task=adding", env=broken_site)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: task=adding: task 'adding' is unusable: ")
    assert "registered by both seqlab_plugins.tasks.adding and seqlab_clash" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
