"""docs/metrics.md names exactly what runs record, and every name in seqlab.store.record."""

from __future__ import annotations

import re
from pathlib import Path

import measure_plugins
from measure_plugins import train_tiny
from mlflow import MlflowClient

from conftest import registered_plugin
from seqlab.store import record

DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"

CONDITIONAL_TAGS = {record.TAG_END_REASON, record.TAG_GIT_COMMIT, record.TAG_SWEEP, record.TAG_SWEEP_SIZE,
                    record.TAG_SUITE_HASH}
"""Tags written only sometimes: an early end's reason; the commit, in a git work tree; the
sweep, its suite size and the suite's hash, for runs a sweep made."""
CONDITIONAL_ARTIFACTS = {record.SUITE_ARTIFACT}
"""Artifacts written only sometimes: the suite, on runs a sweep made."""


def documented_names(section: str) -> set[str]:
    """The backticked names in the first column of the tables under ``## <section>``."""
    text = DOC.read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return names


def _matches(name: str, documented: set[str]) -> bool:
    """Whether ``name`` is documented, ``<...>`` in a documented name matching one part."""
    patterns = [re.sub(r"<[^>]+>", r"[^/.]+", re.escape(doc)) for doc in documented]
    return any(re.fullmatch(pattern, name) for pattern in patterns)


def test_every_name_in_seqlab_record_is_documented() -> None:
    documented = documented_names("Tags") | documented_names("Metrics") | documented_names("Artifacts")
    constants = {
        name: value for name, value in vars(record).items()
        if name.isupper() and isinstance(value, str)
    }
    missing = {name: value for name, value in constants.items() if value not in documented}
    assert not missing, f"add to docs/metrics.md: {missing}"
    assert _matches(record.plugin_tag("model"), documented)
    assert _matches(record.validation_metric("mse"), documented)


def test_a_run_records_exactly_the_documented_names(store: str, tmp_path: Path) -> None:
    with registered_plugin(measure_plugins):  # easy_adding: solved at once, has a profile
        outcome = train_tiny("task=easy_adding")
    client = MlflowClient(store)
    run = client.get_run(outcome.run_id)

    metrics = documented_names("Metrics")
    assert {key for key in run.data.metrics if not _matches(key, metrics)} == set()
    fixed = {name for name in metrics if "<" not in name}
    assert fixed - set(run.data.metrics) == set()

    tags = documented_names("Tags")
    ours = {key for key in run.data.tags if key.startswith("seqlab.") or key == record.TAG_RUN_NAME}
    assert {key for key in ours if not _matches(key, tags)} == set()
    fixed_tags = {name for name in tags if "<" not in name} - CONDITIONAL_TAGS
    assert fixed_tags - set(run.data.tags) == set()

    artifacts = {item.path for item in client.list_artifacts(outcome.run_id)}
    assert artifacts == documented_names("Artifacts") - CONDITIONAL_ARTIFACTS
