"""A run's writes to the store, each one operation a sweep's launcher can make for its worker.

Each takes the client first and plain values after it (:func:`seqlab.store.relay.relayable`):
in a local sweep's run process, where the client is a stand-in, the launcher makes the
operation with its own client, which is one exchange however many MLflow calls it takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqlab.store import record
from seqlab.store.relay import relayable
from seqlab.store.writing import uninterrupted

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mlflow import MlflowClient

    from seqlab.store.status import RunStatus

Value = tuple[str, float, int, int]
"""One recorded value as a run keeps it until written: key, value, timestamp (ms), step."""

MAX_VALUES_PER_CALL = 1000
"""MLflow's limit on a ``log_batch`` call: values and tags together."""


@relayable(repeat=False)  # a run must never be created twice
def create_run(
    client: MlflowClient, experiment_id: str, run_name: str, tags: Mapping[str, str],
    params: Mapping[str, str], artifacts: Mapping[str, str],
) -> str:
    """Create a RUNNING run with its tags, then write its params and text artifacts.

    :returns: the new run's id.
    :raises RunStartError: when the run was created but its params or artifacts could not be
        written (what creating it raised, when it was not, is raised as it is).
    """
    from mlflow.entities import Param

    with uninterrupted():
        run = client.create_run(experiment_id, tags=dict(tags), run_name=run_name)
        run_id = run.info.run_id
        try:
            values = [Param(key, value) for key, value in params.items()]
            for start in range(0, len(values), 100):
                client.log_batch(run_id, params=values[start : start + 100])
            for name, text in artifacts.items():
                client.log_text(run_id, text, name)
        except Exception as exc:
            raise RunStartError(run_id) from exc
    return run_id


class RunStartError(RuntimeError):
    """A run created in the store whose params or first artifacts could not be written (a
    full disk): it exists, RUNNING, and must be closed. Its cause is what the store raised.

    :param run_id: the run created.
    """

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id} was created but could not be started")
        self.run_id = run_id

    def __reduce__(self) -> tuple[type[RunStartError], tuple[str]]:
        return type(self), (self.run_id,)  # pickled by the run id: it travels from a launcher


@relayable()
def log_values(
    client: MlflowClient,
    run_id: str,
    values: Sequence[Value] = (),
    tags: Mapping[str, str] | None = None,
    artifacts: Mapping[str, str] | None = None,
) -> None:
    """Write a run's values and tags in as few calls as MLflow allows, then its text
    artifacts (JSON), by file name."""
    from mlflow.entities import Metric, RunTag

    metrics = [Metric(*value) for value in values]
    last_tags = [RunTag(key, value) for key, value in (tags or {}).items()]
    with uninterrupted():
        while metrics or last_tags:
            chunk = metrics[: MAX_VALUES_PER_CALL - len(last_tags)]
            along = last_tags if len(chunk) == len(metrics) else []
            client.log_batch(run_id, metrics=chunk, tags=along)
            del metrics[: len(chunk)]
            if along:
                last_tags = []
        for name, text in (artifacts or {}).items():
            client.log_text(run_id, text, name)


@relayable()
def end_run(
    client: MlflowClient,
    run_id: str,
    status: RunStatus,
    reason: str | None = None,
    tags: Mapping[str, str] | None = None,
    values: Sequence[Value] = (),
    artifacts: Mapping[str, str] | None = None,
) -> None:
    """Close a run as FINISHED, FAILED or KILLED: its last values, its last tags and the
    reason (a tag) in one call, its last artifacts, then its status.

    :param tags: more tags to set as the run ends.
    :param values: values still to write.
    :param artifacts: text artifacts still to write, by file name.
    """
    with uninterrupted():
        log_values(client, run_id, values, _end_tags(reason, tags), artifacts)
        client.set_terminated(run_id, status=status)


def _end_tags(reason: str | None, tags: Mapping[str, str] | None = None) -> dict[str, str]:
    """The tags a run ends with: ``tags``, and the reason it ended (if any) in
    :data:`seqlab.store.record.TAG_END_REASON`, cut to MLflow's 5,000 characters."""
    last = dict(tags or {})
    if reason:
        last[record.TAG_END_REASON] = reason[:5000]
    return last
