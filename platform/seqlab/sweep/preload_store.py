"""The store half of a local sweep's fork-server warm-up (see :mod:`seqlab.sweep.preload`).

Imported by the fork server after :mod:`seqlab.sweep.preload` when the sweep's store is an
SQLite database. When the database is there (the launcher creates a new store meanwhile, and a
launcher stopped by bad input creates none), importing this module opens it through seqlab's
:func:`open_client` and MLflow, which checks its schema, asks it once what a run asks first
(whether its spec FINISHED meanwhile: MLflow compiles that query once, for every run), and
closes the connections again: every run process inherits MLflow's opened store instead of
opening and checking it itself, and no SQLite connection crosses a fork.
"""

from __future__ import annotations

from seqlab.store.sqlite import close_connections, database_file
from seqlab.store.tracking import open_client, tracking_uri
from seqlab.sweep.spec_locks import finished_meanwhile

try:
    _uri = tracking_uri()
    _database = database_file(_uri)
    if _database is not None and _database.is_file():
        _client = open_client()
        for _experiment in _client.search_experiments(max_results=1):
            finished_meanwhile(_uri, _experiment.name, spec_hash="")
        close_connections(_client)  # no connection may cross a fork
except Exception:  # noqa: BLE001  each run then opens the store itself and reports what fails
    pass  # (an exception here would end the fork server: only ImportError is survived)
