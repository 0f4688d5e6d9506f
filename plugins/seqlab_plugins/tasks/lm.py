"""The ``lm`` task: self-supervised next-symbol prediction on the embedded Reber grammar
(Reber 1967; embedded form: Smith & Zipser 1989, Fahlman 1991, Hochreiter & Schmidhuber 1997).

A sentence is ``B k <Reber string> k E`` with k = T or P: the second-to-last symbol repeats
the second one, across the whole inner Reber string, whose length ``task.loop`` sets.
Sentences follow each other in a stream; a sequence is ``task.length`` + 1 symbols of it from a
sentence start, the input is the stream and the target the stream shifted by one. Every symbol is either a random choice of the
grammar or determined by the past; the closing k is determined only by long memory.

The normalized score counts from the strongest naive predictor: the symbols' frequencies
(``unigram``), and the ``bigram`` and ``4gram`` models fitted on generated data, which know
the grammar's short-range rules but not the long-range k.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, hookimpl
from seqlab.api.baselines import Predictor, class_frequency_predictor
from seqlab.api.task import Batch, Split, Task

if TYPE_CHECKING:
    import torch

    from seqlab.api.register import RegisterTask

ALPHABET = "BTPSXVE"

REBER = {
    0: (("T", 1), ("P", 2)),
    1: (("S", 1), ("X", 3)),
    2: (("T", 2), ("V", 4)),
    3: (("X", 2), ("S", 5)),
    4: (("P", 3), ("V", 5)),
}
"""Reber's grammar: state -> its two (symbol, next state), the first taken with probability
1/2, or ``loop`` in the looping states 1 and 2; state 5 emits E."""

LOOPING_STATES = (1, 2)

FIRST_DISTANCE, LAST_DISTANCE = 6, 20
"""The distances from opening to closing k profiled (the shortest sentence gives 6)."""

NGRAM_ORDERS = (2, 4)
"""The n-gram baselines: a bigram and a 4-gram (the next symbol given the last 1 or 3)."""
NGRAM_SEED = 2**40 + 11
"""Seeds the data the n-grams are counted on: neither a run's seed nor the validation set's."""
NGRAM_SYMBOLS = 50_000
"""About how many symbols the n-grams are counted on."""
NGRAM_SMOOTHING = 0.01
"""Added to every count (add-k smoothing), so that no symbol gets probability 0."""
START = len(ALPHABET)
"""The context symbol before a sequence's first symbol."""


class LMParams(Params):
    """Parameters of the ``lm`` task."""

    length: int = Field(
        100, ge=8, le=100_000, description="symbols per sequence (at least one sentence fits)"
    )
    loop: float = Field(
        0.5,
        ge=0.05,
        le=0.95,
        description="probability of repeating S or T inside the Reber string (0.5: Reber's); "
        "higher lengthens the long-range dependency, on average 6 + 1.5/(1 - loop) symbols",
    )


@hookimpl
def register_tasks(register: RegisterTask) -> None:
    """Register ``lm``."""
    register("lm", build_lm, LMParams, causal=True)


def build_lm(params: LMParams) -> Task:
    """Next-symbol prediction on the embedded Reber grammar (bits per symbol; long-range k)."""
    return LanguageModelTask(params.length, params.loop)


def stream_rates(loop: float) -> tuple[float, float]:
    """Bits per symbol of the best predictor, and of the best one without long memory.

    Per sentence, the inner string visits states 0, 3 and 4 once on average and states 1 and
    2 0.5/(1 - loop) and 1/(1 - loop) times: 3 + 1.5/(1 - loop) choices, 9 + 1.5/(1 - loop)
    symbols in all. The opening k and the choices in states 0, 3, 4 cost 1 bit each, a choice
    in a looping state H(loop) bits; without long memory the closing k costs 1 bit more.
    (Reber's loop = 1/2: 7/12 and 8/12.)
    """
    entropy = -(loop * math.log2(loop) + (1 - loop) * math.log2(1 - loop))
    looping_visits = 1.5 / (1 - loop)
    symbols = 9 + looping_visits
    bits = 4 + looping_visits * entropy
    return bits / symbols, (bits + 1) / symbols


class Draws:
    """Uniform numbers in [0, 1) drawn from a torch generator, a block at a time.

    :param generator: where the randomness comes from.
    :param block: how many numbers to draw at once.
    """

    def __init__(self, generator: torch.Generator, block: int) -> None:
        self.generator, self.block = generator, block
        self.values: list[float] = []

    def next(self) -> float:
        """The next number."""
        import torch

        if not self.values:
            self.values = torch.rand(self.block, generator=self.generator).tolist()
        return self.values.pop()


def embedded_reber_stream(
    length: int, draws: Draws, loop: float = 0.5
) -> tuple[list[int], list[int]]:
    """``length`` symbols of sentences, and per symbol the distance back to the symbol that
    determines it (the opening k for a closing k) or 0 for every other symbol."""
    symbols: list[str] = []
    distances: list[int] = []
    while len(symbols) < length:
        key = "TP"[draws.next() < 0.5]
        opening = len(symbols) + 1
        symbols += ["B", key, "B"]
        state = 0
        while state != 5:
            first = loop if state in LOOPING_STATES else 0.5
            symbol, state = REBER[state][0 if draws.next() < first else 1]
            symbols.append(symbol)
        symbols.append("E")
        distances += [0] * (len(symbols) - len(distances))
        symbols += [key, "E"]
        distances += [len(symbols) - 2 - opening, 0]
    return [ALPHABET.index(s) for s in symbols[:length]], distances[:length]


class LanguageModelTask(Task):
    """Predict each next symbol of an embedded Reber stream of ``length`` symbols."""

    readout = "all"
    metric = "bits_per_symbol"
    higher_is_better = False
    input_size = len(ALPHABET)
    output_size = len(ALPHABET)
    baseline = math.log2(len(ALPHABET))
    time_keys = ("x", "y", "distance")

    def __init__(self, length: int, loop: float = 0.5) -> None:
        self.length = length
        self.loop = loop
        self.optimum, self.no_long_memory_bits = stream_rates(loop)
        # solved: half way from the best a model without long memory does to the optimum
        self.solved_threshold = (self.optimum + self.no_long_memory_bits) / 2

    def sample(self, batch_size: int, generator: torch.Generator, split: Split = "train") -> Batch:
        """One-hot inputs (batch, T, 7), next symbols ``y`` (batch, T), and ``distance``
        (batch, T): for each target, how far back its determining symbol lies (0: none)."""
        import torch
        import torch.nn.functional as F

        draws = Draws(generator, self.length + 64)
        rows = [embedded_reber_stream(self.length + 1, draws, self.loop) for _ in range(batch_size)]
        stream = torch.tensor([symbols for symbols, _ in rows])
        distance = torch.tensor([distances for _, distances in rows])
        return {
            "x": F.one_hot(stream[:, :-1], len(ALPHABET)).float(),
            "y": stream[:, 1:],
            "distance": distance[:, 1:].float(),
        }

    def naive_predictors(self, validation: Sequence[Batch]) -> dict[str, Predictor]:
        """``unigram``: the validation set's symbol frequencies; ``bigram``, ``4gram``: the
        next symbol given the last 1 or 3, counted on generated data (add-0.01 smoothing)."""
        predictors = {"unigram": class_frequency_predictor(validation, len(ALPHABET))}
        for order in NGRAM_ORDERS:
            name = "bigram" if order == 2 else f"{order}gram"
            predictors[name] = NGramPredictor(order, ngram_log_probs(order, self.length, self.loop))
        return predictors

    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Cross-entropy of the next symbol (nats), averaged over every step."""
        import torch.nn.functional as F

        return F.cross_entropy(prediction.flatten(0, 1), batch["y"].flatten())

    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``bits_per_symbol`` (cross-entropy in bits) and ``long_range_accuracy``, the
        accuracy on the closing k's, which only long memory predicts (chance: 1/7 for a
        uniform guess, 1/2 for a model that knows the grammar but not the opening k)."""
        long_range = batch["distance"] > 0
        hits = prediction.argmax(-1) == batch["y"]
        return {
            "bits_per_symbol": self.loss(prediction, batch) / math.log(2),
            "long_range_accuracy": hits[long_range].float().mean(),
        }

    def profile(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``long_range_accuracy_by_distance``: accuracy on closing k's whose opening k lies
        6, 7, ..., 19 and >= 20 symbols back; NaN where the batch has none."""
        import torch

        hits = (prediction.argmax(-1) == batch["y"]).float()
        distance = batch["distance"].clamp(max=LAST_DISTANCE)
        accuracy = []
        for value in range(FIRST_DISTANCE, LAST_DISTANCE + 1):
            chosen = distance == value
            accuracy.append(hits[chosen].mean() if chosen.any() else hits.new_tensor(math.nan))
        return {"long_range_accuracy_by_distance": torch.stack(accuracy)}


def ngram_contexts(symbols: torch.Tensor, order: int) -> torch.Tensor:
    """For (batch, T) symbols, the id of the last ``order - 1`` symbols up to each position
    (``START`` before the first), in base ``len(ALPHABET) + 1``."""
    import torch.nn.functional as F

    steps = symbols.shape[1]
    padded = F.pad(symbols, (order - 2, 0), value=START)
    ids = symbols.new_zeros(symbols.shape)
    for offset in range(order - 1):
        ids = ids * (START + 1) + padded[:, offset : offset + steps]
    return ids


@lru_cache(maxsize=2)
def ngram_counting_data(length: int, loop: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The symbols (sequences, length) and their next symbols that the n-grams are counted
    on: about ``NGRAM_SYMBOLS`` of them, generated from ``NGRAM_SEED``."""
    import torch

    generator = torch.Generator().manual_seed(NGRAM_SEED)
    batch = LanguageModelTask(length, loop).sample(-(-NGRAM_SYMBOLS // length), generator)
    return batch["x"].argmax(-1), batch["y"]


@lru_cache(maxsize=8)
def ngram_log_probs(order: int, length: int, loop: float) -> torch.Tensor:
    """The n-gram's log-probabilities of the next symbol, (contexts, 7), counted on
    :func:`ngram_counting_data`."""
    import torch

    symbols, targets = ngram_counting_data(length, loop)
    cells = (ngram_contexts(symbols, order) * len(ALPHABET) + targets).flatten()
    size = (START + 1) ** (order - 1) * len(ALPHABET)
    counts = torch.bincount(cells, minlength=size).double().view(-1, len(ALPHABET))
    counts += NGRAM_SMOOTHING
    return (counts / counts.sum(1, keepdim=True)).log().float()


class NGramPredictor:
    """Logits of the next symbol from an n-gram table (see :func:`ngram_log_probs`).

    :param order: n, the symbols of context plus one.
    :param log_probs: (contexts, 7) log-probabilities.
    """

    def __init__(self, order: int, log_probs: torch.Tensor) -> None:
        self.order = order
        self.log_probs = log_probs

    def __call__(self, batch: Batch) -> torch.Tensor:
        """(batch, T, 7) logits for the inputs ``x`` of ``batch``."""
        symbols = batch["x"].argmax(-1)
        return self.log_probs.to(symbols.device)[ngram_contexts(symbols, self.order)]
