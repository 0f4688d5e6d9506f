"""Rehearse a run's writes to an SQL store inside one transaction, then roll it back.

SQLAlchemy compiles each statement the first time an engine executes it, so every run
process forked from a server that had only read the store compiled MLflow's INSERTs and
UPDATEs anew: creating a run with its params took 57-65 ms there, 27-38 ms once the server had
rehearsed them (ending it 16-18 ms, 9-16 ms after). A local sweep's fork server rehearses a
run's writes once (:func:`rehearse_run_writes`), so every run forked from it starts with them
compiled.

The rehearsal holds the store's writes back: MLflow's sessions are bound, for its duration, to
one connection whose transaction is rolled back at the end, and join it without ever
committing it (SQLAlchemy's ``join_transaction_mode="rollback_only"``); that connection is
given the database's own isolation level, so an engine set to commit every statement does
not commit the rehearsal's. Nothing it wrote is ever visible to another connection, and a
process killed meanwhile leaves nothing either (SQLite discards an uncommitted transaction). MLflow's telemetry is off while it runs, so it
starts no thread in the process that forks the runs. MLflow has no public call for any of
this: a store that does not look as expected is not rehearsed
(:func:`_sessions_held_back` says why not).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from seqlab.store import record
from seqlab.store.sqlite import sql_store
from seqlab.store.status import RunStatus

REHEARSAL = "seqlab-rehearsal"
"""The name of the rehearsed run (never committed)."""


class NotRehearsed(RuntimeError):
    """The store's writes could not be held back, so nothing was written."""


def rehearse_run_writes(client: Any, experiment_id: str) -> None:
    """Make, and roll back, the writes of one run in an experiment of an SQL store: its
    creation with tags, params, the read that logging an artifact makes, metrics, and its end.

    :param client: an MLflow client (only an SQL store's is rehearsed).
    :param experiment_id: an experiment of that store.
    :raises NotRehearsed: when the store's writes cannot be held back (nothing is written).
    :raises Exception: what the store raised (everything is rolled back).
    """
    from mlflow.entities import Metric, Param, RunTag

    with telemetry_off(), _sessions_held_back(sql_store(client)):
        now = int(time.time() * 1000)
        run = client.create_run(
            experiment_id,
            tags={record.TAG_RUN_NAME: REHEARSAL, record.TAG_SPEC_HASH: ""},
            run_name=REHEARSAL,
        )
        run_id = run.info.run_id
        client.log_batch(run_id, params=[Param(f"{REHEARSAL}.{n}", "0") for n in range(2)])
        client.get_run(run_id)
        for keys, step in ((["a"], 0), (["a", "b", "c"], 1)):  # one value, then a later one
            # beside new ones: MLflow writes a lone value, several, and later ones differently
            client.log_batch(run_id, metrics=[
                Metric(f"{REHEARSAL}/{key}", float(step), now + step, step) for key in keys])
        client.log_batch(run_id, tags=[RunTag(record.TAG_END_REASON, REHEARSAL)])
        client.set_terminated(run_id, status=RunStatus.FINISHED)


@contextmanager
def _sessions_held_back(store: Any) -> Iterator[None]:
    """Bind an MLflow SQL store's sessions to one connection for the block, in a transaction
    they join without committing it, and roll it back after the block."""
    from mlflow.store.db.utils import _get_managed_session_maker
    from sqlalchemy.orm import sessionmaker

    if store is None:
        raise NotRehearsed("the store is not an SQL database")
    if getattr(store, "read_engine", None) is not None:
        raise NotRehearsed("the store reads from a replica")
    original = vars(store).get("ManagedSessionMaker")  # set on the store by its __init__
    if original is None:
        raise NotRehearsed("the store's sessions are not where this MLflow version kept them")
    with store.engine.connect() as engine_connection:
        # transactional whatever the engine says: one set to AUTOCOMMIT would commit each write
        isolation = engine_connection.default_isolation_level
        if isolation is None or isolation.upper() == "AUTOCOMMIT":
            raise NotRehearsed("the store's connections cannot hold a transaction")
        connection = engine_connection.execution_options(isolation_level=isolation)
        transaction = connection.begin()
        held_back = sessionmaker(bind=connection, join_transaction_mode="rollback_only")
        store.ManagedSessionMaker = _get_managed_session_maker(held_back, store.db_type)
        try:
            yield
        finally:
            store.ManagedSessionMaker = original
            if transaction.is_active:  # MLflow rolls it back itself when a call fails
                transaction.rollback()


@contextmanager
def telemetry_off() -> Iterator[None]:
    """Turn MLflow's telemetry off for the block: its first event starts a thread, which a
    process that forks must not have (the user's own setting holds again after the block)."""
    name = "MLFLOW_DISABLE_TELEMETRY"
    before = os.environ.get(name)
    os.environ[name] = "true"
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before
