"""Suite files: expansion (grid, zip, include, exclude, sizes), validation, the built-in suites."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import run_seqlab
from seqlab.evidence.report import load_hypotheses
from seqlab.evidence.selection import select
from seqlab.registry.components import build_registry
from seqlab.sweep.builtin import builtin_suites, resolve_suite
from seqlab.sweep.suite import Suite, SuiteError, combinations, expand, load_suite

SUITES = list(builtin_suites().values())


def write_suite(folder: Path, data: dict) -> Path:
    path = folder / f"{data.get('name', 'suite')}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_grid_is_the_cartesian_product_over_base() -> None:
    suite = Suite(
        name="s",
        base={"task": "adding", "trainer": {"max_steps": 5}},
        grid={"model": ["lstm", "gru"], "task.length": [10, 20, 30]},
    )
    rows = combinations(suite.sized(None))
    assert len(rows) == 6
    assert rows[0] == {"task": "adding", "trainer.max_steps": 5, "model": "lstm", "task.length": 10}
    assert {(row["model"], row["task.length"]) for row in rows} == {
        (m, n) for m in ("lstm", "gru") for n in (10, 20, 30)
    }


def test_zip_groups_advance_together_and_cross_the_grid() -> None:
    suite = Suite(
        name="s",
        grid={"seed": [0, 1]},
        zip=[{"strategy.k1": [5, 10], "strategy.k2": [10, 20]}],
    )
    rows = combinations(suite.sized(None))
    assert [(r["seed"], r["strategy.k1"], r["strategy.k2"]) for r in rows] == [
        (0, 5, 10), (0, 10, 20), (1, 5, 10), (1, 10, 20)
    ]


def test_include_adds_crossed_entries_and_exclude_drops_matches() -> None:
    suite = Suite(
        name="s",
        base={"strategy": "bptt"},
        grid={"model": ["rnn", "lstm"], "task.length": [10, 100]},
        include=[{"model": "window", "task.length": [10, 100]}],
        exclude=[{"model": ["rnn", "window"], "task.length": 100}, {"strategy": "tbptt"}],
    )
    rows = combinations(suite.sized(None))
    assert [(r["model"], r["task.length"]) for r in rows] == [
        ("rnn", 10), ("lstm", 10), ("lstm", 100), ("window", 10)
    ]
    assert all(row["strategy"] == "bptt" for row in rows)


def test_without_grid_a_suite_is_its_includes_or_its_base() -> None:
    assert combinations(Suite(name="s", base={"seed": 3}).sized(None)) == [{"seed": 3}]
    only = Suite(name="s", base={"seed": 3}, include=[{"model": "lstm"}])
    assert combinations(only.sized(None)) == [{"seed": 3, "model": "lstm"}]


def test_sizes_merge_base_and_grid_and_replace_lists(tmp_path: Path) -> None:
    path = write_suite(tmp_path, {
        "name": "sized",
        "base": {"trainer.max_steps": 1000, "task.length": 50},
        "grid": {"model": ["lstm"], "seed": [0, 1, 2]},
        "exclude": [{"seed": 2}],
        "sizes": {"quick": {"base": {"trainer.max_steps": 10}, "grid": {"seed": [0]}},
                  "full": {"exclude": []}},
    })
    suite = load_suite(path)
    quick = combinations(suite.sized(None))
    assert quick == [{"trainer.max_steps": 10, "task.length": 50, "model": "lstm", "seed": 0}]
    assert [row["seed"] for row in combinations(suite.sized("full"))] == [0, 1, 2]
    with pytest.raises(SuiteError, match="no such size .known: full, quick"):
        suite.sized("huge")


def test_expansion_validates_each_run_and_keeps_the_reasons() -> None:
    suite = Suite(
        name="s",
        base={"task": "adding", "task.length": 8},
        grid={"model": ["lstm", "no-such-model"], "model.hidden_size": [8, 0]},
        include=[{"model": "lstm", "model.hidden_size": 8}],
    )
    plan = expand(suite, build_registry())
    assert [run.label for run in plan.runs][:2] == [
        "model=lstm model.hidden_size=8", "model=lstm model.hidden_size=0"
    ]
    valid, too_small, unknown, unknown_too, duplicate = plan.runs
    assert valid.spec is not None and valid.skip_reason is None
    assert too_small.skip_reason.startswith("invalid: model.hidden_size=0")
    assert "unknown model 'no-such-model'" in unknown.skip_reason
    assert unknown_too.spec is None
    assert duplicate.skip_reason == "duplicate of run 1"
    assert plan.runnable == [valid]


def test_cli_dry_run_lists_runs_and_their_reasons(tmp_path: Path) -> None:
    path = write_suite(tmp_path, {
        "name": "dry", "base": {"task.length": 8}, "grid": {"model": ["lstm", "nope"]}
    })
    listed = run_seqlab("sweep", str(path), "--dry-run", cwd=tmp_path, env={"COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    assert "1 to run, 1 skipped" in listed.stdout
    assert "estimated time: " in listed.stdout
    assert "unknown model 'nope'" in listed.stdout
    assert not (tmp_path / "mlruns").exists()  # a dry run touches no store


def test_there_are_built_in_suites() -> None:
    names = {path.stem for path in SUITES}
    assert {"demo"} <= names
    assert len(SUITES) >= 10
    assert all(load_suite(path).name == path.stem for path in SUITES)  # the name runs it


def test_sweep_takes_a_built_in_name_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    listed = run_seqlab("sweep", "demo", "--dry-run", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "sweep demo: 12 combinations" in listed.stdout
    unknown = run_seqlab("sweep", "archtectures", "--dry-run", cwd=tmp_path)
    assert unknown.returncode == 2
    assert unknown.stderr == (
        "error: suite 'archtectures': no such file and no built-in suite of that name "
        f"(built-in: {', '.join(builtin_suites())})\n"
    )


def test_a_file_wins_over_a_built_in_name(tmp_path: Path) -> None:
    write_suite(tmp_path, {"name": "demo", "base": {"model": "gru", "task": "adding"}})
    listed = run_seqlab("sweep", "demo.yaml", "--dry-run", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "sweep demo: 1 combinations" in listed.stdout


def test_suites_lists_claims_sizes_runs_and_time() -> None:
    listed = run_seqlab("suites", "--json", "--workers", "2")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert list(rows) == list(builtin_suites())
    registry = build_registry()
    for name, path in builtin_suites().items():
        suite = load_suite(path)
        assert rows[name]["claims"] == suite.claims
        for size, figures in rows[name]["sizes"].items():
            plan = expand(suite, registry, None if size == "-" else size)
            assert figures["runs"] == len(plan.runnable)
            assert figures["estimated_seconds"] > 0
    assert rows["demo"]["sizes"]["-"]["runs"] == 12
    assert set(rows["gates"]["sizes"]) == {"quick", "evidence", "full"}
    table = run_seqlab("suites")
    assert table.returncode == 0, table.stderr
    assert "architectures" in table.stdout and "C11" in table.stdout
    assert "The forget gate is critical" in table.stdout


@pytest.mark.parametrize("path", SUITES, ids=[path.stem for path in SUITES])
def test_built_in_suite_quick_size_expands_and_validates(path: Path) -> None:
    suite = load_suite(path)
    plan = expand(suite, build_registry(), "quick" if suite.sizes else None)
    invalid = [f"#{run.index} {run.label}: {run.skip_reason}" for run in plan.runs
               if run.skip_reason and run.skip_reason.startswith("invalid")]
    assert not invalid, "\n".join(invalid)
    assert plan.runnable
    if suite.sizes:
        assert set(suite.sizes) == {"quick", "evidence", "full"}
        full = expand(suite, build_registry(), "full")
        assert len(full.runnable) >= len(plan.runnable)


EVIDENCE_SUITES = [path for path in SUITES if "evidence" in load_suite(path).sizes]


@pytest.mark.parametrize("path", EVIDENCE_SUITES, ids=[path.stem for path in EVIDENCE_SUITES])
def test_evidence_size_gives_every_compared_group_five_seeds(path: Path) -> None:
    """Each hypothesis finds its groups among the evidence size's runs, with at least five
    seeds in every group and stratum (the runs' params as the store records them)."""
    suite = load_suite(path)
    plan = expand(suite, build_registry(), "evidence")
    invalid = [f"{run.label}: {run.skip_reason}" for run in plan.runs if run.skip_reason]
    assert not invalid, "\n".join(invalid)
    hypotheses = load_hypotheses(suite)
    frame = pd.DataFrame([
        {"run_id": str(run.index),
         **{f"params.{key}": "null" if value is None else str(value)
            for key, value in run.spec.flat().items()},  # type: ignore[union-attr]
         **{f"metrics.{h.metric}": 1.0 for h in hypotheses}}
        for run in plan.runnable
    ])
    for hypothesis in hypotheses:
        along = getattr(hypothesis, "along", None)
        selection = select(frame, hypothesis, exclude=[along] if along else [])
        assert selection.reason is None, f"{hypothesis.statement}: {selection.reason}"
        for group in selection.groups:
            keys = [along] if along else []
            for stratum, cell in selection.cells(group, "run_id", *keys).items():
                assert len(cell.run_ids) >= 5, (hypothesis.statement, group, stratum)


def test_gates_evidence_tests_the_forget_gate_on_a_continual_stream() -> None:
    """C11's confound: on adding the state starts afresh each sequence and nothing must be
    forgotten. The evidence size reads the lm stream, sentence after sentence, its state
    carried across tbptt chunks, with the learning rate swept for every variant (Greff 2017)."""
    plan = expand(load_suite(resolve_suite("gates")), build_registry(), "evidence")
    rates: dict[str, set[float]] = {}
    for run in plan.runnable:
        flat = run.spec.flat()  # type: ignore[union-attr]
        assert (flat["task"], flat["strategy"]) == ("lm", "tbptt")
        assert flat["task.length"] >= 4 * flat["strategy.k1"]  # the state crosses chunks
        assert flat["task.length"] >= 100  # many sentences (each 6 to about 20 symbols)
        if flat["model.forget_bias"] is None:
            rates.setdefault(flat["model.variant"], set()).add(flat["trainer.lr"])
    assert {"full", "no_forget_gate", "no_output_activation"} <= set(rates)
    assert all(len(swept) >= 2 for swept in rates.values())


def test_tbptt_evidence_brackets_k2_with_delays_and_spans_lengths_for_memory() -> None:
    """C8's confound: a horizon needs delays on both sides of k2 that full BPTT itself can
    learn (copy with one symbol, recalled T + 1 steps after it was seen), both strategies
    trained on the same sequences, and memory and time measured over several lengths, not one."""
    plan = expand(load_suite(resolve_suite("tbptt")), build_registry(), "evidence")
    delays: dict[str, set[int]] = {}
    long: dict[str, set[int]] = {}
    for run in plan.runnable:
        flat = run.spec.flat()  # type: ignore[union-attr]
        assert (flat["task"], flat["task.symbols"], flat["trainer.budget"]) == (
            "copy", 1, "sequences")
        name = "bptt" if flat["strategy"] == "bptt" else f"k2={flat['strategy.k2']}"
        side = long if flat["trainer.max_steps"] < 100 else delays
        side.setdefault(name, set()).add(flat["task.length"])
    assert delays["bptt"] == delays["k2=10"]
    assert min(delays["k2=10"]) + 1 < 10 < max(delays["k2=10"]) + 1  # recall inside and past k2
    assert long["bptt"] == long["k2=10"] and len(long["bptt"]) >= 3 and min(long["bptt"]) > 100
