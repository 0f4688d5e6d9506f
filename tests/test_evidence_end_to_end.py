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
         "metric": "eff/parameters", "along": "task.length", "a": {"model": "lstm"},
         "expect": "flat", "tolerance": 0.01},
        {"claim": "C1", "statement": "The LSTM half-solves longer lengths than the RNN.",
         "kind": "horizon", "metric": "ltd/normalized_score", "along": "task.length",
         "a": {"model": "lstm"}, "b": {"model": "rnn"}, "threshold": 0.5, "better": "higher"},
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
    """``seqlab evidence --json --html report.html`` on the sweep, parsed."""
    html = swept["folder"] / "report.html"
    result = run_seqlab("evidence", str(swept["suite"]), "--json", "--html", str(html),
                        env=swept["env"], cwd=swept["folder"])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_json_has_a_verdict_per_hypothesis_with_its_numbers(
    swept: dict[str, Any], evidence_json: list[dict[str, Any]]
) -> None:
    from mlflow import MlflowClient

    assert [row["claim"] for row in evidence_json] == ["C6", "C3", "C1"]
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
    compare, trend, horizon = evidence_json
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
    for text in ("C6", "C3", "C1", "Holm", "12 finished runs", evidence_json[1]["verdict"]):
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
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")) >= 3
    )
    assert browser.execute_script("return typeof window.Plotly") == "object"
    assert browser.execute_script("return window.injected === undefined")
    sections = browser.find_elements(By.CSS_SELECTOR, "section")
    assert len(sections) == 3
    assert HOSTILE in sections[0].text  # shown as typed, not run or rendered
    badges = [badge.text for badge in browser.find_elements(By.CSS_SELECTOR, ".badge")]
    assert badges == [row["verdict"] for row in evidence_json]
    page = browser.find_element(By.TAG_NAME, "body").text
    for text in ("seqlab sweep", "seqlab evidence", "sha256", "seqlab 0", "Holm"):
        assert text in page
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "evidence-report.png"))
