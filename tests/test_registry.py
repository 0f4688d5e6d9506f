"""Registration through the hooks: built-ins, clashes, plugins that raise or are malformed."""

from __future__ import annotations

import types

import pytest
from pydantic import Field

from seqlab import Params, hookimpl
from seqlab.registry.components import ComponentError, build_registry

from conftest import registered_plugin


class WidthParams(Params):
    width: int = Field(3, ge=1, description="a width")


def build_thing(params: WidthParams, input_size: int) -> None:
    """A thing for tests."""


def make_plugin(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def test_builtins_are_registered_through_the_hooks() -> None:
    registry = build_registry()
    lstm = registry.get("model", "lstm")
    assert lstm.plugin == "seqlab_plugins.models.lstm"
    assert lstm.summary.startswith("Long short-term memory")
    assert registry.get("task", "adding").traits["causal"] is False
    assert "hidden_size" in lstm.params.model_fields


def test_third_party_registration_with_params_and_traits() -> None:
    def register_models(register):
        register("thing", build_thing, WidthParams, bidirectional=False)

    with registered_plugin(make_plugin("thing_plugin", register_models=register_models)):
        thing = build_registry().get("model", "thing")
    assert thing.plugin == "thing_plugin"
    assert thing.params is WidthParams
    assert thing.traits == {"bidirectional": False}
    assert thing.summary == "A thing for tests."


def test_name_clash_keeps_the_builtin_and_disables_only_the_newcomer() -> None:
    def register_models(register):
        register("lstm", build_thing, WidthParams)

    with registered_plugin(make_plugin("copycat", register_models=register_models)):
        registry = build_registry()
    assert registry.get("model", "lstm").plugin == "seqlab_plugins.models.lstm"
    assert registry.get("task", "adding")  # everything else still works
    [problem] = registry.problems_about("lstm")
    assert problem.plugin == "copycat" and problem.kind == "model"
    assert "registered by both seqlab_plugins.models.lstm and copycat" in problem.message
    assert "this one is disabled" in problem.message


def test_a_plugin_whose_hook_raises_loses_only_its_own_components() -> None:
    def register_models(register):
        register("half_done", build_thing, WidthParams)
        raise RuntimeError("boom")

    with registered_plugin(make_plugin("exploding", register_models=register_models)):
        registry = build_registry()
    assert "half_done" not in registry.components["model"]
    assert registry.get("model", "lstm")
    [problem] = [p for p in registry.problems if p.plugin == "exploding"]
    assert "RuntimeError: boom" in problem.message
    with pytest.raises(ComponentError, match="plugins that failed: exploding"):
        registry.get("model", "half_done")


def test_params_must_be_a_params_class() -> None:
    def register_tasks(register):
        register("bad_params", build_thing, dict)

    with registered_plugin(make_plugin("bad_params_plugin", register_tasks=register_tasks)):
        registry = build_registry()
    [problem] = [p for p in registry.problems if p.plugin == "bad_params_plugin"]
    assert "seqlab.Params subclass" in problem.message


def test_unknown_names_suggest_the_closest_known_ones() -> None:
    with pytest.raises(ComponentError) as error:
        build_registry().get("model", "lsmt")
    assert "did you mean 'lstm'?" in str(error.value)
    assert "known: " in str(error.value)


def test_check_combination_collects_reasons_and_isolates_raising_checkers() -> None:
    from seqlab.registry.components import check_combination

    def refuse(model, task, strategy):
        return f"{model.name} never with {task.name}"

    def crash(model):
        raise ValueError("checker bug")

    registry = build_registry()
    parts = [registry.get(k, n) for k, n in (("model", "lstm"), ("task", "adding"),
                                             ("strategy", "bptt"))]
    with registered_plugin(make_plugin("refuser", check_combination=refuse)):
        with registered_plugin(make_plugin("crasher", check_combination=crash)):
            reasons = check_combination(*parts)
    assert "lstm never with adding" in reasons
    assert any("crasher failed to check: ValueError: checker bug" in r for r in reasons)
    assert check_combination(*parts) == []


def test_combination_rules_key_on_traits_not_names() -> None:
    """A third-party strategy declaring carries_state is refused for a stateless model, like
    tbptt; one declaring reads_backwards is refused on a causal task."""
    from seqlab.registry.components import check_combination

    def build_strategy(params, parts):  # type: ignore[no-untyped-def]
        """A strategy for tests."""

    def register_strategies(register):  # type: ignore[no-untyped-def]
        register("chunky", build_strategy, carries_state=True)
        register("two_way", build_strategy, reads_backwards=True)

    with registered_plugin(make_plugin("trait_strategies", register_strategies=register_strategies)):
        registry = build_registry()
        window, lm = registry.get("model", "window"), registry.get("task", "lm")
        [stateless] = check_combination(window, registry.get("task", "adding"),
                                        registry.get("strategy", "chunky"))
        [causal] = check_combination(registry.get("model", "lstm"), lm,
                                     registry.get("strategy", "two_way"))
    assert "strategy chunky carries the state across chunks, but model window" in stateless
    assert "task lm is causal" in causal and "strategy two_way" in causal


def test_trait_values_must_be_booleans_and_known() -> None:
    def build_task(params):  # type: ignore[no-untyped-def]
        """A task for tests."""

    def register_tasks(register):  # type: ignore[no-untyped-def]
        register("maybe", build_task, WidthParams, causal="yes")
        register("odd", build_task, WidthParams, carries_state=True)

    with registered_plugin(make_plugin("trait_values", register_tasks=register_tasks)):
        registry = build_registry()
    messages = {p.name: p.message for p in registry.problems if p.plugin == "trait_values"}
    assert messages["maybe"] == "trait causal='yes' must be True or False"
    assert messages["odd"] == "unknown trait carries_state=True (known task traits: causal)"
