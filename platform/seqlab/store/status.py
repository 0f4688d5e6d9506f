"""How a run ends: one enum for the statuses seqlab writes, reads and shows."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """A run's status; the first four are MLflow's own, the others only seqlab's.

    Members are strings, so they compare equal to the status MLflow returns.
    """

    RUNNING = "RUNNING"
    """Training, or left by a process that died (``seqlab sweep`` closes those as KILLED)."""
    FINISHED = "FINISHED"
    """Trained to the end, or stopped early because it diverged (a result)."""
    FAILED = "FAILED"
    """Stopped by an error."""
    KILLED = "KILLED"
    """Stopped by Ctrl-C, SIGTERM or a stopped sweep."""
    REFUSED = "REFUSED"
    """A run refused before anything was built or recorded (bad input: exit code 2; never in
    the store)."""
    NOT_STARTED = "NOT_STARTED"
    """A sweep's run the sweep was stopped before it began (never in the store)."""
    DIVERGED = "DIVERGED"
    """How a sweep's report shows a FINISHED run that diverged (never in the store)."""
