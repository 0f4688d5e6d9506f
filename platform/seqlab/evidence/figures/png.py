"""The evidence's plotly figures as PNG files (``seqlab evidence --figures DIR``), for docs.

plotly's own PNG export (kaleido) drives a Chrome browser and is not a seqlab dependency;
matplotlib is (through MLflow). So each plotly figure is redrawn with matplotlib's Agg canvas:
its panels (one per x axis, in order), scatter traces (lines, markers, filled bands), boxes,
bars and histograms, tables, log axes, axis and panel titles, vertical and horizontal lines
and annotations. A trace of another type is named in the figure as not drawn. The figure
itself is defined once, in plotly, by the module that draws it.

What plotly does by itself is done here: log axes labelled with plain numbers (under a decade,
a few round values rather than the decades), and a legend below the panels whose labels wrap
to the figure's width.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MatplotlibFigure

    from seqlab.evidence.report import EvidenceReport

WIDTH_IN, HEIGHT_IN, DPI = 11.0, 4.8, 110
"""The PNG's size: inches and dots per inch."""
LEGEND_FONT = 8
LEGEND_CHARS = 150
"""The legend's font size (points), and how many of its characters fit across the figure."""
TABLE_LINE_IN = 0.25
"""The height of a line of a table's text, in inches."""
FLAT_SPAN = 1.05
"""A log axis spanning less than this factor shows one value: it is widened to a factor 2 each
side of it, so the value sits mid-panel between labelled ticks."""


def _text(value: Any) -> str:
    """Plotly text (escaped HTML, ``<br>``) as matplotlib shows it literally (``$`` is not math)."""
    text = html.unescape(str(value or "").replace("<br>", "\n"))
    return text.replace("$", r"\$")


def _axis_name(ref: str, letter: str) -> str:
    """``x2`` -> ``xaxis2``; ``x`` -> ``xaxis``."""
    return f"{letter}axis{ref[1:]}"


def write_png(figure: Any, path: Path) -> None:
    """Draw a plotly figure with matplotlib and save it as a PNG at ``path``."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    render(figure).savefig(path)


def render(figure: Any) -> MatplotlibFigure:
    """A plotly figure redrawn as a matplotlib figure (on the Agg canvas, ready to save)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from plotly.colors import qualitative

    layout = figure.layout
    tables = [trace for trace in figure.data if trace.type == "table"]
    if tables:
        return _render_tables(figure, tables)
    refs = sorted({trace.xaxis or "x" for trace in figure.data} | {
        "x" + key.removeprefix("xaxis") for key in layout.to_plotly_json() if key.startswith("xaxis")
    }, key=lambda ref: (layout[_axis_name(ref, "x")].domain or (0, 1))[0])
    canvas = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(canvas)
    axes = dict(zip(refs, canvas.subplots(1, len(refs), squeeze=False)[0]))
    palette = qualitative.Plotly
    boxes: dict[str, list[Any]] = {}
    skipped: set[str] = set()
    for index, trace in enumerate(figure.data):
        ax = axes.get(trace.xaxis or "x", axes[refs[0]])
        color = _color(trace) or palette[index % len(palette)]
        label = _text(trace.name) if trace.showlegend is not False and trace.name else None
        if trace.type == "scatter":
            x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
            mode = trace.mode or "lines+markers"
            alpha = trace.opacity if trace.opacity is not None else 1.0
            if trace.fill == "toself":  # a band: the polygon its points trace
                ax.fill(x, y, color=color, alpha=alpha, linewidth=0, label=label)
            elif "lines" in mode:
                ax.plot(x, y, color=color, alpha=alpha, marker="o" if "markers" in mode else None,
                        markersize=4, label=label)
            elif "markers" in mode:
                ax.scatter(x, y, color=color, alpha=alpha, s=14, label=label)
        elif trace.type == "box":
            boxes.setdefault(trace.xaxis or "x", []).append((trace, color, label))
        elif trace.type == "bar":
            ax.bar([_text(v) for v in trace.x], trace.y, color=color, label=label)
        elif trace.type == "histogram":
            ax.hist(np.asarray(trace.x if trace.x is not None else trace.y, dtype=float),
                    color=color, alpha=0.7, label=label)
        else:
            skipped.add(trace.type)
    for ref, traces in boxes.items():
        _draw_boxes(axes[ref], traces)
    for ref, ax in axes.items():
        _style_axes(ax, layout, ref)
    _draw_shapes(layout, axes)
    _draw_annotations(layout, axes, canvas)
    for ax in axes.values():  # once the limits are final
        _log_ticks(ax)
    if layout.title and layout.title.text:
        canvas.suptitle(_text(layout.title.text))
    if skipped:
        canvas.text(0.01, 0.01, "not drawn in PNG: " + ", ".join(sorted(skipped)), fontsize=8)
    handles = {label: handle for ax in axes.values()
               for handle, label in zip(*ax.get_legend_handles_labels())}
    if handles:
        columns = _legend_columns(list(handles))
        width = LEGEND_CHARS // columns - 6  # the marker and the gap beside each label
        canvas.legend(list(handles.values()), [_wrap(label, width) for label in handles],
                      loc="outside lower center", ncols=columns, fontsize=LEGEND_FONT,
                      frameon=False)
    return canvas


def _legend_columns(labels: list[str]) -> int:
    """How many columns the legend has: up to 3, fewer when the longest label needs the room."""
    longest = max(len(label) for label in labels)
    return max(1, min(3, len(labels), LEGEND_CHARS // (longest + 6)))


def _wrap(label: str, width: int) -> str:
    """A legend label wrapped at spaces to lines of at most ``width`` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width, break_on_hyphens=False)) or label


def _render_tables(figure: Any, tables: list[Any]) -> MatplotlibFigure:
    """A figure of plotly tables, one below the other, with its title: a line of text is
    :data:`TABLE_LINE_IN` high, the header's lines wrapped."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawn = []
    for table in tables:
        header = [_wrap(_text(value), 24) for value in table.header.values or ()]
        drawn.append((header, _cells(table), 1 + max((h.count("\n") for h in header), default=0)))
    lines = [header_lines + len(rows) + 1 for _, rows, header_lines in drawn]
    canvas = Figure(figsize=(WIDTH_IN, 0.5 + TABLE_LINE_IN * sum(lines)), dpi=DPI,
                    layout="constrained")
    FigureCanvasAgg(canvas)
    places = canvas.subplots(len(tables), 1, squeeze=False, height_ratios=lines)[:, 0]
    for ax, (header, rows, header_lines), height in zip(places, drawn, lines):
        ax.axis("off")
        table = ax.table(cellText=rows or None, colLabels=header or None, loc="upper center",
                         cellLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        table.auto_set_column_width(list(range(len(header))))
        for (row, _), cell in table.get_celld().items():
            cell.set_height((header_lines if row == 0 else 1) / height)
    if figure.layout.title and figure.layout.title.text:
        canvas.suptitle(_text(figure.layout.title.text), fontsize=10)
    return canvas


def _cells(table: Any) -> list[list[str]]:
    """A plotly table's cells as rows of text (plotly holds them as columns)."""
    columns = [[_text(value) for value in column] for column in table.cells.values or ()]
    return [list(row) for row in zip(*columns)]


def figure_names(report: EvidenceReport) -> list[str]:
    """The PNG file name of each hypothesis' figure: ``gradients-04-C5-gradient_flow.png``
    (suite, position, claim, figure or kind; anything but letters, digits, ``-`` and ``_``
    becomes ``_``)."""
    import re

    names = []
    for index, hypothesis in enumerate(report.hypotheses, start=1):
        drawn = getattr(hypothesis, "figure", None) or hypothesis.kind
        stem = f"{report.suite.name}-{index:02d}-{hypothesis.claim}-{drawn}"
        names.append(re.sub(r"[^A-Za-z0-9_-]", "_", stem) + ".png")
    return names


def write_figures(report: EvidenceReport, folder: Path) -> list[Path]:
    """Write each hypothesis' figure (as the HTML report draws it) as a PNG into ``folder``.

    :returns: the files written, in the hypotheses' order (a kind no longer registered has none).
    """
    written = []
    for name, figure in zip(figure_names(report), report.figures()):
        if figure is not None:
            write_png(figure, Path(folder) / name)
            written.append(Path(folder) / name)
    return written


def _color(trace: Any) -> str | None:
    """The trace's colour when it sets one (a band's fill, else line, else marker)."""
    if getattr(trace, "fill", None) == "toself" and isinstance(trace.fillcolor, str):
        return str(trace.fillcolor)
    line = getattr(trace, "line", None)
    marker = getattr(trace, "marker", None)
    for part in (line, marker):
        if part is not None and isinstance(part.color, str):
            return str(part.color)
    return None


def _draw_boxes(ax: Axes, traces: list[tuple[Any, str, str | None]]) -> None:
    """Grouped boxes: one slot per category of x, one box per trace in it, every point shown."""
    import numpy as np

    categories: list[str] = []
    for trace, _, _ in traces:
        for x in trace.x if trace.x is not None else [""]:
            if _text(x) not in categories:
                categories.append(_text(x))
    width = 0.8 / len(traces)
    rng = np.random.default_rng(0)
    for slot, (trace, color, label) in enumerate(traces):
        xs = [_text(x) for x in trace.x] if trace.x is not None else [""] * len(trace.y)
        ys = np.asarray(trace.y, dtype=float)
        for position, category in enumerate(categories):
            values = ys[[x == category for x in xs]]
            if not len(values):
                continue
            at = position - 0.4 + width * (slot + 0.5)
            ax.boxplot(values, positions=[at], widths=width * 0.8, showfliers=False,
                       patch_artist=True, boxprops={"facecolor": color, "alpha": 0.3},
                       medianprops={"color": color})
            jitter = rng.uniform(-width * 0.2, width * 0.2, len(values))
            ax.scatter(at + jitter, values, color=color, s=12,
                       label=label if position == 0 else None)
    ax.set_xticks(range(len(categories)), categories, fontsize=8)


def _style_axes(ax: Axes, layout: Any, ref: str) -> None:
    """Log scales and axis titles of the plotly axes ``ref`` (``x2``) and its y axis."""
    y_ref = "y" + ref[1:]
    for letter, name in (("x", _axis_name(ref, "x")), ("y", _axis_name(y_ref, "y"))):
        axis = layout[name]
        if axis.type == "log":
            (ax.set_xscale if letter == "x" else ax.set_yscale)("log")
        if axis.title and axis.title.text:
            (ax.set_xlabel if letter == "x" else ax.set_ylabel)(_text(axis.title.text))
    ax.grid(alpha=0.3)


def _log_ticks(ax: Axes) -> None:
    """Readable ticks on the log axes of ``ax``, in plain numbers (20,000, 0.003).

    Over a decade or more, the decades are labelled, and 2 and 5 times them when the axis
    spans at most two decades (3 and 4 would crowd: 200, 300, 400); under a decade, where a
    decade may not even be in sight, the multiples 1-9 of its power of ten in sight (4, 5, 6,
    7, 8) when 2 to 6 are, else a few round values.
    """
    import math

    from matplotlib.ticker import (
        FixedLocator,
        FuncFormatter,
        LogLocator,
        MaxNLocator,
        NullFormatter,
    )

    plain = FuncFormatter(lambda value, _: _plain_number(value))
    for axis, limits, set_limits in ((ax.xaxis, ax.get_xlim(), ax.set_xlim),
                                     (ax.yaxis, ax.get_ylim(), ax.set_ylim)):
        if axis.get_scale() != "log":
            continue
        low, high = sorted(limits)
        if 0 < low and high < FLAT_SPAN * low:  # one value (a flat line): a factor 2 each side
            middle = math.sqrt(low * high)
            low, high = middle / 2, middle * 2
            set_limits(low, high)
        decades = math.log10(high / low) if low > 0 else math.inf
        if decades < 1:
            every = LogLocator(subs=[float(k) for k in range(1, 10)]).tick_values(low, high)
            sighted = [float(tick) for tick in every if low <= tick <= high]
            axis.set_major_locator(FixedLocator(sighted) if 2 <= len(sighted) <= 6
                                   else MaxNLocator(nbins=4, min_n_ticks=2))
            axis.set_minor_locator(LogLocator(subs="auto"))
        else:
            axis.set_major_locator(LogLocator())
            axis.set_minor_locator(LogLocator(subs=(2.0, 5.0) if decades <= 2 else "auto"))
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(plain if 1 <= decades <= 2 else NullFormatter())


def _plain_number(value: float) -> str:
    """A tick value as people write it: 20,000, 300, 0.05 (powers of ten beyond 10^6 and below
    10^-4 as 1e+07, 1e-05)."""
    if value == 0 or 1e-4 <= abs(value) < 1e7:
        return f"{value:,.7g}" if abs(value) >= 1 else f"{value:.6g}"
    return f"{value:.3g}"


def _draw_shapes(layout: Any, axes: dict[str, Axes]) -> None:
    """plotly's vertical and horizontal lines (``add_vline``, ``add_hline``)."""
    for shape in layout.shapes or ():
        xref, yref = str(shape.xref or "x"), str(shape.yref or "y")
        if xref.endswith("domain") and not yref.endswith("domain"):
            ax = axes.get(xref.split()[0], next(iter(axes.values())))
            ax.axhline(shape.y0, color="#555", linestyle="--", linewidth=1)
        elif yref.endswith("domain") and not xref.endswith("domain"):
            ax = axes.get(xref, next(iter(axes.values())))
            ax.axvline(shape.x0, color="#555", linestyle="--", linewidth=1)


def _draw_annotations(layout: Any, axes: dict[str, Axes], canvas: Any) -> None:
    """Annotations: panel titles (paper), notes (axis domain) and labels (data, log10 on log
    axes, as plotly places them)."""
    from matplotlib.transforms import blended_transform_factory

    for note in layout.annotations or ():
        xref, yref = str(note.xref or "paper"), str(note.yref or "paper")
        text = _text(note.text)
        if not text:
            continue
        if xref == "paper":  # a panel's title (make_subplots) above the panel it centres on
            panel = next((ax for ref, ax in axes.items()
                          if _inside(note.x, layout[_axis_name(ref, "x")].domain)), None)
            if panel is not None and (note.y or 0) >= 0.99:
                panel.set_title(text, fontsize=9)
            else:
                canvas.text(note.x, min(note.y or 0, 0.98), text, ha="center", fontsize=9)
            continue
        ref = xref.split()[0]
        ax = axes.get(ref, next(iter(axes.values())))
        x = note.x
        if not xref.endswith("domain") and layout[_axis_name(ref, "x")].type == "log":
            x = 10 ** x
        x_transform = ax.transAxes if xref.endswith("domain") else ax.transData
        y_transform = ax.transAxes if yref.endswith("domain") else ax.transData
        ax.text(x, note.y, text, transform=blended_transform_factory(x_transform, y_transform),
                ha="center", va="bottom", fontsize=8, color="#333")


def _inside(x: float | None, domain: Any) -> bool:
    """Whether ``x`` (paper units) lies in an axis' domain (default: the whole width)."""
    low, high = domain or (0.0, 1.0)
    return x is not None and low <= x <= high
