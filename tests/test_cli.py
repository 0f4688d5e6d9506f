"""The seqlab command: listing, describing, and a light start-up (bad input: tests/test_bad_input.py)."""

from __future__ import annotations

import json
import subprocess
import sys


from conftest import run_seqlab


def test_plugins_table_and_json() -> None:
    table = run_seqlab("plugins")
    assert table.returncode == 0, table.stderr
    assert "lstm" in table.stdout and "seqlab_plugins.models.lstm" in table.stdout
    rows = json.loads(run_seqlab("plugins", "--json").stdout)
    lstm = next(row for row in rows if row["name"] == "lstm")
    assert lstm == {**lstm, "component": "model", "distribution": "seqlab", "status": "ok",
                    "builtin": True}


def test_describe_shows_parameters_with_default_range_and_help() -> None:
    out = run_seqlab("describe", "lstm").stdout
    for text in ("model.hidden_size", "64", ">= 1", "units in each layer"):
        assert text in out
    trainer = run_seqlab("describe", "trainer").stdout
    assert "trainer.max_steps" in trainer and "trainer.accelerator" in trainer


def test_describe_prints_help_text_literally() -> None:
    """Rich markup never eats brackets in a help text (labeling's help mentions x[t-d])."""
    from seqlab.console.listing import _parameter_table
    from seqlab import Params
    from pydantic import Field
    from rich.console import Console

    class Bracketed(Params):
        distance: int = Field(1, description="predict x[t-d] from [bold]x[/bold]")

    console = Console(width=200, record=True)
    console.print(_parameter_table("model [red]odd[/red]", Bracketed, "model"))
    text = console.export_text()
    assert "x[t-d] from [bold]x[/bold]" in text and "model [red]odd[/red]" in text


def test_describe_unknown_name_suggests() -> None:
    result = run_seqlab("describe", "lsmt")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: no component named 'lsmt'; did you mean 'lstm'")
    assert "(known: " in line and "trainer" in line


def test_run_help_lists_override_form() -> None:
    out = run_seqlab("run", "--help").stdout
    assert "key=value" in out and "seqlab describe" in out


def test_help_and_plugins_do_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from seqlab.cli import app\n"
        "runner = CliRunner()\n"
        "assert runner.invoke(app, ['--help']).exit_code == 0\n"
        "assert runner.invoke(app, ['plugins']).exit_code == 0\n"
        "assert runner.invoke(app, ['describe', 'lstm']).exit_code == 0\n"
        "heavy = ['torch', 'pytorch_lightning', 'lightning', 'mlflow', 'dash']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
