"""``seqlab`` ends its process without the interpreter's teardown, and nothing else changes:
the exit status, the output, ``atexit`` functions and threads that are not daemons."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = """
import atexit, sys, threading, time
from seqlab.console.quick_exit import exit_now

def later():
    time.sleep(0.3)
    open(sys.argv[1], "a").write("thread ")

threading.Thread(target=later).start()
atexit.register(lambda: open(sys.argv[1], "a").write("atexit"))
sys.stdout.write("unflushed output")
exit_now({code})
"""


@pytest.mark.parametrize(
    ("code", "status", "stderr"), [("None", 0, ""), ("3", 3, ""), ("'a message'", 1, "a message\n")]
)
def test_exit_now_keeps_what_an_orderly_exit_promises(
    tmp_path: Path, code: str, status: int, stderr: str
) -> None:
    trail = tmp_path / "trail.txt"
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(code=code), str(trail)],
        capture_output=True, text=True, timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (status, "unflushed output", stderr)
    assert trail.read_text() == "thread atexit", "threads joined first, then atexit functions"


def test_the_seqlab_command_keeps_its_exit_status(tmp_path: Path) -> None:
    from conftest import run_seqlab

    assert run_seqlab("describe", "lstm", cwd=tmp_path).returncode == 0
    refused = run_seqlab("describe", "no-such-component", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.startswith("error: ")


def test_exit_now_ends_the_idle_workers_of_a_thread_pool_still_referenced() -> None:
    """A pool kept alive (MLflow caches the artifact repositories that own one) has idle
    workers that are not daemons: an orderly exit tells them to end, and so must exit_now,
    else it waits for them forever."""
    program = (
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from seqlab.console.quick_exit import exit_now\n"
        "POOL = ThreadPoolExecutor(max_workers=2)\n"
        "POOL.submit(print, 'done').result()\n"
        "exit_now(None)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout) == (0, "done\n")
