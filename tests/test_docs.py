"""The docs stay true: every hook documented, the tutorial's code equal to the example plugin."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from seqlab.api import hookspecs

ROOT = Path(__file__).parents[1]
TUTORIAL = (ROOT / "docs" / "writing-plugins.md").read_text()


def hook_names() -> list[str]:
    return [
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "seqlab_spec")
    ]


def test_every_hook_has_a_docstring_and_a_heading_in_the_tutorial() -> None:
    names = hook_names()
    assert "register_models" in names
    for name in names:
        function = getattr(hookspecs, name)
        assert function.__doc__ and function.__doc__.strip()
        arguments = ", ".join(inspect.signature(function).parameters)
        assert f"### {name}({arguments})" in TUTORIAL, f"hook {name} missing from the tutorial"


def test_tutorial_code_is_the_example_plugins() -> None:
    """Every file of the three example plugins appears in the tutorial, as it is."""
    blocks = re.findall(r"```(?:python|toml)\n(.*?)```", TUTORIAL, flags=re.DOTALL)
    files = sorted((ROOT / "examples").glob("seqlab-*/*.py")) + sorted(
        (ROOT / "examples").glob("seqlab-*/pyproject.toml")
    )
    assert len(files) == 9
    for path in files:
        assert path.read_text() in blocks, f"{path.relative_to(ROOT)} differs from the tutorial"


def test_tutorial_states_the_python_version_seqlab_requires() -> None:
    import tomllib

    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required == ">=3.11" and "Python 3.11 or newer" in TUTORIAL
