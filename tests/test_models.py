"""The catalogue's models: the shared interface, variable-length batches, initialization
schemes, LSTM variants, and what the memory-less and parallel models can and cannot see."""

from __future__ import annotations

import pytest
import torch

from seqlab.spec import SpecError


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    """The registry of built-in components."""
    from seqlab.registry.components import build_registry

    return build_registry()


def build(registry, name: str, input_size: int = 3, **params):  # type: ignore[no-untyped-def]
    """A model built from the registry with validated parameters."""
    component = registry.get("model", name)
    return component.build(component.params(**params), input_size=input_size)


MODELS = {
    "rnn": {"hidden_size": 5, "num_layers": 2},
    "irnn": {"hidden_size": 5, "nonlinearity": "relu", "init": "identity"},
    "lstm": {"hidden_size": 5, "num_layers": 2},
    "lstm-unfused": {"hidden_size": 5, "num_layers": 2, "cell": "unfused", "peepholes": True},
    "gru": {"hidden_size": 5},
    "window": {"hidden_size": 5, "window": 3},
    "tcn": {"hidden_size": 5, "num_layers": 2},
}


def name_of(key: str) -> str:
    return {"irnn": "rnn", "lstm-unfused": "lstm"}.get(key, key)


def test_fused_and_unfused_lstm_agree(registry) -> None:  # type: ignore[no-untyped-def]
    """With no ablation, the step-by-step cell computes what torch's fused LSTM computes:
    outputs, final state and gradients, on a padded batch from a given state."""
    torch.manual_seed(0)
    fused = build(registry, "lstm", hidden_size=6, num_layers=2, cell="fused", forget_bias=1.0)
    unfused = build(registry, "lstm", hidden_size=6, num_layers=2, cell="unfused")
    unfused.load_state_dict(fused.layer.state_dict())
    x = torch.randn(4, 7, 3, requires_grad=True)
    lengths = torch.tensor([7, 3, 5, 1])
    state = (torch.randn(2, 4, 6), torch.randn(2, 4, 6))
    outputs = {}
    for name, model in (("fused", fused), ("unfused", unfused)):
        out, (h, c) = model(x, state=state, lengths=lengths)
        (out.sum() + h.sum() + c.sum()).backward()
        outputs[name] = (out, h, c, x.grad.clone())
        x.grad = None
    for fused_value, unfused_value in zip(outputs["fused"], outputs["unfused"]):
        torch.testing.assert_close(fused_value, unfused_value, rtol=1e-5, atol=1e-6)
    fused_grads = dict(fused.layer.named_parameters())
    for name, parameter in unfused.named_parameters():
        torch.testing.assert_close(parameter.grad, fused_grads[name].grad, rtol=1e-5, atol=1e-6)


def reference_step(model, x, h, c):  # type: ignore[no-untyped-def]
    """One step of Greff et al.'s equations for ``model.variant``, written out."""
    blocks = dict(
        zip(
            model.gates,
            (
                x @ model.weight_ih_l0.T
                + model.bias_ih_l0
                + h @ model.weight_hh_l0.T
                + model.bias_hh_l0
            ).chunk(len(model.gates), 1),
        )
    )
    peep = {gate: getattr(model, f"peephole_{gate}_l0", 0.0) for gate in "ifo"}
    f = torch.sigmoid(blocks["f"] + peep["f"] * c) if "f" in blocks else 1.0
    i = torch.sigmoid(blocks["i"] + peep["i"] * c) if "i" in blocks else 1.0
    if model.variant == "cifg":
        i = 1.0 - f
    new_c = f * c + i * torch.tanh(blocks["g"])
    o = torch.sigmoid(blocks["o"] + peep["o"] * new_c) if "o" in blocks else 1.0
    return o * (new_c if model.variant == "no_output_activation" else torch.tanh(new_c)), new_c


VARIANT_GATES = {
    "full": 4,
    "no_forget_gate": 3,
    "no_input_gate": 3,
    "no_output_gate": 3,
    "cifg": 3,
    "no_output_activation": 4,
}


@pytest.mark.parametrize("peepholes", [False, True])
@pytest.mark.parametrize("variant", sorted(VARIANT_GATES))
def test_lstm_variant_follows_its_equations(registry, variant: str, peepholes: bool) -> None:  # type: ignore[no-untyped-def]
    """Each ablation has only the weights it uses, and one step matches its equations."""
    torch.manual_seed(1)
    model = build(
        registry, "lstm", hidden_size=4, cell="unfused", variant=variant, peepholes=peepholes
    )
    gates = VARIANT_GATES[variant]
    peepholes_count = (gates - 1) * 4 if peepholes else 0
    assert sum(p.numel() for p in model.parameters()) == gates * 4 * (3 + 4 + 2) + peepholes_count
    x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    out, (new_h, new_c) = model(x[:, None], state=(h[None], c[None]))
    expected_h, expected_c = reference_step(model, x, h, c)
    torch.testing.assert_close(new_h[0], expected_h)
    torch.testing.assert_close(new_c[0], expected_c)
    torch.testing.assert_close(out[:, 0], expected_h)


def test_forget_bias_sets_the_forget_gate_bias(registry) -> None:  # type: ignore[no-untyped-def]
    """The forget gate's total bias is the value asked for, fused and unfused."""
    fused = build(registry, "lstm", hidden_size=4, num_layers=2, forget_bias=2.0).layer
    for layer in range(2):
        total = getattr(fused, f"bias_ih_l{layer}") + getattr(fused, f"bias_hh_l{layer}")
        torch.testing.assert_close(total[4:8], torch.full((4,), 2.0))
    cifg = build(registry, "lstm", hidden_size=4, variant="cifg", forget_bias=2.0)
    torch.testing.assert_close((cifg.bias_ih_l0 + cifg.bias_hh_l0)[0:4], torch.full((4,), 2.0))


def test_ablations_need_the_unfused_cell(registry) -> None:  # type: ignore[no-untyped-def]
    """An explicit fused cell refuses ablations with a one-line reason; auto picks unfused."""
    from seqlab.spec import load_spec
    from seqlab_plugins.models.unfused_lstm_module import UnfusedLSTM

    with pytest.raises(SpecError, match="cell=fused has no ablations") as refused:
        load_spec(["model=lstm", "model.cell=fused", "model.variant=cifg"], None, registry)
    assert "\n" not in str(refused.value)
    assert isinstance(build(registry, "lstm", variant="no_forget_gate"), UnfusedLSTM)


@pytest.mark.parametrize("scheme", ["orthogonal", "xavier", "identity", "default"])
@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_recurrent_init_schemes(registry, name: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    """Every gate block of every recurrent weight follows the scheme."""
    torch.manual_seed(2)
    model = build(registry, name, hidden_size=6, num_layers=2, init=scheme)
    layer = getattr(model, "layer", model)
    weights = {n: w for n, w in layer.named_parameters() if n.startswith("weight_hh")}
    assert len(weights) == 2
    for weight in weights.values():
        for block in weight.detach().split(6):
            if scheme == "orthogonal":
                torch.testing.assert_close(block @ block.T, torch.eye(6), atol=1e-5, rtol=0)
            elif scheme == "identity":
                assert torch.equal(block, torch.eye(6))
            elif scheme == "xavier":
                assert block.abs().max() <= (6 / 12) ** 0.5
            else:
                assert block.abs().max() <= 6**-0.5
    biases = [b for n, b in layer.named_parameters() if n.startswith("bias")]
    assert all(bool((b == 0).all()) for b in biases) == (scheme == "identity")


@pytest.mark.parametrize("key", sorted(MODELS))
def test_padding_never_reaches_valid_steps(registry, key: str) -> None:  # type: ignore[no-untyped-def]
    """On a padded batch, each sequence's outputs at its valid steps (and a recurrent model's
    final state) are those of the sequence run alone."""
    torch.manual_seed(3)
    model = build(registry, name_of(key), **MODELS[key]).eval()
    lengths = torch.tensor([6, 2, 4])
    x = torch.randn(3, 6, 3)
    outputs, state = model(x, lengths=lengths)
    assert outputs.shape == (3, 6, model.output_size)
    for row, length in enumerate(lengths.tolist()):
        alone, alone_state = model(x[row : row + 1, :length])
        torch.testing.assert_close(outputs[row, :length], alone[0], rtol=1e-5, atol=1e-6)
        if state is not None:
            parts = state if isinstance(state, tuple) else (state,)
            alone_parts = alone_state if isinstance(alone_state, tuple) else (alone_state,)
            for part, alone_part in zip(parts, alone_parts):
                torch.testing.assert_close(part[:, row], alone_part[:, 0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("key", ["rnn", "lstm", "lstm-unfused", "gru"])
def test_sequence_of_length_zero_keeps_its_state(registry, key: str) -> None:  # type: ignore[no-untyped-def]
    """A sequence that ended before a TBPTT chunk passes its carried state through."""
    torch.manual_seed(4)
    model = build(registry, name_of(key), **MODELS[key]).eval()
    _, state = model(torch.randn(2, 3, 3))
    _, after = model(torch.randn(2, 4, 3), state=state, lengths=torch.tensor([0, 4]))
    parts = state if isinstance(state, tuple) else (state,)
    after_parts = after if isinstance(after, tuple) else (after,)
    for part, after_part in zip(parts, after_parts):
        assert torch.equal(part[:, 0], after_part[:, 0])
        assert not torch.equal(part[:, 1], after_part[:, 1])


def influence(model, steps: int, t: int):  # type: ignore[no-untyped-def]
    """Which input steps the output at step ``t`` depends on (a boolean per step)."""
    x = torch.randn(2, steps, 3, requires_grad=True)
    outputs, _ = model(x)
    (gradient,) = torch.autograd.grad(outputs[:, t].sum(), x)
    return gradient.abs().sum(dim=(0, 2)) > 0


def test_window_sees_only_the_last_k_inputs(registry) -> None:  # type: ignore[no-untyped-def]
    """The memory-less model's output at t depends on x[t-k+1..t] and nothing else."""
    torch.manual_seed(5)
    model = build(registry, "window", window=4, hidden_size=8)
    seen = influence(model, 12, 9)
    assert seen.nonzero().flatten().tolist() == [6, 7, 8, 9]
    assert model(torch.randn(2, 12, 3))[1] is None


def test_tcn_is_causal_with_its_receptive_field(registry) -> None:  # type: ignore[no-untyped-def]
    """The convolutional baseline's output at t depends on exactly the receptive field before t."""
    torch.manual_seed(6)
    model = build(registry, "tcn", num_layers=2, kernel_size=2, hidden_size=8)
    assert model.receptive_field == 1 + 2 * 1 * 3
    seen = influence(model, 20, 15)
    assert seen.nonzero().flatten().tolist() == list(range(15 - 6, 16))


def test_tcn_reaches_a_given_dependency_with_the_fewest_blocks(registry) -> None:  # type: ignore[no-untyped-def]
    """``model.receptive_field=T``: the output at the last step depends on the first input
    (61 steps by default could not reach the adding problem's first mark at T >= 61), and
    one block fewer would not reach it; a contradicting num_layers is refused."""
    torch.manual_seed(8)
    model = build(registry, "tcn", receptive_field=40, kernel_size=2, hidden_size=16)
    assert len(model.blocks) == 5 and model.receptive_field == 63
    assert influence(model, 40, 39)[0]
    fewer = build(registry, "tcn", num_layers=4, kernel_size=2, hidden_size=16)
    assert not influence(fewer, 40, 39)[0]
    with pytest.raises(ValueError, match="num_layers=4 contradicts receptive_field=40"):
        build(registry, "tcn", receptive_field=40, kernel_size=2, num_layers=4)


def test_tcn_matches_a_recurrent_models_parameters(registry) -> None:  # type: ignore[no-untyped-def]
    """``model.parameters=N``: the widest channels within N weights (counted for one input
    feature), so the parallel baseline has about an LSTM's parameters, not 5x them."""
    from seqlab_plugins.models.tcn import weight_count

    def count(model: torch.nn.Module) -> int:
        return sum(p.numel() for p in model.parameters())

    lstm = count(build(registry, "lstm", input_size=1, hidden_size=64))
    default = count(build(registry, "tcn", input_size=1))
    matched = build(registry, "tcn", input_size=1, parameters=lstm, receptive_field=2000)
    assert default > 4 * lstm
    assert 0.9 * lstm < count(matched) <= lstm
    assert count(matched) == weight_count(matched.output_size, len(matched.blocks), 3, 1)
    wider = weight_count(matched.output_size + 1, len(matched.blocks), 3, 1)
    assert wider > lstm


def test_recurrent_model_sees_the_whole_past(registry) -> None:  # type: ignore[no-untyped-def]
    """A recurrent model's output at t depends on every earlier input, none later."""
    torch.manual_seed(7)
    seen = influence(build(registry, "gru", hidden_size=8), 12, 9)
    assert seen.nonzero().flatten().tolist() == list(range(10))
