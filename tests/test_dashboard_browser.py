"""The dashboard in a real headless Chromium, against a store of runs from the real runner.

Screenshots of every view land in ``test-artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_store
from test_dashboard_store import build_store, empty_store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
VIEWS = ("runs", "curves", "efficiency", "stability", "long-term", "parameters")

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists(),
    reason="needs the Debian packages chromium and chromium-driver (.ci/run installs them)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The dashboard app served on a free local port, recording failed callback requests."""
    from flask import request
    from werkzeug.serving import make_server

    folder = tmp_path_factory.getbasetemp() / "dashboard-store"
    uri = build_store(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        from seqlab_dashboard.app import create_app

        app = create_app()
        failures: list[str] = []

        @app.server.after_request
        def remember_failures(response):  # type: ignore[no-untyped-def]
            if request.path.startswith("/_dash-update-component") and response.status_code >= 400:
                failures.append(f"{response.status_code} {response.get_data(as_text=True)[:500]}")
            return response

        http = make_server("127.0.0.1", 0, app.server, threaded=True)
        thread = threading.Thread(target=http.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"url": f"http://127.0.0.1:{http.server_port}", "failures": failures,
                   "patch": patch, "empty": empty_store(folder), "store": uri}
        finally:
            http.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by chromedriver (both from Debian packages)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1440,1100"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def settled(driver: Any, timeout: float = 60) -> None:
    """Wait until Dash has no callback in flight, every labelled control is drawn (its code
    loaded), the Runs table no block loading, and every graph shows a drawn figure."""
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d: Any) -> bool:
        return bool(d.execute_script(r"""
            if (document.title.startsWith('Updating')) { return false; }
            if (!document.querySelector('#_pages_content') || !document.querySelector('#_pages_content').children.length) { return false; }
            // Dash loads some components' code on first use (a dropdown, a graph): until it has
            // come, a labelled control shows its label alone
            if (Array.from(document.querySelectorAll('#_pages_content .control')).some(c => !c.querySelector('[id]'))) { return false; }
            // the Runs table pages its rows from the server: wait until no block is loading
            if (document.querySelector('.ag-row-loading, .ag-overlay-loading-wrapper')) { return false; }
            // until the rows a screen holds (10, or all when fewer) have come from the server
            const count = document.getElementById('runs-count'), shown = count && count.innerText.match(/^(\d+) runs/);
            const rows = document.querySelectorAll('.ag-center-cols-container .ag-row:not(.ag-row-loading)');
            if ((count && !shown) || (shown && rows.length < Math.min(Number(shown[1]), 10))) { return false; }
            if (document.querySelector('.ag-center-cols-container .ag-loading')) { return false; }
            const graphs = Array.from(document.querySelectorAll('.dash-graph'));
            if (graphs.some(g => !g.querySelector('.js-plotly-plot'))) { return false; }
            const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
            return plots.every(p => p._fullLayout && !((p.layout.annotations || []).some(a => a.text === 'loading…')));
        """))

    WebDriverWait(driver, timeout, poll_frequency=0.2).until(ready)


def figure(driver: Any, name: str) -> dict[str, Any]:
    """Trace names and y values of graph ``name`` as the browser holds them."""
    graph_id = json.dumps({"name": name, "type": "figure"}, separators=(",", ":"))
    return driver.execute_script("""
        const plot = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
        return {names: plot.data.map(t => t.name || ''),
                ys: plot.data.map(t => Array.from(t.y || []).map(v => v === null ? null : Number(v))),
                annotations: (plot.layout.annotations || []).map(a => a.text)};
    """, graph_id)


def centers(plotted: dict[str, Any]) -> dict[str, list[float]]:
    return {n: y for n, y in zip(plotted["names"], plotted["ys"]) if "(n=" in n}


def shoot(driver: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1440, min(max(height + 40, 900), 2600))
    settled(driver)
    driver.save_screenshot(str(ARTIFACTS / f"dashboard-{name}.png"))
    driver.set_window_size(1440, 1100)


def test_runs_view_lists_every_run(server: dict[str, Any], browser: Any) -> None:
    browser.get(server["url"] + "/runs")
    settled(browser)
    rows = browser.find_elements("css selector", ".ag-center-cols-container .ag-row")
    assert len(rows) == 10
    assert "10 runs shown, none selected" in browser.find_element("id", "runs-count").text
    page = browser.find_element("tag name", "body").text
    assert "FAILED" in page and "RUNNING" in page and "FINISHED" in page
    shoot(browser, "runs")
    assert not server["failures"]


def test_selecting_runs_and_regrouping_change_the_plot_and_the_link_restores_it(
    server: dict[str, Any], browser: Any
) -> None:
    from selenium.common.exceptions import JavascriptException
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server["url"] + "/runs")
    settled(browser)
    boxes = browser.find_elements("css selector", ".ag-center-cols-container .ag-row .ag-checkbox-input, "
                                                  ".ag-pinned-left-cols-container .ag-row .ag-checkbox-input")
    for box in boxes[:4]:
        box.click()
    settled(browser)
    assert "4 selected" in browser.find_element("id", "runs-count").text
    assert "runs=" in browser.current_url
    browser.find_element("link text", "Curves").click()
    settled(browser)
    assert "runs=" in browser.current_url, "the navigation carries the selection"
    before = centers(figure(browser, "curves"))
    assert sum(int(name.split("(n=")[1].rstrip(")")) for name in before) == 4
    browser.find_element("css selector", "#curves-group .dash-dropdown-clear").click()
    WebDriverWait(browser, 30, ignored_exceptions=[JavascriptException]).until(
        lambda d: centers(figure(d, "curves")) != before)
    settled(browser)
    after = centers(figure(browser, "curves"))
    assert list(after) == ["all runs (n=4)"] and after != before
    browser.find_element("id", "curves-group").click()
    browser.switch_to.active_element.send_keys("hidden")
    browser.find_element(
        "xpath", "//div[contains(@class,'dash-dropdown-content')]//label[.//input[@value='model.hidden_size']]"
    ).click()
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    WebDriverWait(browser, 30, ignored_exceptions=[JavascriptException]).until(
        lambda d: centers(figure(d, "curves")) != after)
    settled(browser)
    regrouped = centers(figure(browser, "curves"))
    assert len(regrouped) >= 2 and all(name.startswith("hidden_size=") for name in regrouped)
    assert "group=model.hidden_size" in browser.current_url
    link = browser.current_url
    browser.get("about:blank")
    browser.get(link)
    settled(browser)
    assert centers(figure(browser, "curves")) == regrouped, "a shared link restores the view"
    assert "model.hidden_size" in browser.find_element("id", "curves-group").text
    assert not server["failures"]


@pytest.mark.parametrize("view", VIEWS[1:])
def test_each_view_draws_without_callback_errors(server: dict[str, Any], browser: Any, view: str) -> None:
    browser.get(f"{server['url']}/{view}?group=model.hidden_size")
    settled(browser)
    plots = browser.find_elements("css selector", ".js-plotly-plot")
    assert plots, "the view shows figures"
    drawn = browser.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(p => p.data.length).length")
    assert drawn >= 1
    if view == "long-term":
        assert any(" · cell (n=" in name for name in figure(browser, "state-trace")["names"])
    shoot(browser, view)
    assert not server["failures"]


def test_plain_figures_draw_their_packed_numbers_in_the_dashboards_template(
    server: dict[str, Any], browser: Any
) -> None:
    """A curves figure leaves the server as a plain dict, its float arrays packed as typed
    arrays: the browser decodes them into the lines and applies the dashboard's template."""
    browser.get(f"{server['url']}/curves?group=model.hidden_size")
    settled(browser)
    graph_id = json.dumps({"name": "curves", "type": "figure"}, separators=(",", ":"))
    drawn = browser.execute_script("""
        const plot = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
        return {background: plot._fullLayout.plot_bgcolor,
                lines: plot._fullData.filter(t => (t.name || '').includes('(n='))
                                     .map(t => Array.from(t.y).filter(v => Number.isFinite(v)).length)};
    """, graph_id)
    assert drawn["lines"] and all(count > 1 for count in drawn["lines"]), "the packed numbers are drawn"
    assert drawn["background"] == "white", "plotly_white, not plotly's default template"
    assert not server["failures"]


def test_empty_store_is_explained(server: dict[str, Any], browser: Any) -> None:
    server["patch"].setenv("MLFLOW_TRACKING_URI", server["empty"])
    browser.get(server["url"] + "/runs")
    settled(browser)
    assert "No runs recorded yet" in browser.find_element("tag name", "body").text
    browser.get(server["url"] + "/curves")
    settled(browser)
    assert any("No runs in scope" in text for text in figure(browser, "curves")["annotations"])
    shoot(browser, "empty-store")
    assert not server["failures"]


@pytest.fixture
def real_runs(server: dict[str, Any]) -> dict[str, Any]:
    """The server, reading the store of real runs (a test before may have pointed it elsewhere)."""
    server["patch"].setenv("MLFLOW_TRACKING_URI", server["store"])
    return server


def colors(driver: Any, name: str) -> dict[str, str]:
    """Each group's color in graph ``name``: its center trace's line or marker color, or its
    point's color in a trace of every group's centers (``groups``: one point per group)."""
    graph_id = json.dumps({"name": name, "type": "figure"}, separators=(",", ":"))
    return driver.execute_script("""
        const plot = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
        const found = {};
        for (const t of plot.data) {
            const name = t.name || '';
            if (name === 'groups') {
                Array.from(t.text).forEach((group, i) => { found[group] = t.marker.color[i]; });
                continue;
            }
            if (!name.includes(' (n=')) { continue; }
            const group = name.split(' (n=')[0];
            const color = (t.mode || '').includes('lines') ? t.line.color : t.marker.color;
            if (typeof color === 'string') { found[group] = color; }
        }
        return found;
    """, graph_id)


def test_gradient_flow_never_averages_two_lengths(real_runs: dict[str, Any], browser: Any) -> None:
    browser.get(real_runs["url"] + "/long-term?group=model.hidden_size")
    settled(browser)
    for name in ("gradient-flow", "state-trace"):
        drawn = centers(figure(browser, name))
        assert drawn, name
        for trace in drawn:
            assert " · length=" in trace, f"{name}: {trace} mixes lengths"
            assert int(trace.split("(n=")[1].rstrip(")")) <= 2, f"{name}: {trace} counts more than the seeds"
    assert {"hidden_size=4 · length=4", "hidden_size=4 · length=8"} <= set(colors(browser, "gradient-flow"))
    assert not real_runs["failures"]


def test_default_groups_never_pool_seeds_with_another_varying_param(real_runs: dict[str, Any], browser: Any) -> None:
    browser.get(real_runs["url"] + "/curves")
    settled(browser)
    chosen = browser.find_element("id", "curves-group").text
    assert "task.length" in chosen and "model.hidden_size" in chosen and "seed" not in chosen
    plotted = figure(browser, "curves")
    assert all(int(n.split("(n=")[1].rstrip(")")) <= 2 for n in centers(plotted))
    assert not any("pool" in text for text in plotted["annotations"])
    browser.get(real_runs["url"] + "/curves?group=model")
    settled(browser)
    assert any("pool several values of" in text and "task.length" in text
               for text in figure(browser, "curves")["annotations"]), "a pooling group says so"
    browser.get(real_runs["url"] + "/curves?group=nonsense")
    settled(browser)
    assert browser.find_element("id", "curves-group").text == chosen, "a bad group= falls back to the default"
    assert not real_runs["failures"]


def test_one_group_has_one_color_across_figures_and_views(real_runs: dict[str, Any], browser: Any) -> None:
    seen: dict[str, str] = {}
    for view in ("efficiency", "stability", "curves"):
        browser.get(f"{real_runs['url']}/{view}?group=model.hidden_size,task.length")
        settled(browser)
        names = browser.execute_script("""
            return Array.from(document.querySelectorAll('[id^="{"]'))
                .map(e => JSON.parse(e.id)).filter(i => i.type === 'figure').map(i => i.name);""")
        assert len(names) >= 1
        for name in names:
            for group, color in colors(browser, name).items():
                assert seen.setdefault(group, color) == color, f"{group} changes color in {view}/{name}"
    assert len(seen) >= 4 and len(set(seen.values())) == len(seen), "different groups, different colors"
    assert not real_runs["failures"]


def test_heatmap_choice_survives_reloads(real_runs: dict[str, Any], browser: Any) -> None:
    from urllib.parse import parse_qs, urlparse

    browser.get(real_runs["url"] + "/long-term?group=model.hidden_size")
    settled(browser)
    choices = browser.execute_script(
        "return document.getElementById('longterm-heatmap') && true")
    assert choices
    target = "group:hidden_size=8 · length=8"
    link = f"{real_runs['url']}/long-term?group=model.hidden_size&heatmap={target}"
    for _ in range(4):
        browser.get(link)
        settled(browser)
        assert parse_qs(urlparse(browser.current_url).query).get("heatmap") == [target]
        assert "hidden_size=8 · length=8" in browser.find_element("id", "longterm-heatmap").text
        assert "hidden_size=8 · length=8" in browser.execute_script("""
            const plot = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
            return plot.layout.xaxis.title.text;""", json.dumps({"name": "gradient-heatmap", "type": "figure"},
                                                               separators=(",", ":")))
    assert not real_runs["failures"]


def test_runs_view_tells_configurations_apart_and_shows_key_columns_at_1600px(
    real_runs: dict[str, Any], browser: Any
) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(1600, 1000)
    try:
        browser.get(real_runs["url"] + "/runs")
        settled(browser)
        names = [e.text for e in browser.find_elements(
            "css selector", ".ag-pinned-left-cols-container .ag-row [col-id='config']")]
        assert len(names) == 10 and len(set(names)) == 10, names
        right = browser.execute_script("return window.innerWidth")
        for column in ("params.task.length", "params.model.hidden_size", "metrics.ltd/normalized_score"):
            header = browser.find_element("css selector", f".ag-header-cell[col-id='{column}']")
            box = header.rect
            assert box["x"] + box["width"] <= right, f"{column} is off-screen at 1600 px"
        counts = [e.text for e in browser.find_elements(
            "css selector", ".ag-row [col-id='metrics.eff/parameters']") if e.text]
        assert counts and all(c.replace(",", "").isdigit() for c in counts), counts
        losses = [e.text for e in browser.find_elements("css selector", ".ag-row [col-id='metrics.val/loss']") if e.text]
        digits = [c.replace("-", "").replace(".", "").lstrip("0").split("e")[0] for c in losses]
        assert losses and all(len(d) <= 4 for d in digits), f"4 significant digits, as the formatter says: {losses}"
        assert not browser.find_elements("css selector", ".ag-header-cell[col-id='params.trainer.lr']")
        browser.find_element("id", "runs-columns").click()
        browser.switch_to.active_element.send_keys("trainer.lr")
        browser.find_element(
            "xpath", "//div[contains(@class,'dash-dropdown-content')]//label[.//input[@value='params.trainer.lr']]"
        ).click()
        browser.switch_to.active_element.send_keys(Keys.ESCAPE)
        WebDriverWait(browser, 30).until(
            lambda d: d.find_elements("css selector", ".ag-header-cell[col-id='params.trainer.lr']"))
    finally:
        browser.set_window_size(1440, 1100)
    assert not real_runs["failures"]


def test_parallel_coordinates_and_importance_render_and_brushing_selects_runs(
    real_runs: dict[str, Any], browser: Any
) -> None:
    from urllib.parse import parse_qs, urlparse

    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(real_runs["url"] + "/parameters?metric=val/loss")
    settled(browser)
    parallel_id = json.dumps({"name": "parallel", "type": "figure"}, separators=(",", ":"))
    labels = browser.execute_script("""
        const plot = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
        return plot.data[0].dimensions.map(d => d.label);""", parallel_id)
    assert "task.length" in labels and labels[-1] == "val/loss"
    bars = figure(browser, "importance")
    assert bars["names"] == ["importance", "Spearman correlation"]
    browser.execute_script("""
        const plot = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
        Plotly.restyle(plot, {[`dimensions[${arguments[1]}].constraintrange`]: [[3, 5]]}, [0]);
    """, parallel_id, labels.index("task.length"))
    WebDriverWait(browser, 30).until(
        lambda d: "runs inside the brushed ranges" in d.find_element("id", "parameters-brushed-note").text)
    note = browser.find_element("id", "parameters-brushed-note").text
    assert note.startswith("4 of 8 runs"), note
    browser.find_element("id", "parameters-select-brushed").click()
    WebDriverWait(browser, 30).until(lambda d: "runs=" in d.current_url)
    chosen = parse_qs(urlparse(browser.current_url).query)["runs"][0].split(",")
    assert len(chosen) == 4
    settled(browser)
    shoot(browser, "parameters")
    assert not real_runs["failures"]


def record_suite_runs(uri: str, suite_name: str, seeds_of: dict[str, float]) -> int:
    """Record one FINISHED run per runnable spec of a suite's quick size (a built-in suite's
    name or a file), as a sweep of it would (params, sweep, spec-hash and suite tags, the suite
    artifact), with ``val/mse`` drawn per model."""
    import random

    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    from seqlab.registry.components import build_registry
    from seqlab.store import record
    from seqlab.sweep.builtin import resolve_suite
    from seqlab.sweep.suite import expand, load_suite, recorded_suite

    suite = load_suite(resolve_suite(suite_name))
    suite_name = suite.name
    suite_yaml, suite_hash = recorded_suite(suite)
    plan = expand(suite, build_registry())
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(suite_name)
    experiment = found.experiment_id if found else client.create_experiment(suite_name)
    noise = random.Random(0)
    for planned in plan.runnable:
        spec = planned.spec
        run = client.create_run(experiment, run_name=planned.label)
        client.log_batch(
            run.info.run_id,
            params=[Param(k, "null" if v is None else str(v)) for k, v in spec.flat().items()],
            tags=[RunTag(record.TAG_SWEEP, suite_name), RunTag(record.TAG_SPEC_HASH, spec.spec_hash()),
                  RunTag(record.TAG_SUITE_HASH, suite_hash)]
            + ([RunTag(record.TAG_SWEEP_SIZE, plan.size)] if plan.size else []),
            metrics=[Metric("val/mse", seeds_of[spec.model.name] + noise.gauss(0, 0.01), 0, 10)],
        )
        client.log_text(run.info.run_id, suite_yaml, record.SUITE_ARTIFACT)
        client.set_terminated(run.info.run_id, "FINISHED")
    return len(plan.runnable)


def test_evidence_view_shows_the_suites_verdicts_and_links_to_the_figures(
    real_runs: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    copy_store(Path(real_runs["empty"].removeprefix("sqlite:///")), tmp_path / "mlflow.db")
    count = record_suite_runs(store, "demo", {"lstm": 0.01, "gru": 0.02, "rnn": 0.16})
    real_runs["patch"].setenv("MLFLOW_TRACKING_URI", store)
    browser.get(real_runs["url"] + "/evidence?sweep=demo")
    WebDriverWait(browser, 60, poll_frequency=0.3).until(
        lambda d: len(d.find_elements("css selector", ".evidence-card")) == 2)
    text = browser.find_element("tag name", "body").text
    assert f"{count} finished runs of suite demo in scope: 0 supported" in text
    cards = browser.find_elements("css selector", ".evidence-card")
    assert [c.find_element("css selector", ".evidence-claim").text for c in cards] == ["C6", "C4"]
    for card_element in cards:  # two seeds a group: inconclusive by rule, and said why
        assert card_element.find_element("css selector", ".evidence-verdict").text.lower() == "inconclusive"
        assert "has 2 seeds" in card_element.text and "at least 3 needed" in card_element.text
        assert "(n < 3: no interval)" in card_element.text and "n: " in card_element.text
    link = cards[0].find_element("css selector", ".evidence-link").get_attribute("href")
    assert "/curves?" in link and "metric=val%2Fmse" in link
    assert "suite=demo" in browser.current_url
    shoot(browser, "evidence")
    assert not real_runs["failures"]


USER_SUITE = {
    "name": "my-own-suite",
    "base": {"task": "adding", "strategy": "bptt", "model.hidden_size": 8,
             "trainer.max_steps": 4, "trainer.val_size": 8},
    "grid": {"model": ["lstm", "rnn"], "task.length": [4, 8], "seed": [0, 1, 2]},
    "evidence": [
        {"claim": "MY1", "statement": "My <b>LSTM</b> beats my RNN.", "kind": "compare",
         "metric": "val/mse", "a": {"model": "lstm"}, "b": {"model": "rnn"}, "better": "lower"},
        {"claim": "MY2", "statement": "Two seeds only.", "kind": "compare", "metric": "val/mse",
         "where": {"seed": [0, 1]}, "a": {"model": "lstm"}, "b": {"model": "rnn"},
         "better": "lower"},
    ],
}


def test_evidence_view_judges_a_users_own_suite_from_what_its_sweep_recorded(
    real_runs: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    """No built-in suite: the view reads the suite (and its hypotheses) from the runs, and
    shows the point estimate where there are fewer than 3 seeds."""
    import yaml
    from selenium.webdriver.support.ui import WebDriverWait

    suite_file = tmp_path / "elsewhere" / "my-suite.yaml"
    suite_file.parent.mkdir()
    suite_file.write_text(yaml.safe_dump(USER_SUITE, sort_keys=False))
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    copy_store(Path(real_runs["empty"].removeprefix("sqlite:///")), tmp_path / "mlflow.db")
    count = record_suite_runs(store, str(suite_file), {"lstm": 0.01, "rnn": 0.16})
    suite_file.unlink()  # the view never reads the file: only what the runs carry
    real_runs["patch"].setenv("MLFLOW_TRACKING_URI", store)
    browser.get(real_runs["url"] + "/evidence?sweep=my-own-suite")
    WebDriverWait(browser, 60, poll_frequency=0.3).until(
        lambda d: len(d.find_elements("css selector", ".evidence-card")) == 2)
    assert "suite=my-own-suite" in browser.current_url
    text = browser.find_element("tag name", "body").text
    assert f"{count} finished runs of suite my-own-suite in scope: 1 supported" in text
    first, second = browser.find_elements("css selector", ".evidence-card")
    assert first.find_element("css selector", ".evidence-claim").text == "MY1"
    assert "My <b>LSTM</b> beats my RNN." in first.text  # as typed, not markup
    assert first.find_element("css selector", ".evidence-verdict").text.lower() == "supported"
    assert second.find_element("css selector", ".evidence-verdict").text.lower() == "inconclusive"
    effect = second.find_element("css selector", ".evidence-effect").text
    assert effect.startswith("effect -0.1") and "(n < 3: no interval)" in effect, effect
    shoot(browser, "evidence-user-suite")
    assert not real_runs["failures"]


def test_every_view_renders_a_wal_store_on_read_only_media(
    real_runs: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    import sqlite3

    from conftest import read_only_mount

    folder = tmp_path / "media"
    folder.mkdir()
    copy_store(Path(real_runs["store"].removeprefix("sqlite:///")), folder / "mlflow.db")
    connection = sqlite3.connect(folder / "mlflow.db")
    connection.execute("PRAGMA journal_mode=WAL")  # kept in the file: readers need -shm and -wal
    connection.close()
    with read_only_mount(folder) as media:
        real_runs["patch"].setenv("MLFLOW_TRACKING_URI", f"sqlite:///{media / 'mlflow.db'}")
        for view in VIEWS:
            browser.get(f"{real_runs['url']}/{view}?group=model.hidden_size")
            settled(browser)
            text = browser.find_element("tag name", "body").text
            assert "10 runs in 1 experiment" in text, view
            drawn = browser.execute_script(
                "return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(p => p.data.length).length")
            assert view == "runs" or drawn >= 1, view
        real_runs["patch"].setenv("MLFLOW_TRACKING_URI", real_runs["store"])
    assert not real_runs["failures"]
