"""A fixed glibc mmap threshold, so that CPU peak-memory figures are faithful.

glibc serves large allocations with ``mmap`` and returns them to the system when freed, but
by default it raises its threshold each time such a block is freed (up to 32 MiB), after
which large tensors stay in the heap: the resident set then keeps memory a run no longer
uses, and peaks depend on what ran before. A fixed threshold (``MALLOC_MMAP_THRESHOLD_``,
:data:`MMAP_THRESHOLD` bytes) turns that adjustment off. glibc reads the variable when a
process starts, so a sweep puts it in its workers' environment (:func:`set_for_children`);
a process that trains without it (``seqlab run``, a Ray worker) sets the same threshold with
``mallopt`` (:func:`apply_in_process`). A value the user set in the environment is kept.
"""

from __future__ import annotations

import ctypes
import os

MMAP_THRESHOLD_VARIABLE = "MALLOC_MMAP_THRESHOLD_"
MMAP_THRESHOLD = 131072
"""Bytes: glibc's initial threshold (128 KiB), held fixed."""
_M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter number for the mmap threshold (``malloc.h``)."""


def set_for_children() -> None:
    """Put the threshold in this process's environment, for the processes it starts (a
    sweep's fork server and workers), unless the user set one."""
    os.environ.setdefault(MMAP_THRESHOLD_VARIABLE, str(MMAP_THRESHOLD))


def apply_in_process() -> bool:
    """Fix the threshold of this running process with glibc's ``mallopt``, unless the
    environment set it at start (glibc has then applied it).

    :returns: whether the process runs with a fixed threshold (False without glibc).
    """
    if MMAP_THRESHOLD_VARIABLE in os.environ:
        return True
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to fix
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
