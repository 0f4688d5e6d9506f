"""The claims' figures on tiny real sweeps: C7's accuracy by position from each run's
``profiles.json``, C6's side-by-side table from recorded metrics, one colour per series across
a figure's panels, legend labels without params that say nothing, and the PNG export's ticks,
legend and tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import run_seqlab

TINY = {"model.hidden_size": 8, "trainer.max_steps": 4, "trainer.batch_size": 4,
        "trainer.val_every": 4, "trainer.val_size": 8, "trainer.log_every": 2}

LABELING = {
    "name": "figures-labeling",
    "base": {"task": "labeling", "strategy": "bptt", "task.length": 6, "task.distance": 2,
             **TINY},
    "grid": {"model": ["lstm", "gru"], "seed": [0, 1, 2]},
    "evidence": [
        {"claim": "C7", "statement": "Labels every position better than chance.",
         "kind": "compare", "figure": "position_accuracy", "metric": "ltd/normalized_score",
         "a": {"strategy": "bptt"}, "than": 0, "better": "higher"},
    ],
}

ADDING = {
    "name": "figures-adding",
    "base": {"task": "adding", "strategy": "bptt", **TINY},
    "grid": {"model": ["lstm", "rnn"], "task.length": [4, 8], "seed": [0, 1, 2]},
    "evidence": [
        {"claim": "C6", "statement": "The LSTM scores higher than the RNN.", "kind": "compare",
         "figure": "side_by_side", "metric": "ltd/normalized_score",
         "a": {"model": "lstm"}, "b": {"model": "rnn"}, "better": "higher"},
        {"claim": "C3", "statement": "Parameters stay flat with the length.", "kind": "trend",
         "figure": "cost_vs_length", "metric": "eff/parameters", "along": "task.length",
         "a": {"model": ["lstm", "rnn"]}, "expect": "flat", "tolerance": 0.01},
    ],
}


def sweep(folder: Path, suite: dict[str, Any]) -> Any:
    """Run a suite's tiny sweep into a store in ``folder``; its evidence report, built."""
    from seqlab.evidence.report import build_report

    path = folder / f"{suite['name']}.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    result = run_seqlab("sweep", str(path), "--workers", "2",
                        env={"MLFLOW_TRACKING_URI": uri}, cwd=folder, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return build_report(path, tracking_uri=uri)


@pytest.fixture(scope="module")
def labeling(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The report on 6 labeling runs (LSTM and GRU, 3 seeds each)."""
    return sweep(tmp_path_factory.mktemp("figures-labeling"), LABELING)


@pytest.fixture(scope="module")
def adding(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The report on 12 adding runs (LSTM and RNN at lengths 4 and 8, 3 seeds each)."""
    return sweep(tmp_path_factory.mktemp("figures-adding"), ADDING)


def stored_profiles(report: Any, model: str) -> np.ndarray:
    """The last ``accuracy_by_position`` of each run of ``model``, read from the store."""
    from mlflow import MlflowClient

    client = MlflowClient(report.tracking_uri)
    rows = []
    for run_id in report.runs.loc[report.runs["params.model"] == model, "run_id"]:
        with open(client.download_artifacts(run_id, "profiles.json")) as handle:
            rows.append(json.load(handle)["profiles"]["accuracy_by_position"][-1])
    return np.array(rows, dtype=float)


def test_position_accuracy_draws_each_series_mean_and_seed_band(labeling: Any) -> None:
    (figure,) = labeling.figures()
    lines = {t.name: t for t in figure.data if t.fill != "toself"}
    bands = {t.legendgroup: t for t in figure.data if t.fill == "toself"}
    # model.cell, model.variant...: the LSTM's own params, one value each, are not in the label
    assert sorted(lines) == ["a: strategy=bptt model=gru (3 seeds)",
                             "a: strategy=bptt model=lstm (3 seeds)"]
    for model in ("gru", "lstm"):
        line = lines[f"a: strategy=bptt model={model} (3 seeds)"]
        stored = stored_profiles(labeling, model)
        assert list(line.x) == list(range(6))
        assert np.allclose(line.y, stored.mean(axis=0))
        band = bands[line.legendgroup]
        assert np.allclose(band.y, np.concatenate([stored.max(axis=0), stored.min(axis=0)[::-1]]))
        assert band.fillcolor == line.line.color
    baseline = labeling.runs["metrics.ltd/baseline"].mean()
    assert [shape.y0 for shape in figure.layout.shapes] == pytest.approx([baseline])


def test_side_by_side_table_holds_each_models_recorded_numbers(adding: Any) -> None:
    from seqlab.evidence.figures.side_by_side import COLUMNS

    table = adding.figures()[0].data[0]
    assert table.type == "table" and len(table.header.values) == len(COLUMNS)
    rows = {row[0]: row for row in zip(*table.cells.values)}
    assert sorted(rows) == ["a: model=lstm", "b: model=rnn"]
    runs = adding.runs
    for label, model in (("a: model=lstm", "lstm"), ("b: model=rnn", "rnn")):
        mine = runs[runs["params.model"] == model]
        _, count, parameters, step, diverged, spread, horizon = rows[label]
        assert count == "6"
        assert parameters == f"{mine['metrics.eff/parameters'].iloc[0]:,.0f}"
        assert step == f"{mine['metrics.eff/step_time_s'].median():.3g}"
        assert diverged == f"{int(mine['metrics.stab/diverged'].sum())}/6 " \
                           f"({mine['metrics.stab/diverged'].mean():.0%})"
        by_length = mine.groupby(mine["params.task.length"].astype(int))
        score = by_length["metrics.ltd/normalized_score"]
        assert spread == f"{score.std().mean():.3g} (over 2 lengths)"
        passing = [length for length, mean in score.mean().items() if mean >= 0.5]
        assert horizon == (f"{max(passing):g}" if passing else "none")


def test_a_series_keeps_its_colour_in_every_panel(adding: Any) -> None:
    from seqlab.evidence.figures import claim_figure
    from seqlab.evidence.figures.artifacts import ArtifactReader

    runs = adding.runs.copy()
    # the LSTM's step time missing: the step-time panel draws the RNN alone, in its own colour
    runs.loc[runs["params.model"] == "lstm", "metrics.eff/step_time_s"] = np.nan
    figure = claim_figure("cost_vs_length")(adding.hypotheses[1], runs,
                                            ArtifactReader(adding.tracking_uri))
    colours: dict[str, set[str]] = {}
    for trace in figure.data:
        colours.setdefault(trace.legendgroup, set()).add(trace.line.color or trace.marker.color)
    assert {trace.xaxis for trace in figure.data if "rnn" in trace.name} == {"x", "x2", "x3"}
    assert sorted(colours) == ["a: model=lstm", "a: model=rnn"]
    assert all(len(found) == 1 for found in colours.values()), colours
    assert colours["a: model=lstm"] != colours["a: model=rnn"]


def test_the_pngs_of_the_table_and_the_band_are_drawn(
    labeling: Any, adding: Any, tmp_path: Path
) -> None:
    from PIL import Image

    from seqlab.evidence.figures.png import render, write_figures

    canvas = render(adding.figures()[0])
    canvas.canvas.draw()
    texts = [t.get_text() for ax in canvas.axes for t in ax.texts + ax.tables[0].get_children()
             if hasattr(t, "get_text")]
    texts += [cell.get_text().get_text() for cell in canvas.axes[0].tables[0].get_celld().values()]
    assert "a: model=lstm" in texts and "b: model=rnn" in texts
    from matplotlib.colors import to_hex

    (ax,) = render(labeling.figures()[0]).axes  # each seed band in its line's colour
    assert sorted(to_hex(band.get_facecolor()) for band in ax.patches) == sorted(
        to_hex(line.get_color()) for line in ax.lines if line.get_label()[0] == "a")
    written = write_figures(labeling, tmp_path) + write_figures(adding, tmp_path)
    assert [path.name for path in written] == [
        "figures-labeling-01-C7-position_accuracy.png", "figures-adding-01-C6-side_by_side.png",
        "figures-adding-02-C3-cost_vs_length.png"]
    for path in written:
        with Image.open(path) as image:
            colors = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colors is None or len(colors) > 50, path.name  # drawn, not blank


def test_the_html_report_shows_the_table(adding: Any) -> None:
    from seqlab.evidence.html import render_html

    page = render_html(adding)
    assert '"type":"table"' in page and "figure <code>side_by_side</code>" in page
    assert "memory horizon" in page


def visible_labels(axis: Any) -> list[Any]:
    """An axis' drawn tick labels with text (major and minor)."""
    ticks = axis.get_majorticklabels() + axis.get_minorticklabels()
    return [t for t in ticks if t.get_visible() and t.get_text()]


def test_log_axes_in_png_have_readable_distinct_ticks() -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from seqlab.evidence.figures.png import render

    figure = make_subplots(rows=1, cols=3)
    figure.add_trace(go.Scatter(x=[1, 2, 3], y=[17000, 21000, 25000]), row=1, col=1)
    figure.add_trace(go.Scatter(x=[50, 100, 200, 300, 400], y=[1, 2, 3, 4, 5]), row=1, col=2)
    figure.add_trace(go.Scatter(x=[10, 100, 2000], y=[0.01, 0.2, 3]), row=1, col=3)
    figure.update_yaxes(type="log", row=1, col=1)
    figure.update_xaxes(type="log", row=1, col=2)
    figure.update_xaxes(type="log", row=1, col=3)
    figure.update_yaxes(type="log", row=1, col=3)
    canvas = render(figure)
    canvas.canvas.draw()
    renderer = canvas.canvas.get_renderer()
    first, second, third = canvas.axes
    for axis in (first.yaxis, second.xaxis, third.xaxis, third.yaxis):
        labels = visible_labels(axis)
        lo, hi = sorted(axis.get_view_interval())
        inside = [t for t in labels if lo <= t.get_position()[axis.axis_name == "y"] <= hi]
        texts = [t.get_text() for t in inside]
        assert len(inside) >= 2 and len(set(texts)) == len(texts), texts
        assert not any("e+" in text or "e-" in text for text in texts), texts
        boxes = sorted((t.get_window_extent(renderer) for t in inside),
                       key=lambda box: box.x0 if axis.axis_name == "x" else box.y0)
        for left, right in zip(boxes, boxes[1:]):
            assert not left.overlaps(right), texts
    assert "20,000" in [t.get_text() for t in visible_labels(first.yaxis)]


def test_long_legend_labels_wrap_inside_the_png() -> None:
    import plotly.graph_objects as go

    from seqlab.evidence.figures.png import render

    names = [f"{group}: strategy=bidirectional model=lstm task.distance={d} " + "x=y " * 25
             for group in "ab" for d in (2, 5)]
    figure = go.Figure([go.Scatter(x=[0, 1], y=[i, i + 1], name=name)
                        for i, name in enumerate(names)])
    canvas = render(figure)
    canvas.canvas.draw()
    legend = canvas.legends[0]
    inside = canvas.bbox
    box = legend.get_window_extent(canvas.canvas.get_renderer())
    assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0
    shown = [text.get_text() for text in legend.get_texts()]
    assert [" ".join(text.split()) for text in shown] == [" ".join(n.split()) for n in names]
