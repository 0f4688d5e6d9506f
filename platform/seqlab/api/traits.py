"""Traits: declared facts about a component, and the combinations they rule out.

A component declares traits as keyword arguments of ``register`` (``carries_state=True``).
Only the traits below exist; each is a ``bool``, ``False`` when not declared. seqlab refuses a
run whose components' traits conflict (:func:`trait_conflicts`), whatever the components are
called, so a third-party strategy that carries state is refused for stateless models exactly
like the built-in ``tbptt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seqlab.spec import Kind

TRAITS: Mapping[Kind, Mapping[str, str]] = {
    "model": {
        "carries_state": "forward(x, state) continues from the state a previous call returned, "
        "so a sequence can be read in chunks (truncated BPTT) and its state traced",
        "bidirectional": "an independent second instance may read each sequence backwards",
    },
    "task": {
        "causal": "a prediction at step t must not see inputs after t (forecasting, "
        "language modelling)",
    },
    "strategy": {
        "carries_state": "carries the model's state from one chunk of a sequence to the next: "
        "needs a model with carries_state",
        "reads_backwards": "also reads each sequence backwards: needs a bidirectional model "
        "and is refused on causal tasks",
    },
}
"""The known traits of each kind, with their meaning."""


def trait_conflicts(
    model: tuple[str, Mapping[str, bool]],
    task: tuple[str, Mapping[str, bool]],
    strategy: tuple[str, Mapping[str, bool]],
) -> list[str]:
    """The reasons a combination cannot work, from its components' traits alone.

    :param model: the model's name and traits; likewise ``task`` and ``strategy``.
    :returns: one line per conflict, naming the components and what to use instead.
    """
    (model_name, model_traits), (task_name, task_traits) = model, task
    strategy_name, strategy_traits = strategy
    reasons = []
    if strategy_traits.get("carries_state") and not model_traits.get("carries_state"):
        reasons.append(
            f"strategy {strategy_name} carries the state across chunks, but model {model_name} "
            "carries no state (use strategy=bptt)"
        )
    if strategy_traits.get("reads_backwards"):
        if task_traits.get("causal"):
            reasons.append(
                f"task {task_name} is causal (a prediction must not see the future) and strategy "
                f"{strategy_name} reads the whole sequence both ways; use strategy=bptt or tbptt"
            )
        if not model_traits.get("bidirectional"):
            reasons.append(
                f"model {model_name} cannot read a sequence backwards (strategy {strategy_name})"
            )
    return reasons
