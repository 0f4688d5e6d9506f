"""The store half of a local sweep's fork-server warm-up (see :mod:`seqlab.sweep.preload`).

Imported by the fork server after :mod:`seqlab.sweep.preload` when the sweep's store is an
SQLite database. Importing it opens the store through seqlab's :func:`open_client` (which
creates a new store under a lock, so the launcher preparing it meanwhile waits) and MLflow,
which checks its schema, and closes the connections again: every run process inherits MLflow's
opened store instead of opening and checking it itself, and no SQLite connection crosses a
fork.
"""

from __future__ import annotations

from seqlab.store.sqlite import close_connections
from seqlab.store.tracking import open_client

try:
    _client = open_client()
    _client.search_experiments(max_results=1)  # MLflow opens (and caches) the store here
    close_connections(_client)  # no connection may cross a fork
except Exception:  # noqa: BLE001  each run then opens the store itself and reports what fails
    pass  # (an exception here would end the fork server: only ImportError is survived)
