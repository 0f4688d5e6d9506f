"""The architecture and the typed plugin API hold: import-linter's contracts and mypy, as
configured in pyproject.toml, run here so that ``make test`` checks them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent


def test_import_contracts_are_kept() -> None:
    """Layers (core under plugins and dashboard; the core's stages one way), no cycles."""
    result = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_plugin_api_and_example_plugins_type_check() -> None:
    """mypy --strict over seqlab.api, seqlab.registry and the example plugins."""
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
