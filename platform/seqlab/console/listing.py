"""What ``seqlab plugins`` and ``seqlab describe`` show: plugins, components, parameters."""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from rich.console import Console
from rich.table import Table
from rich.text import Text

from seqlab.api.params import Params
from seqlab.registry.hookcall import Problem
from seqlab.registry.plugin_manager import get_plugins, plugin_info
from seqlab.registry.views import VIEW, collect_panels
from seqlab.api.component import Component
from seqlab.registry.components import build_registry
from seqlab.spec import COMPONENT_KINDS


def plugin_rows(check_models: bool = False) -> list[dict[str, Any]]:
    """One row per registered component, plus one per plugin problem (failed import,
    a hook that raised, a broken rule, a name clash, a hook function without ``@hookimpl``);
    each row names the plugin, its distribution and version.

    :param check_models: also build each model with its default parameters and run the
        forward-pass check (:func:`seqlab.registry.checks.model_output_problem`); imports torch.
    """
    registry = build_registry()
    rows = [
        _row(component.plugin, kind, name, _model_status(component) if check_models and
             kind == "model" else "ok", component.summary)
        for kind in COMPONENT_KINDS
        for name, component in sorted(registry.components[kind].items())
    ]
    rows += _dashboard_view_rows()
    rows += _hypothesis_kind_rows()
    for problem in registry.problems:
        rows.append(_row(problem.plugin, problem.kind or "-", problem.name or "-",
                         f"{problem.level}: {problem.message}", ""))
    for plugin in get_plugins():
        if plugin.error:
            rows.append(_row(plugin.name, "-", "-", f"error: {plugin.error}", ""))
    return rows


def _model_status(component: Component) -> str:
    """``ok``, or why the model built with its default parameters breaks the model contract."""
    from seqlab.registry.checks import CHECK_INPUT_SIZE, model_output_problem

    try:
        model = component.build(component.params(), input_size=CHECK_INPUT_SIZE)
    except Exception as exc:
        return f"error: build with default parameters raised {type(exc).__name__}: {exc}"
    try:
        problem = model_output_problem(model, CHECK_INPUT_SIZE)
    except Exception as exc:
        return f"error: forward(x) raised {type(exc).__name__}: {exc}"
    return f"error: {problem}" if problem else "ok"


def _dashboard_view_rows() -> list[dict[str, Any]]:
    """One row per dashboard view (``register_dashboard_panels``), without importing Dash."""
    problems: list[Problem] = []
    panels = collect_panels(problems)
    rows = [_row(panel.plugin, VIEW, panel.path, "ok", panel.title) for panel in panels]
    rows += [_row(p.plugin, VIEW, p.name or "-", f"{p.level}: {p.message}", "") for p in problems]
    return rows


def _row(plugin: str, component: str, name: str, status: str, summary: str) -> dict[str, Any]:
    """One listing row, with the distribution and version of the plugin (the first of two
    plugins in a clash)."""
    info = plugin_info(plugin.split(" and ")[0])
    return {"component": component, "name": name, "plugin": plugin,
            "distribution": info.distribution, "version": info.version, "builtin": info.builtin,
            "status": status, "summary": summary}


def _hypothesis_kind_rows() -> list[dict[str, Any]]:
    """One row per hypothesis kind (``register_hypothesis_kinds``) and per problem with one."""
    from seqlab.evidence.kinds import collect_kinds

    kinds = collect_kinds()
    rows = []
    for name, kind in sorted(kinds.by_name.items()):
        summary = "".join((kind.hypothesis.__doc__ or "").strip().splitlines()[0:1])
        rows.append(_row(kind.plugin, "hypothesis kind", name, "ok", summary))
    for plugin, message in kinds.problems:
        rows.append(_row(plugin, "hypothesis kind", "-", f"error: {message}", ""))
    return rows

def print_plugin_table(rows: list[dict[str, Any]]) -> None:
    """Print plugin rows as a readable table."""
    table = Table(title="seqlab plugins")
    for column in ("component", "name", "plugin", "version", "status"):
        table.add_column(column, overflow="fold")
    for row in rows:
        version = f"{row['distribution']} {row['version']}"
        status = Text(row["status"], style="" if row["status"] == "ok" else "red")
        cells = (row["component"], row["name"], row["plugin"], version)
        table.add_row(*(Text(cell) for cell in cells), status)
    table_console().print(table)


def table_console() -> Console:
    """A console for tables: the terminal's width, or a wide one when output is piped."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _parameter_table(title: str, params: type[Params], prefix: str) -> Table:
    """A table of a parameter class's fields; every text literal, never rich markup."""
    table = Table(title=Text(title), title_justify="left")
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
        cells = (
            f"{prefix}.{field_name}",
            annotation.replace("typing.", ""),
            "null" if default is None else str(default),
            allowed,
            field.description or "",
        )
        table.add_row(*(Text(cell) for cell in cells))
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
    settings), or every component's when ``name`` is ``None``, and what is wrong with any
    registration of that name (left out for a broken rule, or disabled by a clash).

    Help texts are printed literally (``x[t-d]`` stays as written).

    :raises LookupError: for a name no component has, with the closest known names.
    """
    from seqlab.spec import TrainerSettings

    registry = build_registry()
    console = table_console()
    if name == "trainer":
        console.print(_parameter_table("trainer settings", TrainerSettings, "trainer"))
        return
    if name is None:
        matches = [c for kind in COMPONENT_KINDS for c in registry.components[kind].values()]
    else:
        matches = registry.find(name)
    notes = registry.problems_about(name) if name is not None else []
    if not matches and not notes:
        import difflib

        known = sorted(
            {n for kind in COMPONENT_KINDS for n in registry.components[kind]} | {"trainer"}
        )
        close = difflib.get_close_matches(name or "", known, n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise LookupError(f"no component named {name!r}{hint} (known: {', '.join(known)})")
    for component in matches:
        title = f"{component.kind} {component.name}: {component.summary}"
        console.print(_parameter_table(title, component.params, component.kind))
        traits = ", ".join(f"{k}={v}" for k, v in component.traits.items()) or "none"
        console.print(Text(f"  traits: {traits}  (plugin {component.plugin})\n"))
    for problem in notes:
        console.print(Text(f"{problem.level}: {problem.kind} {problem.name} of plugin "
                           f"{problem.plugin}: {problem.message}"))
