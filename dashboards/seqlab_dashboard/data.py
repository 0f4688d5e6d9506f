"""The dashboard's only MLflow reader: runs, metric histories and artifacts as DataFrames.

One ``mlflow.search_runs(..., output_format="pandas")`` per refresh reads every run with its
params, tags and final metrics; the frame is cached and read again only when a cheap
fingerprint query (the newest started and the newest ended run) says the store changed, or
while runs are still RUNNING. Metric histories are read only for the runs a view plots, in
parallel, cached for runs that have ended, and downsampled (each bucket's minimum and maximum kept) before they leave this module.
Nothing here writes to the store, nor creates one: a store that is not there is a one-line
:class:`StoreNotFound`. Every cache is guarded by one lock and bounded (least recently used
entries go first), so the app is safe under a threaded server (``gunicorn --threads 4``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from seqlab.store import record
from seqlab.store.by_position import ByPosition, parse_by_position
from seqlab.store.sqlite import sql_store

logger = logging.getLogger(__name__)
Result = TypeVar("Result")

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd
    from mlflow import MlflowClient

PARAM = "params."
METRIC = "metrics."
TAG = "tags."
ENDED = ("FINISHED", "FAILED", "KILLED")
"""Statuses whose records no longer change: their histories and artifacts are cached for good."""
FINAL_STATUSES = ("FINISHED", "FAILED")
"""Runs whose final metrics count in group summaries (KILLED runs were stopped by a person)."""
HISTORY_COLUMNS = ["run_id", "step", "time_s", "value"]


def param_column(key: str) -> str:
    """The runs-frame column of param ``key`` (e.g. ``params.task.length``)."""
    return PARAM + key


def metric_column(key: str) -> str:
    """The runs-frame column of the last value of metric ``key`` (e.g. ``metrics.val/loss``)."""
    return METRIC + key


def spread(count: int, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread points out of ``count``, first and last kept."""
    import numpy as np

    if count <= max_points:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, max(max_points, 2)).round().astype(int))


def downsample(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` of ``values`` that keep its shape, spikes included.

    The first and last points are kept; the points between are cut into equal buckets, and each
    bucket keeps its smallest and its largest value (W&B's full-fidelity sampling), so a loss
    spike is never sampled away. With room for a single point between, that point is the one
    farthest from the median. NaN values are never chosen while a bucket has a number.
    """
    import numpy as np

    count = len(values)
    if count <= max_points:
        return np.arange(count)
    if max_points < 2:
        return np.arange(min(count, max_points))
    slots = max_points - 2
    if slots == 0:
        return np.array([0, count - 1])
    inner = np.asarray(values[1:-1], dtype=float)
    buckets = max(slots // 2, 1)
    starts = np.linspace(0, len(inner), buckets + 1).round().astype(int)[:-1]
    low = np.where(np.isnan(inner), np.inf, inner)
    high = np.where(np.isnan(inner), -np.inf, inner)
    if slots == 1:
        middle = np.nanmedian(inner) if np.isfinite(low).any() else 0.0
        distance = np.where(np.isnan(inner), -np.inf, np.abs(inner - middle))
        chosen = np.array([int(np.argmax(distance))])
    else:
        ends = np.r_[starts[1:], len(inner)]
        lows = [a + int(np.argmin(low[a:b])) for a, b in zip(starts, ends)]
        highs = [a + int(np.argmax(high[a:b])) for a, b in zip(starts, ends)]
        chosen = np.array(lows + highs)
    return np.unique(np.r_[0, chosen + 1, count - 1])


class StoreNotFound(ValueError):
    """The tracking URI names a store that does not exist; the message is one line."""


def store_uri(tracking_uri: str | None = None) -> str:
    """The store to read: ``tracking_uri``, ``MLFLOW_TRACKING_URI``, else ``./mlruns/mlflow.db``.

    Unlike :func:`seqlab.store.tracking.tracking_uri` (which the runner uses to record), this
    never creates a folder or a database: a reader must not make a store where none is.

    An SQLite database that cannot be written is opened read-only (:func:`read_only_sqlite_uri`).

    :raises StoreNotFound: when a SQLite database or a file store's folder is not there.
    """
    import os
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    from seqlab.store.tracking import DEFAULT_STORE_DIR

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or ""
    if not uri:
        database = (DEFAULT_STORE_DIR / "mlflow.db").resolve()
        if not database.is_file():
            raise StoreNotFound(
                f"no MLflow store at {database}: record a run first (seqlab run), or set "
                "MLFLOW_TRACKING_URI to an existing store"
            )
        return read_only_sqlite_uri(f"sqlite:///{database}", database)
    scheme = urlparse(uri).scheme
    if scheme == "sqlite" and "?" not in uri:
        path = Path(unquote(uri.removeprefix("sqlite:///").removeprefix("sqlite://")))
        if str(path) not in ("", ":memory:"):
            if not path.is_file():
                raise StoreNotFound(f"MLFLOW_TRACKING_URI={uri}: no SQLite database at {path}")
            return read_only_sqlite_uri(uri, path)
    elif scheme in ("", "file"):
        path = Path(unquote(urlparse(uri).path) if scheme == "file" else uri)
        if not path.is_dir() or not any(path.iterdir()):
            raise StoreNotFound(f"MLFLOW_TRACKING_URI={uri}: no MLflow file store at {path} "
                                "(the folder is missing or empty)")
    return uri


def read_only_sqlite_uri(uri: str, path: Path) -> str:
    """``uri`` itself while the database's folder can be written, else a read-only SQLite URI.

    A store on read-only media (a read-only mount, a folder the reader may not write) cannot
    be opened the usual way: SQLite wants to create the ``-shm`` and ``-wal`` files of a
    write-ahead-log store, or a rollback journal's lock. It is opened ``mode=ro`` when SQLite
    can read it so (a rollback-journal store, or a WAL store whose ``-shm`` is there: what is
    still only in its ``-wal`` is read too), else ``immutable=1`` (no locks and no ``-shm``,
    so a ``-wal`` left by a writer that did not close is not read). The read-only URI names
    the driver (``sqlite+pysqlite:``): MLflow takes what follows a plain ``sqlite:///`` for a
    path and would create a folder ``file:/…`` in the working directory.

    :param uri: the ``sqlite:///`` URI of the database.
    :param path: the database file.
    :returns: the URI to open the database with.
    """
    import os
    import sqlite3
    from urllib.parse import quote

    if os.access(path.parent, os.W_OK) and os.access(path, os.W_OK):
        return uri
    base = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        connection = sqlite3.connect(base, uri=True)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        base += "&immutable=1"
    return f"sqlite+pysqlite:///{base}&uri=true"


class RunStore:
    """Cached, read-only access to one MLflow tracking store.

    Thread-safe: one lock guards the runs frame and both caches; reads from the store happen
    outside it, so one slow read never holds up requests that the caches can answer.

    :param tracking_uri: the store (default: :func:`store_uri`).
    :param check_seconds: how often, at most, to ask the store whether runs changed.
    :param live_seconds: while any run is RUNNING, read everything again this often.
    :param history_cache: how many (run, metric) histories to keep, least recently used dropped.
    :param artifact_cache: how many by-position artifacts (gradient flow, state trace) to keep.
    :raises StoreNotFound: when the store is not there (nothing is created).
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        check_seconds: float = 2.0,
        live_seconds: float = 10.0,
        history_cache: int = 50_000,
        artifact_cache: int = 5_000,
    ) -> None:
        self.tracking_uri = store_uri(tracking_uri)
        self.check_seconds = check_seconds
        self.live_seconds = live_seconds
        self.history_cache = history_cache
        self.artifact_cache = artifact_cache
        self.searches = 0
        """How many full ``search_runs`` reads this store made (tests and benchmarks read it)."""
        self._lock = threading.Lock()
        """Guards ``_runs`` (with its fingerprint and clocks) and the two caches below."""
        self._runs: pd.DataFrame | None = None
        self._fingerprint: tuple[Any, ...] | None = None
        self._checked_at = 0.0
        self._read_at = 0.0
        self._histories: OrderedDict[tuple[str, str], tuple[float, tuple[np.ndarray, ...]]] = OrderedDict()
        self._by_position: OrderedDict[tuple[str, str, str], dict[str, ByPosition]] = OrderedDict()
        self._suites: dict[str, str | None] = {}
        """run id -> the suite recorded on it (``None``: none)."""
        self._unreadable: dict[tuple[str, str], str] = {}
        """(run id, artifact) -> why it could not be read (a run's other artifacts still count)."""
        self._last_histories: tuple[Any, pd.DataFrame | None] = (None, None)
        """The last combined history frame, reused while no history in it changed."""

    def cache_sizes(self) -> dict[str, int]:
        """How many entries each cache holds now (``histories``, ``by_position``)."""
        with self._lock:
            return {"histories": len(self._histories), "by_position": len(self._by_position)}

    # --- runs ------------------------------------------------------------------------------

    def client(self) -> MlflowClient:
        """An MLflow client on this store."""
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri)

    def _experiments(self) -> dict[str, str]:
        return {e.experiment_id: e.name for e in self.client().search_experiments()}

    def _current_fingerprint(self, experiment_ids: list[str]) -> tuple[Any, ...]:
        """Experiments plus the newest started and newest ended run: changes when runs arrive."""
        client = self.client()
        marks: list[Any] = [tuple(experiment_ids)]
        if experiment_ids:
            for order in ("attributes.start_time DESC", "attributes.end_time DESC"):
                newest = client.search_runs(experiment_ids, max_results=1, order_by=[order])
                marks.extend(
                    (r.info.run_id, r.info.status, r.info.end_time) for r in newest
                )
        return tuple(marks)

    def runs(self) -> pd.DataFrame:
        """Every active run, one row each, read again only when the store changed.

        Columns: ``run_id``, ``experiment_id``, ``experiment``, ``run_name``, ``status``,
        ``start_time``, ``end_time``, ``duration_s``, ``sweep`` (with the suite size when recorded:
        ``gradients · quick``), ``params.*`` (numbers where
        every value is one), ``metrics.*`` (last values) and ``tags.*``.
        """
        with self._lock:
            now = time.monotonic()
            if self._runs is not None and now - self._checked_at < self.check_seconds:
                return self._runs
            experiments = self._experiments()
            fingerprint = self._current_fingerprint(sorted(experiments))
            self._checked_at = time.monotonic()
            live = self._runs is not None and bool((self._runs["status"] == "RUNNING").any())
            stale_live = live and now - self._read_at >= self.live_seconds
            if self._runs is None or fingerprint != self._fingerprint or stale_live:
                self._runs = self._read_runs(experiments)
                self._fingerprint = fingerprint
                self._read_at = time.monotonic()
            return self._runs

    def _read_runs(self, experiments: dict[str, str]) -> pd.DataFrame:
        import pandas as pd

        self.searches += 1
        if not experiments:
            frame = pd.DataFrame(columns=["run_id", "experiment_id", "status"])
        else:
            client = self.client()
            frame = _fall_back_on_error(_read_runs_sql, client, sorted(experiments))
            if frame is None:
                frame = _read_runs_client(client, sorted(experiments))
        return _tidy_runs(frame, experiments)

    # --- histories ---------------------------------------------------------------------------

    def histories(
        self, run_ids: Sequence[str], metric: str, max_points: int = 1000
    ) -> pd.DataFrame:
        """The history of ``metric`` for each of ``run_ids`` (runs without it are left out).

        Histories missing from the cache are read in bulk (one query per 10,000 runs on SQL
        stores, parallel per-run reads elsewhere); those of ended runs stay cached.

        :param max_points: downsample each run to at most this many points with :func:`downsample`
            (first and last kept, and each bucket's minimum and maximum).
        :returns: columns ``run_id``, ``step``, ``time_s`` (seconds since the run's first value
            of this metric) and ``value``, sorted by run and step.
        """
        import numpy as np
        import pandas as pd

        runs = self.runs()
        status = dict(zip(runs["run_id"], runs["status"])) if len(runs) else {}
        wanted = [run_id for run_id in dict.fromkeys(run_ids) if run_id in status]
        key = (metric, max_points, tuple(wanted))
        found: dict[str, tuple[np.ndarray, ...]] = {}
        missing = []
        with self._lock:
            now = time.monotonic()
            for run_id in wanted:
                cached = self._histories.get((run_id, metric))
                if cached is None or (status[run_id] not in ENDED and now - cached[0] > self.check_seconds):
                    missing.append(run_id)
                else:
                    self._histories.move_to_end((run_id, metric))
                    found[run_id] = cached[1]
            if not missing and self._last_histories[0] == key:
                return self._last_histories[1]
        read = self._read_histories(missing, metric, len(runs))
        found.update(read)
        with self._lock:
            for run_id, history in read.items():
                self._histories[(run_id, metric)] = (time.monotonic(), history)
                self._histories.move_to_end((run_id, metric))
            while len(self._histories) > self.history_cache:
                self._histories.popitem(last=False)
        parts = []
        for run_id in wanted:
            steps, seconds, values = found[run_id]
            keep = downsample(values, max_points)
            parts.append((steps[keep], seconds[keep], values[keep]))
        if not parts:
            return pd.DataFrame(columns=HISTORY_COLUMNS)
        # run ids as Python objects: pandas' Arrow-backed strings would copy 200,000 of them
        ids = pd.Series(np.repeat(np.array(wanted, dtype=object), [len(part[0]) for part in parts]), dtype=object)
        frame = pd.DataFrame(dict(zip(HISTORY_COLUMNS, [ids, *(np.concatenate(column) for column in zip(*parts))])))
        with self._lock:
            self._last_histories = (key, frame)
        return frame

    def _read_histories(
        self, run_ids: list[str], metric: str, runs_in_store: int,
    ) -> dict[str, tuple[np.ndarray, ...]]:
        """``(steps, seconds, values)`` per run: every run in ``run_ids`` gets an entry."""
        if not run_ids:
            return {}
        client = self.client()
        points = _fall_back_on_error(_read_histories_sql, client, run_ids, metric, runs_in_store)
        if points is None:
            rows = []
            with ThreadPoolExecutor(max_workers=8) as pool:
                for run_id, history in zip(run_ids, pool.map(lambda r: client.get_metric_history(r, metric), run_ids)):
                    rows += [(run_id, m.step, m.timestamp, m.value, False) for m in history]
            points = _points(rows)
        return _split_histories(run_ids, points)

    # --- artifacts ---------------------------------------------------------------------------

    def gradient_flows(self, run_ids: Iterable[str]) -> dict[str, ByPosition]:
        """The gradient flow of each run that has one (``record.GRADIENT_FLOW_ARTIFACT``)."""
        return self.by_position(run_ids, record.GRADIENT_FLOW_ARTIFACT, "norms")

    def state_traces(self, run_ids: Iterable[str], part: str) -> dict[str, ByPosition]:
        """The RMS of state part ``part`` (``hidden``, ``cell``) by position, of each run that
        recorded it (``record.STATE_TRACE_ARTIFACT``)."""
        return self.by_position(run_ids, record.STATE_TRACE_ARTIFACT, "rms", part)

    def by_position(
        self, run_ids: Iterable[str], artifact: str, key: str, part: str = ""
    ) -> dict[str, ByPosition]:
        """The by-position record ``artifact[key]`` (or ``artifact[key][part]``) of each run
        that has one; each artifact is read once for ended runs (every part at once), again
        on each call for running ones."""
        runs = self.runs()
        status = dict(zip(runs["run_id"], runs["status"])) if len(runs) else {}
        found: dict[str, ByPosition] = {}
        for run_id in run_ids:
            if run_id not in status:
                continue
            cache_key = (run_id, artifact, key)
            with self._lock:
                parts = self._by_position.get(cache_key) if status[run_id] in ENDED else None
                if parts is not None:
                    self._by_position.move_to_end(cache_key)
            if parts is None:
                parts = self._read_by_position(run_id, artifact, key)
                with self._lock:
                    self._by_position[cache_key] = parts
                    while len(self._by_position) > self.artifact_cache:
                        self._by_position.popitem(last=False)
            values = parts.get(part)
            if values is not None:
                found[run_id] = values
        return found

    def unreadable_artifacts(self, run_ids: Iterable[str]) -> dict[tuple[str, str], str]:
        """The artifacts of these runs that could not be read, by (run id, artifact), with why."""
        wanted = set(run_ids)
        with self._lock:
            return {key: why for key, why in self._unreadable.items() if key[0] in wanted}

    def recorded_suite(self, run_id: str) -> str | None:
        """The suite a sweep recorded on one of its runs (``record.SUITE_ARTIFACT``, YAML), or
        ``None`` for a run without one; read once per run."""
        with self._lock:
            if run_id in self._suites:
                return self._suites[run_id]
        text = self._read_text(run_id, record.SUITE_ARTIFACT)
        with self._lock:
            self._suites[run_id] = text
        return text

    def _read_by_position(self, run_id: str, artifact: str, key: str) -> dict[str, ByPosition]:
        """Every record under ``key`` of a run's artifact, by part (``""``: ``key`` holds the
        rows themselves); empty if the run has no such artifact or it does not parse."""
        import json

        text = self._read_text(run_id, artifact)
        if text is None:
            return {}
        try:
            content = json.loads(text)
        except ValueError as exc:  # truncated by a full disk, not JSON
            with self._lock:
                self._unreadable[(run_id, artifact)] = f"{type(exc).__name__}: {exc}"[:200]
            return {}
        found = parse_by_position(content, key)
        if any(len(f.values) != len(f.steps) or any(len(row) != len(f.positions) for row in f.values)
               for f in found.values()):
            with self._lock:
                self._unreadable[(run_id, artifact)] = "its rows do not match its steps and positions"
            return {}
        return found

    def _read_text(self, run_id: str, artifact: str) -> str | None:
        """A run's text artifact, ``None`` if it has none or it cannot be read (then recorded
        in :meth:`unreadable_artifacts`)."""
        import tempfile

        client = self.client()
        if artifact not in {a.path for a in client.list_artifacts(run_id)}:
            return None
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = client.download_artifacts(run_id, artifact, folder)
                with open(path, encoding="utf-8") as handle:
                    return handle.read()
        except (OSError, ValueError) as exc:  # truncated by a full disk, binary
            with self._lock:
                self._unreadable[(run_id, artifact)] = f"{type(exc).__name__}: {exc}"[:200]
            return None


def _fall_back_on_error(read: Callable[..., Result | None], *args: Any) -> Result | None:
    """``read(*args)``, or ``None`` (read through MLflow's public API instead) if it fails.

    The fast readers query MLflow's own tables, which are not a public API: should an MLflow
    release change them, the dashboard warns and carries on, slower, rather than break.
    """
    try:
        return read(*args)
    except Exception as exc:  # noqa: BLE001  (any failure: the public API still works)
        logger.warning(
            "reading MLflow's tables directly failed (%s: %s); using MLflow's client instead",
            type(exc).__name__, exc,
        )
        return None


SCAN_SHARE = 0.5
"""Read a table's rows of every run, and drop the others', when at least this share of the
store's runs is asked for (else select the runs' rows through a join)."""
POINT_FIELDS = [("run_id", "O"), ("step", "i8"), ("timestamp", "i8"), ("value", "f8"), ("is_nan", "?")]
"""A metric point as the history readers hold it: one field per column of MLflow's ``metrics`` table."""
RUN_KEY_STEP_INDEX = "index_metrics_run_uuid_key_step"
"""MLflow's index of metric points by run, key and step (SQL stores)."""
HISTORY_QUERY_RUNS = 10_000
"""Runs per history query (one query for a view's runs: SQLite takes 32,766 parameters since 3.32)."""
RUN_INDEX_SHARE = 0.25
"""On SQLite, read the points through the (run, key, step) index when fewer than this share of
the store's runs are asked for; else scan the metric's points in MLflow's primary key."""


def _read_histories_sql(
    client: MlflowClient, run_ids: list[str], metric: str, runs_in_store: int = 0,
) -> np.ndarray | None:
    """The points of ``metric`` for ``run_ids`` from a SQL store's tables (:func:`_points`),
    one query per :data:`HISTORY_QUERY_RUNS` runs; ``None`` when the store is not a SQL store.

    Which index reads the points matters on SQLite, and its planner cannot tell: MLflow never
    runs ``ANALYZE`` and the dashboard opens stores read-only, so without statistics SQLite always
    picks MLflow's primary key (metric key first, covering), reading every run's points of the
    metric. That is the fastest read when most runs are asked for (one sequential pass), and
    60x too many rows for 200 runs of 10,000. So when fewer than :data:`RUN_INDEX_SHARE` of
    ``runs_in_store`` are asked for, the query names the (run, key, step) index
    (``INDEXED BY``, written into the SQL text: SQLAlchemy's ``with_hint`` renders nothing on
    SQLite). Other databases keep statistics and choose for themselves.

    :param runs_in_store: how many runs the store holds (0: unknown, the planner chooses).
    """
    import sqlite3

    import numpy as np
    from mlflow.store.tracking.dbmodels.models import SqlMetric

    store = sql_store(client)
    if store is None:
        return None
    parts = []
    with store.ManagedSessionMaker() as session:
        sqlite = session.bind.dialect.name == "sqlite"
        size = HISTORY_QUERY_RUNS if not sqlite or sqlite3.sqlite_version_info >= (3, 32) else 500
        by_run = sqlite and len(run_ids) < RUN_INDEX_SHARE * runs_in_store
        for start in range(0, len(run_ids), size):
            chunk = run_ids[start : start + size]
            if by_run:
                marks = ", ".join("?" * len(chunk))
                rows = _fetch_rows(session, (
                    "SELECT run_uuid, step, timestamp, value, is_nan "
                    f"FROM metrics INDEXED BY {RUN_KEY_STEP_INDEX} WHERE run_uuid IN ({marks}) AND key = ?"
                ), (*chunk, metric))
            else:
                sql, bind = _prepared(session, session.query(
                    SqlMetric.run_uuid, SqlMetric.step, SqlMetric.timestamp, SqlMetric.value,
                    SqlMetric.is_nan,
                ).filter(SqlMetric.key == metric, SqlMetric.run_uuid.in_(chunk)))
                rows = _fetch_rows(session, sql, bind())
            parts.append(_points(rows))
    return np.concatenate(parts)


def _points(rows: list[Any]) -> np.ndarray:
    """Metric points, rows of :data:`POINT_FIELDS`' columns, as one structured array.

    Typed columns straight from the rows: a DataFrame of 200,000 rows costs more to build than
    the query takes. NaNs are read back (:func:`_with_nans`).
    """
    import numpy as np

    return _with_nans(np.array(rows, dtype=POINT_FIELDS))


def _with_nans(points: np.ndarray) -> np.ndarray:
    """Points read from MLflow's tables (fields ``value`` and ``is_nan``) with their NaNs back:
    the tables keep a NaN as 0 with ``is_nan`` set, and MLflow's client reads it as NaN."""
    import numpy as np

    points["value"][points["is_nan"]] = np.nan
    return points


def _read_runs_sql(client: MlflowClient, experiment_ids: list[str]) -> pd.DataFrame | None:
    """What ``mlflow.search_runs(output_format="pandas")`` returns, read with column queries.

    On SQL stores ``search_runs`` builds an ORM object per param, tag and metric (43 s for
    10,000 runs here); selecting the same columns from MLflow's own tables takes a fraction.
    The (run, key, value) rows of each table go into a runs x keys array through typed
    columns, not a DataFrame of rows pivoted (a 100,000-run store holds 2.5 million rows).
    When the runs asked for are most of the store's (:data:`SCAN_SHARE`), each table is read
    whole and the rows of other runs dropped here: joining every row to its run to filter it
    took SQLite as long again as reading the rows. Returns ``None`` when the store is not a SQL
    store.
    """
    import numpy as np
    import pandas as pd
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlParam, SqlRun, SqlTag
    from sqlalchemy import func

    store = sql_store(client)
    if store is None:
        return None
    ids = [int(e) for e in experiment_ids]
    active = (SqlRun.experiment_id.in_(ids), SqlRun.lifecycle_stage == "active")
    with store.ManagedSessionMaker() as session:
        runs = _fetch(session, session.query(
            SqlRun.run_uuid, SqlRun.experiment_id, SqlRun.status, SqlRun.artifact_uri,
            SqlRun.start_time, SqlRun.end_time,
        ).filter(*active), ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"])
        scan = len(runs) >= SCAN_SHARE * session.query(func.count(SqlRun.run_uuid)).scalar()
        position = pd.Index(runs["run_id"].to_numpy(dtype=object), dtype=object)
        columns: dict[str, np.ndarray] = {}
        for prefix, table in ((METRIC, SqlLatestMetric), (PARAM, SqlParam), (TAG, SqlTag)):
            metric = table is SqlLatestMetric
            query = session.query(table.run_uuid, table.key, table.value, *([table.is_nan] if metric else []))
            if not scan:
                query = query.join(SqlRun, SqlRun.run_uuid == table.run_uuid).filter(*active)
            sql, bind = _prepared(session, query)
            fields = [("run_id", "O"), ("key", "O"), ("value", "f8" if metric else "O"),
                      *([("is_nan", "?")] if metric else [])]
            found = np.array(_fetch_rows(session, sql, bind()), dtype=fields)
            if metric:
                found = _with_nans(found)
            run_codes, run_ids = pd.factorize(found["run_id"])
            run_at = position.get_indexer(run_ids)[run_codes]
            found, run_at = found[run_at >= 0], run_at[run_at >= 0]  # other runs' rows, when scanned
            key_at, keys = pd.factorize(found["key"])
            values = np.full((len(position), len(keys)), np.nan if metric else None, dtype=found["value"].dtype)
            values[run_at, key_at] = found["value"]
            for at in sorted(range(len(keys)), key=lambda at: keys[at]):  # pivot's column order
                columns[prefix + keys[at]] = values[:, at]
    frame = pd.concat([runs, pd.DataFrame(columns, index=runs.index)], axis=1)
    frame["experiment_id"] = frame["experiment_id"].astype(str)
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], unit="ms", utc=True)
    return frame.sort_values("start_time", ascending=False, ignore_index=True)


def _fetch(session: Any, query: Any, columns: list[str]) -> pd.DataFrame:
    """Run an SQLAlchemy query on the raw database cursor and return its rows as a DataFrame.

    SQLAlchemy's result rows cost microseconds each; plain DB-API tuples make reading 10,000
    runs' params, tags and metrics several times faster.
    """
    import pandas as pd

    sql, bind = _prepared(session, query)
    return pd.DataFrame.from_records(_fetch_rows(session, sql, bind()), columns=columns)


def _prepared(session: Any, query: Any) -> tuple[str, Callable[..., Any]]:
    """An SQLAlchemy query as the SQL text of the session's database driver, compiled once,
    and a function giving its parameters (``bind(name=value)`` sets a ``bindparam``)."""
    connection = session.connection()
    compiled = query.statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})

    def bind(**values: Any) -> Any:
        params = compiled.construct_params(values)
        return tuple(params[name] for name in compiled.positiontup) if compiled.positional else params

    return str(compiled), bind


def _fetch_rows(session: Any, sql: str, params: Any) -> list[Any]:
    """Run ``sql`` with ``params`` on the session's raw database cursor; its rows (DB-API tuples)."""
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _split_histories(run_ids: list[str], points: np.ndarray) -> dict[str, tuple[np.ndarray, ...]]:
    """Sort points (:func:`_points`) into per-run arrays, one value per step."""
    import numpy as np

    empty = (np.array([], dtype=np.int64), np.array([]), np.array([]))
    found: dict[str, tuple[np.ndarray, ...]] = dict.fromkeys(run_ids, empty)
    if not len(points):
        return found
    import pandas as pd

    codes, names = pd.factorize(points["run_id"])
    steps, stamps, values = points["step"], points["timestamp"], points["value"]
    order = np.lexsort((stamps, steps, codes))
    codes, steps, stamps, values = codes[order], steps[order], stamps[order], values[order]
    last_of_step = np.r_[(codes[1:] != codes[:-1]) | (steps[1:] != steps[:-1]), True]
    codes, steps, stamps, values = codes[last_of_step], steps[last_of_step], stamps[last_of_step], values[last_of_step]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    for a, b in zip(starts, np.r_[starts[1:], len(codes)]):
        found[names[codes[a]]] = (steps[a:b], (stamps[a:b] - stamps[a:b].min()) / 1000.0, values[a:b])
    return found


def _read_runs_client(client: MlflowClient, experiment_ids: list[str]) -> pd.DataFrame:
    """The columns of ``mlflow.search_runs(output_format="pandas")``, read page by page through
    ``client`` (never through MLflow's process-wide tracking URI)."""
    import pandas as pd

    rows, token = [], None
    while True:
        page = client.search_runs(experiment_ids, max_results=10_000, page_token=token)
        for run in page:
            info = run.info
            rows.append({
                "run_id": info.run_id, "experiment_id": info.experiment_id, "status": info.status,
                "artifact_uri": info.artifact_uri, "start_time": info.start_time, "end_time": info.end_time,
                **{METRIC + k: v for k, v in run.data.metrics.items()},
                **{PARAM + k: v for k, v in run.data.params.items()},
                **{TAG + k: v for k, v in run.data.tags.items()},
            })
        token = page.token
        if not token:
            break
    frame = pd.DataFrame(rows, columns=None if rows else ["run_id", "experiment_id", "status"])
    for column in ("start_time", "end_time"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], unit="ms", utc=True)
    return frame


def _tidy_runs(frame: pd.DataFrame, experiments: dict[str, str]) -> pd.DataFrame:
    """Name the columns the views use and turn numeric params into numbers."""
    import numpy as np
    import pandas as pd

    frame = frame.copy()
    frame["experiment"] = frame["experiment_id"].map(experiments).fillna(frame["experiment_id"])
    frame["run_name"] = frame.get(TAG + record.TAG_RUN_NAME, frame["run_id"])
    sweep = frame.get(TAG + record.TAG_SWEEP, pd.Series(None, index=frame.index, dtype=object))
    size = frame.get(TAG + record.TAG_SWEEP_SIZE, pd.Series(None, index=frame.index, dtype=object))
    both = sweep.notna() & size.notna()
    frame["sweep"] = sweep.astype(object).where(~both, sweep.astype(str) + " · " + size.astype(str))
    for column in ("start_time", "end_time"):
        if column not in frame:
            frame[column] = pd.NaT
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["duration_s"] = (frame["end_time"] - frame["start_time"]).dt.total_seconds()
    for column in [c for c in frame.columns if c.startswith(PARAM)]:
        codes, distinct = pd.factorize(frame[column])  # a param has a handful of values
        values = pd.Series(distinct, dtype=object).replace("null", None)
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().sum() == values.notna().sum():
            frame[column] = np.where(codes >= 0, numbers.to_numpy(dtype=float)[codes], np.nan)
    for column in [c for c in frame.columns if c.startswith(METRIC)]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame.reset_index(drop=True)


_stores: dict[str, RunStore] = {}
_stores_lock = threading.Lock()


def open_store(tracking_uri: str | None = None) -> RunStore:
    """The shared :class:`RunStore` of ``tracking_uri`` (default: :func:`store_uri`).

    :raises StoreNotFound: when the store is not there (nothing is created).
    """
    uri = store_uri(tracking_uri)
    with _stores_lock:
        if uri not in _stores:
            _stores[uri] = RunStore(uri)
        return _stores[uri]
