"""RunSpec: what one run is, parsed from dotted ``key=value`` overrides and YAML files.

A run is a model, a task and a strategy (each a registered name plus its parameters), trainer
settings and a seed. OmegaConf merges the config file and the command-line overrides; pydantic
validates every value against the class each component declares.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError

from seqlab.api.params import Params
from seqlab.messages import clipped, shown

if TYPE_CHECKING:
    from seqlab.registry.components import Registry

Kind = Literal["model", "task", "strategy"]
"""A component kind: what a run is made of."""
COMPONENT_KINDS: tuple[Kind, ...] = ("model", "task", "strategy")
DEFAULT_COMPONENTS = {"model": "lstm", "task": "adding", "strategy": "bptt"}
MAX_COUNT = 10**8
"""The largest step count or interval a trainer setting accepts (larger ones never finish)."""
MAX_VAL_SIZE = 100_000
"""The largest validation set: it is built in memory before training starts."""
NAME = "name"
"""The key of a component's registered name: ``model: {name: lstm, hidden_size: 64}``."""


# The bare-name rule, in its three readings: a component kind given a plain value names the
# component, so ``model=lstm`` means ``model.name=lstm`` and ``model: lstm`` means
# ``model: {name: lstm}``.


def with_bare_name(key: str, value: Any) -> Any:
    """``{name: value}`` for a component kind given a plain value; ``value`` otherwise."""
    return {NAME: value} if key in COMPONENT_KINDS and not isinstance(value, Mapping) else value


def name_key(key: str) -> str:
    """The dotted key a ``key=value`` override sets: ``model`` -> ``model.name``."""
    return f"{key}.{NAME}" if key in COMPONENT_KINDS else key


def bare_name_key(dotted: str) -> str:
    """The short form of a dotted key: ``model.name`` -> ``model``; other keys unchanged."""
    head, _, last = dotted.rpartition(".")
    return head if last == NAME and head in COMPONENT_KINDS else dotted


class SpecError(ValueError):
    """A run spec that does not validate; the message is one line naming key, value, rule."""


class TrainerSettings(Params):
    """Settings of the training loop shared by every strategy (keys ``trainer.*``)."""

    max_steps: int = Field(
        500,
        ge=1,
        le=MAX_COUNT,
        description="how long to train: optimizer steps, or batches under budget=sequences",
    )
    budget: Literal["updates", "sequences"] = Field(
        "updates",
        description="what max_steps and val_every count: updates (optimizer steps) or "
        "sequences (batches of batch_size training sequences, the same data for every strategy)",
    )
    batch_size: int = Field(32, ge=1, le=65536, description="sequences per training batch")
    lr: float = Field(1e-3, gt=0, le=10, description="learning rate of the Adam optimizer")
    grad_clip: float | None = Field(
        None, gt=0, description="clip the global gradient norm to this value (null: never)"
    )
    val_every: int = Field(
        100,
        ge=1,
        le=MAX_COUNT,
        description="validate every this many optimizer steps (batches under budget=sequences), "
        "and at the end",
    )
    val_size: int = Field(512, ge=1, le=MAX_VAL_SIZE, description="sequences in the fixed validation set")
    log_every: int = Field(
        25, ge=1, le=MAX_COUNT, description="record the mean training loss every this many steps")
    gradient_flow: bool = Field(
        True, description="capture the gradient flow ||dloss/dx_t|| on a probe batch"
    )
    gradient_flow_every: int | None = Field(
        None,
        ge=1,
        le=MAX_COUNT,
        description="capture the gradient flow every this many optimizer steps "
        "(null: at every validation)",
    )
    accelerator: Literal["auto", "cpu", "cuda", "gpu", "mps"] = Field(
        "auto", description="device to train on (auto: a GPU when one is available)"
    )


class _TopLevel(Params):
    """The top-level keys of a run spec, before the components are resolved."""

    model: dict[str, Any] = Field(default_factory=dict, description="model name and parameters")
    task: dict[str, Any] = Field(default_factory=dict, description="task name and parameters")
    strategy: dict[str, Any] = Field(
        default_factory=dict, description="training strategy name and parameters"
    )
    trainer: TrainerSettings = Field(default_factory=TrainerSettings)
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of weights and training data")


@dataclass(frozen=True)
class Choice:
    """A chosen component: its registered name and its validated parameters."""

    name: str
    params: Params


@dataclass(frozen=True)
class RunSpec:
    """A complete, validated run: components, trainer settings and seed."""

    model: Choice
    task: Choice
    strategy: Choice
    trainer: TrainerSettings
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """The resolved spec as nested plain data (``model: {name: lstm, hidden_size: 64}``)."""
        out: dict[str, Any] = {}
        for kind in COMPONENT_KINDS:
            choice: Choice = getattr(self, kind)
            out[kind] = {NAME: choice.name, **choice.params.model_dump(mode="json")}
        out["trainer"] = self.trainer.model_dump(mode="json")
        out["seed"] = self.seed
        return out

    def flat(self) -> dict[str, Any]:
        """Every resolved setting under its dotted key (``model``, ``model.hidden_size``, ...)."""
        flat: dict[str, Any] = {}
        for section, value in self.to_dict().items():
            if not isinstance(value, dict):
                flat[section] = value
                continue
            for key, item in value.items():
                flat[bare_name_key(f"{section}.{key}")] = item
        return flat

    def to_yaml(self) -> str:
        """The resolved spec as YAML, readable back by ``seqlab run --config``."""
        import yaml

        text: str = yaml.safe_dump(self.to_dict(), sort_keys=False)
        return text

    def spec_hash(self) -> str:
        """A short stable hash of the resolved spec: equal specs, equal hashes."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def nest_dotted_keys(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Turn dotted keys into nested mappings; a bare component name becomes ``{name: ...}``."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        if isinstance(value, Mapping):
            value = nest_dotted_keys(value)
        value = with_bare_name(str(key), value)
        head, _, rest = str(key).partition(".")
        if rest:
            value = nest_dotted_keys({rest: value})
        if isinstance(value, dict) and isinstance(nested.get(head), dict):
            nested[head] = {**nested[head], **value}
        else:
            nested[head] = value
    return nested


def read_overrides(overrides: Sequence[str], config: Path | None = None) -> dict[str, Any]:
    """Merge a YAML config file and ``key=value`` overrides (overrides win) into nested data.

    :param overrides: dotted ``key=value`` strings as typed on the command line.
    :param config: a YAML file with the same keys, nested or dotted.
    :raises SpecError: for an unreadable file or an override without ``=``.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from seqlab.yaml_files import YamlFileError, read_yaml_mapping

    layers = []
    if config is not None:
        try:
            loaded = read_yaml_mapping(config, "run settings (model, task, trainer, ...)")
            layers.append(OmegaConf.create(nest_dotted_keys(loaded)))
        except YamlFileError as exc:
            raise SpecError(f"--config {config}: {exc}") from None
        except OmegaConfBaseException as exc:
            raise SpecError(f"--config {config}: {exc}".replace("\n", " ")) from None
    for item in overrides:
        if "=" not in item:
            raise SpecError(f"override {shown(item)} is not of the form key=value")
        key, _, value = item.partition("=")
        item = f"{name_key(key)}={value}"
        try:
            layers.append(OmegaConf.from_dotlist([item]))
        except (OmegaConfBaseException, ValueError) as exc:
            raise SpecError(f"override {shown(item)}: {clipped(str(exc), 160)}") from None
    merged = OmegaConf.to_container(OmegaConf.merge(*layers)) if layers else {}
    return merged  # type: ignore[return-value]


def repeated_overrides(overrides: Sequence[str]) -> dict[str, list[str]]:
    """The keys given more than once with different values, and those values in order.

    The last one wins (as in a config file merged under the overrides); the CLI says so.
    """
    values: dict[str, list[str]] = {}
    for item in overrides:
        key, _, value = item.partition("=")
        values.setdefault(key, []).append(value)
    return {key: given for key, given in values.items() if len(set(given)) > 1}


def describe_validation_errors(
    error: ValidationError, prefix: str, model: type[Params]
) -> str:
    """Render pydantic's errors as one line: key, value given, what is allowed.

    :param error: what pydantic raised.
    :param prefix: the dotted key the validated mapping sits under (``"model"``), or ``""``.
    :param model: the class validated, for the allowed keys.
    :returns: one line, values cut short by :func:`seqlab.yaml_files.shown`.
    """
    parts = []
    for err in error.errors():
        key = ".".join([prefix, *map(str, err["loc"])] if prefix else map(str, err["loc"]))
        if not err["loc"]:  # a rule across keys (a model validator): its message says it all
            rule = err["msg"].removeprefix("Value error, ")
            parts.append(f"{prefix}: {rule}" if prefix else rule)
        elif err["type"] == "extra_forbidden":
            allowed = sorted(model.model_fields)
            close = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            parts.append(f"unknown key {key}{hint} (allowed: {', '.join(allowed) or 'none'})")
        elif err["type"] == "missing":
            parts.append(f"{key}: missing (required)")
        elif err["type"] == "finite_number":
            parts.append(f"{key}={shown(err['input'])}: not a number (give a finite value)")
        else:
            message = err["msg"].removeprefix("Value error, ")
            parts.append(f"{key}={shown(err['input'])}: {message}")
    return "; ".join(parts)


def resolve_spec(raw: Mapping[str, Any], registry: Registry) -> RunSpec:
    """Validate nested spec data against the registry and each component's parameters.

    :raises SpecError: naming the key, the value and what is allowed, for unknown names, keys,
        wrong types, values out of range, and combinations a plugin refuses.
    """
    try:
        top = _TopLevel.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(describe_validation_errors(exc, "", _TopLevel)) from None
    choices = {}
    components = {}
    for kind in COMPONENT_KINDS:
        settings = dict(getattr(top, kind))
        name = str(settings.pop(NAME, DEFAULT_COMPONENTS[kind]))
        try:
            component = registry.get(kind, name)
        except LookupError as exc:  # the registry's ComponentError: unknown or unusable
            raise SpecError(f"{kind}={name}: {exc}") from None
        try:
            params = component.params.model_validate(settings)
        except ValidationError as exc:
            raise SpecError(describe_validation_errors(exc, kind, component.params)) from None
        choices[kind] = Choice(name, params)
        components[kind] = component
    reasons = registry.check_combination(**components)
    if reasons:
        names = ", ".join(f"{kind}={choices[kind].name}" for kind in COMPONENT_KINDS)
        raise SpecError(f"{names} refused: {'; '.join(reasons)}")
    return RunSpec(trainer=top.trainer, seed=top.seed, **choices)


def load_spec(overrides: Sequence[str], config: Path | None, registry: Registry) -> RunSpec:
    """Parse and validate a run spec from a config file and overrides in one step."""
    return resolve_spec(read_overrides(overrides, config), registry)
