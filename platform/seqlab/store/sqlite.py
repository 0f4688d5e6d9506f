"""SQLite stores in write-ahead-log mode, whose commits do not each wait for the disk.

MLflow commits every call (a run's creation, its params, tags, metrics and end are about 15
commits), and SQLite's default rollback journal syncs the disk (``fsync``) two or three times
per commit: on a busy or slow disk that, not the SQL, was most of a short run's store time. A
store seqlab opens is switched to write-ahead logging (``PRAGMA journal_mode=WAL``, kept in the
database file; readers, the dashboard included, no longer block the writer and concurrent
writers still take turns), and this process's connections to it commit with
``PRAGMA synchronous=NORMAL`` (SQLite's recommended setting for WAL): a commit appends to the
log without syncing, and the log is synced when it is copied into the database (checkpoints).

The trade-off: a power loss or an operating-system crash may roll back the last transactions
committed before it (never corrupting the database: SQLite guarantees that in WAL mode at
``NORMAL``); a process that is killed or crashes loses nothing it committed.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import weakref
from pathlib import Path
from typing import Any

_FAST_COMMIT_DATABASES: set[str] = set()
"""The database files whose connections this process opens with ``synchronous=NORMAL``."""


def database_file(uri: str) -> Path | None:
    """The database file an SQLite store's URI names (relative paths as given); ``None`` for
    an in-memory database or a store that is not SQLite."""
    from sqlalchemy.engine import make_url

    if not uri.startswith("sqlite:"):
        return None
    database = make_url(uri).database
    return Path(database) if database and database != ":memory:" else None


def use_write_ahead_log(database: str) -> None:
    """Switch an SQLite database (created if missing) to write-ahead logging, and make this
    process's SQLAlchemy connections to it commit without syncing (``synchronous=NORMAL``).

    Switching an existing database waits (up to 30 s) for other processes' transactions on
    it. A database that cannot be switched (still locked then, on a file system without
    shared memory, or not a database at all, which MLflow then reports) keeps its mode and
    its connections their full syncing.

    :param database: the database file's path.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    connection = sqlite3.connect(database, timeout=30)
    try:
        (mode,) = connection.execute("PRAGMA journal_mode=WAL").fetchone()
    except sqlite3.DatabaseError:  # locked past the timeout, or not a database: MLflow says so
        return
    finally:
        connection.close()
    if str(mode).lower() != "wal":
        return
    _FAST_COMMIT_DATABASES.add(os.path.realpath(database))
    if not event.contains(Engine, "connect", _commit_without_sync):
        event.listen(Engine, "connect", _commit_without_sync)


def _commit_without_sync(dbapi_connection: Any, connection_record: Any) -> None:
    """Set ``synchronous=NORMAL`` on a new connection to a database switched by
    :func:`use_write_ahead_log` (SQLAlchemy calls this for every engine's new connections)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    for _, name, path in dbapi_connection.execute("PRAGMA database_list").fetchall():
        if name == "main" and path and os.path.realpath(path) in _FAST_COMMIT_DATABASES:
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def sql_store(client: Any) -> Any:
    """An MLflow client's SQLAlchemy tracking store, or ``None`` for other stores (REST,
    files). MLflow has no public call for it."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = getattr(getattr(client, "_tracking_client", None), "store", None)
    return store if isinstance(store, SqlAlchemyStore) else None


_CLOSED_AT_EXIT: weakref.WeakSet[Any] = weakref.WeakSet()
"""The SQL engines of the clients passed to :func:`close_connections_at_exit`."""


def close_connections_at_exit(client: Any) -> None:
    """Close the client's pooled connections to its SQL store when the process exits, also
    when it ends without the interpreter's teardown, which would drop them unclosed
    (:mod:`seqlab.console.quick_exit`): the last connection to close checkpoints an SQLite
    store's log into the database file. MLflow shares one engine among a store's clients."""
    _CLOSED_AT_EXIT.add(sql_store(client).engine)


@atexit.register
def _close_all() -> None:
    """Close the connections of every engine still registered (runs at exit)."""
    for engine in list(_CLOSED_AT_EXIT):
        engine.dispose()
