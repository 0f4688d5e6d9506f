"""A local sweep's store calls, made by its launcher for its workers.

Every run of a local sweep trains in a process of its own. Were each to open the store, each
would pay the same work again: MLflow itself and its SQL store module (seconds of imports, on
the fork server's way to the first run), a connection, and every SQL statement compiled anew in
a fresh process. The launcher has the store open anyway: it makes its workers' store calls, from
threads of its own (:class:`StoreRelay`).

What travels is a run's store *operations*, not MLflow's calls: functions marked
:func:`relayable` (:mod:`seqlab.store.operations`, and a sweep's own) take the client as their
first argument and plain values (strings, numbers, tuples) after it. In a
worker, :func:`seqlab.store.tracking.open_client` returns a :class:`RelayedClient`; an
operation called with it is sent to the launcher, which calls it with its own client. So a
run's process never imports MLflow, each operation (which may be several MLflow calls) is one
exchange, and writes stay as synchronous as before. What the store raises is raised in the
worker (the launcher's chain of causes comes along as the error's cause).

A worker whose launcher has gone (killed outright; its orphaned workers train on) opens the store
itself and records its run to the end, as before. An operation under way when the launcher went
may or may not have been made: it is made again, unless marked not to be (creating a run, which
then fails the run rather than make a second one); MLflow keeps a value, param or tag written
twice once.
"""

from __future__ import annotations

import functools
import importlib
import os
import pickle
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from seqlab.store.writing import uninterrupted

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from mlflow import MlflowClient

Operation = TypeVar("Operation", bound=Callable[..., Any])

_OPERATIONS: dict[str, tuple[Callable[..., Any], bool]] = {}
"""The relayable operations, by name (``module:function``), with whether each is repeated."""

Address = tuple[str, bytes]
"""Where a worker reaches its launcher's relay: the socket's path and the key it must show."""


def relayable(*, repeat: bool = True) -> Callable[[Operation], Operation]:
    """Mark ``operation(client, *args)``, a store operation of a run, as one a sweep's
    launcher makes for its workers: called with a :class:`RelayedClient`, it is made by the
    launcher with its client; called with an ``MlflowClient``, it is made here. Its other
    arguments and its result must pickle without MLflow (plain values).

    :param repeat: whether a worker whose launcher went during the operation makes it again
        itself (``False``: the operation raises; for those that must not happen twice).
    """

    def mark(operation: Operation) -> Operation:
        name = f"{operation.__module__}:{operation.__qualname__}"
        _OPERATIONS[name] = (operation, repeat)

        @functools.wraps(operation)
        def dispatch(client: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(client, RelayedClient):
                with uninterrupted():  # a stop signal waits for the launcher's answer
                    return client.make(name, args, kwargs)
            return operation(client, *args, **kwargs)

        return cast("Operation", dispatch)

    return mark


def _operation(name: str) -> Callable[..., Any]:
    """The relayable operation called ``name``, its module imported if need be.

    :raises RelayError: when there is no such relayable operation.
    """
    if name not in _OPERATIONS:
        try:
            importlib.import_module(name.partition(":")[0])
        except ImportError:
            pass
    if name not in _OPERATIONS:
        raise RelayError(f"{name} is not an operation the store relay makes")
    return _OPERATIONS[name][0]


class RelayError(RuntimeError):
    """What the launcher's store raised, when it cannot travel as itself; or, as an error's
    cause, the launcher's chain of causes in words."""


class StoreRelay:
    """Makes the :func:`relayable` operations workers send, with an MLflow client, until closed.

    Each worker connects once and is served by a thread of its own; operations of different
    workers run at once as they would in their own processes (the store's own locks order them).

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
        """Answer one worker's operations, in order, until it hangs up; whatever fails is
        answered."""
        with connection:
            while True:
                try:
                    message = connection.recv_bytes()
                except (EOFError, OSError):
                    return
                try:
                    name, args, kwargs = pickle.loads(message)
                    operation = _operation(name)
                    reply: tuple[bool, Any] = (True, operation(self._client, *args, **kwargs))
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
    """Stands in for an ``MlflowClient`` in a sweep's worker: the :func:`relayable`
    operations called with it are made by the launcher.

    :param address: the launcher's relay.
    :param open_directly: opens the store in this process, for when the launcher has gone.
    """

    def __init__(self, address: Address, open_directly: Callable[[], MlflowClient]) -> None:
        self._address = address
        self._open_directly = open_directly
        self._connection: Connection | None = None
        self._direct: MlflowClient | None = None

    @property
    def relayed(self) -> bool:
        """Whether the launcher still makes this process's operations."""
        return self._direct is None

    def make(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Have the launcher make the operation ``name``; make it here once it has gone."""
        operation, repeat = _OPERATIONS[name]
        if self._direct is None:
            from multiprocessing.connection import Client

            try:
                if self._connection is None:
                    self._connection = Client(self._address[0], authkey=self._address[1])
                self._connection.send((name, args, kwargs))
            except BaseException as exc:
                self._drop()  # an operation cut short in sending never reaches the launcher
                if not isinstance(exc, OSError):
                    raise
                self._direct = self._open_directly()  # not sent: the launcher has gone
            else:
                try:
                    made, value = self._connection.recv()
                except BaseException as exc:  # an answer may still come: never read it as another's
                    self._drop()
                    if not isinstance(exc, (EOFError, OSError)) or not repeat:
                        raise
                    self._direct = self._open_directly()  # the launcher went during the operation
                else:
                    if made:
                        return value
                    error, causes = value
                    raise error from (RelayError("; ".join(causes)) if causes else None)
        return operation(self._direct, *args, **kwargs)

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


_relay: RelayedClient | None = None


def relay_to(address: Address | None, open_directly: Callable[[], MlflowClient]) -> None:
    """Have this process's store operations made by the launcher at ``address`` (``None``: by this
    process itself). Called by a sweep's worker before its run.

    :param open_directly: opens the store in this process, for when the launcher has gone.
    """
    global _relay
    _relay = RelayedClient(address, open_directly) if address else None


def relayed_client() -> RelayedClient | None:
    """The client standing in for the store in this process, if its launcher makes its calls."""
    return _relay
