"""A local sweep's store calls, made by its launcher for its workers.

Every run of a local sweep trains in a process of its own. Were each to open the store, each
would pay the same work again: MLflow's SQL store module (over a second of imports, on the
fork server's way to the first run), a connection, and every SQL statement compiled anew in a
fresh process. The launcher has the store open anyway: it serves its client's calls to the
workers over a local socket, from threads of its own (:class:`StoreRelay`). In a worker, a
:class:`RelayedClient` stands in for an ``MlflowClient`` (:func:`seqlab.store.tracking.open_client`
returns it there) and has the launcher make each call it knows (:data:`RELAYED`). A call waits
for the launcher's answer, so writes are as synchronous as before, and what the store raises is
raised in the worker (the launcher's chain of causes comes along as the error's cause).

A worker whose launcher has gone (killed outright; its orphaned workers train on) opens the store
itself and records its run to the end, as before. A call under way when the launcher went may
or may not have been made: it is made again, except creating a run (which then fails the run
rather than make a second one); MLflow keeps a value, param or tag written twice once.
"""

from __future__ import annotations

import functools
import os
import pickle
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from mlflow import MlflowClient

RELAYED = frozenset({
    "create_experiment", "create_run", "get_experiment_by_name", "get_run", "log_batch",
    "log_text", "search_runs", "set_tag", "set_terminated",
})
"""The ``MlflowClient`` calls a worker's runs make, which the launcher makes for them."""

NOT_REPEATED = frozenset({"create_run"})
"""Calls not made again by a worker whose launcher went while making them."""

Address = tuple[str, bytes]
"""Where a worker reaches its launcher's relay: the socket's path and the key it must show."""


class RelayError(RuntimeError):
    """What the launcher's store raised, when it cannot travel as itself; or, as an error's
    cause, the launcher's chain of causes in words."""


class StoreRelay:
    """Serves an MLflow client's :data:`RELAYED` calls to workers, until closed.

    Each worker connects once and is served by a thread of its own; calls of different workers
    run at once as they would in their own processes (the store's own locks order them).

    :param client: the launcher's client on the sweep's store.
    """

    def __init__(self, client: MlflowClient) -> None:
        from multiprocessing.connection import Listener

        self._client = client
        key = os.urandom(32)
        self._listener = Listener(family="AF_UNIX", authkey=key)
        self.address: Address = (str(self._listener.address), key)
        self._closed = False
        threading.Thread(target=self._accept, name="seqlab-store-relay", daemon=True).start()

    def __enter__(self) -> StoreRelay:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Take no more workers (calls under way are answered; workers still running
        afterwards open the store themselves)."""
        from multiprocessing.connection import Client

        if self._closed:
            return
        self._closed = True
        try:
            Client(self.address[0], authkey=self.address[1]).close()  # wakes the accepting thread
        except OSError:
            pass
        self._listener.close()

    def _accept(self) -> None:
        from multiprocessing import AuthenticationError

        while not self._closed:
            try:
                connection = self._listener.accept()
            except (OSError, EOFError, AuthenticationError):  # closed, or a caller without the key
                continue
            name = "seqlab-store-relay-worker"
            threading.Thread(target=self._serve, args=(connection,), name=name, daemon=True).start()

    def _serve(self, connection: Connection) -> None:
        """Answer one worker's calls, in order, until it hangs up; whatever fails is answered."""
        with connection:
            while True:
                try:
                    message = connection.recv_bytes()
                except (EOFError, OSError):
                    return
                try:
                    method, args, kwargs = pickle.loads(message)
                    if method not in RELAYED:
                        raise RelayError(f"{method} is not a call the store relay makes")
                    reply: tuple[bool, Any] = (True, getattr(self._client, method)(*args, **kwargs))
                except Exception as exc:
                    reply = (False, _portable(exc))
                try:
                    answer = pickle.dumps(reply)
                except Exception as exc:
                    answer = pickle.dumps((False, _portable(exc)))
                try:
                    connection.send_bytes(answer)
                except OSError:
                    return  # the worker has gone


def _portable(error: Exception) -> tuple[Exception, list[str]]:
    """An error as it can travel: itself if it survives pickling (else a :class:`RelayError`
    naming its type and message), and its chain of causes in words, which pickling drops."""
    causes = []
    seen = error.__cause__ or error.__context__
    while seen is not None and len(causes) < 10:
        causes.append(f"{type(seen).__name__}: {seen}")
        seen = seen.__cause__ or seen.__context__
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:
        copy = RelayError(f"{type(error).__name__}: {error}")
    return copy, causes


class RelayedClient:
    """Stands in for an ``MlflowClient`` in a sweep's worker: the launcher makes its calls.

    :param address: the launcher's relay.
    :param open_directly: opens the store in this process, for when the launcher has gone.
    """

    def __init__(self, address: Address, open_directly: Callable[[], MlflowClient]) -> None:
        self._address = address
        self._open_directly = open_directly
        self._connection: Connection | None = None
        self._direct: MlflowClient | None = None

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in RELAYED:
            raise AttributeError(f"{name} is not a call the store relay makes")
        return functools.partial(self._call, name)

    @property
    def relayed(self) -> bool:
        """Whether the launcher still makes this process's calls."""
        return self._direct is None

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._direct is None:
            from multiprocessing.connection import Client

            try:
                if self._connection is None:
                    self._connection = Client(self._address[0], authkey=self._address[1])
                self._connection.send((method, args, kwargs))
            except BaseException as exc:
                self._drop()  # a call cut short in sending never reaches the launcher
                if not isinstance(exc, OSError):
                    raise
                self._direct = self._open_directly()  # not sent: the launcher has gone
            else:
                try:
                    made, value = self._connection.recv()
                except BaseException as exc:  # an answer may still come: never read it as another's
                    self._drop()
                    if not isinstance(exc, (EOFError, OSError)) or method in NOT_REPEATED:
                        raise
                    self._direct = self._open_directly()  # the launcher went during the call
                else:
                    if made:
                        return value
                    error, causes = value
                    raise error from (RelayError("; ".join(causes)) if causes else None)
        return getattr(self._direct, method)(*args, **kwargs)

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


_relay: RelayedClient | None = None


def relay_to(address: Address | None, open_directly: Callable[[], MlflowClient]) -> None:
    """Have this process's store calls made by the launcher at ``address`` (``None``: by this
    process itself). Called by a sweep's worker before its run.

    :param open_directly: opens the store in this process, for when the launcher has gone.
    """
    global _relay
    _relay = RelayedClient(address, open_directly) if address else None


def relayed_client() -> RelayedClient | None:
    """The client standing in for the store in this process, if its launcher makes its calls."""
    return _relay
