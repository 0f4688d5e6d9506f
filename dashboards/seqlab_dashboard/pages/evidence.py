"""The Evidence view: the verdicts of a suite's hypotheses on the runs in scope, live.

The same judgement as ``seqlab evidence`` (:func:`seqlab.evidence.evaluate_frame` on the runs
frame the other views read), redrawn as runs finish, so the intervals narrow as seeds arrive.
Each card links to the view whose URL state shows its figure in detail.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from seqlab import hookimpl
from seqlab.store import record
from seqlab_dashboard import ids

if TYPE_CHECKING:
    import pandas as pd
    from dash import Dash
    from dash.development.base_component import Component

    from seqlab.api.view import RegisterPanel
    from seqlab.sweep.suite import Suite

VIEW = "evidence"
VERDICT_CLASS = {"supported": "supported", "contradicted": "contradicted", "inconclusive": "inconclusive"}
CACHE_SIZE = 16
"""Verdicts kept for recent (suite, size, runs) scopes, so a refresh without new runs is free."""

_cache: OrderedDict[tuple[Any, ...], list[dict[str, Any]]] = OrderedDict()
_cache_lock = Lock()


@hookimpl
def register_dashboard_panels(register: RegisterPanel) -> None:
    """Register the Evidence view."""
    register("/evidence", "Evidence", layout, callbacks, order=60,
             description="Verdicts of a suite's hypotheses on the runs in scope, with statistics")


def suite_names(runs: pd.DataFrame | None = None) -> list[str]:
    """The built-in suites, then the other suites whose sweeps recorded their suite on the
    runs (``record.SUITE_ARTIFACT``), by name."""
    from seqlab.sweep.builtin import builtin_suites

    builtin = list(builtin_suites())
    return builtin + sorted(set(recorded_runs(runs)) - set(builtin)) if runs is not None \
        else builtin


def recorded_runs(runs: pd.DataFrame) -> dict[str, str]:
    """For each sweep among ``runs`` that recorded its suite, its newest such run's id."""
    from seqlab_dashboard.data import TAG

    names, hashes = runs.get(TAG + record.TAG_SWEEP), runs.get(TAG + record.TAG_SUITE_HASH)
    if names is None or hashes is None:
        return {}
    tagged = runs[names.notna() & hashes.notna()].sort_values("start_time", ascending=False)
    return dict(reversed(list(zip(tagged[TAG + record.TAG_SWEEP], tagged["run_id"]))))


def suite_of_scope(runs: pd.DataFrame) -> tuple[str | None, str | None]:
    """The suite and size the runs in scope come from, when there is exactly one."""
    from seqlab_dashboard.data import TAG

    names = runs.get(TAG + record.TAG_SWEEP)
    if names is None:
        return None, None
    found = sorted(set(names.dropna()) & set(suite_names(runs)))
    if len(found) != 1:
        return None, None
    sizes = runs.loc[names == found[0]].get(TAG + record.TAG_SWEEP_SIZE)
    size_values = sorted(set(sizes.dropna())) if sizes is not None else []
    return found[0], size_values[0] if len(size_values) == 1 else None


def layout(**query: str) -> Component:
    """Scope controls, the suite and size pickers, and the verdict cards."""
    from dash import dcc, html

    from seqlab_dashboard.controls import in_scope, labelled, query_list, query_text, scope_controls
    from seqlab_dashboard.data import open_store

    runs = open_store().runs()
    scoped = in_scope(runs, query_list(query, "exp"), query_list(query, "sweep"))
    guessed, guessed_size = suite_of_scope(scoped)
    names = suite_names(scoped)
    suite = query_text(query, "suite", names, guessed or (names[0] if names else ""))
    return html.Div([
        html.Div(className="view-head", children=[
            html.H2("Evidence"),
            html.P("Each card is one hypothesis of the suite, judged on its finished runs in scope "
                   "as `seqlab evidence` judges it: supported or contradicted when the whole "
                   "interval lies on one side, inconclusive otherwise or with fewer than 3 seeds. "
                   "Cards refresh as runs finish."),
        ]),
        scope_controls(VIEW, query, runs, grouping=False),
        html.Div(className="controls", children=[
            labelled("Suite", dcc.Dropdown(id=ids.control(VIEW, "suite"), clearable=False,
                                           options=names, value=suite)),
            labelled("Size", dcc.Input(id=ids.control(VIEW, "size"), type="text", debounce=True,
                                       placeholder="as seqlab evidence: quick",
                                       value=query.get("size") or guessed_size or "")),
        ]),
        dcc.Loading(html.Div(id=ids.control(VIEW, "cards"), className="evidence-cards")),
    ])


def load_scope_suite(suite_name: str, runs: pd.DataFrame) -> Suite:
    """A built-in suite by name, else the suite the newest run of that sweep among ``runs``
    recorded (so a user's own suite file is judged as ``seqlab evidence FILE`` would).

    :raises seqlab.sweep.suite.SuiteError: when neither is found, or the recorded one is invalid.
    """
    import yaml

    from seqlab.sweep.builtin import builtin_suites, resolve_suite
    from seqlab.sweep.suite import SuiteError, load_suite, suite_from_mapping
    from seqlab_dashboard.data import open_store

    if suite_name in builtin_suites():
        return load_suite(resolve_suite(suite_name))
    run_id = recorded_runs(runs).get(suite_name)
    text = open_store().recorded_suite(run_id) if run_id else None
    if text is None:
        raise SuiteError(f"suite {suite_name!r}: not built in, and no run in scope recorded it")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SuiteError(f"suite {suite_name!r} recorded on run {run_id}: not YAML ({exc})") from None
    return suite_from_mapping(data, f"suite {suite_name!r} recorded on run {run_id}")


def judge(suite_name: str, size: str | None, runs: pd.DataFrame) -> tuple[list[dict[str, Any]], str]:
    """The verdict records of a suite's hypotheses on ``runs``, and what they rest on.

    :param suite_name: a built-in suite, or a suite recorded on runs among ``runs``.
    :returns: the records (as ``seqlab evidence --json`` has them) and a one-line summary.
    :raises seqlab.sweep.suite.SuiteError: for an unknown size or suite.
    :raises seqlab.evidence.hypotheses.EvidenceError: for a malformed evidence section.
    """
    from seqlab.evidence import evaluate_frame, load_hypotheses
    from seqlab.evidence.report import verdict_records
    from seqlab.evidence.runs import runs_of_plan
    from seqlab.registry.components import build_registry
    from seqlab.sweep.suite import expand
    from seqlab_dashboard.data import TAG

    suite = load_scope_suite(suite_name, runs)
    plan = expand(suite, build_registry(), size or None)
    finished = runs[runs["status"] == "FINISHED"] if len(runs) else runs
    if TAG + record.TAG_SWEEP in finished:
        finished = finished[finished[TAG + record.TAG_SWEEP] == suite.name]
    else:
        finished = finished.iloc[:0]
    chosen = runs_of_plan(finished, plan)
    at = f" at size {plan.size}" if plan.size else ""
    summary = f"{len(chosen)} finished runs of suite {suite.name}{at} in scope"
    if chosen.empty:
        return [], summary
    key = (suite_name, plan.size, suite.model_dump_json(), tuple(sorted(chosen["run_id"])))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key], summary
    records = verdict_records(evaluate_frame(chosen, load_hypotheses(suite)))
    with _cache_lock:
        _cache[key] = records
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return records, summary


def detail_link(row: dict[str, Any], query: dict[str, Any]) -> str:
    """The view that shows a hypothesis's metric in detail, with the scope and the metric set."""
    metric = row["metric"] or ""
    shared = {key: value for key, value in query.items() if key in ("exp", "sweep") and value}
    if metric.startswith("eff/"):
        return "/efficiency?" + urlencode(shared)
    if metric.startswith("stab/"):
        return "/stability?" + urlencode(shared)
    if metric.startswith(("ltd/grad", "ltd/state")):
        return "/long-term?" + urlencode(shared)
    return "/curves?" + urlencode({**shared, "metric": metric})


def card(row: dict[str, Any], query: dict[str, Any]) -> Component:
    """One hypothesis: claim, statement, verdict, effect with its interval, n, the reason."""
    from dash import dcc, html

    from seqlab.evidence.console import effect_text, n_text

    verdict = row["verdict"] or "inconclusive"
    details = [
        html.Div(className="evidence-effect", children=[
            html.Span("effect "), html.Strong(effect_text(row)),
            html.Span(f" {row['effect_measure']}" if row.get("effect_measure") else ""),
        ]),
        html.Div(f"n: {n_text(row)}"),
    ]
    if row.get("p_improvement") is not None:
        low, high = row.get("p_improvement_low"), row.get("p_improvement_high")
        interval = f" [{low:.2f}, {high:.2f}]" if low is not None and high is not None else ""
        details.append(html.Div(f"P(a better than b): {row['p_improvement']:.2f}{interval}"))
    if row.get("reason"):
        details.append(html.Div(row["reason"], className="evidence-reason"))
    if row.get("seeds_needed"):
        details.append(html.Div(f"about {row['seeds_needed']} seeds per group would likely settle it"))
    return html.Div(className=f"evidence-card {VERDICT_CLASS.get(verdict, 'inconclusive')}", children=[
        html.Div(className="evidence-title", children=[
            html.Span(row["claim"], className="evidence-claim"),
            html.Span(verdict, className=f"evidence-verdict {VERDICT_CLASS.get(verdict, 'inconclusive')}"),
            html.Span(f"{row['kind']} · {row['metric']}", className="evidence-kind"),
        ]),
        html.P(row["statement"]),
        *details,
        dcc.Link("see the figure", href=detail_link(row, query), className="evidence-link"),
    ])


def draw_cards(experiments: list[str] | None, sweeps: list[str] | None, selected: list[str] | None,
               suite_name: str | None, size: str | None) -> Component:
    """The verdict cards of ``suite_name`` on the runs in scope, or why there are none."""
    from dash import html

    from seqlab.evidence.hypotheses import EvidenceError
    from seqlab.sweep.suite import SuiteError
    from seqlab_dashboard.controls import scoped_runs

    if not suite_name:
        return html.P("No suite to judge.", className="empty-note")
    runs = scoped_runs(experiments, sweeps, selected)
    try:
        records, summary = judge(suite_name, size, runs)
    except (SuiteError, EvidenceError) as exc:
        return html.P(str(exc), className="empty-note")
    if not records:
        return html.P(f"No verdicts yet: {summary}. Run `seqlab sweep {suite_name}"
                      f"{' --size ' + size if size else ''}`.", className="empty-note")
    counts = {v: sum(r["verdict"] == v for r in records) for v in VERDICT_CLASS}
    query = {"exp": ",".join(experiments or []), "sweep": ",".join(sweeps or [])}
    return html.Div([
        html.P(f"{summary}: " + ", ".join(f"{n} {v}" for v, n in counts.items())
               + "; intervals Holm-corrected across the suite's hypotheses (docs/evidence.md).",
               className="evidence-summary"),
        *[card(row, query) for row in records],
    ])


def callbacks(app: Dash) -> None:
    """Redraw the cards when the scope, suite or size changes, and as runs finish."""
    from dash import Input, Output

    from seqlab_dashboard.controls import mirror_to_url, scope_inputs

    mirror_to_url(app, VIEW, {"suite": "suite", "size": "size"})

    @app.callback(
        Output(ids.control(VIEW, "cards"), "children"),
        scope_inputs(VIEW, grouping=False),
        Input(ids.control(VIEW, "suite"), "value"),
        Input(ids.control(VIEW, "size"), "value"),
        Input(ids.REFRESH_TIMER, "n_intervals"),
    )
    def draw(experiments: list[str], sweeps: list[str], selected: list[str], suite_name: str,
             size: str, _tick: int) -> Component:
        return draw_cards(experiments, sweeps, selected, suite_name, size or None)
