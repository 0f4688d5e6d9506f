"""Ending the ``seqlab`` process once its work is done, without the interpreter's teardown.

After a command returns, CPython tears the interpreter down: it clears every module and
collects what they held. With torch, Lightning, MLflow and SQLAlchemy loaded that took 2-3 s
of CPU on the development machine (benchmarks/startup.py; docs/benchmarks.md#start-up): as long
as seqlab's own work beyond the imports of a tiny ``seqlab run``. Nothing in it is needed once
the output is written: the process's memory goes back to the system at exit either way.

:func:`exit_now` keeps everything an orderly exit promises that anyone can observe: threads
that are not daemons are told to end as at an orderly exit (``threading``'s exit hooks, which
end ``concurrent.futures`` pools' idle workers) and waited for, every ``atexit`` function
runs (logging's flush, multiprocessing's clean-up of its children, ``weakref.finalize``
callbacks, the store's connections closed, which checkpoints an SQLite store's log into the
database file),
standard output and error are flushed, and the exit status is the command's. Only the
module-by-module teardown is skipped.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn


def exit_status(code: object) -> int:
    """The process exit status Python gives ``SystemExit(code)``: 0 for ``None``, the number
    for an int, else 1 (the value itself is printed on standard error)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def exit_now(code: object) -> NoReturn:
    """End the process as an orderly exit with ``SystemExit(code)`` would, skipping only the
    interpreter's teardown (see the module's docstring)."""
    status = exit_status(code)
    # what the interpreter runs before it waits for threads: ``concurrent.futures`` ends its
    # pools' idle workers here (MLflow downloads artifacts through one), else they wait forever
    for hook in reversed(getattr(threading, "_threading_atexits", [])):
        hook()
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away, or a stream already closed
            status = status or 120  # what Python itself exits with when the flush fails
    os._exit(status)
