"""Suite files: many runs written as a base, a grid, zipped lists, includes and excludes.

A suite expands into a plan: every combination becomes a run spec validated against the
registry; invalid combinations and duplicates stay in the plan with the reason they are skipped.
``docs/sweeps.md`` documents the format.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from seqlab.api.params import Params
from seqlab.spec import (
    COMPONENT_KINDS,
    SpecError,
    TrainerSettings,
    bare_name_key,
    describe_validation_errors,
    nest_dotted_keys,
    resolve_spec,
)
from seqlab.yaml_files import YamlFileError, read_yaml_mapping

if TYPE_CHECKING:
    from seqlab.registry.components import Registry
    from seqlab.spec import RunSpec

Settings = dict[str, Any]
"""Run settings under dotted keys (``model``, ``task.length``, ``trainer.lr``)."""


class SuiteError(ValueError):
    """A suite file that cannot be read or expanded; the message is one line."""


class Axes(Params):
    """What a suite varies; a size (``sizes.quick``) overrides these keys."""

    base: dict[str, Any] = Field(default_factory=dict, description="settings of every run")
    grid: dict[str, list[Any]] = Field(
        default_factory=dict, description="dotted key -> values; every combination runs"
    )
    zip: list[dict[str, list[Any]]] = Field(
        default_factory=list,
        description="groups of equally long lists taken together; each group is one grid axis",
    )
    include: list[dict[str, Any]] = Field(
        default_factory=list,
        description="extra runs over base; list values in an entry are crossed",
    )
    exclude: list[dict[str, Any]] = Field(
        default_factory=list,
        description="drop runs matching every key of an entry (a list value: any of them)",
    )


class Size(Params):
    """A named size of a suite: ``base`` and ``grid`` merge key by key, the lists replace."""

    base: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    zip: list[dict[str, list[Any]]] | None = None
    include: list[dict[str, Any]] | None = None
    exclude: list[dict[str, Any]] | None = None


class Suite(Axes):
    """A suite file: a name, what it answers, and the runs it makes."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="sweep tag and experiment"
    )
    description: str = ""
    claims: list[str] = Field(default_factory=list, description="claims (C1...C12) it answers")
    sizes: dict[str, Size] = Field(
        default_factory=dict, description="named sizes, e.g. quick, full"
    )
    evidence: list[Any] = Field(
        default_factory=list,
        description="hypotheses that seqlab evidence judges (docs/evidence.md); not run",
    )

    def sized(self, size: str | None) -> Axes:
        """The suite's axes at ``size``: quick when the suite has sizes and none is asked.

        :raises SuiteError: for a size the suite does not define.
        """
        if size is None:
            if "quick" not in self.sizes:
                return Axes(**{key: getattr(self, key) for key in Axes.model_fields})
            size = "quick"
        if size not in self.sizes:
            known = ", ".join(self.sizes) or "none: the suite defines no sizes"
            raise SuiteError(
                f"--size {size}: suite {self.name!r} has no such size (known: {known})"
            )
        chosen = self.sizes[size]
        return Axes(
            base={**self.base, **chosen.base},
            grid={**self.grid, **chosen.grid},
            zip=self.zip if chosen.zip is None else chosen.zip,
            include=self.include if chosen.include is None else chosen.include,
            exclude=self.exclude if chosen.exclude is None else chosen.exclude,
        )


@dataclass(frozen=True)
class PlannedRun:
    """One combination of a suite.

    :param index: its 1-based position in the expanded list.
    :param settings: its settings under dotted keys (base and combination).
    :param label: the keys that vary across the suite, ``model=lstm task.length=10 seed=0``.
    :param spec: the validated spec, or ``None`` when the combination is invalid.
    :param skip_reason: why it does not run (invalid, or a duplicate), or ``None``.
    """

    index: int
    settings: Settings
    label: str
    spec: RunSpec | None
    skip_reason: str | None = None


@dataclass(frozen=True)
class SweepPlan:
    """A suite expanded at one size: every combination, runnable or skipped."""

    name: str
    size: str | None
    runs: list[PlannedRun]
    suite: Suite | None = None
    """The suite expanded (recorded on each run, :func:`recorded_suite`)."""

    @property
    def runnable(self) -> list[PlannedRun]:
        """The runs with a valid spec that no earlier run duplicates."""
        return [run for run in self.runs if run.skip_reason is None]

    @property
    def skipped(self) -> list[PlannedRun]:
        """The invalid and duplicate combinations, each with its reason."""
        return [run for run in self.runs if run.skip_reason is not None]


def load_suite(path: Path) -> Suite:
    """Read and check a suite file.

    :raises SuiteError: naming the file, the key, the value and what is allowed.
    """
    try:
        data = read_yaml_mapping(path, "suite keys (name, base, grid, ...)")
    except YamlFileError as exc:
        raise SuiteError(f"{path}: {exc}") from None
    return suite_from_mapping(data, str(path))


def suite_from_mapping(data: Any, source: str) -> Suite:
    """Check a suite read from ``source`` (a file, or a run's recorded suite).

    :raises SuiteError: naming the source, the key, the value and what is allowed.
    """
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise SuiteError(f"{source}: {describe_validation_errors(exc, '', Suite)}") from None
    for group in [*suite.zip, *(g for size in suite.sizes.values() for g in size.zip or [])]:
        if len({len(values) for values in group.values()}) > 1:
            lengths = ", ".join(f"{key}: {len(values)}" for key, values in group.items())
            raise SuiteError(f"{source}: zip group lists differ in length ({lengths})")
    for where, key in _setting_keys(suite):
        problem = _unknown_setting(key)
        if problem:
            raise SuiteError(f"{source}: {where}: {problem}")
    return suite


def _setting_keys(suite: Suite) -> list[tuple[str, str]]:
    """Every run-setting key a suite writes, with where it is written (``sizes.full.grid``)."""
    sections: list[tuple[str, Axes | Size]] = [("", suite)]
    sections += [(f"sizes.{name}.", size) for name, size in suite.sizes.items()]
    keys: list[tuple[str, str]] = []
    for prefix, axes in sections:
        keys += [(f"{prefix}base", key) for key in flatten(axes.base)]
        keys += [(f"{prefix}grid", key) for key in flatten(axes.grid)]
        for part in ("zip", "include", "exclude"):
            for index, entry in enumerate(getattr(axes, part) or []):
                keys += [(f"{prefix}{part}[{index}]", key) for key in flatten(entry)]
    return keys


def _unknown_setting(key: str) -> str | None:
    """Why ``key`` can be no run setting, or ``None`` when it may be one.

    Component parameters depend on the component chosen, so only their section is checked
    here; each combination checks the rest.
    """
    head, _, rest = key.partition(".")
    allowed = [*COMPONENT_KINDS, "trainer", "seed"]
    if head not in allowed:
        close = difflib.get_close_matches(head, allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {key}{hint} (allowed: {', '.join(allowed)} and their keys)"
    if head == "trainer":
        fields = sorted(TrainerSettings.model_fields)
        if rest not in fields:
            close = difflib.get_close_matches(rest, fields, n=1)
            hint = f"; did you mean 'trainer.{close[0]}'?" if close else ""
            return f"unknown key {key}{hint} (allowed: {', '.join(fields)})"
    if head == "seed" and rest:
        return f"unknown key {key} (seed takes a number)"
    return None


def flatten(settings: Mapping[str, Any], prefix: str = "") -> Settings:
    """Dotted keys from nested or dotted YAML; ``model: {name: lstm}`` becomes ``model: lstm``."""
    flat: Settings = {}
    for key, value in settings.items():
        dotted = f"{prefix}{key}"
        dotted = bare_name_key(dotted)
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def _crossed(entry: Mapping[str, Any]) -> list[Settings]:
    """Every combination of an entry whose list values are crossed and scalars kept."""
    flat = flatten(entry)
    lists = [[(key, v) for v in value] if isinstance(value, list) else [(key, value)]
             for key, value in flat.items()]
    return [dict(pairs) for pairs in itertools.product(*lists)]


def _matches(settings: Settings, pattern: Mapping[str, Any]) -> bool:
    """Whether every key of an exclude entry matches (a list: any of its values)."""
    for key, wanted in flatten(pattern).items():
        if key not in settings:
            return False
        options = wanted if isinstance(wanted, list) else [wanted]
        if settings[key] not in options:
            return False
    return True


def combinations(axes: Axes) -> list[Settings]:
    """Expand axes into the settings of every run, in order: grid x zip, then includes.

    With neither grid nor zip the suite is its include entries, or the base alone.
    """
    base = flatten(axes.base)
    grid = flatten(axes.grid)
    product_axes = [[{key: value} for value in values] for key, values in grid.items()]
    for group in axes.zip:
        flat_group = flatten(group)
        rows = zip(*flat_group.values())
        product_axes.append([dict(zip(flat_group, row)) for row in rows])
    rows: list[Settings] = []
    if product_axes or not axes.include:
        rows = [
            {key: value for part in parts for key, value in part.items()}
            for parts in itertools.product(*product_axes)
        ]
    rows += [row for entry in axes.include for row in _crossed(entry)]
    merged = [{**base, **row} for row in rows]
    return [row for row in merged if not any(_matches(row, ex) for ex in axes.exclude)]


def _labels(rows: list[Settings]) -> list[str]:
    """Name each run by the keys whose values vary across the suite."""
    keys = list(dict.fromkeys(key for row in rows for key in row))
    varying = [key for key in keys if len({repr(row.get(key)) for row in rows}) > 1]
    return [" ".join(f"{key}={row[key]}" for key in varying if key in row) for row in rows]


def _why_none(axes: Axes) -> str:
    """Why axes make no combination: the first axis listing no values, or the excludes."""
    lists = {f"grid.{key}": values for key, values in flatten(axes.grid).items()}
    lists.update((f"zip.{key}", values) for group in axes.zip for key, values in flatten(group).items())
    empty = [key for key, values in lists.items() if not values]
    return f"{empty[0]} lists no values" if empty else "exclude removes every combination"


LARGE_SUITE = 10_000
"""Past this many runs a suite is expanded only when asked (``--allow-large``)."""


def expand(
    suite: Suite, registry: Registry, size: str | None = None, allow_large: bool = False
) -> SweepPlan:
    """Expand a suite at ``size`` and validate every combination against the registry.

    :param allow_large: expand a suite of more than :data:`LARGE_SUITE` runs.
    :raises SuiteError: for an unknown size, a suite too large to expand unasked, one with no
        combination at all (an empty list, everything excluded), or one none of whose
        combinations can run.
    """
    axes = suite.sized(size)
    rows = combinations(axes)
    if not rows:
        raise SuiteError(f"{suite.name}: no combination to run: {_why_none(axes)}")
    if len(rows) > LARGE_SUITE and not allow_large:
        raise SuiteError(
            f"{suite.name}: {len(rows):,} runs, more than {LARGE_SUITE:,}; validating them takes "
            "minutes and each is a run: pass --allow-large to go on"
        )
    runs: list[PlannedRun] = []
    first_of_hash: dict[str, int] = {}
    for index, (row, label) in enumerate(zip(rows, _labels(rows)), start=1):
        try:
            spec = resolve_spec(nest_dotted_keys(row), registry)
        except SpecError as exc:
            runs.append(PlannedRun(index, row, label, None, f"invalid: {exc}"))
            continue
        duplicate = first_of_hash.setdefault(spec.spec_hash(), index)
        reason = f"duplicate of run {duplicate}" if duplicate != index else None
        runs.append(PlannedRun(index, row, label, spec, reason))
    if runs and not any(run.skip_reason is None for run in runs):
        raise SuiteError(
            f"{suite.name}: none of its {len(runs)} combinations can run; "
            f"the first, run 1 ({runs[0].label or 'base'}), is {runs[0].skip_reason}"
        )
    chosen = size if size is not None or "quick" not in suite.sizes else "quick"
    return SweepPlan(suite.name, chosen if suite.sizes else None, runs, suite)


def recorded_suite(suite: Suite) -> tuple[str, str]:
    """A suite as a sweep records it on its runs: its YAML (every key, defaults included) and
    the first 12 hex digits of that text's SHA-256 (:data:`seqlab.store.record.TAG_SUITE_HASH`).
    :func:`suite_from_mapping` reads the YAML back to the same suite."""
    import hashlib

    import yaml

    text = yaml.safe_dump(suite.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    return text, hashlib.sha256(text.encode()).hexdigest()[:12]
