"""End to end: a tiny real sweep, then ``seqlab evidence`` as table, JSON and an HTML report
opened offline in headless Chromium (screenshot in ``test-artifacts/``), and the notebook API."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_seqlab

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"
HOSTILE = 'The LSTM <b>wins</b> <script>window.injected = 1</script> & "more"'

SUITE = {
    "name": "evidence-e2e",
    "claims": ["C1", "C3", "C6"],
    "base": {"task": "adding", "strategy": "bptt", "model.hidden_size": 8,
             "trainer.max_steps": 4, "trainer.batch_size": 4, "trainer.val_every": 4,
             "trainer.val_size": 8, "trainer.log_every": 2},
    "grid": {"model": ["lstm", "rnn"], "task.length": [4, 8], "seed": [0, 1, 2]},
    "evidence": [
        {"claim": "C6", "statement": HOSTILE, "kind": "compare", "metric": "val/mse",
         "a": {"model": "lstm"}, "b": {"model": "rnn"}, "better": "lower"},
        {"claim": "C3", "statement": "Parameters stay flat with the length.", "kind": "trend",
         "figure": "cost_vs_length", "metric": "eff/parameters", "along": "task.length",
         "a": {"model": "lstm"}, "expect": "flat", "tolerance": 0.01},
        {"claim": "C1", "statement": "The LSTM half-solves longer lengths than the RNN.",
         "kind": "horizon", "metric": "ltd/normalized_score", "along": "task.length",
         "a": {"model": "lstm"}, "b": {"model": "rnn"}, "threshold": 0.5, "better": "higher"},
        {"claim": "C5", "statement": "The LSTM's gradient decays less per step than the RNN's.",
         "kind": "compare", "figure": "gradient_flow", "metric": "ltd/grad_decay_per_step",
         "a": {"model": "lstm"}, "b": {"model": "rnn"}, "better": "higher"},
    ],
}


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A store holding the 12 runs of a tiny real sweep, and the suite file."""
    folder = tmp_path_factory.mktemp("evidence-e2e")
    suite = folder / "suite.yaml"
    suite.write_text(yaml.safe_dump(SUITE, sort_keys=False))
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    result = run_seqlab("sweep", str(suite), "--workers", "2", env=env, cwd=folder, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return {"folder": folder, "suite": suite, "env": env}


@pytest.fixture(scope="module")
def evidence_json(swept: dict[str, Any]) -> list[dict[str, Any]]:
    """``seqlab evidence --json --html report.html --figures figures`` on the sweep, parsed."""
    html = swept["folder"] / "report.html"
    result = run_seqlab("evidence", str(swept["suite"]), "--json", "--html", str(html),
                        "--figures", str(swept["folder"] / "figures"),
                        env=swept["env"], cwd=swept["folder"])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_json_has_a_verdict_per_hypothesis_with_its_numbers(
    swept: dict[str, Any], evidence_json: list[dict[str, Any]]
) -> None:
    from mlflow import MlflowClient

    assert [row["claim"] for row in evidence_json] == ["C6", "C3", "C1", "C5"]
    required = {"claim", "statement", "kind", "metric", "verdict", "effect", "ci_low",
                "ci_high", "p_improvement", "n_a", "n_b", "strata", "reason", "run_ids"}
    client = MlflowClient(swept["env"]["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name("evidence-e2e")
    stored = {run.info.run_id for run in client.search_runs([experiment.experiment_id])}
    for row in evidence_json:
        assert required <= set(row)
        assert row["verdict"] in ("supported", "contradicted", "inconclusive")
        assert row["ci_low"] <= row["effect"] <= row["ci_high"]
        assert set(row["run_ids"]) <= stored and row["n_a"] == 3
    compare, trend, horizon, _ = evidence_json
    assert compare["statement"] == HOSTILE and compare["strata"] == ["task.length"]
    assert len(compare["run_ids"]) == 12 and 0 <= compare["p_improvement"] <= 1
    assert compare["effect_measure"] == "mean val/mse of a - mean of b, averaged over 2 strata"
    assert trend["verdict"] == "supported" and trend["effect"] == 0  # weights reused
    assert horizon["kind"] == "horizon" and "horizon_a" in horizon["secondary"]


def test_the_table_and_the_notebook_api_agree(
    swept: dict[str, Any], evidence_json: list[dict[str, Any]]
) -> None:
    import seqlab.evidence

    table = run_seqlab("evidence", str(swept["suite"]), env={**swept["env"], "COLUMNS": "160"},
                       cwd=swept["folder"])
    assert table.returncode == 0, table.stderr
    for text in ("C6", "C3", "C1", "C5", "Holm", "12 finished runs",
                 evidence_json[1]["verdict"]):
        assert text in table.stdout
    frame = seqlab.evidence.evaluate(swept["suite"], swept["env"]["MLFLOW_TRACKING_URI"])
    assert frame["verdict"].tolist() == [row["verdict"] for row in evidence_json]
    assert frame["effect"].tolist() == pytest.approx([row["effect"] for row in evidence_json])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium with every network request refused."""
    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        pytest.skip("needs the Debian packages chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--window-size=1280,2400",
                     "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                     "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_html_report_opens_offline_with_every_figure(
    swept: dict[str, Any], evidence_json: list[dict[str, Any]], browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    html = swept["folder"] / "report.html"
    text = html.read_text()
    assert "<script src=" not in text and "<script>window.injected" not in text
    browser.get(html.as_uri())
    WebDriverWait(browser, 60).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 4
    )
    assert browser.execute_script("return typeof window.Plotly") == "object"
    assert browser.execute_script("return window.injected === undefined")
    sections = browser.find_elements(By.CSS_SELECTOR, "section")
    assert len(sections) == 4
    assert HOSTILE in sections[0].text  # shown as typed, not run or rendered
    badges = [badge.text for badge in browser.find_elements(By.CSS_SELECTOR, ".badge")]
    assert badges == [row["verdict"] for row in evidence_json]
    page = browser.find_element(By.TAG_NAME, "body").text
    for text in ("seqlab sweep", "seqlab evidence", "sha256", "seqlab 0", "Holm"):
        assert text in page
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "evidence-report.png"))


def drawn(browser: Any, index: int) -> list[dict[str, Any]]:
    """The traces of the report's figure ``index`` as plotly drew them (``_fullData``: numpy
    arrays travel base64-encoded and are decoded there): name, x axis, and x values."""
    return browser.execute_script("""
        return document.getElementById(arguments[0])._fullData.map(
            t => ({name: t.name || '', xaxis: t.xaxis || 'x', x: Array.from(t.x || []),
                   mode: t.mode || ''}));
    """, f"figure-{index}")


def test_each_hypothesis_shows_its_claims_own_figure(
    swept: dict[str, Any], evidence_json: list[dict[str, Any]], browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get((swept["folder"] / "report.html").as_uri())
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(
        "return !!(document.getElementById('figure-4') || {}).data"))
    # C5, gradient_flow: ||dloss/dx_t|| against the distance to the output, one curve per
    # model and length (never averaged across lengths), from each run's gradient_flow.json
    flow = drawn(browser, 4)
    assert sorted(t["name"] for t in flow) == [
        "a: model=lstm task.length=4", "a: model=lstm task.length=8",
        "b: model=rnn task.length=4", "b: model=rnn task.length=8"]
    assert all(sorted(t["x"]) == list(range(int(t["name"][-1]))) for t in flow), flow
    section = browser.find_element(By.ID, "hypothesis-4").text
    assert "figure gradient_flow" in section and "distance to the output" in section
    # C3, cost_vs_length: three panels (parameters, step time, peak memory) against the length
    cost = drawn(browser, 2)
    assert {t["xaxis"] for t in cost} == {"x", "x2", "x3"}
    assert all(set(t["x"]) <= {4, 8} for t in cost)
    # C1 names no figure: its kind's (the metric against the length, the threshold)
    assert "figure " not in browser.find_element(By.ID, "hypothesis-3").text


def test_the_figures_are_written_as_png_files(
    swept: dict[str, Any], evidence_json: list[dict[str, Any]]
) -> None:
    from PIL import Image

    folder = swept["folder"] / "figures"
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["evidence-e2e-01-C6-compare.png", "evidence-e2e-02-C3-cost_vs_length.png",
                     "evidence-e2e-03-C1-horizon.png", "evidence-e2e-04-C5-gradient_flow.png"]
    for name in names:
        with Image.open(folder / name) as image:
            assert image.format == "PNG" and image.size[0] >= 1000
            colors = image.convert("RGB").getcolors(maxcolors=1 << 16)
            assert colors is None or len(colors) > 50, name  # drawn, not blank
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(folder / names[-1], ARTIFACTS / "evidence-gradient-flow.png")
    result = run_seqlab("evidence", str(swept["suite"]), "--figures", str(folder / names[0]),
                        env=swept["env"], cwd=swept["folder"])
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "--figures=" in result.stderr and "not a folder" in result.stderr


def test_every_sweep_run_carries_the_suite_it_ran(swept: dict[str, Any]) -> None:
    """What the dashboard needs to judge a user's own suite file: the suite on every run."""
    import yaml
    from mlflow import MlflowClient

    from seqlab.store import record
    from seqlab.sweep.suite import load_suite, recorded_suite, suite_from_mapping

    client = MlflowClient(swept["env"]["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name("evidence-e2e")
    runs = client.search_runs([experiment.experiment_id])
    suite = load_suite(swept["suite"])
    text, digest = recorded_suite(suite)
    assert len(runs) == 12
    for run in runs:
        assert run.data.tags[record.TAG_SUITE_HASH] == digest
    recorded = client.download_artifacts(runs[0].info.run_id, record.SUITE_ARTIFACT,
                                         str(swept["folder"]))
    assert Path(recorded).read_text() == text
    assert suite_from_mapping(yaml.safe_load(text), "recorded") == suite
