"""Sweeps: a suite file expanded into many runs, run in parallel locally or on Ray, resumable.

``suite`` reads and expands suite files; ``worker`` trains one run in a worker process;
``local`` and ``on_ray`` are the executors; ``launch`` ties them to the store; ``report``
shows plans, progress and summaries. ``docs/sweeps.md`` is the user's guide.
"""
