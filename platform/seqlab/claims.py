"""The claims seqlab exists to test: C1-C12, each a textbook statement about recurrent networks.

This module is their one home: ``seqlab suites`` and the dashboard read the ids and statements
from here, suite files name them in ``claims:``, and ``docs/claims.md`` explains each one (a test
checks that it agrees with this table).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """One claim: what is said, how seqlab tests it, and the figure that answers it.

    :param id: ``C1`` ... ``C12``, the name suites and hypotheses use.
    :param statement: the claim, in one or two sentences.
    :param experiment: the runs that test it.
    :param figure: what to look at to decide.
    """

    id: str
    statement: str
    experiment: str
    figure: str


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "C1",
        "A memory-less model that sees a fixed window fails once the dependency is longer than "
        "its window; a recurrent model carries state and copes with variable-length input.",
        "window (k) vs rnn, lstm and gru on adding and copy as task.length passes k; "
        "variable-length batches",
        "normalized score vs task.length with k marked; score on variable-length batches",
    ),
    Claim(
        "C2",
        "Recurrent networks serve time series, language and images read as sequences.",
        "timeseries, lm and digits (rows or pixels as time steps)",
        "each task's own metric against its chance baseline",
    ),
    Claim(
        "C3",
        "An unrolled network reuses one set of weights at every step: its parameter count does "
        "not grow with the length, its compute does, and so does the memory full BPTT needs.",
        "the same model across task.length from 50 to 2000",
        "parameters, step time and peak memory vs length (three lines, one flat)",
    ),
    Claim(
        "C4",
        "Vanilla RNNs suffer from vanishing and exploding gradients, cost much to train, depend "
        "on their initialization and remember little.",
        "gradient flow, step time, spread over seeds and init schemes, memory horizon of rnn",
        "gradient norm by position; final metric across seeds and init schemes; horizon",
    ),
    Claim(
        "C5",
        "The LSTM's additive cell update keeps gradients alive over long spans; its gates "
        "regulate the flow.",
        "gradient flow of lstm vs rnn (and gru) on the same task and length",
        "the gradient-flow plot, groups side by side; decay rate per step",
    ),
    Claim(
        "C6",
        "A vanilla RNN keeps one state and is light but unstable with short memory; an LSTM "
        "keeps a cell and a hidden state and is heavier but stable with long memory.",
        "models x lengths x seeds",
        "a side-by-side table: parameters, step time, divergence rate, seed spread, horizon",
    ),
    Claim(
        "C7",
        "Sequence labeling gives every position a label, trained with per-position "
        "cross-entropy through BPTT.",
        "the labeling task",
        "per-position accuracy, and accuracy by position",
    ),
    Claim(
        "C8",
        "Truncated BPTT (k1, k2) cuts memory and compute; the price is a credit-assignment "
        "horizon bounded by k2.",
        "tbptt over k1 and k2 vs bptt, lengths up to thousands",
        "peak memory vs length (flat for tbptt); score vs dependency distance around k2",
    ),
    Claim(
        "C9",
        "Bidirectional networks use future context as well as past.",
        "bidirectional vs bptt on labeling whose labels depend on both sides",
        "per-position accuracy, split by where the deciding context lies",
    ),
    Claim(
        "C10",
        "Self-supervised next-step prediction trains a recurrent network without labels.",
        "lm on a generated language with long-range structure",
        "bits per symbol; accuracy on the symbols only long memory predicts",
    ),
    Claim(
        "C11",
        "The forget gate is critical: without it the cell state piles up what is no longer "
        "needed.",
        "lstm with and without forget gate, forget-bias init, other gates removed one at a time",
        "score vs length per variant; cell-state size by position",
    ),
    Claim(
        "C12",
        "LSTMs cost more per step, can need more training, are sensitive to learning rate, "
        "batch size and initialization, and their sequential nature resists parallelization.",
        "step time vs rnn; steps to solve; lr x batch grid; recurrent vs parallel baseline "
        "across lengths",
        "step-time ratios; steps to solve; final metric vs lr per model; step time vs length, "
        "sequential vs parallel",
    ),
)
"""Every claim, in order."""

CLAIM_IDS: tuple[str, ...] = tuple(claim.id for claim in CLAIMS)
"""The claim ids in order, ``C1`` ... ``C12``."""


def get_claim(claim_id: str) -> Claim:
    """The claim with id ``claim_id``.

    :raises LookupError: naming the id and the known ones.
    """
    for claim in CLAIMS:
        if claim.id == claim_id:
            return claim
    raise LookupError(f"unknown claim {claim_id!r} (known: {', '.join(CLAIM_IDS)})")
