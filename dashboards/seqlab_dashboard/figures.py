"""How every dashboard figure looks and leaves: one style, a card with PNG/SVG and CSV downloads.

Figures are built with plotly; this module holds what all views share (colors per group, the
graph card, the empty-state figure, the CSV of a figure's plotted data). Figures of many traces
leave as plain dicts (:func:`plain`): their layout built with plotly, their traces as dicts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from seqlab_dashboard import ids
from seqlab_dashboard.analysis import in_natural_order, natural_key

if TYPE_CHECKING:
    from typing import TypeAlias

    import numpy as np
    import pandas as pd
    import plotly.graph_objects as go
    from dash.development.base_component import Component

    Figure: TypeAlias = "go.Figure | dict[str, Any]"
    """A plotly figure, or a :func:`plain` one (a dict): what a graph's ``figure`` takes."""

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f",
)
FONT = "Inter, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"
MEMBER_LIMIT = 200
"""Above this many member runs, faint member lines and dots are drawn with WebGL."""
MEMBER_POINTS = 40_000
"""Faint member lines share this many points at most; each run keeps its first and last."""
MEMBER_DOTS = 5_000
"""A summary figure draws at most this many member runs as dots (a random sample beyond)."""


def graph_config(name: str, image_format: str = "png") -> dict[str, Any]:
    """The plotly config of a graph: its camera button saves ``name.png`` or ``name.svg``."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": image_format, "filename": name, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


def graph_card(name: str, title: str, caption: str = "", height: int = 380) -> Component:
    """A titled card holding graph ``name``, its CSV button and its download target.

    The graph's id is ``{"type": ids.FIGURE, "name": name}``; the shell's callbacks set its
    image format and answer the CSV button with the plotted data.
    """
    from dash import dcc, html

    return html.Div(
        className="card",
        children=[
            html.Div(
                className="card-head",
                children=[
                    html.Div([html.H3(title), html.P(caption, className="caption")]),
                    html.Button(
                        "CSV", id={"type": ids.CSV_BUTTON, "name": name}, className="csv-button",
                        title="Download the plotted data as CSV",
                    ),
                ],
            ),
            dcc.Loading(
                dcc.Graph(
                    id={"type": ids.FIGURE, "name": name},
                    figure=empty_figure("loading…"),
                    config=graph_config(name),
                    style={"height": f"{height}px"},
                ),
                type="dot", delay_show=300,
            ),
            dcc.Download(id={"type": ids.CSV_DOWNLOAD, "name": name}),
        ],
    )


def group_colors(groups: Iterable[str]) -> dict[str, str]:
    """A stable color per group label, in natural order (numbers by value), so every figure of
    a view agrees."""
    ordered = sorted(set(groups), key=natural_key)
    return {group: PALETTE[i % len(PALETTE)] for i, group in enumerate(ordered)}


AXIS_PARAMS = ("task.length", "trainer.lr")
"""Params some figures spread on an axis instead of grouping by them (their groups leave them out)."""


def page_colors(runs: pd.DataFrame, group: Sequence[str]) -> dict[str, str]:
    """One color per group label for every figure of every view, given the runs in scope.

    The groups without :data:`AXIS_PARAMS` set the hues (:func:`group_colors`); a group that
    also names an axis param (``lstm · length=40``), in a figure that keeps it, gets a shade of
    its hue, darker to lighter in natural order. Labels leaving out an axis param, the grouping
    plus ``task.length`` (the long-term view splits by length), or the grouping itself: all are
    keys, so any figure of a view finds its groups' colors here.

    :param group: the grouping's dotted param keys.
    """
    from seqlab_dashboard.analysis import group_labels
    from seqlab_dashboard.data import param_column

    keys = list(dict.fromkeys(group))
    base_keys = [k for k in keys if k not in AXIS_PARAMS]
    base = group_labels(runs, [param_column(k) for k in base_keys])
    colors = group_colors(base)
    variants = [keys, list(dict.fromkeys([*keys, AXIS_PARAMS[0]]))]
    variants += [[k for k in keys if k != axis] for axis in AXIS_PARAMS]
    for variant in variants:
        if variant == base_keys:
            continue
        labels = group_labels(runs, [param_column(k) for k in variant])
        pairs = sorted(set(zip(base, labels)), key=lambda pair: natural_key(pair[1]))
        for hue in set(base):
            shades = [label for b, label in pairs if b == hue]
            for rank, label in enumerate(shades):
                colors.setdefault(label, shade(colors[hue], rank, len(shades)))
    return colors


def shade(color: str, rank: int, count: int) -> str:
    """``#rrggbb`` darker (first ranks) to lighter (last ranks), itself when ``count`` is 1."""
    if count <= 1:
        return color
    amount = -0.35 + 0.7 * rank / (count - 1)
    channels = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    mixed = [round(c + (target - c) * abs(amount)) for c in channels]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def noted(figure: Figure, note: str) -> Figure:
    """Write ``note`` (what a figure pools, what it leaves out) above the plot area, after any
    note already there; ``figure`` is a plotly figure or a :func:`plain` one."""
    if not note:
        return figure
    import textwrap

    layout = figure["layout"]
    earlier = [a for a in layout.annotations if a.name == "note"]
    text = " ".join([*(a.text.replace("<br>", " ") for a in earlier), note])
    lines = textwrap.wrap(text, 110)
    layout.annotations = [*(a for a in layout.annotations if a.name != "note"), dict(
        text="<br>".join(lines), name="note", showarrow=False, x=0, y=1.0, xref="paper", yref="paper",
        xanchor="left", yanchor="bottom", align="left", font={"size": 11.5, "color": "#8d6e63"},
    )]
    layout.update(margin={"t": 24 + 16 * len(lines)})
    return figure


MIN_INTERVAL_N = 3
"""Groups with fewer runs get no 95% interval: from 2 seeds its t quantile (12.7) fills the plot."""


def rows_by_label(labels: np.ndarray) -> dict[Any, np.ndarray]:
    """The row positions of each label in ``labels``, labels in order of first appearance and
    positions in their original order (what ``dict(tuple(frame.groupby(...)))`` gives, as arrays)."""
    import numpy as np
    import pandas as pd

    codes, names = pd.factorize(labels)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    return {names[i]: order[bounds[i]:bounds[i + 1]] for i in range(len(names))}


def honest_band(table: pd.DataFrame, band_name: str, nonnegative: bool) -> tuple[pd.DataFrame, str]:
    """``table`` (columns ``n``, ``center``, ``lower``, ``upper``) as a figure should draw it,
    and a note saying what changed: no 95% interval where ``n`` < :data:`MIN_INTERVAL_N`, and
    for a metric that is never negative, a band cut at 0 rather than reaching below it."""
    import numpy as np

    table = table.copy()
    notes = []
    if band_name == "ci95" and len(table) and (table["n"] < MIN_INTERVAL_N).any():
        few = table["n"] < MIN_INTERVAL_N
        table.loc[few, "lower"] = table.loc[few, "center"]
        table.loc[few, "upper"] = table.loc[few, "center"]
        notes.append(f"n < {MIN_INTERVAL_N}: no 95% interval drawn for groups with fewer runs.")
    if nonnegative and len(table) and (table["lower"] < 0).any():
        table["lower"] = np.maximum(table["lower"].to_numpy(dtype=float), 0.0)
        notes.append("Bands cut at 0: the metric is never negative.")
    return table, " ".join(notes)


def log_axis(values: Iterable[float]) -> dict[str, Any]:
    """Settings of a log axis over ``values`` whose tick labels cannot be misread: powers of
    ten when the values span a decade or more, full numbers otherwise (3 significant digits,
    never exponent notation: 3,600 rather than 3.6e+3), only 1, 2 and 5 of each decade for
    values that are (nearly) all one (plotly pads them to two decades, and every digit of
    both, labelled, overlapped).

    :param values: everything the axis shows (bands and member runs too: plotly's range spans
        them all, and a range wider than the labels were chosen for crowds them).
    """
    import numpy as np
    import pandas as pd

    listed = values if isinstance(values, (np.ndarray, pd.Series)) else list(values)
    numbers = pd.to_numeric(pd.Series(listed), errors="coerce").to_numpy(dtype=float)
    finite = numbers[np.isfinite(numbers) & (numbers > 0)]
    if len(finite) and finite.max() / finite.min() >= 10:
        return {"type": "log", "dtick": 1, "exponentformat": "power", "minor": {"showgrid": True}}
    if len(finite) and finite.max() / finite.min() < 1.5:  # plotly pads a lone value to two decades
        return {"type": "log", "tickformat": ",.3~r", "dtick": "D2"}
    return {"type": "log", "tickformat": ",.3~r"}


def translucent(color: str, alpha: float) -> str:
    """``#rrggbb`` as an ``rgba(...)`` string with opacity ``alpha``."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def styled(figure: go.Figure, x_title: str = "", y_title: str = "", legend_title: str = "") -> go.Figure:
    """Apply the dashboard's common look and axis titles to ``figure``; the titles are shown as
    written (escaped, since metric keys and run names reach them)."""
    from seqlab.messages import plot_text

    x_title, y_title, legend_title = plot_text(x_title), plot_text(y_title), plot_text(legend_title)
    figure.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13, "color": "#263238"},
        margin={"l": 60, "r": 20, "t": 20, "b": 50},
        legend={"title": {"text": legend_title}, "bgcolor": "rgba(255,255,255,0.8)"},
        hoverlabel={"namelength": -1},
    )
    figure.update_xaxes(title_text=x_title, showline=True, linecolor="#b0bec5", zeroline=False)
    figure.update_yaxes(title_text=y_title, showline=True, linecolor="#b0bec5", zeroline=False)
    return figure


EMPTY_LINE = 64
"""Characters per line of an empty figure's message (a 15-px font in a half-width card)."""


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why there is nothing to plot, in lines that fit a half-width
    card (:data:`EMPTY_LINE` characters)."""
    import textwrap

    import plotly.graph_objects as go

    figure = go.Figure()
    figure.add_annotation(
        text="<br>".join(textwrap.wrap(message, EMPTY_LINE)), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
        font={"size": 15, "color": "#78909c"},
    )
    figure.update_layout(
        template="plotly_white", xaxis={"visible": False}, yaxis={"visible": False},
        margin={"l": 20, "r": 20, "t": 20, "b": 20}, font={"family": FONT},
    )
    return figure


def figure_csv(figure: dict[str, Any]) -> str:
    """The data a plotly figure plots, as long-format CSV: one row per point of each trace.

    Columns: ``trace``, ``type``, ``x``, ``y``, ``z``, ``error_minus``, ``error_plus`` and
    ``text`` (the point's own label where a trace has one per point: the group of a trace that
    draws every group); heatmaps give one row per cell.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["trace", "type", "x", "y", "z", "error_minus", "error_plus", "text"])
    for trace in figure.get("data", []):
        name, kind = trace.get("name", ""), trace.get("type", "scatter")
        xs, ys = plotted_values(trace.get("x")), plotted_values(trace.get("y"))
        if kind == "heatmap":
            for j, row in enumerate(plotted_values(trace.get("z"))):
                for i, value in enumerate(row):
                    writer.writerow([name, kind, _at(xs, i), _at(ys, j), value, "", "", ""])
            continue
        count = max(len(xs), len(ys))
        error = trace.get("error_y") or trace.get("error_x") or {}
        plus = plotted_values(error.get("array"))
        minus = plotted_values(error.get("arrayminus")) or plus
        texts = plotted_values(trace.get("text")) if not isinstance(trace.get("text"), str) else []
        for i in range(count):
            x, y = _at(xs, i), _at(ys, i)
            if x is None and y is None:
                continue
            writer.writerow([name, kind, x, y, "", _at(minus, i), _at(plus, i), _at(texts, i)])
    return out.getvalue()


def plotted_values(data: Any) -> Sequence[Any]:
    """Plain lists from a figure's arrays as the browser sends them back (plotly may send
    typed arrays as ``{"bdata": ...}``)."""
    if data is None:
        return []
    if isinstance(data, dict) and "bdata" in data:
        import base64

        import numpy as np

        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
        if "shape" in data:
            array = array.reshape([int(n) for n in str(data["shape"]).split(",")])
        return array.tolist()
    return list(data)


def _at(values: Sequence[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def summary_figure(
    values: pd.DataFrame, summary: pd.DataFrame, value_title: str, colors: dict[str, str],
    log: bool = False, band_name: str = "std",
) -> dict[str, Any]:
    """Each group's center with its band as a horizontal error bar, members as faint dots.

    Two traces whatever the number of groups (:func:`group_dots`, :func:`group_centers`): the
    browser lays a figure out trace by trace, and two per group made a view of 180 groups take
    seconds to draw.

    :param values: columns ``group``, ``value`` (one row per member run).
    :param summary: columns ``group``, ``n``, ``center``, ``lower``, ``upper``.
    :param band_name: the band ``summary`` holds (see :func:`honest_band`).
    """
    import pandas as pd

    summary, note = honest_band(summary, band_name, bool((values["value"].dropna() >= 0).all()))
    dots = values.dropna(subset=["value"])
    if len(dots) > MEMBER_DOTS:
        dots = dots.sample(MEMBER_DOTS, random_state=0)
        note = " ".join([note, f"Dots: a random sample of {MEMBER_DOTS:,} of the {len(values):,} runs."]).strip()
    traces = [
        group_dots(dots["group"], {"x": dots["value"], "y": dots["group"]}, colors,
                   hovertemplate="%{x:.4g}<extra>run</extra>"),
        group_centers(summary["group"], {"x": summary["center"], "y": summary["group"]},
                      {"x": (summary["lower"], summary["upper"])}, summary["n"], colors,
                      hovertemplate="%{x:.4g} [%{customdata[0]:.4g}, %{customdata[1]:.4g}] n=%{customdata[2]}"
                                    "<extra>%{y}</extra>"),
    ]
    layout = styled(plain_layout(), value_title, "")
    layout.update_xaxes(**(log_axis(pd.concat([values["value"], summary["lower"], summary["upper"]])) if log
                           else {"type": "linear"}))
    top_down(layout, summary["group"])
    return plain(traces, noted(layout, note))


BAR_COLOR = "#455a64"
"""The error bars of :func:`group_centers` (one trace draws every group's, in one color)."""
LEGEND_GROUPS = 20
"""Up to this many groups, a figure whose points do not name their groups has a legend of them."""


def group_dots(groups: pd.Series, coordinates: dict[str, pd.Series], colors: dict[str, str],
               **properties: Any) -> dict[str, Any]:
    """Member runs as faint dots in their group's color, every group in one trace, drawn with
    WebGL above :data:`MEMBER_LIMIT` dots (an SVG element per dot took the browser 1.5 s for
    5,000, and a category axis's margin drew them twice).

    :param groups: each dot's group label; :param coordinates: ``x`` and ``y`` of each dot.
    """
    return dict(
        type="scattergl" if len(groups) > MEMBER_LIMIT else "scatter", mode="markers", name="runs", showlegend=False,
        marker={"color": [colors[group] for group in groups], "opacity": 0.35, "size": 7},
        **{axis: _array(values) for axis, values in coordinates.items()}, **properties,
    )


def group_centers(groups: pd.Series, coordinates: dict[str, pd.Series],
                  bands: dict[str, tuple[pd.Series, pd.Series]], counts: pd.Series,
                  colors: dict[str, str], **properties: Any) -> dict[str, Any]:
    """Group centers as diamonds in their group's color with their bands as error bars, every
    group in one trace (its ``text``: the group labels, its ``customdata``: lower, upper and n
    of the first band's axis).

    :param coordinates: ``x`` and ``y`` of each center; :param bands: per axis with a band,
        its (lower, upper) bounds.
    """
    import numpy as np

    labels = np.asarray(groups, dtype=object)
    errors = {
        f"error_{axis}": {"type": "data", "symmetric": False, "array": _array(upper) - _array(coordinates[axis]),
                          "arrayminus": _array(coordinates[axis]) - _array(lower), "thickness": 2, "width": 6,
                          "color": BAR_COLOR}
        for axis, (lower, upper) in bands.items()
    }
    lower, upper = next(iter(bands.values()))
    return dict(
        type="scatter", mode="markers", name="groups", showlegend=False,
        marker={"color": [colors[group] for group in labels], "size": 13, "symbol": "diamond"},
        **{axis: _array(values) for axis, values in coordinates.items()}, **errors, text=labels,
        customdata=np.stack([_array(lower), _array(upper), _array(counts)], axis=-1), **properties,
    )


def legend_entries(groups: pd.Series, counts: pd.Series, colors: dict[str, str]) -> list[dict[str, Any]]:
    """A legend entry per group (a trace without points, named ``group (n=…)``) for a figure
    whose points do not name their groups, when there are at most :data:`LEGEND_GROUPS`;
    none beyond, where a legend would hide the figure (hovering a point names its group)."""
    if len(groups) > LEGEND_GROUPS:
        return []
    return [dict(type="scatter", x=[None], y=[None], mode="markers", name=f"{group} (n={n})",
                 marker={"color": colors[group], "size": 11, "symbol": "diamond"}, hoverinfo="skip")
            for group, n in zip(groups, counts)]


def _array(values: pd.Series) -> np.ndarray:
    """A column as a trace's array: floats (packed by :func:`plain`) where numeric, else objects."""
    return values.to_numpy(dtype=float if values.dtype.kind in "fiub" else object)


def plain_layout() -> go.Figure:
    """An empty plotly figure to build a :func:`plain` figure's layout on with plotly's API."""
    import plotly.graph_objects as go

    return go.Figure()


def plain(traces: list[dict[str, Any]], layout: go.Figure) -> dict[str, Any]:
    """The figure of ``traces`` (plotly trace dicts) with the layout of ``layout`` (a figure
    without traces, see :func:`plain_layout`), as the plain dict Dash sends to the browser.

    A ``go.Figure`` builds an object per trace even unvalidated, and copies them all again to
    encode them: a second for a view of hundreds of groups. Here the traces stay dicts; their
    float arrays are packed as plotly.js typed arrays (:func:`packed_floats`), other arrays
    (counts, texts) go as JSON lists.
    """
    for trace in traces:
        packed_floats(trace)
    return {"data": traces, "layout": layout.layout}


FLOAT_TYPES = {"float32": "f4", "float64": "f8"}
"""plotly.js's typed-array names of the float types."""


def packed_floats(properties: dict[str, Any]) -> None:
    """Pack the float numpy arrays in ``properties`` (a trace dict, nested dicts included) as
    plotly.js typed arrays (base64 of their bytes), as plotly's ``to_typed_array_spec`` packs a
    figure's arrays. Plotly's own walk (``convert_to_base64``) costs a quarter of a millisecond
    an array and more for every other property (a dataframe-library check on each): half a
    second for a 180-group curves figure."""
    import base64

    import numpy as np

    for key, value in properties.items():
        if isinstance(value, dict):
            packed_floats(value)
        elif isinstance(value, np.ndarray) and value.dtype.name in FLOAT_TYPES and value.size:
            spec = {"dtype": FLOAT_TYPES[value.dtype.name],
                    "bdata": base64.b64encode(np.ascontiguousarray(value)).decode("ascii")}
            if value.ndim > 1:
                spec["shape"] = str(value.shape)[1:-1]
            properties[key] = spec


def top_down(figure: go.Figure, groups: Iterable[str]) -> None:
    """List the categories of a horizontal figure's y axis in natural order, first on top."""
    ordered = sorted(set(groups), key=natural_key)
    figure.update_yaxes(categoryorder="array", categoryarray=ordered[::-1], automargin=True)


def length_figure(
    table: pd.DataFrame, value_title: str, colors: dict[str, str], log_x: bool = False,
    log_y: bool = False, x_title: str = "task.length", band_name: str = "std",
    nonnegative: bool = False, layout: go.Figure | None = None,
) -> dict[str, Any]:
    """Each group's center against a numeric param (``length``), with error bars of its band.

    :param table: columns ``group``, ``length``, ``n``, ``center``, ``lower``, ``upper``.
    :param band_name: the band ``table`` holds; :param nonnegative: the metric is never
        negative (see :func:`honest_band`).
    :param layout: the layout to draw on (reference lines already added), default a new
        :func:`plain_layout`.
    """
    import pandas as pd

    length = pd.to_numeric(table["length"], errors="coerce")  # a run's text value is not drawn
    table, note = honest_band(table.assign(length=length).dropna(subset=["length"]), band_name, nonnegative)
    traces: list[dict[str, Any]] = []
    for group, rows in in_natural_order(table.sort_values("length").groupby("group", sort=False)):
        traces.append(dict(
            type="scatter", x=rows["length"].to_numpy(), y=rows["center"].to_numpy(), mode="lines+markers", name=group,
            line={"color": colors[group], "width": 2.4}, marker={"size": 8},
            error_y={"type": "data", "symmetric": False, "array": (rows["upper"] - rows["center"]).to_numpy(),
                     "arrayminus": (rows["center"] - rows["lower"]).to_numpy(), "thickness": 1.6, "width": 5},
            customdata=rows["n"].to_numpy(), hovertemplate="%{x}: %{y:.4g} n=%{customdata}<extra>" + group + "</extra>",
        ))
    layout = styled(plain_layout() if layout is None else layout, x_title, value_title, "group")
    layout.update_xaxes(**(log_axis(table["length"]) if log_x else {"type": "linear"}))
    layout.update_yaxes(**(log_axis(pd.concat([table["center"], table["lower"], table["upper"]])) if log_y
                           else {"type": "linear"}))
    return plain(traces, noted(layout, note))


def curve_figure(
    members: pd.DataFrame, groups: pd.DataFrame, metric: str, x_title: str, band_name: str,
    show_members: bool, log_x: bool, log_y: bool, colors: dict[str, str],
) -> dict[str, Any]:
    """Bands, center lines and (optionally) faint member lines, in each group's color."""
    import numpy as np

    from seqlab_dashboard.data import spread

    nonnegative = bool((members["value"] >= 0).all()) if len(members) else bool((groups["center"] >= 0).all())
    groups, note = honest_band(groups, band_name, nonnegative)
    member_count = members["run_id"].nunique()
    many = member_count > MEMBER_LIMIT
    per_member = max(MEMBER_POINTS // max(member_count, 1), 10)
    # plain arrays split by group once: a pandas groupby and column lookups per group cost
    # seconds at hundreds of groups (pandas' Arrow-backed strings copy on every take)
    group_columns = {c: groups[c].to_numpy() for c in ("x", "center", "lower", "upper", "n")}
    member_columns = {c: members[c].to_numpy() for c in ("run_id", "x", "value")} if show_members else {}
    by_group = rows_by_label(members["group"].to_numpy()) if show_members else {}
    # plain dicts (see plain): hundreds of groups stay fast; bands, then member lines, then
    # center lines, so no group's members hide another's center; all WebGL with many members
    # (the browser draws WebGL traces above SVG ones: SVG centers hid behind WebGL members)
    kind = "scattergl" if many else "scatter"
    bands: list[dict[str, Any]] = []
    member_lines: list[dict[str, Any]] = []
    centers: list[dict[str, Any]] = []
    for group, where in in_natural_order(rows_by_label(groups["group"].to_numpy()).items()):
        rows = {c: values[where] for c, values in group_columns.items()}
        color, n = colors[group], int(rows["n"].max())
        if band_name != "none" and n > 1 and not (band_name == "ci95" and n < MIN_INTERVAL_N):
            bands.append(dict(
                type=kind, x=np.concatenate([rows["x"], rows["x"][::-1]]),
                y=np.concatenate([rows["upper"], rows["lower"][::-1]]),
                fill="toself", fillcolor=translucent(color, 0.18), line={"width": 0}, mode="lines",
                hoverinfo="skip", showlegend=False, legendgroup=group, name=f"{group} band",
            ))
        if group in by_group:
            lines = {c: values[by_group[group]] for c, values in member_columns.items()}
            grid = np.unique(lines["x"])
            if len(grid) > per_member:
                kept = np.isin(lines["x"], grid[spread(len(grid), per_member)])
                lines = {c: values[kept] for c, values in lines.items()}
            ids = lines["run_id"]
            breaks = np.flatnonzero(ids[1:] != ids[:-1]) + 1
            member_lines.append(dict(
                type=kind,
                x=np.insert(lines["x"].astype(np.float32), breaks, np.nan),
                y=np.insert(lines["value"].astype(np.float32), breaks, np.nan),
                mode="lines", line={"color": translucent(color, 0.35), "width": 1},
                hoverinfo="skip", showlegend=False, legendgroup=group, name=f"{group} members",
            ))
        centers.append(dict(
            type=kind, x=rows["x"], y=rows["center"], mode="lines",
            line={"color": color, "width": 2.6}, name=f"{group} (n={n})", legendgroup=group,
            customdata=np.stack([rows["lower"], rows["upper"], rows["n"]], axis=-1),
            hovertemplate="%{y:.4g} [%{customdata[0]:.4g}, %{customdata[1]:.4g}] n=%{customdata[2]}<extra>"
            + group + "</extra>",
        ))
    traces = [*bands, *member_lines, *centers]
    layout = styled(plain_layout(), x_title, metric, "group (n runs)")
    layout.update_xaxes(**(log_axis(groups["x"]) if log_x else {"type": "linear"}))
    drawn = [groups["center"], groups["lower"], groups["upper"], *([members["value"]] if show_members else [])]
    layout.update_yaxes(**(log_axis(np.concatenate([np.asarray(v, dtype=float) for v in drawn])) if log_y
                           else {"type": "linear"}))
    return plain(traces, noted(layout, note))
