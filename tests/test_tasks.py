"""The catalogue's task generators, checked against their definitions, and their scales."""

from __future__ import annotations

import math

import pytest
import torch

from seqlab.run.data import VALIDATION_SEED, validation_loader


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    """The registry of built-in components."""
    from seqlab.registry.components import build_registry

    return build_registry()


def make(registry, name: str, **params):  # type: ignore[no-untyped-def]
    component = registry.get("task", name)
    return component.build(component.params(**params))


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


TASKS = {
    "adding": {"length": 12},
    "copy": {"length": 6},
    "labeling": {"length": 12, "distance": 3},
    "lm": {"length": 40},
    "timeseries": {"length": 15, "horizon": 3},
    "digits": {"read": "pixels"},
}


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_is_deterministic_and_declares_its_scale(registry, name: str) -> None:  # type: ignore[no-untyped-def]
    """Same seed, same batch; and optimum beats the solved threshold, which beats chance."""
    task = make(registry, name, **TASKS[name])
    first, second = task.sample(5, seeded(3)), task.sample(5, seeded(3))
    assert first.keys() == second.keys()
    assert all(torch.equal(first[key], second[key]) for key in first)
    assert first["x"].shape[0] == 5 and first["x"].shape[2] == task.input_size
    sign = 1 if task.higher_is_better else -1
    assert sign * task.optimum >= sign * task.solved_threshold > sign * task.baseline
    for key in task.time_keys:
        assert first[key].shape[1] == first["x"].shape[1]


def test_adding_target_is_the_sum_of_the_marked_numbers(registry) -> None:  # type: ignore[no-untyped-def]
    """Exactly two marks, one in each half, and y is the sum of their numbers."""
    batch = make(registry, "adding", length=12).sample(64, seeded())
    values, marks = batch["x"][..., 0], batch["x"][..., 1]
    assert torch.equal(marks[:, :6].sum(1), torch.ones(64))
    assert torch.equal(marks[:, 6:].sum(1), torch.ones(64))
    torch.testing.assert_close(batch["y"][:, 0], (values * marks).sum(1))


def test_variable_length_adding_marks_inside_each_sequence(registry) -> None:  # type: ignore[no-untyped-def]
    """Lengths vary in [min_length, length]; marks lie in the halves of each sequence's own
    length; padding is zero."""
    batch = make(registry, "adding", length=20, min_length=4).sample(256, seeded())
    lengths = batch["lengths"]
    assert int(lengths.min()) >= 4 and int(lengths.max()) <= 20 and len(set(lengths.tolist())) > 10
    values, marks = batch["x"][..., 0], batch["x"][..., 1]
    for row, length in enumerate(lengths.tolist()):
        where = marks[row].nonzero().flatten().tolist()
        assert len(where) == 2 and where[0] < length // 2 <= where[1] < length
        assert not batch["x"][row, length:].any()
    torch.testing.assert_close(batch["y"][:, 0], (values * marks).sum(1))


def test_copy_sequence_layout_and_memoryless_baseline(registry) -> None:  # type: ignore[no-untyped-def]
    """S symbols, T-1 blanks, a delimiter, S blanks; targets blank until the last S steps,
    which recall the symbols. The memoryless strategy scores S ln(A) / (T + 2S)."""
    task = make(registry, "copy", length=6, symbols=3, alphabet=5)
    batch = task.sample(32, seeded())
    inputs, target = batch["x"].argmax(-1), batch["y"]
    assert inputs.shape == (32, 12)
    shown = inputs[:, :3]
    assert bool(((shown >= 1) & (shown <= 5)).all())
    assert not inputs[:, 3:8].any() and bool((inputs[:, 8] == 6).all()) and not inputs[:, 9:].any()
    assert not target[:, :9].any() and torch.equal(target[:, 9:], shown)
    memoryless = torch.full((32, 12, 6), -1e9)
    memoryless[:, :9, 0] = 0.0
    memoryless[:, 9:, 1:] = 0.0
    metrics = task.evaluate(memoryless, batch)
    assert math.isclose(float(metrics["cross_entropy"]), 3 * math.log(5) / 12, rel_tol=1e-5)
    assert math.isclose(task.baseline, 3 * math.log(5) / 12)
    perfect = torch.nn.functional.one_hot(target, 6).float() * 50
    assert float(task.evaluate(perfect, batch)["accuracy"]) == 1.0
    assert task.profile(perfect, batch)["accuracy_by_recalled_position"].tolist() == [1.0] * 3


def test_labeling_labels_come_from_the_pointed_side(registry) -> None:  # type: ignore[no-untyped-def]
    """Each label is the symbol d steps back or ahead, as the step's pointer says; a reader
    that sees only the past cannot beat (1 + 1/A)/2 by much, one that sees both is perfect."""
    task = make(registry, "labeling", length=30, distance=4, alphabet=4)
    batch = task.sample(200, seeded())
    symbols, pointer = batch["x"][..., :4].argmax(-1), batch["x"][..., 4:].argmax(-1)
    ahead = batch["ahead"].bool()
    assert torch.equal(pointer.bool(), ahead)
    assert not ahead[:, -4:].any() and bool(ahead[:, :4].all())
    source = torch.arange(30) + torch.where(ahead, 4, -4)
    assert torch.equal(batch["y"], symbols.gather(1, source))
    oracle = torch.nn.functional.one_hot(batch["y"], 4).float()
    causal = torch.where(ahead[..., None], torch.zeros(4), oracle)  # guesses symbol 0 ahead
    full, past_only = task.evaluate(oracle, batch), task.evaluate(causal, batch)
    assert float(full["accuracy"]) == 1.0 and float(past_only["accuracy_past"]) == 1.0
    assert abs(float(past_only["accuracy_future"]) - 0.25) < 0.03
    ceiling = float(1 - ahead.float().mean() * 0.75)
    assert abs(float(past_only["accuracy"]) - ceiling) < 0.02
    assert task.profile(oracle, batch)["accuracy_by_position"].shape == (30,)


REBER = {
    0: {"T": 1, "P": 2},
    1: {"S": 1, "X": 3},
    2: {"T": 2, "V": 4},
    3: {"X": 2, "S": 5},
    4: {"P": 3, "V": 5},
}


def next_symbol_probabilities(stream: str, loop: float) -> list[tuple[dict, dict]]:
    """Parse an embedded Reber stream; per target (the symbol after each position) the true
    next-symbol probabilities, and those of a predictor that forgot the opening k."""
    coin = {"T": 0.5, "P": 0.5}
    options = []
    phase, key, state = "B", None, 0
    for symbol in stream:
        if phase == "B":
            assert symbol == "B"
            phase, known, blind = "key", coin, coin
        elif phase == "key":
            assert symbol in "TP"
            key, phase, known, blind = symbol, "inner-B", {"B": 1.0}, {"B": 1.0}
        elif phase == "inner-B":
            assert symbol == "B"
            phase, state, known, blind = "inner", 0, coin, coin
        elif phase == "inner" and state == 5:
            assert symbol == "E"
            phase, known, blind = "closing", {key: 1.0}, coin
        elif phase == "inner":
            state = REBER[state][symbol]
            known = blind = {"E": 1.0}
            if state != 5:
                first, second = REBER[state]
                stay = loop if state in (1, 2) else 0.5
                known = blind = {first: stay, second: 1 - stay}
        elif phase == "closing":
            assert symbol == key
            phase, known, blind = "E", {"E": 1.0}, {"E": 1.0}
        else:
            assert symbol == "E"
            phase, known, blind = "B", {"B": 1.0}, {"B": 1.0}
        options.append((known, blind))
    return options


@pytest.mark.parametrize("loop", [0.5, 0.8])
def test_lm_streams_follow_the_embedded_reber_grammar(registry, loop: float) -> None:  # type: ignore[no-untyped-def]
    """Inputs and targets are one stream shifted by one; every stream parses; the distance
    marks exactly the closing k's and points back to the matching opening k, on average
    6 + 1.5/(1 - loop) symbols; the true probabilities score the task's optimum (7/12 bits
    per symbol for Reber's loop = 1/2), forgetting the opening k scores the declared rate."""
    from seqlab_plugins.tasks.lm import ALPHABET

    task = make(registry, "lm", length=120, loop=loop)
    batch = task.sample(128, seeded())
    inputs, targets = batch["x"].argmax(-1), batch["y"]
    assert torch.equal(inputs[:, 1:], targets[:, :-1])
    perfect = torch.full((128, 120, 7), -1e9)
    blind = perfect.clone()
    for row in range(128):
        stream = "".join(ALPHABET[i] for i in [*inputs[row].tolist(), targets[row, -1].item()])
        options = next_symbol_probabilities(stream, loop)
        for step in range(120):
            known, without = options[step]
            for probabilities, prediction in ((known, perfect), (without, blind)):
                for symbol, probability in probabilities.items():
                    prediction[row, step, ALPHABET.index(symbol)] = math.log(probability)
            distance = int(batch["distance"][row, step])
            closing = known != without
            assert (distance > 0) == closing
            if closing:
                assert stream[step + 1 - distance] == stream[step + 1]
    if loop == 0.5:
        assert math.isclose(task.optimum, 7 / 12) and math.isclose(task.no_long_memory_bits, 8 / 12)
    exact, no_memory = task.evaluate(perfect, batch), task.evaluate(blind, batch)
    assert abs(float(exact["bits_per_symbol"]) - task.optimum) < 0.03
    assert abs(float(no_memory["bits_per_symbol"]) - task.no_long_memory_bits) < 0.03
    assert float(exact["long_range_accuracy"]) == 1.0
    distances = batch["distance"][batch["distance"] > 0]
    assert abs(float(distances.mean()) / (6 + 1.5 / (1 - loop)) - 1) < 0.1
    profile = task.profile(perfect, batch)["long_range_accuracy_by_distance"]
    assert profile.shape == (15,) and bool((profile[:5] == 1.0).all())


def test_timeseries_is_mackey_glass_shifted_by_the_horizon(registry) -> None:  # type: ignore[no-untyped-def]
    """The trajectory satisfies dx/dt = 0.2 x(t-17)/(1+x(t-17)^10) - 0.1 x(t); targets are the
    inputs h steps later; validation windows come from the held-out last 20%."""
    from seqlab_plugins.tasks.timeseries import mackey_glass

    raw = torch.tensor(mackey_glass(), dtype=torch.float64)
    t = torch.arange(18, len(raw) - 1)
    slope = (raw[t + 1] - raw[t - 1]) / 2
    delayed = raw[t - 17]
    residual = slope - (0.2 * delayed / (1 + delayed**10) - 0.1 * raw[t])
    assert float(residual.abs().mean()) < 0.05 * float(slope.abs().mean())
    task = make(registry, "timeseries", length=15, horizon=3)
    assert abs(float(task.series.mean())) < 1e-5 and abs(float(task.series.std()) - 1) < 1e-3
    batch = task.sample(16, seeded())
    torch.testing.assert_close(batch["x"][:, 3:], batch["y"][:, :-3])
    split = int(0.8 * len(task.series))
    for part, in_validation in (("train", False), ("validation", True)):
        first = task.sample(64, seeded(VALIDATION_SEED), split=part)["x"][:, 0, 0]
        starts = [int((task.series == value).nonzero()[0]) for value in first]
        assert all((start >= split) == in_validation for start in starts)
    assert math.isclose(
        float(task.evaluate(torch.zeros(16, 15, 1), batch)["nrmse"]), 1.0, rel_tol=0.5
    )


def test_digits_are_read_row_by_row_or_pixel_by_pixel(registry) -> None:  # type: ignore[no-untyped-def]
    """Rows: 8 steps of 8 pixels; pixels: 64 steps of 1; both from scikit-learn's images
    scaled to [0, 1]; the run's validation set comes from a held-out split that training
    never draws from."""
    from sklearn.datasets import load_digits

    images = torch.tensor(load_digits().images, dtype=torch.float32) / 16
    rows = make(registry, "digits", read="rows").sample(8, seeded())
    pixels = make(registry, "digits", read="pixels").sample(8, seeded())
    assert rows["x"].shape == (8, 8, 8) and pixels["x"].shape == (8, 64, 1)
    torch.testing.assert_close(rows["x"].reshape(8, 64), pixels["x"].reshape(8, 64))
    flat = images.reshape(len(images), 64)
    for image in rows["x"].reshape(8, 64):
        assert bool((flat == image).all(1).any())
    train = make(registry, "digits", read="rows").sample(2000, seeded())["x"].reshape(2000, 64)
    validation = validation_loader(make(registry, "digits", read="rows"), 1024)
    held_out = torch.cat([batch["x"].reshape(-1, 64) for batch in validation])
    train_set = {tuple(image.tolist()) for image in train}
    held_out_set = {tuple(image.tolist()) for image in held_out}
    assert len(held_out_set) <= 360 and not (train_set & held_out_set) - _duplicates(images)


def _duplicates(images: torch.Tensor) -> set[tuple[float, ...]]:
    """Images that occur more than once in the data set (they may land on both sides)."""
    seen: dict[tuple[float, ...], int] = {}
    for image in images.reshape(len(images), 64):
        key = tuple(image.tolist())
        seen[key] = seen.get(key, 0) + 1
    return {key for key, count in seen.items() if count > 1}
