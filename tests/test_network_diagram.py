"""The Model tab's picture: layers and parameter counts worked out from the config equal Keras's own."""

import keras
import pytest

from playground.figures import diagram
from playground.models import sizes
from playground.models import architecture
from playground.models.gan import build_discriminator
from playground.models.gan_naive import build_naive_discriminator

V = 11


def built(arch: str, **options):
    keras.utils.set_random_seed(0)
    spec = architecture(arch)
    config = spec.default_config(V, **options)
    return config, spec.build(config)


def counts(stack) -> list[int]:
    return [layer.params for layer in stack.layers]


@pytest.mark.parametrize("arch", ["lstm", "gru"])
@pytest.mark.parametrize("embedding_dim", [0, 6])
def test_recurrent_layers_and_counts_equal_keras(arch, embedding_dim):
    config, model = built(arch, units=5, layers=3, embedding_dim=embedding_dim, dropout=0.1)
    (stack,) = sizes.stacks(config)
    names = [layer.name for layer in stack.layers]
    upper = arch.upper()
    assert names == ["Embedding" if embedding_dim else "One-hot", f"{upper} layer 1", f"{upper} layer 2",
                     f"{upper} layer 3", "Dropout", "Dense (output)"]
    expected = [model.encode.count_params() if embedding_dim else 0,
                *[layer.count_params() for layer in model.recurrent], 0, model.head.count_params()]
    assert counts(stack) == expected
    assert stack.params == sizes.parameter_count(config) == model.count_params()
    assert stack.layers[1].shape == "(B, T, 5)" and stack.layers[-1].shape == f"(B, T, {V})"


@pytest.mark.parametrize("tied_head", [True, False])
def test_transformer_blocks_and_counts_equal_keras(tied_head):
    config, model = built("transformer", embedding_dim=8, heads=2, layers=3, context=6, tied_head=tied_head)
    (stack,) = sizes.stacks(config)
    assert [layer.name for layer in stack.layers] == [
        "Token embedding", "Position embedding", "Decoder block 1", "Decoder block 2", "Decoder block 3",
        "Layer norm", "Output (tied)" if tied_head else "Dense (output)"]
    expected = [model.token_embedding.count_params(), model.position_embedding.count_params(),
                *[block.count_params() for block in model.blocks], model.final_norm.count_params(),
                0 if tied_head else model.head.count_params()]
    assert counts(stack) == expected
    assert stack.params == model.count_params()


def test_gan_draws_generator_and_discriminator_with_keras_counts():
    config, model = built("gan", units=5, embedding_dim=4, d_filters=3, d_widths=(2, 3), d_embedding=4)
    generator, discriminator = sizes.stacks(config)
    assert (generator.title, discriminator.title) == ("Generator", "Discriminator")
    assert generator.params == sizes.parameter_count(config) == model.count_params()
    keras_discriminator = build_discriminator(config)
    assert discriminator.params == keras_discriminator.count_params()
    assert [layer.name for layer in discriminator.layers] == [
        "Embedding", "Convolution 2 wide", "Convolution 3 wide", "Dropout", "Dense (verdict)"]
    assert counts(discriminator)[1:3] == [keras_discriminator.get_layer(f"conv_{w}").count_params() for w in (2, 3)]


@pytest.mark.parametrize("embedding_dim", [0, 6])
def test_naive_gan_counts_equal_keras(embedding_dim):
    config, model = built("gan-naive", noise_dim=7, units=5, layers=2, embedding_dim=embedding_dim)
    generator, discriminator = sizes.stacks(config)
    assert generator.params == model.count_params()
    assert discriminator.params == build_naive_discriminator(config).count_params()


def test_svg_redraws_when_the_layer_count_changes():
    spec = architecture("lstm")
    two = diagram.diagram_svg(spec.default_config(65, layers=2))
    three = diagram.diagram_svg(spec.default_config(65, layers=3))
    # One box each (">": a box's text; the drawing's aria-label lists the layers once more, for screen readers).
    assert two.startswith("<svg") and two.count(">LSTM layer") == 2 and three.count(">LSTM layer") == 3
    shipped = sizes.parameter_count(spec.default_config(66, layers=2, units=256))
    assert f"{shipped:,} parameters" not in two  # 65 tokens and the default size, not the shipped model
    assert f"{sizes.parameter_count(spec.default_config(65, layers=2)):,} parameters" in two


def test_gan_svg_has_two_columns():
    svg = diagram.diagram_svg(architecture("gan").default_config(65))
    assert "Generator:" in svg and "Discriminator:" in svg
    assert svg.count("<svg") == 2 and svg.index("Generator:") < svg.index("Discriminator:")
