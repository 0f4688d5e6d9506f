"""The plugin manager: built-in plugins and installed ``seqlab`` entry points, loaded alike.

A plugin that fails to import is kept out of the manager and listed with its error, so one
broken package never takes the platform down.
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass
from types import ModuleType

import pluggy

from seqlab.api import hookspecs

ENTRY_POINT_GROUP = "seqlab"

DEFAULT_PLUGINS: tuple[str, ...] = (
    "seqlab_plugins.models.rnn",
    "seqlab_plugins.models.lstm",
    "seqlab_plugins.models.gru",
    "seqlab_plugins.models.window",
    "seqlab_plugins.models.tcn",
    "seqlab_plugins.tasks.adding",
    "seqlab_plugins.tasks.copy",
    "seqlab_plugins.tasks.labeling",
    "seqlab_plugins.tasks.lm",
    "seqlab_plugins.tasks.timeseries",
    "seqlab_plugins.tasks.digits",
    "seqlab_plugins.strategies.bptt",
    "seqlab_plugins.strategies.tbptt",
    "seqlab_plugins.strategies.bidirectional",
    "seqlab.evidence.compare",
    "seqlab.evidence.trend",
    "seqlab.evidence.horizon",
    "seqlab_dashboard.pages.runs",
    "seqlab_dashboard.pages.curves",
    "seqlab_dashboard.pages.efficiency",
    "seqlab_dashboard.pages.stability",
    "seqlab_dashboard.pages.longterm",
)
"""Built-in plugins, registered through the same ``pm.register`` as installed ones."""

pm = pluggy.PluginManager("seqlab")
pm.add_hookspecs(hookspecs)


@dataclass(frozen=True)
class PluginInfo:
    """One plugin as seqlab sees it.

    :param name: the name it is registered under (module path or entry-point name).
    :param distribution: the installed distribution that provides it.
    :param version: that distribution's version.
    :param builtin: ``True`` for the plugins shipped with seqlab.
    :param error: why it could not be loaded, or ``None`` when it loaded.
    """

    name: str
    distribution: str
    version: str
    builtin: bool
    error: str | None = None


_plugins: dict[str, PluginInfo] = {}
_loaded = False


def _error_line(exc: BaseException) -> str:
    """Summarise an exception as one line, with the place it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _register(module: ModuleType, info: PluginInfo) -> None:
    try:
        pm.register(module, name=info.name)
    except Exception as exc:  # a module registered twice, or a malformed hookimpl
        info = PluginInfo(info.name, info.distribution, info.version, info.builtin, _error_line(exc))
    _plugins[info.name] = info


def _drop_plugins_with_unknown_hooks() -> None:
    """Unregister, and mark faulty, each plugin implementing a hook seqlab does not define."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or "?"
            pm.unregister(exc.plugin)
            old = plugin_info(name)
            _plugins[name] = PluginInfo(name, old.distribution, old.version, old.builtin, str(exc))


def load_plugins() -> list[PluginInfo]:
    """Register the built-in plugins and every installed ``seqlab`` entry point, once.

    :returns: every plugin seqlab knows of, loaded or not (see :func:`get_plugins`).
    """
    global _loaded
    if _loaded:
        return get_plugins()
    _loaded = True
    from importlib.metadata import entry_points, version

    seqlab_version = version("seqlab")
    for dotted in DEFAULT_PLUGINS:
        info = PluginInfo(dotted, "seqlab", seqlab_version, builtin=True)
        try:
            module = importlib.import_module(dotted)
        except Exception as exc:
            _plugins[dotted] = PluginInfo(dotted, "seqlab", seqlab_version, True, _error_line(exc))
            continue
        _register(module, info)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name in _plugins or pm.has_plugin(entry_point.name):
            continue
        dist = entry_point.dist
        info = PluginInfo(
            entry_point.name,
            dist.name if dist else "?",
            dist.version if dist else "?",
            builtin=False,
        )
        try:
            module = entry_point.load()
        except Exception as exc:
            _plugins[entry_point.name] = PluginInfo(
                info.name, info.distribution, info.version, False, _error_line(exc)
            )
            continue
        _register(module, info)
    _drop_plugins_with_unknown_hooks()
    return get_plugins()


def get_plugins() -> list[PluginInfo]:
    """Every plugin known so far, built-ins first, including the ones that failed to load."""
    return list(_plugins.values())


def plugin_info(name: str) -> PluginInfo:
    """The :class:`PluginInfo` of a registered plugin, also one a test registered by hand."""
    return _plugins.get(name) or PluginInfo(name, name, "?", builtin=False)
