"""Dashboard speed on a large store: first page, first curves, changing the grouping, every view.

    python benchmarks/dashboard_bench.py 1000                  # and 10000
    python benchmarks/dashboard_bench.py 100000 --steps 20     # shorter histories: a 3 GB store
    python benchmarks/dashboard_bench.py 1000 --browser        # also time headless Chromium

Each figure is the server-side time a view needs to answer (reading MLflow, computing, and
encoding the JSON the browser receives), measured in this process; the baseline is MLflow's own
bulk read, ``mlflow.search_runs(..., output_format="pandas")``, of the same store (of its first
10,000 runs on larger stores), so a ratio says what the dashboard costs against the read any
MLflow tool makes, on this machine at this moment. ``--browser`` serves the app and times
headless Chromium (Debian's ``chromium`` and ``chromium-driver``) from navigation until every
figure is drawn: the browser's own layout time included.
The store is synthesized by ``dashboard_store.py`` (see there and ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from dashboard_store import STEPS, synthesize  # noqa: E402

from seqlab.store import record  # noqa: E402

BROWSER_VIEWS = {"Runs": "/runs", "Curves": "/curves?runs={runs}", "Efficiency": "/efficiency",
                 "Long-term": "/long-term", "Parameters": "/parameters"}
"""The pages ``--browser`` times (``{runs}``: the run-id prefixes drawn in Curves)."""
BASELINE_RUNS = 10_000
"""The baseline reads at most this many runs (``search_runs`` of 100,000 takes minutes)."""


CPU_SECONDS: list[float] = []
"""The CPU time (this process's, all threads) of the last :func:`timed` call's best repeat."""


def timed(action: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of ``action`` over ``repeat`` calls, and its last result; the CPU time of
    that repeat goes to :data:`CPU_SECONDS` (on a loaded machine wall time waits for a core)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = action()
        if time.perf_counter() - start < best:
            best = time.perf_counter() - start
            CPU_SECONDS[:] = [time.process_time() - cpu]
    return best, result


def encode(value: Any) -> int:
    """Encode a figure or component tree as Dash does; the size in bytes."""
    from plotly.io.json import to_json_plotly

    return len(to_json_plotly(value))


def report(label: str, seconds: float, baseline: float, size: int | None = None, cpu: bool = True) -> None:
    """One line: what, seconds, ratio to the baseline, CPU seconds of this process, bytes to the browser."""
    extra = f"  cpu {CPU_SECONDS[0]:7.2f} s" if cpu and CPU_SECONDS else ""
    extra += f"  {size / 1e6:6.2f} MB" if size is not None else ""
    print(f"{label:52s} {seconds:7.2f} s  {seconds / baseline:6.2f}x baseline{extra}", flush=True)


def server_side(runs_count: int, curve_runs: int) -> tuple[float, list[str]]:
    """Time every view's server side; the baseline and the run-id prefixes drawn in Curves."""
    import mlflow

    from seqlab_dashboard import data
    from seqlab_dashboard.app import warm_up
    from seqlab_dashboard.controls import default_grouping
    from seqlab_dashboard.pages import curves, efficiency, longterm, parameters, runs, stability

    uri = os.environ["MLFLOW_TRACKING_URI"]
    experiments = [e.experiment_id for e in mlflow.MlflowClient(uri).search_experiments()]
    mlflow.set_tracking_uri(uri)  # the baseline's own read needs it; the dashboard never sets it
    limit = min(runs_count, BASELINE_RUNS)
    baseline, frame = timed(lambda: mlflow.search_runs(experiment_ids=experiments, output_format="pandas",
                                                      max_results=limit))
    warm_up()  # what the app loads as it starts (create_app), before its first visitor
    print(f"store: {runs_count} runs ({uri}); load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"{'baseline: mlflow.search_runs, pandas, ' + str(len(frame)) + ' runs':52s} {baseline:7.2f} s"
          f"  cpu {CPU_SECONDS[0]:7.2f} s")

    def first_page() -> int:
        data._stores.clear()
        tree = runs.layout()
        block = runs.page(runs.table(data.open_store().runs()), {"startRow": 0, "endRow": 100})
        return encode(tree) + encode(block)

    seconds, size = timed(first_page)
    report("first page: Runs view, cold cache (read + 100 rows)", seconds, baseline, size)
    everything = data.open_store().runs()
    seconds, size = timed(lambda: encode(runs.layout()) + encode(
        runs.page(runs.table(everything), {"startRow": 0, "endRow": 100})), repeat=3)
    report("Runs view again, warm cache", seconds, baseline, size)
    seconds, size = timed(lambda: encode(runs.page(runs.table(everything), {
        "startRow": 100, "endRow": 200, "sortModel": [{"colId": "metrics.val/loss", "sort": "asc"}],
        "filterModel": {"params.model": {"filterType": "text", "type": "equals", "filter": "lstm"}}})), repeat=3)
    report("Runs table: next 100 rows, filtered and sorted", seconds, baseline, size)

    chosen = [run_id[:8] for run_id in everything["run_id"][:curve_runs]]
    group = default_grouping(everything)

    def draw(grouping: list[str]) -> int:
        figure, _ = curves.draw_curves(None, None, chosen, grouping, record.TRAIN_LOSS, "step", "mean",
                                       "ci95", 0.6, ["members"])
        return encode(figure)

    seconds, size = timed(lambda: draw(group))
    report(f"Curves, {len(chosen)} runs, first draw (histories read)", seconds, baseline, size)
    for grouping in (["model", "task.length"], ["model", "strategy", "model.hidden_size"]):
        seconds, size = timed(lambda: draw(grouping), repeat=3)
        report(f"regroup Curves by {' x '.join(grouping)}", seconds, baseline, size)
    views = {
        "Efficiency": lambda: efficiency.draw_efficiency(None, None, None, ["model", "strategy"], "std",
                                                         record.STEP_TIME),
        "Stability": lambda: stability.draw_stability(None, None, chosen, ["model", "strategy"], "std",
                                                      record.NORMALIZED_SCORE),
        "Long-term": lambda: longterm.draw_longterm(None, None, None, ["model", "strategy"], "ci95", None)[0],
        "Parameters": lambda: parameters.draw_parameters(None, None, None, record.NORMALIZED_SCORE),
    }
    for name, action in views.items():
        scope = f"{len(chosen)} selected runs" if name == "Stability" else "all runs"
        seconds, size = timed(lambda: sum(encode(f) for f in action()), repeat=2)
        report(f"regroup {name}, {scope}", seconds, baseline, size)
    return baseline, chosen


def browser_side(baseline: float, chosen: list[str], views: list[str], repeat: int) -> None:
    """Serve the app and time headless Chromium from navigation to every figure drawn, for each
    of ``views`` (names of :data:`BROWSER_VIEWS`), the best of ``repeat`` loads."""
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
    from werkzeug.serving import make_server

    import logging

    from seqlab_dashboard import data
    from seqlab_dashboard.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    data._stores.clear()
    app = create_app()
    http = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1600,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    ready = """
        if (document.title.startsWith('Updating')) { return false; }
        const content = document.querySelector('#_pages_content');
        if (!content || !content.children.length) { return false; }
        // until the rows a screen holds (10, or all when fewer) have come from the server
        const count = document.getElementById('runs-count'), shown = count && count.innerText.match(/^(\d+) runs/);
        const rows = document.querySelectorAll('.ag-center-cols-container .ag-row:not(.ag-row-loading)');
        if ((count && !shown) || (shown && rows.length < Math.min(Number(shown[1]), 10))) { return false; }
        if (document.querySelector('.ag-center-cols-container .ag-loading')) { return false; }
        if (document.querySelector('.ag-row-loading, .ag-overlay-loading-wrapper')) { return false; }
        const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
        if (document.querySelectorAll('.dash-graph').length > plots.length) { return false; }
        return plots.every(p => p._fullLayout && !((p.layout.annotations || []).some(a => a.text === 'loading…')));
    """
    base = f"http://127.0.0.1:{http.server_port}"
    pages = {name: BROWSER_VIEWS[name].format(runs=",".join(chosen[:200])) for name in views}
    try:
        driver.get(base + "/runs")  # the browser caches the scripts once, as a visitor's would
        WebDriverWait(driver, 120, poll_frequency=0.05).until(lambda d: d.execute_script(ready))
        for name, path in pages.items():
            best = float("inf")
            for _ in range(repeat):
                driver.get("about:blank")
                start = time.perf_counter()
                try:
                    driver.get(base + path)
                    time.sleep(0.2)
                    WebDriverWait(driver, 300, poll_frequency=0.05).until(lambda d: d.execute_script(ready))
                except TimeoutException as exc:  # the page held the browser's thread past a limit
                    print(f"browser: {name} not drawn after {time.perf_counter() - start:.0f} s "
                          f"({exc.msg.strip()})", flush=True)
                    break
                best = min(best, time.perf_counter() - start)
            else:
                report(f"browser: {name} loaded and drawn (Chromium)", best, baseline, cpu=False)
    finally:
        driver.quit()
        http.shutdown()


def main() -> None:
    """Build or reuse the store, then time the views."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--steps", type=int, default=STEPS, help="points per synthesized metric history")
    parser.add_argument("--curve-runs", type=int, default=1000,
                        help="runs selected for the curves view (histories are read for these)")
    parser.add_argument("--browser", action="store_true", help="also time the views in headless Chromium")
    parser.add_argument("--views", default=",".join(BROWSER_VIEWS),
                        help=f"the views --browser times, comma-separated (default: {','.join(BROWSER_VIEWS)})")
    parser.add_argument("--repeat", type=int, default=1, help="browser loads per view (the best is shown)")
    arguments = parser.parse_args()
    views = [v.strip() for v in arguments.views.split(",") if v.strip()]
    unknown = [v for v in views if v not in BROWSER_VIEWS]
    if unknown:
        parser.error(f"--views={arguments.views}: unknown view {unknown[0]!r} (known: {', '.join(BROWSER_VIEWS)})")
    folder = arguments.folder or Path(f"/tmp/seqlab-bench-{arguments.runs}")
    os.environ["MLFLOW_TRACKING_URI"] = synthesize(folder, arguments.runs, steps=arguments.steps)
    baseline, chosen = server_side(arguments.runs, arguments.curve_runs)
    if arguments.browser:
        browser_side(baseline, chosen, views, arguments.repeat)
    print(f"load average after: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
