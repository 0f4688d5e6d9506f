"""The ``register`` callbacks the component hooks hand to plugins, and the factories they take.

One signature per kind, so that an editor and a type checker tell an author what to pass:

- a model's ``build(params, input_size)`` returns a :class:`~seqlab.api.model.SequenceModel`;
- a task's ``build(params)`` returns a :class:`~seqlab.api.task.Task`;
- a strategy's ``build(params, parts)`` returns a ``pytorch_lightning.LightningModule``
  (usually a :class:`~seqlab.api.strategy.SequenceSystem`).

Traits are keyword arguments of ``register``; :mod:`seqlab.api.traits` says what each means.
seqlab checks every registration against these signatures when it collects components.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

from seqlab.api.params import Params

if TYPE_CHECKING:
    import pytorch_lightning as pl

    from seqlab.api.model import SequenceModel
    from seqlab.api.strategy import RunParts
    from seqlab.api.task import Task

P_contra = TypeVar("P_contra", bound=Params, contravariant=True)
P = TypeVar("P", bound=Params)


class BuildModel(Protocol[P_contra]):
    """A model factory: ``build(params, input_size)``."""

    def __call__(self, params: P_contra, input_size: int) -> SequenceModel:
        """Build a fresh, randomly initialised model.

        :param params: the validated parameters (an instance of the class registered with it).
        :param input_size: features per input step, the task's ``input_size``.
        :returns: a module satisfying :class:`~seqlab.api.model.SequenceModel`.
        """
        ...


class BuildTask(Protocol[P_contra]):
    """A task factory: ``build(params)``."""

    def __call__(self, params: P_contra) -> Task:
        """Build the task.

        :param params: the validated parameters.
        :returns: a :class:`~seqlab.api.task.Task`.
        """
        ...


class BuildStrategy(Protocol[P_contra]):
    """A strategy factory: ``build(params, parts)``."""

    def __call__(self, params: P_contra, parts: RunParts) -> pl.LightningModule:
        """Build the Lightning system that trains ``parts.model`` on ``parts.task``.

        :param params: the validated parameters.
        :param parts: the run's model, task and trainer settings.
        :returns: a LightningModule, usually a :class:`~seqlab.api.strategy.SequenceSystem`.
        """
        ...


class RegisterModel(Protocol):
    """The ``register`` callback of ``register_models``."""

    def __call__(
        self,
        name: str,
        build: BuildModel[P],
        params: type[P] = ...,
        *,
        carries_state: bool = False,
        bidirectional: bool = False,
    ) -> None:
        """Register a model under ``name`` (``model=NAME``).

        :param build: its factory, ``build(params, input_size)``.
        :param params: its :class:`~seqlab.Params` subclass (default: no parameters).
        :param carries_state: trait, see :data:`seqlab.api.traits.TRAITS`.
        :param bidirectional: trait, see :data:`seqlab.api.traits.TRAITS`.
        """


class RegisterTask(Protocol):
    """The ``register`` callback of ``register_tasks``."""

    def __call__(
        self, name: str, build: BuildTask[P], params: type[P] = ..., *, causal: bool = False
    ) -> None:
        """Register a task under ``name`` (``task=NAME``).

        :param build: its factory, ``build(params)``.
        :param params: its :class:`~seqlab.Params` subclass (default: no parameters).
        :param causal: trait, see :data:`seqlab.api.traits.TRAITS`.
        """


class RegisterStrategy(Protocol):
    """The ``register`` callback of ``register_strategies``."""

    def __call__(
        self,
        name: str,
        build: BuildStrategy[P],
        params: type[P] = ...,
        *,
        carries_state: bool = False,
        reads_backwards: bool = False,
    ) -> None:
        """Register a strategy under ``name`` (``strategy=NAME``).

        :param build: its factory, ``build(params, parts)``.
        :param params: its :class:`~seqlab.Params` subclass (default: no parameters).
        :param carries_state: trait, see :data:`seqlab.api.traits.TRAITS`.
        :param reads_backwards: trait, see :data:`seqlab.api.traits.TRAITS`.
        """
