"""The hooks a seqlab plugin can implement.

One function per hook; the body is only its documentation. A plugin is a module with
functions of the same names marked with :data:`seqlab.hookimpl`; it may take fewer arguments
than the spec names. Built-in plugins (``seqlab_plugins``) use exactly these hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from seqlab.api.register import RegisterModel, RegisterStrategy, RegisterTask
    from seqlab.api.component import Component
    from seqlab.api.view import RegisterPanel
    from seqlab.evidence.kinds import RegisterHypothesisKind

hookspec = pluggy.HookspecMarker("seqlab")


# -------------------------------------------------------------------------------------------
# Components
# -------------------------------------------------------------------------------------------


@hookspec
def register_models(register: RegisterModel) -> None:
    """Offer sequence models to seqlab.

    :param register: call ``register(name, build, params, **traits)`` once per model
        (:class:`seqlab.api.register.RegisterModel`). ``params`` is a :class:`seqlab.Params`
        subclass declaring the model's parameters (types, defaults, ranges, a ``description``
        each). ``build(params, input_size)`` returns a :class:`seqlab.SequenceModel`: a
        ``torch.nn.Module`` with an ``output_size`` whose ``forward(x, state=None,
        lengths=None)`` takes a ``(batch, time, input_size)`` tensor and returns
        ``(outputs, state)`` with outputs of shape ``(batch, time, output_size)``. Traits:
        ``carries_state``, ``bidirectional`` (:data:`seqlab.api.traits.TRAITS`).

    Called once when the registry is built; every registration is checked then, and the
    model's forward pass before each run.
    """


@hookspec
def register_tasks(register: RegisterTask) -> None:
    """Offer tasks (data, loss and metric) to seqlab.

    :param register: call ``register(name, build, params, **traits)`` once per task
        (:class:`seqlab.api.register.RegisterTask`); ``build(params)`` returns a
        :class:`seqlab.Task`. Trait: ``causal`` when a prediction must not see the future
        of the sequence.

    Called once when the registry is built.
    """


@hookspec
def register_strategies(register: RegisterStrategy) -> None:
    """Offer training strategies to seqlab.

    :param register: call ``register(name, build, params, **traits)`` once per strategy
        (:class:`seqlab.api.register.RegisterStrategy`); ``build(params, parts)`` returns a
        ``pytorch_lightning.LightningModule`` (usually a :class:`seqlab.SequenceSystem`)
        training the model of ``parts`` (a :class:`seqlab.RunParts`) on its task. Traits:
        ``carries_state``, ``reads_backwards``.

    Called once when the registry is built.
    """


# -------------------------------------------------------------------------------------------
# Validation
# -------------------------------------------------------------------------------------------


@hookspec
def check_combination(model: Component, task: Component, strategy: Component) -> str | None:
    """Refuse a model x task x strategy combination that cannot work.

    Called for every run spec before anything is built or recorded, after the rules of the
    components' traits (:func:`seqlab.api.traits.trait_conflicts`); every plugin is asked, and
    every non-``None`` answer is reported. Key rules on traits, not on names, so that they
    also hold for components other plugins register.

    :param model: the chosen model's registration (:class:`seqlab.Component`: name, params,
        traits).
    :param task: the chosen task's registration.
    :param strategy: the chosen strategy's registration.
    :returns: a one-line reason why the combination is refused, or ``None`` to accept it.
    """


# -------------------------------------------------------------------------------------------
# Evidence
# -------------------------------------------------------------------------------------------


@hookspec
def register_hypothesis_kinds(register: RegisterHypothesisKind) -> None:
    """Offer kinds of hypotheses to a suite's ``evidence:`` section and ``seqlab evidence``.

    :param register: call ``register(name, hypothesis, estimate, figure)`` once per kind.
        ``hypothesis`` is a :class:`seqlab.evidence.hypotheses.Hypothesis` subclass declaring
        the kind's keys (pydantic fields with a ``description`` each, ``kind: Literal[name]``);
        ``estimate(hypothesis, runs, resampling)`` measures it on a DataFrame of runs
        (``params.*``, ``metrics.*`` columns) and returns a
        :class:`seqlab.evidence.estimate.Estimate` (the effect, its bootstrap draws, the
        region it must lie in); seqlab judges every kind's estimates by the same rules.
        ``figure(hypothesis, runs)`` returns the plotly figure that answers it.

    Called once each time hypotheses are checked or evaluated; the built-in kinds
    (``compare``, ``trend``, ``horizon``) use this hook too.
    """


# -------------------------------------------------------------------------------------------
# Dashboard
# -------------------------------------------------------------------------------------------


@hookspec
def register_dashboard_panels(register: RegisterPanel) -> None:
    """Offer views (pages) to the comparison dashboard, ``seqlab dash``.

    :param register: call ``register(path, title, layout, callbacks=None, order=100,
        description="")`` once per view. ``path`` is the view's URL path (``/my-view``);
        ``layout(**query)`` returns the view's Dash component tree and receives the URL's
        query parameters as strings, so a shared link restores the view;
        ``callbacks(app)``, if given, adds the view's callbacks to the ``dash.Dash`` app.
        Views read runs through :func:`seqlab_dashboard.data.open_store`, never MLflow
        directly (:class:`seqlab.api.view.RegisterPanel` types the callback); ``order`` sorts the navigation bar (built-in views use 10 to 50).

    Called once each time the dashboard app is created; the built-in views (runs, curves,
    efficiency, stability, long-term dependency) use this hook too.
    """
