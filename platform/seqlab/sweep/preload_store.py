"""The store half of a local sweep's fork-server warm-up (see :mod:`seqlab.sweep.preload`).

Imported by the fork server after :mod:`seqlab.sweep.preload` when the sweep's store is an
SQLite database. When the database is there (the launcher creates a new store meanwhile, and a
launcher stopped by bad input creates none), importing this module opens it through seqlab's
:func:`open_client` and MLflow, which checks its schema, asks it once what a run asks first
(whether its spec FINISHED meanwhile: MLflow compiles that query once, for every run), makes a
run's writes in a transaction it rolls back (:mod:`seqlab.store.rehearsal`: they are compiled
once too, and the store is left as it was), and closes the connections again: every run process
inherits MLflow's opened store instead of opening and checking it itself. No SQLite connection,
nor MLflow's telemetry thread, crosses a fork: telemetry is off while the server uses the store,
and each run reports as the user's setting says.
"""

from __future__ import annotations

from seqlab.store.rehearsal import rehearse_run_writes, telemetry_off
from seqlab.store.sqlite import close_connections, database_file
from seqlab.store.tracking import open_client, tracking_uri
from seqlab.sweep.spec_locks import finished_meanwhile

try:
    _uri = tracking_uri()
    _database = database_file(_uri)
    if _database is not None and _database.is_file():
        with telemetry_off():  # its first event starts a thread
            _client = open_client()
            try:
                for _experiment in _client.search_experiments(max_results=1):
                    finished_meanwhile(_uri, _experiment.name, spec_hash="")
                    rehearse_run_writes(_client, _experiment.experiment_id)
            finally:
                close_connections(_client)  # no connection may cross a fork
except Exception:  # noqa: BLE001  each run then opens the store itself and reports what fails
    pass  # (an exception here would end the fork server: only ImportError is survived)
