"""Unsent-value files are kept per store: a command finds its store's and reads no other's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seqlab.store.unsent import pending_unsent, save_unsent, store_folder


def test_each_store_finds_its_own_files_and_old_files_move_to_their_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEQLAB_UNSENT_DIR", str(tmp_path))
    first, second = "sqlite:////data/a/mlflow.db", "http://tracking.example:5000"
    loss = [("train/loss", 0.5, 0, 3)]
    for run_id in ("a1", "a2"):
        save_unsent(first, run_id, loss, {}, "FINISHED", "the store did not answer")
    save_unsent(second, "b1", loss, {"x.json": [1]}, "KILLED", "the store did not answer")
    old = {"tracking_uri": second, "run_id": "b0", "status": "FINISHED", "reason": "r",
           "saved_at": 0, "metrics": [], "artifacts": {}}
    (tmp_path / "b0.json").write_text(json.dumps(old))  # where seqlab kept files before

    assert sorted(pending_unsent(first)) == ["a1", "a2"]
    assert not (tmp_path / "b0.json").exists()  # moved to its own store's folder
    assert sorted(pending_unsent(second)) == ["b0", "b1"]
    assert store_folder(first) != store_folder(second)
    assert (store_folder(second) / "store.txt").read_text().strip() == second
    kept = json.loads((store_folder(second) / "b1.json").read_text())
    assert kept["metrics"] == [["train/loss", 0.5, 0, 3]] and kept["artifacts"] == {"x.json": [1]}
    assert pending_unsent("sqlite:////elsewhere/mlflow.db") == {}
