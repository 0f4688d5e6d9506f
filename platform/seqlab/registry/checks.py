"""The rules a registered component must follow, checked before anything uses it.

Static rules (:func:`registration_problems`) are checked whenever the registry is built, so
``seqlab plugins`` shows them and no run starts with a component that breaks one; the model's
forward pass (:func:`model_output_problem`) needs torch and is checked on the run's own model
before anything is recorded, and on demand by ``seqlab plugins --check``.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from seqlab.api.params import Params
from seqlab.api.traits import TRAITS

if TYPE_CHECKING:
    from seqlab.spec import Kind

BUILD_CALLS: Mapping[Kind, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "model": (("params",), ("input_size",), "build(params, input_size)"),
    "task": (("params",), (), "build(params)"),
    "strategy": (("params", "parts"), (), "build(params, parts)"),
}
"""How seqlab calls each kind's factory: positional arguments, keyword arguments, as written."""

CHECK_BATCH = 2
"""Sequences in the forward-pass check's batch (unequal to its length, so that a time-major
output cannot pass for a batch-first one)."""
CHECK_STEPS = 3
"""Time steps in the forward-pass check's batch."""
CHECK_INPUT_SIZE = 5
"""Input features per step when ``seqlab plugins --check`` builds a model itself."""


def registration_problems(
    kind: Kind, build: Callable[..., Any], params: Any, traits: Mapping[str, Any]
) -> list[str]:
    """What is wrong with one registration: its params class, traits and factory signature.

    :returns: one line per broken rule, each saying what is allowed.
    """
    problems = []
    if not (isinstance(params, type) and issubclass(params, Params)):
        return [f"params must be a seqlab.Params subclass, got {params!r}"]
    for field_name, field in params.model_fields.items():
        if not (field.description or "").strip():
            problems.append(
                f"parameter {field_name!r} has no description "
                f"(declare it as Field(..., description='what it does'))"
            )
    problems += _trait_problems(kind, traits)
    signature_problem = _build_signature_problem(kind, build)
    if signature_problem:
        problems.append(signature_problem)
    return problems


def _trait_problems(kind: Kind, traits: Mapping[str, Any]) -> list[str]:
    known = sorted(TRAITS[kind])
    problems = []
    for trait, value in traits.items():
        if trait not in known:
            close = difflib.get_close_matches(trait, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"unknown trait {trait}={value!r}{hint} "
                f"(known {kind} traits: {', '.join(known) or 'none'})"
            )
        elif not isinstance(value, bool):
            problems.append(f"trait {trait}={value!r} must be True or False")
    return problems


def _build_signature_problem(kind: Kind, build: Callable[..., Any]) -> str | None:
    """Whether seqlab's call of the factory would bind to its parameters."""
    if not callable(build):
        return f"build must be a function, got {build!r}"
    try:
        signature = inspect.signature(build)
    except (TypeError, ValueError):  # a builtin without a signature: cannot tell
        return None
    positional, keywords, written = BUILD_CALLS[kind]
    try:
        signature.bind(*positional, **{name: name for name in keywords})
    except TypeError:
        name = getattr(build, "__name__", repr(build))
        return f"{name}{signature} cannot be called as {written}"
    return None


def model_output_problem(model: Any, input_size: int) -> str | None:
    """Run ``model`` once on a tiny batch and check the ``(outputs, state)`` it returns.

    The forward pass runs in eval mode without gradients and with the random number
    generators' state restored afterwards, so it leaves the run exactly as it found it.

    :param model: a model as its factory built it.
    :param input_size: the features per step it was built for.
    :returns: one line saying what the model returned and what was expected, or ``None``.
    :raises Exception: whatever the forward pass raises (a crash, not a broken contract: a
        run meets it again in training and is recorded FAILED with it).
    """
    import torch

    output_size = getattr(model, "output_size", None)
    if not isinstance(output_size, int):
        return f"the model has no integer output_size attribute (got {output_size!r})"
    shape = (CHECK_BATCH, CHECK_STEPS, input_size)
    was_training = getattr(model, "training", False)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        try:
            if was_training:
                model.eval()
            result = model(torch.rand(shape))
        finally:
            if was_training:
                model.train()
    if not (isinstance(result, tuple) and len(result) == 2):
        return f"forward(x) must return a tuple (outputs, state), got {type(result).__name__}"
    outputs = result[0]
    if not isinstance(outputs, torch.Tensor):
        return f"forward(x) must return (outputs, state) with a tensor outputs, got {type(outputs).__name__}"
    expected = (CHECK_BATCH, CHECK_STEPS, output_size)
    got = tuple(outputs.shape)
    if got != expected:
        hint = " (time-major: outputs must be batch-first)" if got == (CHECK_STEPS, CHECK_BATCH, output_size) else ""
        return (
            f"forward(x) with x of shape {shape} returned outputs of shape {got}; expected "
            f"(batch, time, output_size) = {expected}{hint}"
        )
    return None
