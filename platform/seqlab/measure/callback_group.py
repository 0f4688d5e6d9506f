"""Several Lightning callbacks run as one, calling only the hooks each one overrides.

Lightning calls every hook of every callback, each through its profiler context with a
formatted name: about 3 microseconds per callback per hook, some 7 hooks a training step.
For five measurement callbacks that is 0.1 ms a step, close to 10% of a small model's step.
A group is one callback to Lightning and dispatches, in order, to the members' own hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytorch_lightning as pl

_HOOKS: tuple[str, ...] = tuple(
    name
    for name, value in vars(pl.Callback).items()
    if callable(value) and (name.startswith("on_") or name in ("setup", "teardown"))
)
"""Every hook a Lightning callback can implement."""


def _overrides(callback: pl.Callback, hook: str) -> bool:
    """Whether ``callback``'s class implements ``hook`` itself (not the no-op default)."""
    return getattr(type(callback), hook) is not getattr(pl.Callback, hook)


def _call_in_order(methods: list[Callable[..., Any]]) -> Callable[..., None]:
    """One function calling each of ``methods`` with the same arguments."""
    if len(methods) == 1:
        return methods[0]

    def call_all(*args: Any, **kwargs: Any) -> None:
        for method in methods:
            method(*args, **kwargs)

    return call_all


class CallbackGroup(pl.Callback):
    """Run ``callbacks`` as one Lightning callback, in the given order.

    :param callbacks: ordinary Lightning callbacks; each is also usable on its own.
    """

    def __init__(self, callbacks: Iterable[pl.Callback]) -> None:
        self.callbacks = list(callbacks)
        for hook in _HOOKS:
            methods = [getattr(cb, hook) for cb in self.callbacks if _overrides(cb, hook)]
            if methods:
                setattr(self, hook, _call_in_order(methods))
