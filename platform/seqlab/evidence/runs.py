"""A suite's runs, read from the MLflow store as one pandas frame.

``seqlab sweep`` tags every run it makes ``seqlab.sweep = <suite name>`` and
``seqlab.spec_hash = <hash of its resolved spec>`` in the experiment ``--experiment``,
``MLFLOW_EXPERIMENT_NAME`` or the suite's name. A suite's runs at one size are the FINISHED runs
so tagged whose spec hash is one of that size's planned runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seqlab.store import record, tracking

if TYPE_CHECKING:
    import pandas as pd

    from seqlab.sweep.suite import SweepPlan


class NoRunsError(LookupError):
    """No finished runs of the suite can be read (none there, or the store did not answer);
    the message says where it looked."""


def read_sweep_runs(tracking_uri: str, experiment: str, sweep: str) -> pd.DataFrame:
    """Every FINISHED run of ``experiment`` tagged with the sweep ``sweep``.

    :returns: the frame ``mlflow.search_runs(output_format="pandas")`` would return (``run_id``,
        ``status``, ``start_time``, ``params.*``, ``metrics.*``, ``tags.*``), newest first;
        read through a client on ``tracking_uri``, leaving MLflow's global tracking URI alone.
    :raises NoRunsError: when the experiment does not exist, or the store does not answer
        (within ``$SEQLAB_STORE_TIMEOUT``).
    """
    from mlflow.exceptions import MlflowException

    tracking.bound_store_retries()
    try:
        return _read(tracking_uri, experiment, sweep)
    except (MlflowException, OSError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NoRunsError(f"the store {tracking_uri} did not answer: {problem}") from None


def _read(tracking_uri: str, experiment: str, sweep: str) -> pd.DataFrame:
    """The search itself (see :func:`read_sweep_runs`)."""
    import pandas as pd
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        raise NoRunsError(f"no experiment {experiment!r} in {tracking_uri}")
    rows = []
    page_token = None
    while True:
        page = client.search_runs(
            [found.experiment_id],
            filter_string=(
                f"tags.`{record.TAG_SWEEP}` = '{sweep}' and attributes.status = 'FINISHED'"
            ),
            max_results=5000,
            order_by=["attributes.start_time DESC"],
            page_token=page_token,
        )
        for run in page:
            row = {
                "run_id": run.info.run_id,
                "experiment_id": run.info.experiment_id,
                "status": run.info.status,
                "start_time": pd.to_datetime(run.info.start_time, unit="ms", utc=True),
            }
            row.update({f"metrics.{k}": v for k, v in run.data.metrics.items()})
            row.update({f"params.{k}": v for k, v in run.data.params.items()})
            row.update({f"tags.{k}": v for k, v in run.data.tags.items()})
            rows.append(row)
        page_token = page.token
        if not page_token:
            return pd.DataFrame(rows, columns=None if rows else ["run_id", "status"])


def runs_of_plan(runs: pd.DataFrame, plan: SweepPlan) -> pd.DataFrame:
    """The runs whose spec hash is one of the plan's runnable runs (one size of a suite)."""
    hashes = {run.spec.spec_hash() for run in plan.runnable if run.spec is not None}
    column = f"tags.{record.TAG_SPEC_HASH}"
    if column not in runs:
        return runs.iloc[:0]
    return runs[runs[column].isin(hashes)]
