"""What ``seqlab plugins`` and ``seqlab describe`` show: plugins, components, parameters."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from rich.console import Console
from rich.table import Table

from seqlab.api.params import Params
from seqlab.registry.plugin_manager import get_plugins, plugin_info
from seqlab.registry.components import KINDS, build_registry


def plugin_rows() -> list[dict[str, Any]]:
    """One row per registered component, plus one per plugin problem (failed import,
    a hook that raised, a name clash); each row names the plugin, its distribution and version.
    """
    registry = build_registry()
    rows: list[dict[str, Any]] = []
    for kind in KINDS:
        for name, component in sorted(registry.components[kind].items()):
            info = plugin_info(component.plugin)
            rows.append(
                {
                    "component": kind,
                    "name": name,
                    "plugin": info.name,
                    "distribution": info.distribution,
                    "version": info.version,
                    "builtin": info.builtin,
                    "status": "ok",
                    "summary": component.summary,
                }
            )
    rows += _dashboard_view_rows()
    rows += _hypothesis_kind_rows()
    problems = [(p.plugin, p.kind, p.name, p.message) for p in registry.problems]
    problems += [(p.name, None, None, p.error) for p in get_plugins() if p.error]
    for plugin, kind, name, message in problems:
        info = plugin_info(plugin.split(" and ")[0])
        rows.append(
            {
                "component": kind or "-",
                "name": name or "-",
                "plugin": plugin,
                "distribution": info.distribution,
                "version": info.version,
                "builtin": info.builtin,
                "status": f"error: {message}",
                "summary": "",
            }
        )
    return rows


def _dashboard_view_rows() -> list[dict[str, Any]]:
    """One row per dashboard view (``register_dashboard_panels``), without importing Dash."""
    from seqlab_dashboard.panels import collect_panels

    rows = []
    problems: list[str] = []
    for panel in collect_panels(problems):
        info = plugin_info(panel.plugin)
        rows.append({"component": "dashboard view", "name": panel.path, "plugin": info.name,
                     "distribution": info.distribution, "version": info.version,
                     "builtin": info.builtin, "status": "ok", "summary": panel.title})
    for problem in problems:
        plugin, _, message = problem.partition(": ")
        info = plugin_info(plugin)
        rows.append({"component": "dashboard view", "name": "-", "plugin": plugin,
                     "distribution": info.distribution, "version": info.version,
                     "builtin": info.builtin, "status": f"error: {message}", "summary": ""})
    return rows


def _hypothesis_kind_rows() -> list[dict[str, Any]]:
    """One row per hypothesis kind (``register_hypothesis_kinds``) and per problem with one."""
    from seqlab.evidence.kinds import collect_kinds

    kinds = collect_kinds()
    rows = []
    for name, kind in sorted(kinds.by_name.items()):
        info = plugin_info(kind.plugin)
        summary = (kind.hypothesis.__doc__ or "").strip().splitlines()[0:1]
        rows.append({"component": "hypothesis kind", "name": name, "plugin": info.name,
                     "distribution": info.distribution, "version": info.version,
                     "builtin": info.builtin, "status": "ok", "summary": "".join(summary)})
    for plugin, message in kinds.problems:
        info = plugin_info(plugin.split(" and ")[0])
        rows.append({"component": "hypothesis kind", "name": "-", "plugin": plugin,
                     "distribution": info.distribution, "version": info.version,
                     "builtin": info.builtin, "status": f"error: {message}", "summary": ""})
    return rows


def print_plugin_table(rows: list[dict[str, Any]]) -> None:
    """Print plugin rows as a readable table."""
    table = Table(title="seqlab plugins")
    for column in ("component", "name", "plugin", "version", "status"):
        table.add_column(column, overflow="fold")
    for row in rows:
        version = f"{row['distribution']} {row['version']}"
        status = row["status"] if row["status"] == "ok" else f"[red]{row['status']}[/red]"
        table.add_row(row["component"], row["name"], row["plugin"], version, status)
    table_console().print(table)


def table_console() -> Console:
    """A console for tables: the terminal's width, or a wide one when output is piped."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _parameter_table(title: str, params: type[Params], prefix: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("key", no_wrap=True)
    for column in ("type", "default", "allowed", "help"):
        table.add_column(column, overflow="fold")
    for field_name, field in params.model_fields.items():
        allowed = ", ".join(_constraint(m) for m in field.metadata) or "-"
        annotation = getattr(field.annotation, "__name__", None) or str(field.annotation)
        if get_origin(field.annotation) is Literal:
            annotation = "choice"
            allowed = " | ".join(str(choice) for choice in get_args(field.annotation))
        default = field.get_default(call_default_factory=True)
        table.add_row(
            f"{prefix}.{field_name}",
            annotation.replace("typing.", ""),
            "null" if default is None else str(default),
            allowed,
            field.description or "",
        )
    return table


def _constraint(metadata: Any) -> str:
    """Render one pydantic constraint (Ge(ge=1) -> '>= 1')."""
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "multiple_of": "multiple of",
               "min_length": "min length", "max_length": "max length"}
    for attribute, symbol in symbols.items():
        value = getattr(metadata, attribute, None)
        if value is not None:
            return f"{symbol} {value}"
    return str(metadata)


def describe_component(name: str | None) -> None:
    """Print the parameters of the component(s) called ``name`` (``trainer`` for the trainer
    settings), or every component's when ``name`` is ``None``.

    :raises LookupError: for a name no component has, with the closest known names.
    """
    from seqlab.spec import TrainerSettings

    registry = build_registry()
    console = table_console()
    if name == "trainer":
        console.print(_parameter_table("trainer settings", TrainerSettings, "trainer"))
        return
    if name is None:
        matches = [c for kind in KINDS for c in registry.components[kind].values()]
    else:
        matches = registry.find(name)
    if not matches:
        import difflib

        known = sorted({n for kind in KINDS for n in registry.components[kind]} | {"trainer"})
        close = difflib.get_close_matches(name or "", known, n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise LookupError(f"no component named {name!r}{hint} (known: {', '.join(known)})")
    for component in matches:
        title = f"{component.kind} {component.name}: {component.summary}"
        console.print(_parameter_table(title, component.params, component.kind))
        if component.traits:
            traits = ", ".join(f"{k}={v}" for k, v in component.traits.items())
            console.print(f"  traits: {traits}  (plugin {component.plugin})\n")
