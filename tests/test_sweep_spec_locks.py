"""A spec is trained once however many sweeps reach it at a time; fresh stores open safely."""

from __future__ import annotations

import io
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from conftest import SEQLAB, TINY_RUN
from seqlab.registry.components import build_registry
from seqlab.store import record
from seqlab.store.locks import lock_dir
from seqlab.sweep.spec_locks import lock_spec
from seqlab.sweep.launch import run_sweep
from seqlab.sweep.suite import Suite, expand
from test_sweep_local import runs_of

TINY_BASE = dict(item.split("=", 1) for item in TINY_RUN)


@pytest.mark.fault
def test_a_spec_locked_by_another_process_is_skipped_and_said(store: str) -> None:
    plan = expand(Suite(name="claimed", base=TINY_BASE, grid={"seed": [0, 1]}), build_registry())
    busy = plan.runnable[0].spec.spec_hash()
    output = io.StringIO()
    with lock_spec(lock_dir(store), "claimed", busy) as mine:
        assert mine
        report = run_sweep(plan, workers=1, console=Console(file=output, width=200))
    assert report.exit_code == 0
    assert Counter(result.status for result in report.results) == {"FINISHED": 1, "SKIPPED": 1}
    skipped = next(result for result in report.results if result.status == "SKIPPED")
    assert "another process is training it now" in skipped.reason
    assert [run.data.tags[record.TAG_SPEC_HASH] for run in runs_of(store, "claimed")] == [
        plan.runnable[1].spec.spec_hash()
    ]
    with lock_spec(lock_dir(store), "claimed", busy) as mine:  # released by the worker, free again
        assert mine


@pytest.mark.fault
def test_two_sweeps_at_once_on_a_fresh_store_train_each_spec_once(tmp_path: Path) -> None:
    suite = {"name": "twice", "base": TINY_BASE, "grid": {"seed": [0, 1, 2, 3]}}
    path = tmp_path / "twice.yaml"
    path.write_text(yaml.safe_dump(suite))
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'fresh.db'}"}  # not created yet
    import os

    sweeps = [
        subprocess.Popen(
            [SEQLAB, "sweep", str(path), "--workers", "1"], cwd=tmp_path, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env},
        )
        for _ in range(2)
    ]
    outputs = [sweep.communicate(timeout=600) for sweep in sweeps]
    for sweep, (out, err) in zip(sweeps, outputs):
        assert sweep.returncode == 0, (out, err)
        assert "Traceback" not in err
    runs = runs_of(env["MLFLOW_TRACKING_URI"], "twice")
    hashes = Counter(run.data.tags[record.TAG_SPEC_HASH] for run in runs)
    assert len(hashes) == 4 and set(hashes.values()) == {1}, hashes
    assert {run.info.status for run in runs} == {"FINISHED"}
