"""A store whose disk fills up while a run trains: one line, nothing lost, nothing left RUNNING.

The store (the default ``./mlruns``: its SQLite database and artifacts) lives on a small tmpfs;
an installed throwaway model plugin fills that file system in the middle of training, as a
neighbour's job would. The values kept while the disk is full are written back, and the run is
closed with the real reason, by the next seqlab command once there is room again.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
import yaml

from conftest import TINY_RUN, run_seqlab, tiny_filesystem
from test_faulty_plugins import install_fake_distribution

FILLER_VARIABLE = "SEQLAB_TEST_DISK_FILLER"

DISK_FILLER = f'''
"""A throwaway model plugin: an LSTM that lets the recorder write, then fills a disk."""
import errno
import os
import time

from seqlab import hookimpl

FILLED_ONCE = os.environ["{FILLER_VARIABLE}"] + "-filled-once"  # a later run does not fill again

def build_disk_filler(params, input_size):
    """The built-in LSTM that waits until the recorder's values are due on its 6th forward
    pass in training, and fills the file system of ${FILLER_VARIABLE} on its 10th."""
    import torch
    from seqlab.measure.recorder import FLUSH_SECONDS
    from seqlab_plugins.models.lstm import build_lstm

    model = build_lstm(params, input_size)
    forward = model.forward
    calls = {{"n": 0}}

    def filling_forward(*args, **kwargs):
        if torch.is_grad_enabled():
            calls["n"] += 1
            if calls["n"] == 6:  # the recorder's next interval end writes what it holds
                time.sleep(FLUSH_SECONDS + 0.5)
            if calls["n"] == 10 and not os.path.exists(FILLED_ONCE):
                open(FILLED_ONCE, "w").close()
                fill(os.environ["{FILLER_VARIABLE}"])
        return forward(*args, **kwargs)

    model.forward = filling_forward
    return model


def fill(path):
    """Write zeros to ``path`` until the file system has no room left."""
    block = bytes(64 * 1024)
    with open(path, "wb", buffering=0) as filler:
        for size in (len(block), 4096, 512, 1):
            try:
                while True:
                    filler.write(block[:size])
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise


@hookimpl
def register_models(register):
    from seqlab_plugins.models.lstm import LSTMParams

    register("disk_filler", build_disk_filler, LSTMParams)
'''

FILLED_RUN = [item for item in TINY_RUN if item.split("=")[0] not in ("model", "trainer.max_steps", "trainer.val_every")
              ] + ["model=disk_filler", "trainer.max_steps=20", "trainer.val_every=4"]
"""A tiny run of the disk-filling model: 20 steps, a mean loss every 2, validated every 4."""


@pytest.fixture
def full_disk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a seqlab command whose default store, ``./mlruns`` in the working
    directory, sits on a 16 MB tmpfs (mounted at ``tmp_path / "disk"``) that the
    ``disk_filler`` model fills; unsent values go to ``tmp_path / "unsent"``, on another disk."""
    site = tmp_path / "site"
    site.mkdir()
    install_fake_distribution(site, "seqlab_disk_filler", DISK_FILLER)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    return {
        "PYTHONPATH": str(site),
        FILLER_VARIABLE: str(tmp_path / "disk" / "filler"),  # filled-once marker beside it
        "SEQLAB_UNSENT_DIR": str(tmp_path / "unsent"),
    }


def store_rows(disk: Path, sql: str) -> list[tuple]:
    """Rows of a query on the store's database, read without writing anything."""
    connection = sqlite3.connect(f"file:{disk / 'mlruns' / 'mlflow.db'}?mode=ro", uri=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


@pytest.mark.fault
def test_a_run_on_a_disk_that_fills_up_keeps_its_values_and_is_closed_as_disk_full(
    tmp_path: Path, full_disk_env: dict[str, str]
) -> None:
    with tiny_filesystem(tmp_path / "disk", "16m") as disk:
        first = run_seqlab("run", *TINY_RUN, "--no-progress", env=full_disk_env, cwd=disk)
        assert first.returncode == 0, first.stderr  # a store in use, with room left
        result = run_seqlab("run", *FILLED_RUN, "--no-progress", env=full_disk_env, cwd=disk)

        assert result.returncode == 1, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2, result.stderr  # the error, a notice
        [kept] = (tmp_path / "unsent").glob("*/*.json")
        [line] = errors
        assert "disk holding the store is full" in line and str(kept) in line, line
        assert "once the disk has room" in line

        run_id = kept.stem
        assert store_rows(disk, f"SELECT status FROM runs WHERE run_uuid = '{run_id}'") == [("RUNNING",)]
        written = store_rows(disk, f"SELECT step FROM metrics WHERE run_uuid = '{run_id}' AND key = 'train/loss'")
        waiting = [step for key, _, _, step in json.loads(kept.read_text())["metrics"] if key == "train/loss"]
        assert written and waiting, "some values reached the store before the disk filled, the rest wait"

        os.remove(full_disk_env[FILLER_VARIABLE])  # room again
        suite = tmp_path / "after.yaml"
        suite.write_text(yaml.safe_dump({"name": "seqlab", "base": dict(item.split("=", 1) for item in TINY_RUN)}))
        after = run_seqlab("sweep", str(suite), "--workers", "1", env=full_disk_env, cwd=disk)
        assert after.returncode == 0, (after.stdout, after.stderr)
        assert "Traceback" not in after.stderr and "SIGKILL" not in after.stdout + after.stderr

        assert not kept.exists()
        assert store_rows(disk, "SELECT count(*) FROM runs WHERE status = 'RUNNING'") == [(0,)]
        [(status,)] = store_rows(disk, f"SELECT status FROM runs WHERE run_uuid = '{run_id}'")
        [(reason,)] = store_rows(
            disk, f"SELECT value FROM tags WHERE run_uuid = '{run_id}' AND key = 'seqlab.end_reason'")
        assert status == "FAILED"
        assert "the disk holding the store is full" in reason, reason
        assert "SIGKILL" not in reason and "killed outright" not in reason, reason
        steps = [step for (step,) in store_rows(
            disk, f"SELECT step FROM metrics WHERE run_uuid = '{run_id}' AND key = 'train/loss'")]
        assert sorted(steps) == list(range(2, 21, 2)), "every mean loss measured, each once"


@pytest.mark.fault
def test_a_sweep_on_a_disk_that_fills_up_says_so_and_the_next_sweep_closes_its_runs_as_disk_full(
    tmp_path: Path, full_disk_env: dict[str, str]
) -> None:
    """The first run fills the disk mid-training; the two after it start on a full disk. Run
    again once there is room, the sweep closes what the full disk left open with the real
    reason (never "killed outright") and trains what is missing."""
    base = dict(item.split("=", 1) for item in FILLED_RUN)
    suite = tmp_path / "filled.yaml"
    suite.write_text(yaml.safe_dump({"name": "filled", "base": base, "grid": {"seed": [0, 1, 2]}}))
    with tiny_filesystem(tmp_path / "disk", "16m") as disk:
        env = {**full_disk_env, "COLUMNS": "200"}
        first = run_seqlab("sweep", str(suite), "--workers", "1", env=env, cwd=disk)
        assert first.returncode == 1, (first.stdout, first.stderr)
        assert "Traceback" not in first.stdout + first.stderr, first.stderr
        failed = [line for line in first.stdout.splitlines() if line.startswith("FAILED ")]
        assert len(failed) == 3 and all("the disk holding the store is full" in line for line in failed), first.stdout
        assert "could not be started" in failed[1] and "could not be started" in failed[2]
        assert len(list((tmp_path / "unsent").glob("*/*.json"))) >= 1  # the first run's artifacts at least

        os.remove(full_disk_env[FILLER_VARIABLE])  # room again
        again = run_seqlab("sweep", str(suite), "--workers", "1", env=env, cwd=disk)
        assert again.returncode == 0, (again.stdout, again.stderr)
        assert "Traceback" not in again.stdout + again.stderr
        assert "SIGKILL" not in again.stdout + again.stderr and "killed outright" not in again.stdout

        assert not list((tmp_path / "unsent").glob("*/*.json"))
        runs = store_rows(disk, "SELECT r.run_uuid, r.status, t.value FROM runs r LEFT JOIN tags t "
                                "ON t.run_uuid = r.run_uuid AND t.key = 'seqlab.end_reason'")
        assert "RUNNING" not in {status for _, status, _ in runs}, runs
        closed = [reason for _, status, reason in runs if status != "FINISHED"]
        assert len(closed) == 3 and {status for _, status, _ in runs} == {"FINISHED", "FAILED"}, runs
        for reason in closed:
            assert "the disk holding the store is full" in reason, reason
            assert "SIGKILL" not in reason and "killed outright" not in reason, reason
        assert sum(status == "FINISHED" for _, status, _ in runs) == 3
