"""Real sweeps on local worker processes: parallel writes, failure isolation, stop and resume."""

from __future__ import annotations

import io
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from conftest import SEQLAB, TINY_RUN, registered_plugin, run_seqlab
from seqlab.store import record
from seqlab.registry.components import build_registry
from seqlab.sweep.launch import run_sweep
from seqlab.sweep.suite import Suite, expand, load_suite

TINY_BASE = dict(item.split("=", 1) for item in TINY_RUN)


def runs_of(uri: str, experiment: str) -> list:
    """Every run of an experiment, read back from the store."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    return [] if found is None else client.search_runs([found.experiment_id], max_results=1000)


def quiet() -> Console:
    return Console(file=io.StringIO(), width=200)


def test_two_workers_record_every_run_of_a_sweep(store: str) -> None:
    suite = Suite(name="parallel", base=TINY_BASE,
                  grid={"seed": [0, 1, 2, 3, 4, 5], "model.hidden_size": [4, 8]})
    plan = expand(suite, build_registry())
    report = run_sweep(plan, workers=2, console=quiet())
    assert report.exit_code == 0
    assert report.count("FINISHED") == 12
    runs = runs_of(store, "parallel")
    assert len(runs) == 12
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert {run.data.tags[record.TAG_SWEEP] for run in runs} == {"parallel"}
    assert {run.data.tags[record.TAG_SPEC_HASH] for run in runs} == {
        planned.spec.spec_hash() for planned in plan.runnable
    }
    assert all(record.validation_metric("loss") in run.data.metrics for run in runs)

    again = run_sweep(plan, workers=2, console=quiet())  # resume: nothing left to do
    assert len(again.already_finished) == 12 and again.results == []
    assert len(runs_of(store, "parallel")) == 12


def test_a_sweep_trains_no_more_runs_at_once_than_its_workers(store: str) -> None:
    """Runs train ``--workers`` at a time, never more (their recorded lives never overlap
    more), and do train in parallel."""
    suite = Suite(name="slots", base=TINY_BASE, grid={"seed": list(range(8))})
    report = run_sweep(expand(suite, build_registry()), workers=2, console=quiet())
    assert report.count("FINISHED") == 8
    runs = runs_of(store, "slots")
    events = sorted([(run.info.start_time, 1) for run in runs] + [(run.info.end_time, -1) for run in runs])
    at_once = [sum(change for _, change in events[: i + 1]) for i in range(len(events))]
    assert max(at_once) == 2, events


def test_a_run_records_the_same_metrics_in_a_sweep_as_alone(store: str, tmp_path: Path) -> None:
    """Run processes forked from the warm fork server share nothing that changes results."""
    suite = Suite(name="together", base=TINY_BASE, grid={"seed": [0, 1]})
    plan = expand(suite, build_registry())
    report = run_sweep(plan, workers=2, threads=1, console=quiet())
    assert report.count("FINISHED") == 2
    for planned in plan.runnable:
        config = tmp_path / f"run{planned.index}.yaml"
        config.write_text(planned.spec.to_yaml())  # type: ignore[union-attr]  # runnable
        done = run_seqlab("run", "--config", str(config), "--experiment", "alone",
                          "--no-progress", env={"OMP_NUM_THREADS": "1"})
        assert done.returncode == 0, done.stderr
    swept = {run.data.tags[record.TAG_SPEC_HASH]: run.data.metrics for run in runs_of(store, "together")}
    alone = {run.data.tags[record.TAG_SPEC_HASH]: run.data.metrics for run in runs_of(store, "alone")}
    assert set(swept) == set(alone) and len(swept) == 2
    for spec_hash, metrics in swept.items():
        results = {key: value for key, value in metrics.items() if not key.startswith("eff/")}
        assert results and record.validation_metric("loss") in results
        assert results == {key: alone[spec_hash][key] for key in results}


def test_the_fork_server_warm_up_loads_the_stack_without_starting_it(store: str) -> None:
    """The preload imports what a run needs and loads the plugins, takes torch once through a
    training step, but leaves no thread, device or database connection that a forked run
    process would inherit, and torch's random state and thread count as they were; it does
    not import MLflow (the launcher makes the runs' store operations)."""
    import sys

    check = (
        "import os, sys, threading, torch\n"
        "torch.manual_seed(7)\n"
        "before = (torch.random.get_rng_state(), torch.get_num_threads())\n"
        "import seqlab.sweep.preload\n"
        "assert 'mlflow' not in sys.modules\n"
        "assert torch.equal(torch.random.get_rng_state(), before[0])\n"
        "assert torch.get_num_threads() == before[1]\n"
        "from seqlab.registry.plugin_manager import get_plugins\n"
        "missing = [m for m in seqlab.sweep.preload.TRAINING_STACK if m not in sys.modules]\n"
        "assert not missing, missing\n"
        "assert any(p.name.endswith('models.lstm') for p in get_plugins())\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "assert not torch.cuda.is_initialized()\n"
        "def target(fd):\n"
        "    try:\n"
        "        return os.readlink(f'/proc/self/fd/{fd}')\n"
        "    except OSError:  # the listing's own descriptor, closed by now\n"
        "        return ''\n"
        "open_files = [target(fd) for fd in os.listdir('/proc/self/fd')]\n"
        "assert not [f for f in open_files if 'mlflow.db' in f], open_files\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


BROKEN_PLUGIN = '''
"""A throwaway model plugin whose forward pass always fails."""
from pydantic import Field

from seqlab import Params, hookimpl


class BrokenParams(Params):
    hidden_size: int = Field(8, description="units")


def build_broken(params, input_size):
    """A model that raises on its first forward pass."""
    import torch

    class Broken(torch.nn.Module):
        output_size = params.hidden_size

        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(input_size, params.hidden_size)

        def forward(self, x, state=None, lengths=None):
            raise RuntimeError("broken model: forward always fails")

    return Broken()


@hookimpl
def register_models(register):
    register("broken", build_broken, BrokenParams)
    register("killed", build_killed, BrokenParams)


def build_killed(params, input_size):
    """A model whose process is killed on its first forward pass in training, as by the OOM
    killer (seqlab's contract check before the run, without gradients, only sees it raise)."""
    import os
    import signal

    import torch

    model = build_broken(params, input_size)
    raising = model.forward

    def forward(*args, **kwargs):
        if torch.is_grad_enabled():
            os.kill(os.getpid(), signal.SIGKILL)
        return raising(*args, **kwargs)

    model.forward = forward
    return model
'''


PROBE_PLUGIN = '''
"""A throwaway model plugin that says, as it trains, what its process has loaded."""
import json
import os
import sys

from pydantic import Field

from seqlab import Params, hookimpl


class ProbeParams(Params):
    hidden_size: int = Field(8, description="units")


def build_probe(params, input_size):
    """A GRU that appends to PROBE_FILE, on its first training step, whether its process
    makes its store operations through the launcher and whether it imported MLflow."""
    import torch

    from seqlab.store.relay import relayed_client

    class Probe(torch.nn.Module):
        output_size = params.hidden_size

        def __init__(self):
            super().__init__()
            self.layer = torch.nn.GRU(input_size, params.hidden_size, batch_first=True)
            self.told = False

        def forward(self, x, state=None, lengths=None):
            if torch.is_grad_enabled() and not self.told:  # the run exists by now
                self.told = True
                relayed = relayed_client()
                with open(PROBE_FILE, "a") as probe:
                    probe.write(json.dumps({
                        "pid": os.getpid(),
                        "relayed": relayed is not None and relayed.relayed,
                        "mlflow": "mlflow" in sys.modules,
                    }) + "\\n")
            return self.layer(x, state)

    return Probe()


@hookimpl
def register_models(register):
    register("probe", build_probe, ProbeParams)
'''


def test_a_sweeps_runs_make_their_store_calls_through_the_launcher(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No run process of a local sweep opens the store, nor even imports MLflow: the
    launcher makes their store operations, and what they record is in the store as usual."""
    import json

    probe_file = tmp_path / "probe.jsonl"
    (tmp_path / "sweep_probe_plugin.py").write_text(
        PROBE_PLUGIN.replace("PROBE_FILE", repr(str(probe_file)))
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import sweep_probe_plugin

    with registered_plugin(sweep_probe_plugin):
        suite = Suite(name="relayed", base={**TINY_BASE, "model": "probe"}, grid={"seed": [0, 1, 2]})
        report = run_sweep(expand(suite, build_registry()), workers=2, console=quiet())
    assert report.count("FINISHED") == 3
    told = [json.loads(line) for line in probe_file.read_text().splitlines()]
    assert len({entry["pid"] for entry in told}) == 3  # a process per run
    assert all(entry["relayed"] and not entry["mlflow"] for entry in told), told
    runs = runs_of(store, "relayed")
    assert {run.info.status for run in runs} == {"FINISHED"} and len(runs) == 3
    assert all(record.validation_metric("loss") in run.data.metrics for run in runs)


def test_a_sweeps_launcher_never_imports_torch(store: str, tmp_path: Path) -> None:
    """torch is the fork server's to import: the launcher, which makes the runs' store calls,
    reads only plain data from them (a run's tag in torch's own string type once made it
    import torch, seconds on the way to the first run)."""
    import sys

    suite = tmp_path / "light.yaml"
    suite.write_text(yaml.safe_dump({"name": "light", "base": TINY_BASE, "grid": {"seed": [0]}}))
    launcher = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('launcher imported torch:', 'torch' in sys.modules))\n"
        f"sys.argv = ['seqlab', 'sweep', {str(suite)!r}, '--workers', '1']\n"
        "from seqlab.cli import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True,
                          env={**os.environ, "MLFLOW_TRACKING_URI": store}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "launcher imported torch: False" in done.stdout, done.stdout
    assert [run.info.status for run in runs_of(store, "light")] == ["FINISHED"]


def test_a_failing_run_does_not_stop_the_sweep(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sweep_broken_plugin.py").write_text(BROKEN_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    import sweep_broken_plugin

    with registered_plugin(sweep_broken_plugin):
        suite = Suite(name="isolation", base=TINY_BASE,
                      grid={"model": ["broken", "lstm"], "seed": [0, 1]})
        output = io.StringIO()
        report = run_sweep(expand(suite, build_registry()), workers=2,
                           console=Console(file=output, width=200))
    assert report.exit_code == 1
    assert Counter(result.status for result in report.results) == {"FINISHED": 2, "FAILED": 2}
    failed = [result for result in report.results if result.status == "FAILED"]
    assert all("broken model: forward always fails" in result.reason for result in failed)
    assert "broken model: forward always fails" in output.getvalue()
    statuses = Counter(
        (run.data.params["model"], run.info.status) for run in runs_of(store, "isolation")
    )
    assert statuses == {("broken", "FAILED"): 2, ("lstm", "FINISHED"): 2}


@pytest.mark.fault
def test_a_worker_process_killed_by_the_system_does_not_stop_the_sweep(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sweep_broken_plugin.py").write_text(BROKEN_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    import sweep_broken_plugin

    with registered_plugin(sweep_broken_plugin):
        suite = Suite(name="lost", base=TINY_BASE,
                      grid={"model": ["killed", "lstm"], "seed": [0, 1]})
        report = run_sweep(expand(suite, build_registry()), workers=1, console=quiet())
    outcome = sorted((result.index, result.status) for result in report.results)
    assert outcome == [(1, "FAILED"), (2, "FAILED"), (3, "FINISHED"), (4, "FINISHED")]
    assert all("worker process died" in r.reason for r in report.results if r.status == "FAILED")
    statuses = Counter(
        (run.data.params["model"], run.info.status) for run in runs_of(store, "lost")
    )
    assert statuses == {("killed", "FAILED"): 2, ("lstm", "FINISHED"): 2}  # none left RUNNING


def start_sweep(suite: Path, store: str) -> subprocess.Popen[str]:
    """``seqlab sweep`` in its own process group, as a terminal would start it."""
    return subprocess.Popen(
        [SEQLAB, "sweep", str(suite), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "MLFLOW_TRACKING_URI": store, "PYTHONUNBUFFERED": "1",
             "COLUMNS": "200"},
        start_new_session=True,
    )


@pytest.mark.fault
def test_ctrl_c_stops_cleanly_and_a_rerun_resumes(store: str, tmp_path: Path) -> None:
    suite = tmp_path / "resume.yaml"
    suite.write_text(yaml.safe_dump({
        "name": "resume",
        "base": {**TINY_BASE, "trainer.max_steps": 100, "trainer.val_every": 50},
        "grid": {"seed": list(range(8))},
    }))
    sweep = start_sweep(suite, store)
    lines = []
    for line in sweep.stdout:  # type: ignore[union-attr]
        lines.append(line)
        if line.startswith("FINISHED"):
            os.killpg(sweep.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
            break
    rest, _ = sweep.communicate(timeout=180)
    output = "".join(lines) + rest
    assert sweep.returncode == 130, output
    assert "stopped: run the same command again to resume" in output
    first = Counter(run.info.status for run in runs_of(store, "resume"))
    assert "RUNNING" not in first, first
    assert 1 <= first["FINISHED"] < 8, output

    rerun = run_sweep(expand(load_suite(suite), build_registry()), workers=2, console=quiet())
    assert rerun.exit_code == 0
    assert len(rerun.already_finished) == first["FINISHED"]
    assert rerun.count("FINISHED") == 8 - first["FINISHED"]
    runs = runs_of(store, "resume")
    finished = [run for run in runs if run.info.status == "FINISHED"]
    assert len(finished) == 8
    assert len({run.data.tags[record.TAG_SPEC_HASH] for run in finished}) == 8
    assert "RUNNING" not in {run.info.status for run in runs}
    assert len(runs) == 8 + first["KILLED"]


@pytest.mark.fault
def test_sigterm_to_the_launcher_stops_in_seconds_without_a_traceback(
    store: str, tmp_path: Path
) -> None:
    """Only the launcher gets SIGTERM (a job scheduler's stop): in-flight runs end KILLED, the
    rest are not started, every run is in the summary, and no pool thread dies on the way."""
    import re
    import time

    suite = tmp_path / "term.yaml"
    suite.write_text(yaml.safe_dump({
        "name": "term",
        "base": {**TINY_BASE, "trainer.max_steps": 400, "trainer.val_every": 200},
        "grid": {"seed": list(range(6))},
    }))
    sweep = start_sweep(suite, store)
    lines = []
    for line in sweep.stdout:  # type: ignore[union-attr]
        lines.append(line)
        if line.startswith("FINISHED"):
            sent = time.monotonic()
            os.kill(sweep.pid, signal.SIGTERM)  # the launcher alone
            break
    rest, _ = sweep.communicate(timeout=180)
    stopped_after = time.monotonic() - sent
    output = "".join(lines) + rest
    assert sweep.returncode == 130, output
    assert "Exception in thread" not in output and "_adjust_process_count" not in output, output
    assert stopped_after < 60, f"took {stopped_after:.0f} s to stop"
    summary = output[output.index("sweep term"):]
    assert {int(n) for n in re.findall(r"^\S?\s*(\d+)\s", summary, re.M)} >= set(range(1, 7)), summary
    assert "RUNNING" not in {run.info.status for run in runs_of(store, "term")}


@pytest.mark.fault
def test_runs_orphaned_by_a_sigkilled_sweep_are_closed_when_it_is_run_again(
    store: str, tmp_path: Path
) -> None:
    import time

    from mlflow import MlflowClient

    suite = tmp_path / "orphans.yaml"
    suite.write_text(yaml.safe_dump({
        "name": "orphans",
        "base": {**TINY_BASE, "trainer.max_steps": 1_000_000, "trainer.val_every": 1000},
        "grid": {"seed": [0, 1]},
    }))
    sweep = start_sweep(suite, store)
    client = MlflowClient(store)
    deadline = time.monotonic() + 120
    running: list = []
    while len(running) < 2 and time.monotonic() < deadline and sweep.poll() is None:
        time.sleep(0.5)
        running = [run for run in runs_of(store, "orphans") if run.info.status == "RUNNING"]
    os.killpg(sweep.pid, signal.SIGKILL)  # no process gets to close its run
    sweep.wait(timeout=30)
    assert len(running) == 2, sweep.stdout.read()  # type: ignore[union-attr]
    time.sleep(0.5)
    assert {run.info.status for run in runs_of(store, "orphans")} == {"RUNNING"}

    short = Suite(name="orphans", base=TINY_BASE, grid={"seed": [7]})  # same experiment
    output = io.StringIO()
    report = run_sweep(expand(short, build_registry()), workers=1,
                       console=Console(file=output, width=200))
    assert report.count("FINISHED") == 1
    assert "closed 2 run(s) left RUNNING by a process that no longer exists" in output.getvalue()
    for run in running:
        closed = client.get_run(run.info.run_id)
        assert closed.info.status == "KILLED"
        assert "ended without closing the run" in closed.data.tags[record.TAG_END_REASON]


def test_running_runs_of_live_processes_and_other_hosts_are_left_alone(store: str) -> None:
    import subprocess as sp
    import sys

    from mlflow import MlflowClient

    from seqlab.store import tracking

    client = MlflowClient(store)
    experiment = tracking.ensure_experiment(client, "alive")
    finished_process = sp.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    dead = tracking.process_identity(finished_process.pid)
    finished_process.wait()
    assert dead is not None and tracking.process_identity(finished_process.pid) != dead
    tags = {
        "alive": tracking.process_identity(),
        "dead": dead,
        "other host": "elsewhere:1:1",
        "untagged": None,
    }
    runs = {}
    for name, identity in tags.items():
        run_tags = {record.TAG_PROCESS: identity} if identity else {}
        runs[name] = client.create_run(experiment, tags=run_tags).info.run_id
    assert tracking.close_orphaned_runs(client, experiment) == [runs["dead"]]
    statuses = {name: client.get_run(run_id).info.status for name, run_id in runs.items()}
    assert statuses == {"alive": "RUNNING", "dead": "KILLED", "other host": "RUNNING",
                        "untagged": "RUNNING"}


ALLOCATOR_PLUGIN = '''
"""A throwaway model plugin that fails, saying the allocator setting of its process."""
import os

from pydantic import Field

from seqlab import Params, hookimpl


class ProbeParams(Params):
    hidden_size: int = Field(8, description="units")


def build_probe(params, input_size):
    """Fail at once, naming the worker's MALLOC_MMAP_THRESHOLD_."""
    raise RuntimeError(f"worker MALLOC_MMAP_THRESHOLD_={os.environ.get('MALLOC_MMAP_THRESHOLD_')}")


@hookimpl
def register_models(register):
    register("allocator_probe", build_probe, ProbeParams)
'''


def test_a_sweeps_workers_start_with_a_fixed_mmap_threshold(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Faithful CPU memory figures: glibc reads MALLOC_MMAP_THRESHOLD_ at process start, so
    the sweep puts it in its workers' environment (see docs/metrics.md)."""
    from seqlab.measure.allocator import MMAP_THRESHOLD, MMAP_THRESHOLD_VARIABLE

    monkeypatch.delenv(MMAP_THRESHOLD_VARIABLE, raising=False)  # restored after the test
    (tmp_path / "sweep_allocator_plugin.py").write_text(ALLOCATOR_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    import sweep_allocator_plugin

    with registered_plugin(sweep_allocator_plugin):
        suite = Suite(name="allocator", base=TINY_BASE, grid={"model": ["allocator_probe"]})
        report = run_sweep(expand(suite, build_registry()), workers=1, console=quiet())
    [result] = report.results
    assert f"worker MALLOC_MMAP_THRESHOLD_={MMAP_THRESHOLD}" in result.reason


def test_a_run_whose_values_wait_unsent_is_not_called_killed_outright(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose store stopped taking writes (a full disk) ended on purpose, its values kept:
    the next sweep leaves it to the recovery, which closes it FAILED with the real reason."""
    import errno
    import subprocess as sp
    import sys
    import sqlite3

    from mlflow import MlflowClient

    from seqlab.store import tracking
    from seqlab.store.unsent import disk_full, recover_unsent, save_unsent

    monkeypatch.setenv("SEQLAB_UNSENT_DIR", str(tmp_path / "unsent"))
    client = MlflowClient(store)
    experiment = tracking.ensure_experiment(client, "full")
    ended = sp.Popen([sys.executable, "-c", "pass"])
    identity = tracking.process_identity(ended.pid)
    ended.wait()
    run_id = client.create_run(experiment, tags={record.TAG_PROCESS: identity}).info.run_id
    full = sqlite3.OperationalError("database or disk is full")
    assert disk_full(full) and disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not disk_full(ConnectionError("refused"))
    save_unsent(store, run_id, [("train/loss", 0.5, 0, 3)], {}, "FINISHED", f"OperationalError: {full}")
    assert tracking.close_orphaned_runs(client, experiment) == []
    assert client.get_run(run_id).info.status == "RUNNING"
    assert recover_unsent(client, store) == [run_id]
    run = client.get_run(run_id)
    assert run.info.status == "FAILED" and run.data.metrics["train/loss"] == 0.5
    reason = run.data.tags[record.TAG_END_REASON]
    assert "disk is full" in reason and "SIGKILL" not in reason


def test_one_command_runs_several_suites_on_the_same_workers(store: str, tmp_path: Path) -> None:
    """``seqlab sweep A B`` runs both suites' runs on one set of workers (started once), each
    suite into its own experiment with its own summary; a bad suite among them is refused
    before any run starts."""
    paths = []
    for name, seeds in (("first", [0, 1]), ("second", [2])):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({"name": name, "base": TINY_BASE, "grid": {"seed": seeds}}))
        paths.append(str(path))
    refused = run_seqlab("sweep", *paths, str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert refused.returncode == 2 and "missing.yaml" in refused.stderr
    assert runs_of(store, "first") == []

    done = run_seqlab("sweep", *paths, "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "sweep first: experiment first" in done.stdout
    assert "sweep second: experiment second" in done.stdout
    assert done.stdout.count("FINISHED    #") == 3, "one status line per run, numbered in its suite"
    for name, count in (("first", 2), ("second", 1)):
        runs = runs_of(store, name)
        assert len(runs) == count and {run.info.status for run in runs} == {"FINISHED"}
        assert {run.data.tags[record.TAG_SWEEP] for run in runs} == {name}
