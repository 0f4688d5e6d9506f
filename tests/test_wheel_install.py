"""seqlab as a user installs it: a wheel in a fresh virtualenv, used outside the repository.

The wheel is built from a copy of the repository's files and installed without ``-e`` into a new
virtualenv in a temporary folder; every command then runs from another temporary folder, so
nothing of the source tree can be imported by accident. Its dependencies are borrowed from this
test's own virtualenv (a ``.pth`` file naming a folder of links to that site-packages, seqlab's
own entries left out): installing torch, MLflow and Dash afresh would take minutes. ``pip check``
then proves the wheel's declared requirements are met by what it sees.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import site
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import TINY_RUN

ROOT = Path(__file__).parents[1]
OWN_ENTRIES = re.compile(r"^(__editable__.*seqlab.*|seqlab([-_].*)?)$", re.IGNORECASE)
"""This virtualenv's site-packages entries for seqlab itself (and its example plugins)."""


@dataclass(frozen=True)
class Installed:
    """A fresh virtualenv (no pip of its own: this one's pip installs into it) with the wheel
    installed, and a folder outside the repository to work in."""

    venv: Path
    workdir: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run one of the virtualenv's commands in the work folder."""
        return subprocess.run([str(self.venv / "bin" / args[0]), *args[1:]], cwd=self.workdir,
                              env=self.env, capture_output=True, text=True, timeout=timeout)


def repository_files() -> list[str]:
    """The files a checkout has: tracked, and untracked ones git does not ignore."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    return [name for name in listed.stdout.splitlines() if (ROOT / name).is_file()]


def build_wheel(folder: Path) -> Path:
    """Build seqlab's wheel from a copy of the repository's files, into ``folder``."""
    source = folder / "source"
    for name in repository_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(folder / "dist"), str(source)],
                   check=True, capture_output=True, text=True)
    (wheel,) = (folder / "dist").glob("seqlab-*.whl")
    return wheel


def borrowed_dependencies(folder: Path) -> Path:
    """A folder of links to this virtualenv's installed packages, seqlab's own left out."""
    folder.mkdir()
    for site_packages in site.getsitepackages():
        for entry in Path(site_packages).iterdir():
            if not OWN_ENTRIES.match(entry.name) and entry.suffix != ".pth":
                (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory, empty_store_file: Path) -> Installed:
    """The wheel installed in a fresh virtualenv (built once per session)."""
    folder = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(folder)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "borrowed.pth").write_text(f"{borrowed_dependencies(folder / 'borrowed')}\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True, text=True)
    workdir = folder / "work"
    workdir.mkdir()
    shutil.copy(empty_store_file, workdir / "mlflow.db")
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "VIRTUAL_ENV", "MLFLOW_EXPERIMENT_NAME")}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{workdir / 'mlflow.db'}"
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '')}"
    return Installed(venv, workdir, env)


def test_the_wheel_is_what_runs(installed: Installed) -> None:
    where = installed.run("python", "-c", "import seqlab, seqlab_plugins, seqlab_dashboard; "
                          "print(seqlab.__file__, seqlab_plugins.__file__, seqlab_dashboard.__file__)")
    assert where.returncode == 0, where.stderr
    for path in where.stdout.split():
        assert Path(path).is_relative_to(installed.venv), path
    check = subprocess.run([sys.executable, "-m", "pip", "--python", str(installed.venv / "bin" / "python"),
                            "check"], capture_output=True, text=True, env=installed.env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_plugins_are_listed(installed: Installed) -> None:
    listed = installed.run("seqlab", "plugins")
    assert listed.returncode == 0, listed.stderr
    for name in ("lstm", "rnn", "gru", "adding", "copy", "tbptt", "bidirectional"):
        assert name in listed.stdout
    assert "error" not in listed.stdout.lower()


def test_a_run_trains_and_is_recorded(installed: Installed) -> None:
    steps = [arg for arg in TINY_RUN if not arg.startswith("trainer.max_steps")]
    result = installed.run("seqlab", "run", *steps, "trainer.max_steps=5", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "FINISHED" in result.stdout
    from mlflow import MlflowClient

    client = MlflowClient(installed.env["MLFLOW_TRACKING_URI"])
    (run,) = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert run.info.status == "FINISHED" and run.data.params["trainer.max_steps"] == "5"
    assert run.data.tags["seqlab.plugin.model"].startswith("seqlab==0.1.0")


def test_a_built_in_suite_is_found_by_name(installed: Installed) -> None:
    planned = installed.run("seqlab", "sweep", "demo", "--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert "sweep demo: 12 combinations" in planned.stdout
    listed = installed.run("seqlab", "suites", "--json")
    assert listed.returncode == 0, listed.stderr
    assert '"architectures"' in listed.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dashboard(installed: Installed) -> Iterator[str]:
    """``seqlab dash`` from the wheel, serving on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [str(installed.venv / "bin" / "seqlab"), "dash", "--port", str(port)],
        cwd=installed.workdir, env=installed.env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("seqlab dash did not come up")
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_the_dashboard_answers_a_page_with_its_assets(dashboard: str) -> None:
    with urllib.request.urlopen(f"{dashboard}/", timeout=30) as response:
        page = response.read().decode()
    assets = re.findall(r'href="(/assets/[^"]+)"', page)
    assert assets, page[:500]
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page)
    for path in [*assets, *scripts]:
        with urllib.request.urlopen(f"{dashboard}{path}", timeout=30) as response:
            assert response.status == 200 and response.read(), path
    with urllib.request.urlopen(f"{dashboard}/_dash-layout", timeout=30) as response:
        assert response.status == 200
