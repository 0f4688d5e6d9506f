"""``seqlab evidence --html FILE``: one self-contained page to mail or publish.

plotly.js is inlined once in the page's head, so the file opens offline. Every text a run's or
suite's author controls (statements, params, metric names, run names) is escaped: it is shown
as data, never interpreted as markup.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seqlab.evidence.console import effect_text, n_text

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.evidence.hypotheses import Hypothesis
    from seqlab.evidence.report import EvidenceReport

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-bottom: .3rem; }
section { border-top: 1px solid #ddd; padding: 1rem 0; }
.badge { display: inline-block; padding: .15rem .6rem; border-radius: .8rem; color: #fff;
         font-weight: 600; font-size: .9rem; }
.supported { background: #1a7f37; } .contradicted { background: #cf222e; }
.inconclusive { background: #9a6700; }
table { border-collapse: collapse; font-size: .85rem; }
td, th { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; }
code { background: #f4f4f4; padding: .1rem .3rem; }
.meta { color: #555; font-size: .9rem; }
"""


def _e(value: Any) -> str:
    """Any value as escaped HTML text."""
    return html.escape("" if value is None else str(value))


def render_html(report: EvidenceReport) -> str:
    """The whole report as one HTML document, plotly.js included."""
    from plotly.offline import get_plotlyjs

    records = report.records()
    counts = ", ".join(
        f"{sum(r['verdict'] == v for r in records)} {v}"
        for v in ("supported", "contradicted", "inconclusive")
    )
    sections = "\n".join(
        _section(index, report, hypothesis, row, figure)
        for index, (hypothesis, row, figure) in enumerate(
            zip(report.hypotheses, records, report.figures()), start=1
        )
    )
    size = f" (size {report.size})" if report.size else ""
    method = records[0]["method"] if records else ""
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>seqlab evidence: {_e(report.suite.name)}</title>
<style>{STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<h1>Evidence: {_e(report.suite.name)}{_e(size)}</h1>
<p>{_e(report.suite.description)}</p>
<p><strong>{_e(counts)}</strong> over {len(report.runs)} finished runs.
Intervals: {_e(method)}.</p>
<p class="meta">seqlab {_e(report.seqlab_version)} · suite {_e(report.path)} (sha256
{_e(report.digest)}) · experiment {_e(report.experiment)} in {_e(report.tracking_uri)} ·
generated {_e(generated)}</p>
{sections}
</body></html>
"""


def _section(
    index: int, report: EvidenceReport, hypothesis: Hypothesis, row: dict[str, Any], drawn: Any
) -> str:
    """One hypothesis: statement, badge, effect with interval, n, its figure, runs, command."""
    import plotly.io as pio

    figure = ""
    if drawn is not None:
        drawn.update_layout(height=420)
        figure = pio.to_html(drawn, full_html=False, include_plotlyjs=False,
                             div_id=f"figure-{index}")
    verdict = row["verdict"]
    secondary = "".join(
        f"<li>{_e(name)}: {_e(_interval(v['value'], v['ci_low'], v['ci_high']))}</li>"
        for name, v in (row["secondary"] or {}).items()
    )
    improvement = ""
    if row["p_improvement"] is not None:
        text = _interval(row["p_improvement"], row["p_improvement_low"], row["p_improvement_high"])
        improvement = f"<li>P(a better than b): {_e(text)}</li>"
    strata = ", ".join(row["strata"]) or "none"
    return f"""<section id="hypothesis-{index}">
<h2>{_e(row['claim'])} · {_e(row['statement'])}</h2>
<p><span class="badge {_e(verdict)}">{_e(verdict)}</span> {_e(row['reason'] or '')}</p>
<ul>
<li>{_e(row['kind'])} on <code>{_e(row['metric'])}</code>; effect [interval]:
{_e(effect_text(row))}{_e(f" ({row['effect_measure']})" if row['effect_measure'] else "")}</li>
{improvement}{secondary}
<li>seeds per group: {_e(n_text(row))}; strata: {_e(strata)} ({_e(row['strata_count'])})</li>
</ul>
{figure}{_figure_caption(hypothesis)}
<details><summary>{len(row['run_ids'])} runs used</summary>
{_runs_table(report.runs, row, hypothesis)}
</details>
<p>Reproduce: <code>{_e(report.command())}</code></p>
</section>"""


def _figure_caption(hypothesis: Hypothesis) -> str:
    """The claim's figure the section shows, by name and what it draws (none for a kind's)."""
    from seqlab.evidence.figures import FIGURES

    name = getattr(hypothesis, "figure", None)
    if not name:
        return ""
    return f'<p class="meta">figure <code>{_e(name)}</code>: {_e(FIGURES[name][1])}</p>'


def _interval(value: float, low: float | None, high: float | None) -> str:
    """``0.93 [0.81, 1]``, or the value alone when there is no interval."""
    if low is None or high is None:
        return f"{value:.4g}"
    return f"{value:.4g} [{low:.4g}, {high:.4g}]"


def _runs_table(
    runs: pd.DataFrame, row: dict[str, Any], hypothesis: Hypothesis
) -> str:
    """The runs a hypothesis used: id, name, its group params, strata, seed and the metric."""
    from seqlab.evidence.selection import metric, param

    along = getattr(hypothesis, "along", None)
    keys = list(dict.fromkeys([
        *(key for wanted in hypothesis.groups().values() for key in wanted),
        *row["strata"], *([along] if along else []), "seed",
    ]))
    run_ids = row["run_ids"]
    columns = ["run_id", "tags.mlflow.runName", *(param(k) for k in keys),
               metric(hypothesis.metric)]
    used = runs[runs["run_id"].isin(run_ids)]
    columns = [c for c in columns if c in used]
    head = "".join(f"<th>{_e(c.removeprefix('params.').removeprefix('tags.'))}</th>"
                   for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(value)}</td>" for value in record) + "</tr>"
        for record in used[columns].itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_html(report: EvidenceReport, path: Path) -> None:
    """Write the report to ``path`` (UTF-8)."""
    Path(path).write_text(render_html(report), encoding="utf-8")
