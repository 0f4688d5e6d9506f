"""The evidence: vocabulary: one-line errors, the built-in suites' hypotheses, plugin kinds."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import registered_plugin, run_seqlab

from seqlab import hookimpl
from seqlab.evidence import evaluate_frame
from seqlab.evidence.estimate import Estimate, Region, Resampling
from seqlab.evidence.hypotheses import EvidenceError, Hypothesis, parse_hypotheses
from seqlab.evidence.kinds import collect_kinds
from seqlab.evidence.report import load_hypotheses
from seqlab.sweep.suite import load_suite
from seqlab.sweep.builtin import builtin_suites

SUITES = list(builtin_suites().values())
GOOD = {"claim": "C6", "statement": "lstm beats rnn", "kind": "compare", "metric": "val/mse",
        "a": {"model": "lstm"}, "b": {"model": "rnn"}, "better": "lower"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"kind": "comapre"}, "evidence[0] (C6): kind='comapre': unknown kind "
                              "(known: compare, horizon, trend)"),
        ({"better": "smaller"}, "evidence[0] (C6): better='smaller': Input should be 'lower' "
                                "or 'higher'"),
        ({"stat": "iqm"}, "evidence[0] (C6): unknown key stat; did you mean 'statistic'? "
                          "(allowed: a, b, better, claim, figure, kind, metric, min_effect, "
                          "statement, statistic, than, where, within)"),
        ({"figure": "gradient"}, "evidence[0] (C6): figure='gradient': unknown figure (known: "
                                 "gradient_flow, score_vs_length, cost_vs_length, tbptt_horizon, "
                                 "context_split, gate_variants, lr_sensitivity, "
                                 "position_accuracy, side_by_side)"),
        ({"metric": None}, "evidence[0] (C6): metric=None: Input should be a valid string"),
        ({"than": 0.5}, "evidence[0] (C6): give exactly one of b (a group) and than (a value)"),
        ({"min_effect": -1}, "evidence[0] (C6): min_effect=-1: Input should be greater than or "
                             "equal to 0"),
        ({"kind": "trend", "along": "task.length", "expect": "flat", "tolerance": 0.1,
          "b": None}, "evidence[0] (C6): unknown key better (allowed: a, along, b, claim, "
                      "expect, figure, kind, metric, statement, tolerance, where, within)"),
    ],
)
def test_a_malformed_hypothesis_is_one_line_naming_it_the_key_and_what_is_allowed(
    change: dict[str, Any], expected: str
) -> None:
    entry = {key: value for key, value in {**GOOD, **change}.items()
             if value is not None or key == "metric"}
    kinds = collect_kinds().models()
    with pytest.raises(EvidenceError) as caught:
        parse_hypotheses([entry], kinds)
    message = str(caught.value)
    assert "\n" not in message and expected in message, message


def test_a_flat_trend_needs_a_tolerance_and_a_missing_key_is_named() -> None:
    kinds = collect_kinds().models()
    flat = {"claim": "C3", "statement": "flat", "kind": "trend", "metric": "eff/parameters",
            "along": "task.length", "a": {"model": "lstm"}, "expect": "flat"}
    with pytest.raises(EvidenceError, match=r"expect=flat needs a tolerance > 0"):
        parse_hypotheses([flat], kinds)
    with pytest.raises(EvidenceError, match=r"^evidence\[1\] \(C3\): along: missing \(required\)"):
        parse_hypotheses([{**flat, "tolerance": 0.1},
                          {key: value for key, value in flat.items() if key != "along"}], kinds)


def test_the_cli_refuses_a_malformed_evidence_section_with_exit_2(tmp_path: Path) -> None:
    suite = tmp_path / "bad.yaml"
    suite.write_text(yaml.safe_dump({"name": "bad", "base": {"model": "lstm"},
                                     "evidence": [{**GOOD, "better": "smaller"}]}))
    result = run_seqlab("evidence", str(suite), cwd=tmp_path)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line == (f"error: {suite}: evidence[0] (C6): better='smaller': Input should be "
                    "'lower' or 'higher'")
    assert not (tmp_path / "mlruns").exists()


def test_the_cli_says_clearly_when_the_store_has_no_runs_of_the_suite(
    store: str, tmp_path: Path
) -> None:
    suite = tmp_path / "unrun.yaml"
    suite.write_text(yaml.safe_dump({"name": "unrun", "base": {"model": "lstm"},
                                     "evidence": [GOOD]}))
    result = run_seqlab("evidence", str(suite), cwd=tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line == (f"error: no experiment 'unrun' in {store}: "
                    f"run `seqlab sweep {suite}` first")
    built_in = run_seqlab("evidence", "gradients", "--size", "evidence", cwd=tmp_path)
    assert built_in.returncode == 1  # a built-in suite is suggested by its name, at its size
    assert built_in.stderr.strip().endswith("run `seqlab sweep gradients --size evidence` first")


def test_a_store_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    suite = tmp_path / "away.yaml"
    suite.write_text(yaml.safe_dump({"name": "away", "base": {"model": "lstm"},
                                     "evidence": [GOOD]}))
    env = {"MLFLOW_TRACKING_URI": "http://127.0.0.1:9", "SEQLAB_STORE_TIMEOUT": "6"}
    result = run_seqlab("evidence", str(suite), cwd=tmp_path, env=env)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: the store http://127.0.0.1:9 did not answer: ")


def test_the_notebook_api_imports_light_and_survives_its_submodules() -> None:
    import importlib
    import pkgutil
    import subprocess

    import seqlab.evidence

    heavy = ["numpy", "scipy", "pandas", "mlflow", "torch", "plotly"]
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, seqlab.evidence; "
         f"print([m for m in {heavy!r} if m in sys.modules])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert loaded == "[]"
    for module in pkgutil.iter_modules(seqlab.evidence.__path__):
        importlib.import_module(f"seqlab.evidence.{module.name}")
    assert callable(seqlab.evidence.evaluate) and callable(seqlab.evidence.evaluate_frame)


def test_seqlab_plugins_lists_the_hypothesis_kinds() -> None:
    rows = json.loads(run_seqlab("plugins", "--json").stdout)
    kinds = {row["name"]: row for row in rows if row["component"] == "hypothesis kind"}
    assert set(kinds) >= {"compare", "trend", "horizon"}
    assert kinds["trend"]["plugin"] == "seqlab.evidence.trend" and kinds["trend"]["builtin"]
    assert kinds["compare"]["status"] == "ok" and kinds["compare"]["summary"]


def test_seqlab_sweep_accepts_and_ignores_the_evidence_section(tmp_path: Path) -> None:
    suite = tmp_path / "with-evidence.yaml"
    suite.write_text(yaml.safe_dump({"name": "with-evidence", "base": {"model": "lstm"},
                                     "grid": {"seed": [0, 1]}, "evidence": [GOOD]}))
    listed = run_seqlab("sweep", str(suite), "--dry-run", cwd=tmp_path, env={"COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    assert "seed=0" in listed.stdout and "seed=1" in listed.stdout


@pytest.mark.parametrize("path", SUITES, ids=[p.stem for p in SUITES])
def test_every_built_in_suite_declares_valid_hypotheses(path: Path) -> None:
    suite = load_suite(path)
    hypotheses = load_hypotheses(suite)
    assert hypotheses, f"{path.name} has no evidence: section"
    assert {h.claim for h in hypotheses} <= set(suite.claims)


def test_every_claim_c1_to_c12_has_a_hypothesis() -> None:
    claims = {h.claim for path in SUITES for h in load_hypotheses(load_suite(path))}
    assert claims >= {f"C{i}" for i in range(1, 13)}
    table = (Path(__file__).parents[1] / "docs" / "evidence.md").read_text()
    for path in SUITES:
        assert f"| `{path.stem}` |" in table


class SignHypothesis(Hypothesis):
    """The metric's median is above zero (a kind a plugin adds)."""

    kind: Literal["sign"] = "sign"


def estimate_sign(hypothesis: SignHypothesis, runs: pd.DataFrame,
                  resampling: Resampling) -> Estimate:
    values = runs[f"metrics.{hypothesis.metric}"].to_numpy(dtype=float)
    rng = np.random.default_rng(resampling.seed)
    draws = np.median(values[rng.integers(0, len(values), (resampling.resamples, len(values)))],
                      axis=1)
    from seqlab.evidence.statistics import Expansion

    return Estimate(effect=float(np.median(values)), draws=draws, supported=Region(low=0.0),
                    contradicted=(Region(high=0.0),), expansion=Expansion(),
                    n={"a": len(values)}, run_ids=list(runs["run_id"]))


def test_a_plugin_adds_a_kind_through_the_hook_and_a_clash_is_refused() -> None:
    plugin = types.ModuleType("sign_kind_plugin")

    @hookimpl
    def register_hypothesis_kinds(register: Any) -> None:
        register("sign", SignHypothesis, estimate_sign, lambda hypothesis, runs: None)

    plugin.register_hypothesis_kinds = register_hypothesis_kinds  # type: ignore[attr-defined]
    sys.modules[plugin.__name__] = plugin
    with registered_plugin(plugin):
        kinds = collect_kinds()
        assert kinds.by_name["sign"].plugin == "sign_kind_plugin"
        [hypothesis] = load_hypotheses(load_suite_text(
            {"claim": "X1", "statement": "positive", "kind": "sign", "metric": "m"}), kinds)
        frame = pd.DataFrame({"run_id": [f"r{i}" for i in range(9)],
                              "metrics.m": np.linspace(1, 2, 9)})
        [row] = evaluate_frame(frame, [hypothesis], Resampling(1000), kinds).to_dict("records")
        assert row["verdict"] == "supported" and row["kind"] == "sign"
        clash = types.ModuleType("compare_clash_plugin")

        @hookimpl
        def register_hypothesis_kinds(register: Any) -> None:  # noqa: F811
            register("compare", SignHypothesis, estimate_sign, lambda hypothesis, runs: None)

        clash.register_hypothesis_kinds = register_hypothesis_kinds  # type: ignore[attr-defined]
        with registered_plugin(clash):
            kinds = collect_kinds()
            assert "compare" not in kinds.by_name
            assert ("seqlab.evidence.compare and compare_clash_plugin",
                    "kind 'compare' is registered by both seqlab.evidence.compare and "
                    "compare_clash_plugin") in kinds.problems


def load_suite_text(*entries: dict[str, Any]) -> Any:
    """A suite object holding ``entries`` as its evidence section."""
    from seqlab.sweep.suite import Suite

    return Suite(name="inline", evidence=list(entries))
