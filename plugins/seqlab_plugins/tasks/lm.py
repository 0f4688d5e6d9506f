"""The ``lm`` task: self-supervised next-symbol prediction on the embedded Reber grammar
(Reber 1967; embedded form: Smith & Zipser 1989, Fahlman 1991, Hochreiter & Schmidhuber 1997).

A sentence is ``B k <Reber string> k E`` with k = T or P: the second-to-last symbol repeats
the second one, across the whole inner Reber string. Sentences follow each other in a stream;
a sequence is ``task.length`` + 1 symbols of it from a sentence start, the input is the stream
and the target the stream shifted by one. Every symbol is either a fair coin flip of the
grammar (1 bit) or determined by the past; the closing k is determined only by long memory.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import Field

from seqlab import Params, hookimpl
from seqlab.task import Batch, Task

if TYPE_CHECKING:
    import torch

    from seqlab.registry import RegisterComponent

ALPHABET = "BTPSXVE"

REBER = {
    0: (("T", 1), ("P", 2)),
    1: (("S", 1), ("X", 3)),
    2: (("T", 2), ("V", 4)),
    3: (("X", 2), ("S", 5)),
    4: (("P", 3), ("V", 5)),
}
"""Reber's grammar: state -> its two equally likely (symbol, next state); state 5 emits E."""

OPTIMUM_BITS = 7 / 12
"""Entropy rate of the stream: a sentence has on average 12 symbols (an inner string of 8)
of which 7 are coin flips (the opening k and the 6 inner choices)."""

NO_LONG_MEMORY_BITS = 8 / 12
"""The best a model without long memory does: the closing k costs it one more bit."""

FIRST_DISTANCE, LAST_DISTANCE = 6, 20
"""The distances from opening to closing k profiled (the shortest sentence gives 6)."""


class LMParams(Params):
    """Parameters of the ``lm`` task."""

    length: int = Field(
        100, ge=8, le=100_000, description="symbols per sequence (at least one sentence fits)"
    )


@hookimpl
def register_tasks(register: RegisterComponent) -> None:
    """Register ``lm``."""
    register("lm", build_lm, LMParams, causal=True)


def build_lm(params: LMParams) -> Task:
    """Next-symbol prediction on the embedded Reber grammar (bits per symbol; long-range k)."""
    return LanguageModelTask(params.length)


class CoinFlips:
    """Fair coin flips drawn from a torch generator, a block at a time.

    :param generator: where the randomness comes from.
    :param block: how many flips to draw at once.
    """

    def __init__(self, generator: torch.Generator, block: int) -> None:
        self.generator, self.block = generator, block
        self.flips: list[int] = []

    def flip(self) -> int:
        """The next flip, 0 or 1."""
        import torch

        if not self.flips:
            self.flips = torch.randint(0, 2, (self.block,), generator=self.generator).tolist()
        return self.flips.pop()


def embedded_reber_stream(length: int, coins: CoinFlips) -> tuple[list[int], list[int]]:
    """``length`` symbols of sentences, and per symbol the distance back to the symbol that
    determines it (the opening k for a closing k) or 0 for every other symbol."""
    symbols: list[str] = []
    distances: list[int] = []
    while len(symbols) < length:
        key = "TP"[coins.flip()]
        opening = len(symbols) + 1
        symbols += ["B", key, "B"]
        state = 0
        while state != 5:
            symbol, state = REBER[state][coins.flip()]
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
    optimum = OPTIMUM_BITS
    solved_threshold = (OPTIMUM_BITS + NO_LONG_MEMORY_BITS) / 2
    time_keys = ("x", "y", "distance")

    def __init__(self, length: int) -> None:
        self.length = length

    def sample(self, batch_size: int, generator: torch.Generator) -> Batch:
        """One-hot inputs (batch, T, 7), next symbols ``y`` (batch, T), and ``distance``
        (batch, T): for each target, how far back its determining symbol lies (0: none)."""
        import torch
        import torch.nn.functional as F

        coins = CoinFlips(generator, self.length + 64)
        rows = [embedded_reber_stream(self.length + 1, coins) for _ in range(batch_size)]
        stream = torch.tensor([symbols for symbols, _ in rows])
        distance = torch.tensor([distances for _, distances in rows])
        return {
            "x": F.one_hot(stream[:, :-1], len(ALPHABET)).float(),
            "y": stream[:, 1:],
            "distance": distance[:, 1:].float(),
        }

    def loss(self, prediction: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Cross-entropy of the next symbol (nats), averaged over every step."""
        import torch.nn.functional as F

        return F.cross_entropy(prediction.flatten(0, 1), batch["y"].flatten())

    def evaluate(self, prediction: torch.Tensor, batch: Batch) -> dict[str, torch.Tensor]:
        """``bits_per_symbol`` (cross-entropy in bits) and ``long_range_accuracy``, the
        accuracy on the closing k's, which only long memory predicts (chance 1/2)."""
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
