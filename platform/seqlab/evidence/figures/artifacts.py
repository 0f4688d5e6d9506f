"""The runs' by-position artifacts a claim's figure draws (gradient flow, state trace, the
task's profiles).

Read through an MLflow client on the report's store, each artifact once per report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow import MlflowClient


class ArtifactReader:
    """Reads the JSON artifacts of a store's runs, each once.

    :param tracking_uri: the MLflow store the runs are in.
    """

    def __init__(self, tracking_uri: str) -> None:
        import os

        # one bar per small JSON file would bury the report's output (unless asked for)
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        self.tracking_uri = tracking_uri
        self._client: MlflowClient | None = None
        self._read: dict[tuple[str, str], Any] = {}

    def json(self, run_id: str, name: str) -> Any:
        """The parsed JSON artifact ``name`` of a run, or ``None`` when it has none (or it does
        not parse)."""
        import json
        import tempfile

        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        if (run_id, name) not in self._read:
            self._client = self._client or MlflowClient(tracking_uri=self.tracking_uri)
            content = None
            try:
                if name in {entry.path for entry in self._client.list_artifacts(run_id)}:
                    with tempfile.TemporaryDirectory() as folder:
                        path = self._client.download_artifacts(run_id, name, folder)
                        with open(path, encoding="utf-8") as handle:
                            content = json.load(handle)
            except (MlflowException, OSError, ValueError):
                content = None
            self._read[(run_id, name)] = content
        return self._read[(run_id, name)]

    def last_capture(
        self, run_id: str, name: str, key: str, part: str = ""
    ) -> tuple[list[int], list[float]] | None:
        """The positions and values of the last capture of a run's by-position artifact
        ``name`` (:mod:`seqlab.store.by_position`), record ``key`` and ``part``; ``None`` when
        the run has none."""
        from seqlab.store.by_position import parse_by_position

        found = parse_by_position(self.json(run_id, name), key).get(part)
        if found is None or not found.values or len(found.values[-1]) != len(found.positions):
            return None
        return found.positions, found.values[-1]

    def last_profile(self, run_id: str, name: str) -> list[float] | None:
        """A run's profile ``name`` (``accuracy_by_position``) at its last validation, from its
        :data:`~seqlab.store.record.PROFILES_ARTIFACT` (index k: the task's k-th position or
        distance; nulls as NaN), or ``None`` when it has none."""
        from seqlab.store import record

        content = self.json(run_id, record.PROFILES_ARTIFACT)
        try:
            rows = content["profiles"][name]
            return [float("nan") if v is None else float(v) for v in rows[-1]]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
