"""The hooks a seqlab plugin can implement.

One function per hook; the body is only its documentation. A plugin is a module with
functions of the same names marked with :data:`seqlab.hookimpl`; it may take fewer arguments
than the spec names. Built-in plugins (``seqlab_plugins``) use exactly these hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from seqlab.evidence.kinds import RegisterHypothesisKind
    from seqlab.registry.components import Component, RegisterComponent
    from seqlab_dashboard.panels import RegisterPanel

hookspec = pluggy.HookspecMarker("seqlab")


# -------------------------------------------------------------------------------------------
# Components
# -------------------------------------------------------------------------------------------


@hookspec
def register_models(register: RegisterComponent) -> None:
    """Offer sequence models to seqlab.

    :param register: call ``register(name, build, params, **traits)`` once per model.
        ``params`` is a :class:`seqlab.Params` subclass declaring the model's parameters
        (types, defaults, ranges, a ``description`` each). ``build(params, input_size)``
        returns a ``torch.nn.Module`` whose ``forward(x, state=None, lengths=None)`` takes a
        ``(batch, time, input_size)`` tensor and returns ``(outputs, state)`` with outputs of
        shape ``(batch, time, module.output_size)``. Traits are facts other plugins read when
        checking a combination, e.g. ``bidirectional=True`` if the model may also read a
        sequence backwards, ``carries_state=True`` if its state can be carried across chunks.

    Called once when the registry is built.
    """


@hookspec
def register_tasks(register: RegisterComponent) -> None:
    """Offer tasks (data, loss and metric) to seqlab.

    :param register: call ``register(name, build, params, **traits)`` once per task;
        ``build(params)`` returns a :class:`seqlab.api.task.Task`. Declare ``causal=True`` when a
        prediction must not see the future of the sequence.

    Called once when the registry is built.
    """


@hookspec
def register_strategies(register: RegisterComponent) -> None:
    """Offer training strategies to seqlab.

    :param register: call ``register(name, build, params, **traits)`` once per strategy;
        ``build(params, parts)`` returns a ``pytorch_lightning.LightningModule`` training the
        model of ``parts`` (a :class:`seqlab.api.strategy.RunParts`) on its task.

    Called once when the registry is built.
    """


# -------------------------------------------------------------------------------------------
# Validation
# -------------------------------------------------------------------------------------------


@hookspec
def check_combination(model: Component, task: Component, strategy: Component) -> str | None:
    """Refuse a model x task x strategy combination that cannot work.

    Called for every run spec before anything is built or recorded; every plugin is asked, and
    every non-``None`` answer is reported.

    :param model: the chosen model's registration (name, params, traits).
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
        directly; ``order`` sorts the navigation bar (built-in views use 10 to 50).

    Called once each time the dashboard app is created; the built-in views (runs, curves,
    efficiency, stability, long-term dependency) use this hook too.
    """
