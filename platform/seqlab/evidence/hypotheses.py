"""The declarative vocabulary of a suite's ``evidence:`` section, checked with one-line errors.

Each hypothesis is a mapping with a ``kind``; the kind's pydantic class (registered through the
``register_hypothesis_kinds`` hook) declares its other keys. ``docs/evidence.md`` documents
the built-in kinds: ``compare``, ``trend`` and ``horizon``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from seqlab.api.params import Params
from seqlab.spec import describe_validation_errors

Scalar = str | int | float | bool | None
Filter = dict[str, Scalar | list[Scalar]]
"""Params a run must have, by dotted key; a list value matches any of its values."""


class EvidenceError(ValueError):
    """A malformed ``evidence:`` section; the message is one line."""


class Hypothesis(Params):
    """The keys every hypothesis has, whatever its kind."""

    claim: str = Field(min_length=1, description="the claim it tests: C1...C12 or your own id")
    statement: str = Field(min_length=1, description="one sentence saying what is expected")
    kind: str = Field(description="compare, trend, horizon, or a kind a plugin adds")
    metric: str = Field(min_length=1, description="the MLflow metric judged, e.g. val/mse")
    where: Filter = Field(
        default_factory=dict, description="params every run it uses has (a list: any of them)"
    )
    within: list[str] | None = Field(
        default=None,
        description="params whose settings are strata (default: every param that varies "
        "inside a group, seed aside)",
    )
    figure: str | None = Field(
        default=None,
        description="the claim's own figure the report draws (docs/evidence.md lists them); "
        "default: the kind's generic figure",
    )

    @field_validator("figure")
    @classmethod
    def _known_figure(cls, value: str | None) -> str | None:
        from seqlab.evidence.figures import FIGURES

        if value is not None and value not in FIGURES:
            raise ValueError(f"unknown figure (known: {', '.join(FIGURES)})")
        return value

    def groups(self) -> dict[str, Filter]:
        """The groups of runs it compares, by label (``a``, ``b``), each as a filter."""
        return {}


class CompareHypothesis(Hypothesis):
    """Group ``a`` is better than group ``b`` on ``metric``, pooled over strata."""

    kind: Literal["compare"] = "compare"
    a: Filter = Field(min_length=1, description="the params of the group claimed better")
    b: Filter | None = Field(
        default=None, description="the params of the group it is compared with (or give than)"
    )
    than: float | None = Field(
        default=None, description="a fixed value a is compared with instead of a group b"
    )
    better: Literal["lower", "higher"] = Field(description="which direction of metric is better")
    statistic: Literal["mean", "iqm"] = Field(
        default="mean", description="how a group's seeds are summarised in each stratum"
    )
    min_effect: float = Field(
        default=0.0, ge=0, description="the smallest difference, in metric units, that counts"
    )

    @model_validator(mode="after")
    def _b_or_than(self) -> CompareHypothesis:
        if (self.b is None) == (self.than is None):
            raise ValueError("give exactly one of b (a group) and than (a value)")
        return self

    def groups(self) -> dict[str, Filter]:
        """``a``, and ``b`` unless compared with a value."""
        return {"a": self.a} if self.b is None else {"a": self.a, "b": self.b}


class TrendHypothesis(Hypothesis):
    """``metric`` grows, stays flat or shrinks with a numeric param, on a log-log scale."""

    kind: Literal["trend"] = "trend"
    along: str = Field(min_length=1, description="the numeric param, e.g. task.length")
    a: Filter = Field(min_length=1, description="the params of the group whose slope is judged")
    b: Filter | None = Field(
        default=None, description="a second group: then the slope of a minus the slope of b"
    )
    expect: Literal["grows", "flat", "shrinks"] = Field(
        description="the sign of the slope (or of the difference of slopes)"
    )
    tolerance: float = Field(
        default=0.0,
        ge=0,
        description="flat: the largest slope still flat; grows/shrinks: the smallest that counts",
    )

    @model_validator(mode="after")
    def _flat_needs_a_tolerance(self) -> TrendHypothesis:
        if self.expect == "flat" and self.tolerance <= 0:
            raise ValueError("expect=flat needs a tolerance > 0, stated in advance")
        return self

    def groups(self) -> dict[str, Filter]:
        """``a``, and ``b`` when given."""
        return {"a": self.a} if self.b is None else {"a": self.a, "b": self.b}


class HorizonHypothesis(Hypothesis):
    """Group ``a`` passes a threshold up to a larger value of ``along`` than group ``b``."""

    kind: Literal["horizon"] = "horizon"
    along: str = Field(min_length=1, description="the numeric param, e.g. task.length")
    a: Filter = Field(min_length=1, description="the params of the group claimed to reach further")
    b: Filter = Field(min_length=1, description="the params of the group it is compared with")
    threshold: float = Field(description="the metric value a setting's mean must reach")
    better: Literal["lower", "higher"] = Field(
        description="higher: passing is metric >= threshold; lower: metric <= threshold"
    )

    def groups(self) -> dict[str, Filter]:
        """``a`` and ``b``."""
        return {"a": self.a, "b": self.b}


def describe(index: int, entry: Any) -> str:
    """How an error names a hypothesis: ``evidence[2] (C5)``."""
    claim = entry.get("claim") if isinstance(entry, Mapping) else None
    return f"evidence[{index}]" + (f" ({claim})" if claim else "")


def parse_hypothesis(
    index: int, entry: Any, kinds: Mapping[str, type[Hypothesis]]
) -> Hypothesis:
    """Validate one entry of an ``evidence:`` section against its kind's class.

    :raises EvidenceError: one line naming the hypothesis, the key and what is allowed.
    """
    name = describe(index, entry)
    if not isinstance(entry, Mapping):
        raise EvidenceError(
            f"{name}: expected a mapping with claim, statement, kind..., got {entry!r}"
        )
    kind = entry.get("kind")
    if kind not in kinds:
        raise EvidenceError(
            f"{name}: kind={kind!r}: unknown kind (known: {', '.join(sorted(kinds))})"
        )
    model = kinds[kind]
    try:
        return model.model_validate(dict(entry))
    except ValidationError as exc:
        raise EvidenceError(f"{name}: {describe_validation_errors(exc, '', model)}") from None


def parse_hypotheses(
    entries: Sequence[Any], kinds: Mapping[str, type[Hypothesis]]
) -> list[Hypothesis]:
    """Validate every entry of an ``evidence:`` section; the first problem raises.

    :raises EvidenceError: one line naming the hypothesis, the key and what is allowed.
    """
    return [parse_hypothesis(index, entry, kinds) for index, entry in enumerate(entries)]

