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


def test_tutorial_code_is_the_example_plugin() -> None:
    blocks = re.findall(r"```(?:python|toml)\n(.*?)```", TUTORIAL, flags=re.DOTALL)
    example = ROOT / "examples" / "seqlab-leaky-rnn"
    assert (example / "seqlab_leaky_rnn.py").read_text() in blocks
    assert (example / "pyproject.toml").read_text() in blocks
