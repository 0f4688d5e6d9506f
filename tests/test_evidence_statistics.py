"""The evidence engine's statistics on synthetic runs whose truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from seqlab.evidence import evaluate_frame
from seqlab.evidence.estimate import Resampling
from seqlab.evidence.hypotheses import CompareHypothesis, HorizonHypothesis, TrendHypothesis
from seqlab.evidence.kinds import Kinds, collect_kinds
from seqlab.evidence.statistics import (
    holm_divisors,
    probability_of_improvement,
    resample,
    summarise,
)

FAST = Resampling(resamples=2000)


@pytest.fixture(scope="module")
def kinds() -> Kinds:
    return collect_kinds()


def runs(
    rng: np.random.Generator,
    means: dict[str, list[float]],
    seeds: int | dict[str, int] = 5,
    spread: float = 1.0,
) -> pd.DataFrame:
    """Runs of groups ``model=<name>``: ``means[name][s]`` is the true mean in stratum s."""
    rows = []
    for model, by_stratum in means.items():
        count = seeds if isinstance(seeds, int) else seeds[model]
        for stratum, mean in enumerate(by_stratum):
            for seed in range(count):
                rows.append({
                    "run_id": f"{model}-{stratum}-{seed}",
                    "params.model": model,
                    "params.task.length": str(10 * (stratum + 1)),
                    "params.seed": str(seed),
                    "metrics.val/mse": rng.normal(mean, spread),
                })
    return pd.DataFrame(rows)


LSTM_LOWER = CompareHypothesis(
    claim="C6", statement="lstm has the lower mse", metric="val/mse",
    a={"model": "lstm"}, b={"model": "rnn"}, better="lower",
)


def test_a_real_effect_is_supported(kinds: Kinds) -> None:
    frame = runs(np.random.default_rng(0), {"lstm": [0.0, 1.0], "rnn": [3.0, 4.0]})
    [row] = evaluate_frame(frame, [LSTM_LOWER], FAST, kinds).to_dict("records")
    assert row["verdict"] == "supported"
    assert row["ci_low"] < row["effect"] < row["ci_high"] < 0
    assert abs(row["effect"] + 3) < 1.5
    assert row["p_improvement"] > 0.9 and row["p_improvement_low"] <= row["p_improvement"]
    assert (row["n_a"], row["n_b"], row["strata"], row["strata_count"]) == (5, 5,
                                                                           ["task.length"], 2)
    assert len(row["run_ids"]) == 20 and "Holm" in row["method"]


def test_a_frame_as_the_dashboard_reads_it_gives_the_same_verdict(kinds: Kinds) -> None:
    """Params read as numbers, nulls as missing values, and runs not finished (left out)."""
    frame = runs(np.random.default_rng(0), {"lstm": [0.0, 1.0], "rnn": [3.0, 4.0]})
    frame["params.task.min_length"] = "null"
    frame["status"] = "FINISHED"
    as_read = frame.copy()
    for column in ("params.task.length", "params.seed"):
        as_read[column] = pd.to_numeric(as_read[column])
    as_read["params.task.min_length"] = None
    running = {**as_read.iloc[0].to_dict(), "run_id": "live", "status": "RUNNING",
               "metrics.val/mse": 1e6, "params.seed": 99}
    as_read = pd.concat([as_read, pd.DataFrame([running])], ignore_index=True)
    hypothesis = LSTM_LOWER.model_copy(update={"where": {"task.min_length": None}})
    expected = evaluate_frame(frame, [hypothesis], FAST, kinds)
    got = evaluate_frame(as_read, [hypothesis], FAST, kinds)
    assert got["verdict"].tolist() == expected["verdict"].tolist() == ["supported"]
    assert got["effect"].tolist() == pytest.approx(expected["effect"].tolist())
    assert "live" not in got["run_ids"][0]


def test_a_reversed_effect_is_contradicted(kinds: Kinds) -> None:
    frame = runs(np.random.default_rng(1), {"lstm": [3.0, 4.0], "rnn": [0.0, 1.0]})
    [row] = evaluate_frame(frame, [LSTM_LOWER], FAST, kinds).to_dict("records")
    assert row["verdict"] == "contradicted" and 0 < row["ci_low"]
    assert row["p_improvement"] < 0.1


def test_no_effect_gives_false_positives_near_the_stated_level(kinds: Kinds) -> None:
    """Over many synthetic stores without any effect, a verdict other than inconclusive comes
    about as often as the 5 % level says (a two-sided error: supported or contradicted)."""
    rng = np.random.default_rng(2)
    draws = 200
    decided = 0
    for draw in range(draws):
        frame = runs(rng, {"lstm": [0.0, 5.0], "rnn": [0.0, 5.0]}, seeds=4)
        [row] = evaluate_frame(frame, [LSTM_LOWER], Resampling(400, seed=draw),
                               kinds).to_dict("records")
        decided += row["verdict"] != "inconclusive"
    rate = decided / draws
    assert 0.01 <= rate <= 0.085, rate


def test_strata_are_pooled_as_strata_not_as_seeds(kinds: Kinds) -> None:
    """Strata far apart (lengths whose metrics differ by 1000) do not blur a small, steady
    difference; with unequal seeds per stratum the effect is the mean of per-stratum
    differences, not a difference of pooled means."""
    rng = np.random.default_rng(3)
    frame = runs(rng, {"lstm": [0.0, 1000.0], "rnn": [1.0, 1001.0]},
                 seeds={"lstm": 3, "rnn": 8}, spread=0.1)
    frame = frame.drop(frame.index[(frame["params.model"] == "rnn")
                                   & (frame["params.task.length"] == "10")
                                   & (frame["params.seed"].astype(int) >= 3)])
    [row] = evaluate_frame(frame, [LSTM_LOWER], FAST, kinds).to_dict("records")
    values = frame.groupby(["params.model", "params.task.length"])["metrics.val/mse"].mean()
    expected = np.mean([values["lstm", length] - values["rnn", length] for length in ("10", "20")])
    assert row["effect"] == pytest.approx(expected)
    assert row["verdict"] == "supported" and (row["n_a"], row["n_b"]) == (3, 3)


def test_fewer_than_three_seeds_is_inconclusive_with_the_reason(kinds: Kinds) -> None:
    frame = runs(np.random.default_rng(4), {"lstm": [0.0], "rnn": [100.0]},
                 seeds={"lstm": 2, "rnn": 5})
    [row] = evaluate_frame(frame, [LSTM_LOWER], FAST, kinds).to_dict("records")
    assert row["verdict"] == "inconclusive"
    assert row["reason"] == "group a has 2 seeds (at least 3 needed)"


def test_below_three_seeds_the_point_estimate_stands_without_an_interval(kinds: Kinds) -> None:
    from seqlab.evidence.console import effect_text
    from seqlab.evidence.report import verdict_records

    frame = runs(np.random.default_rng(5), {"lstm": [1.0, 2.0], "rnn": [10.0, 14.0]},
                 seeds=2, spread=0.1)
    trend = TrendHypothesis(claim="C4", statement="rnn mse grows", metric="val/mse",
                            along="task.length", a={"model": "rnn"}, expect="grows")
    horizon = HorizonHypothesis(claim="C1", statement="lstm stays below 5 longer",
                                metric="val/mse", along="task.length", a={"model": "lstm"},
                                b={"model": "rnn"}, threshold=5.0, better="lower")
    compare, slope, reach = verdict_records(
        evaluate_frame(frame, [LSTM_LOWER, trend, horizon], FAST, kinds)
    )
    cells = frame.groupby(["params.model", "params.task.length"])["metrics.val/mse"]
    means = cells.mean()
    logs = cells.apply(lambda values: np.log(values).mean())["rnn"].to_numpy()
    assert compare["effect"] == pytest.approx((means["lstm"] - means["rnn"]).mean())
    assert slope["effect"] == pytest.approx((logs[1] - logs[0]) / np.log(2))
    assert reach["effect"] == 20.0
    for row in (compare, slope, reach):
        assert row["verdict"] == "inconclusive" and row["ci_low"] is None
        assert "2 seeds" in row["reason"] and row["effect_measure"]
        assert effect_text(row) == f"{row['effect']:.4g} (n < 3: no interval)"


def test_a_param_varying_besides_the_seed_is_a_reason_not_extra_seeds(kinds: Kinds) -> None:
    frame = runs(np.random.default_rng(5), {"lstm": [0.0, 0.0], "rnn": [3.0, 3.0]})
    explicit = LSTM_LOWER.model_copy(update={"within": []})
    [row] = evaluate_frame(frame, [explicit], FAST, kinds).to_dict("records")
    assert row["verdict"] == "inconclusive"
    assert "differ in task.length besides the seed" in row["reason"]


def test_a_fixed_value_minimal_effect_and_iqm(kinds: Kinds) -> None:
    frame = runs(np.random.default_rng(6), {"lstm": [5.0, 5.0]}, spread=0.2)
    above = CompareHypothesis(claim="C2", statement="above chance", metric="val/mse",
                              a={"model": "lstm"}, than=4.0, better="higher", statistic="iqm")
    far = above.model_copy(update={"min_effect": 3.0})
    rows = evaluate_frame(frame, [above, far], FAST, kinds).to_dict("records")
    assert rows[0]["verdict"] == "supported" and rows[0]["effect"] == pytest.approx(1, abs=0.3)
    assert rows[0]["n_b"] is pd.NA or rows[0]["n_b"] is None
    assert rows[1]["verdict"] == "inconclusive"  # 1 is not beyond a minimal effect of 3


def test_an_inconclusive_estimate_says_how_many_seeds_would_settle_it(kinds: Kinds) -> None:
    frame = runs(np.random.default_rng(7), {"lstm": [0.0], "rnn": [1.0]}, seeds=3)
    [row] = evaluate_frame(frame, [LSTM_LOWER], FAST, kinds).to_dict("records")
    assert row["verdict"] == "inconclusive"
    assert row["seeds_needed"] > 3 and f"about {row['seeds_needed']} seeds" in row["reason"]


def test_holm_tests_hypotheses_in_order_of_p_at_shrinking_levels(kinds: Kinds) -> None:
    assert holm_divisors([0.04, 0.001, 0.5]).tolist() == [2, 3, 1]
    frame = runs(np.random.default_rng(13), {"lstm": [0.0], "rnn": [3.0], "gru": [0.0]})
    strong = LSTM_LOWER
    none = LSTM_LOWER.model_copy(update={"b": {"model": "gru"}})
    rows = evaluate_frame(frame, [none, strong], FAST, kinds).to_dict("records")
    assert [r["verdict"] for r in rows] == ["inconclusive", "supported"]
    assert rows[1]["ci_level"] == pytest.approx(1 - 0.05 / 2)
    assert rows[0]["ci_level"] == pytest.approx(0.95)
    assert "over 2 tested hypotheses" in rows[0]["method"]


def test_probability_of_improvement_is_scipys_mann_whitney_u() -> None:
    rng = np.random.default_rng(9)
    for _ in range(20):
        a, b = rng.integers(0, 4, size=5).astype(float), rng.integers(0, 4, size=7).astype(float)
        counts_a, counts_b = resample(5, 3, rng), resample(7, 3, rng)
        for higher in (True, False):
            first, second = (a, b) if higher else (b, a)
            expected = stats.mannwhitneyu(first, second).statistic / 35
            assert probability_of_improvement(a, b, higher)[0] == pytest.approx(expected)
            drawn = probability_of_improvement(a, b, higher, counts_a, counts_b)
            for row in range(3):
                first = np.repeat(a, counts_a[row].astype(int))
                second = np.repeat(b, counts_b[row].astype(int))
                if not higher:
                    first, second = second, first
                assert drawn[row] == pytest.approx(
                    stats.mannwhitneyu(first, second).statistic / 35
                )


@pytest.mark.parametrize("size", [3, 4, 5, 8, 13])
def test_iqm_of_resample_counts_is_scipys_trimmed_mean(size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.normal(size=size)
    counts = resample(size, 50, rng)
    assert summarise(values, "iqm")[0] == pytest.approx(stats.trim_mean(values, 0.25))
    expected = [stats.trim_mean(np.repeat(values, row.astype(int)), 0.25) for row in counts]
    assert summarise(values, "iqm", counts) == pytest.approx(expected)
    assert summarise(values, "mean", counts) == pytest.approx(
        [np.repeat(values, row.astype(int)).mean() for row in counts]
    )


def slope_runs(rng: np.random.Generator, exponents: dict[str, float]) -> pd.DataFrame:
    """Runs whose metric is length ** exponent with 5 % noise, 4 seeds at 4 lengths."""
    return pd.DataFrame([
        {"run_id": f"{model}-{length}-{seed}", "params.model": model,
         "params.task.length": str(length), "params.seed": str(seed),
         "metrics.eff/step_time_s": length**exponent * np.exp(rng.normal(0, 0.05))}
        for model, exponent in exponents.items()
        for length in (50, 100, 200, 400)
        for seed in range(4)
    ])


def test_trend_measures_log_log_slopes(kinds: Kinds) -> None:
    frame = slope_runs(np.random.default_rng(10), {"lstm": 1.0, "tcn": 0.0})
    grows = TrendHypothesis(claim="C3", statement="grows", metric="eff/step_time_s",
                            along="task.length", a={"model": "lstm"}, expect="grows")
    flat = grows.model_copy(update={"a": {"model": "tcn"}, "expect": "flat", "tolerance": 0.1})
    steeper = grows.model_copy(update={"b": {"model": "tcn"}, "tolerance": 0.5})
    shrinks = grows.model_copy(update={"expect": "shrinks"})
    rows = evaluate_frame(frame, [grows, flat, steeper, shrinks], FAST, kinds).to_dict("records")
    assert [r["verdict"] for r in rows] == ["supported", "supported", "supported", "contradicted"]
    assert rows[0]["effect"] == pytest.approx(1.0, abs=0.05)
    assert rows[1]["effect"] == pytest.approx(0.0, abs=0.05)
    assert rows[2]["secondary"]["slope_b"]["value"] == pytest.approx(0.0, abs=0.05)


def test_horizon_finds_how_far_each_group_passes(kinds: Kinds) -> None:
    rng = np.random.default_rng(11)
    reach = {"lstm": 64, "window": 8}
    frame = pd.DataFrame([
        {"run_id": f"{model}-{length}-{seed}", "params.model": model,
         "params.task.length": str(length), "params.seed": str(seed),
         "metrics.ltd/normalized_score": (0.9 if length <= reach[model] else 0.0)
         + rng.normal(0, 0.05)}
        for model in reach for length in (4, 8, 16, 32, 64, 128) for seed in range(3)
    ])
    further = HorizonHypothesis(claim="C1", statement="further", metric="ltd/normalized_score",
                                along="task.length", a={"model": "lstm"},
                                b={"model": "window"}, threshold=0.5, better="higher")
    [row] = evaluate_frame(frame, [further], FAST, kinds).to_dict("records")
    assert row["verdict"] == "supported" and row["effect"] == 56
    assert row["secondary"]["horizon_a"]["value"] == 64


def test_within_nothing_pools_a_group_whose_size_follows_the_length(kinds: Kinds) -> None:
    """The cost suite's tcn: its depth follows the length (matched parameters), so each length
    is its own stratum unless ``within: []`` makes the group one; a param that varies inside
    one length's cell is still refused."""
    frame = slope_runs(np.random.default_rng(12), {"lstm": 1.0, "tcn": 0.0})
    frame["params.model.num_layers"] = frame["params.task.length"]
    steeper = TrendHypothesis(claim="C12", statement="steeper", metric="eff/step_time_s",
                              along="task.length", a={"model": "lstm"}, b={"model": "tcn"},
                              expect="grows")
    pooled = steeper.model_copy(update={"within": []})
    rows = evaluate_frame(frame, [steeper, pooled], FAST, kinds).to_dict("records")
    assert rows[0]["verdict"] == "inconclusive" and "a slope needs two" in rows[0]["reason"]
    assert rows[1]["verdict"] == "supported"
    assert rows[1]["effect"] == pytest.approx(1.0, abs=0.05)
    frame.loc[frame.index[::2], "params.model.num_layers"] = "7"
    [mixed] = evaluate_frame(frame, [pooled], FAST, kinds).to_dict("records")
    assert mixed["verdict"] == "inconclusive"
    assert "differ in model.num_layers besides the seed" in mixed["reason"]
