"""A network's layers, their output shapes and parameter counts, worked out from its config alone.

The same arithmetic Keras uses to size the weights, so the Model tab can redraw a 12-layer
transformer as a slider moves without building one, and the server's size limit can refuse a
network before it exists. ``tests/test_network_diagram.py`` checks every count against Keras's
``count_params``.

Every architecture names its drawing in its registry entry (``Architecture.stacks``): the first
network drawn is the saved model, and its count is what the server's limits check.

Shapes name the batch ``B`` (windows per update) and the time ``T`` (tokens per window).
"""

from __future__ import annotations

import dataclasses

from playground.models.base import ModelConfig


@dataclasses.dataclass(frozen=True)
class Layer:
    name: str  # what the layer is, e.g. "LSTM layer 1"
    detail: str  # its size in words, e.g. "256 units"
    shape: str  # its output, e.g. "(B, T, 256)"
    params: int
    kind: str  # colours the box: input, embedding, recurrent, attention, dense, conv, other


@dataclasses.dataclass(frozen=True)
class Stack:
    """One network drawn as a column, from its input (top) to its output (bottom)."""

    title: str
    input: str
    layers: tuple[Layer, ...]
    output: str

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)


def dense(inputs: int, outputs: int, bias: bool = True) -> int:
    return inputs * outputs + (outputs if bias else 0)


def lstm(inputs: int, units: int) -> int:
    # four gates, each with input weights, recurrent weights and a bias
    return 4 * (inputs * units + units * units + units)


def gru(inputs: int, units: int) -> int:
    # three gates; Keras's GRU (reset_after) keeps separate input and recurrent biases
    return 3 * (inputs * units + units * units) + 6 * units


def recurrent_layers(cell: str, inputs: int, units: int, layers: int, start_shape: str = "T") -> list[Layer]:
    count = {"lstm": lstm, "gru": gru}[cell]
    return [Layer(f"{cell.upper()} layer {i + 1}", f"{units} units", f"(B, {start_shape}, {units})",
                  count(inputs if i == 0 else units, units), "recurrent") for i in range(layers)]


def recurrent_stack(config, title: str = "Language model", cell: str | None = None) -> Stack:
    """Embedding (or one-hot) -> stacked LSTM/GRU layers -> a dense layer scoring every token."""
    vocabulary, width = config.vocab_size, config.embedding_dim
    if width:
        first = Layer("Embedding", f"a learned vector of {width} per token", f"(B, T, {width})",
                      vocabulary * width, "embedding")
    else:
        first = Layer("One-hot", f"{vocabulary} zeros and a single 1 per token", f"(B, T, {vocabulary})", 0,
                      "embedding")
    layers = [first, *recurrent_layers(cell or config.cell, width or vocabulary, config.units, config.layers)]
    if config.dropout:
        layers.append(Layer("Dropout", f"silences {config.dropout:.0%} of units while training",
                            f"(B, T, {config.units})", 0, "other"))
    layers.append(Layer("Dense (output)", f"a score for each of the {vocabulary} tokens", f"(B, T, {vocabulary})",
                        dense(config.units, vocabulary), "dense"))
    return Stack(title, "token ids (B, T)", tuple(layers), "next-token scores (B, T, V)")


def recurrent_stacks(config) -> list[Stack]:
    return [recurrent_stack(config)]


def transformer_stacks(config) -> list[Stack]:
    return [transformer_stack(config)]


def transformer_stack(config) -> Stack:
    vocabulary, width, hidden = config.vocab_size, config.embedding_dim, config.embedding_dim * config.ff_multiplier
    block = (2 * 2 * width  # two layer norms, a scale and a shift each
             + 4 * dense(width, width)  # query, key, value and the attention's output
             + dense(width, hidden) + dense(hidden, width))  # feed-forward
    layers = [
        Layer("Token embedding", f"a learned vector of {width} per token", f"(B, T, {width})",
              vocabulary * width, "embedding"),
        Layer("Position embedding", f"+ a vector per position, up to {config.context}", f"(B, T, {width})",
              config.context * width, "embedding"),
        *[Layer(f"Decoder block {i + 1}", f"{config.heads} attention heads, feed-forward {hidden}",
                f"(B, T, {width})", block, "attention") for i in range(config.layers)],
        Layer("Layer norm", "rescales each vector", f"(B, T, {width})", 2 * width, "other"),
    ]
    if config.tied_head:
        layers.append(Layer("Output (tied)", "scores tokens with the token embedding again", f"(B, T, {vocabulary})",
                            0, "dense"))
    else:
        layers.append(Layer("Dense (output)", f"a score for each of the {vocabulary} tokens", f"(B, T, {vocabulary})",
                            dense(width, vocabulary, bias=False), "dense"))
    return Stack("Language model", "token ids (B, T)", tuple(layers), "next-token scores (B, T, V)")


def gan_stacks(config) -> list[Stack]:
    generator = recurrent_stack(config, "Generator")
    # The generator also keeps the inverse temperature its training reached: one number.
    generator = dataclasses.replace(generator, layers=generator.layers + (
        Layer("Trained β", "how sharp its training made the samples", "one number", 1, "other"),))
    vocabulary, width, filters = config.vocab_size, config.d_embedding, config.d_filters
    widths = config.d_widths
    layers = [Layer("Embedding", f"{width} per token (reads soft tokens too)", f"(B, T, {width})",
                    dense(vocabulary, width, bias=False), "embedding")]
    layers += [Layer(f"Convolution {w} wide", f"{filters} filters, best match anywhere",
                     f"(B, {filters})", dense(w * width, filters), "conv") for w in widths]
    features = filters * len(widths)
    layers += [Layer("Dropout", f"silences {config.d_dropout:.0%} while training", f"(B, {features})", 0, "other"),
               Layer("Dense (verdict)", "one realness score per text", "(B, 1)", dense(features, 1), "dense")]
    discriminator = Stack("Discriminator", "real or generated tokens (B, T, V)", tuple(layers), "realness (B, 1)")
    return [generator, discriminator]


def naive_gan_stacks(config) -> list[Stack]:
    units, vocabulary = config.units, config.vocab_size
    layers = [Layer("Dense", f"noise → {units} numbers", f"(B, {units})", dense(config.noise_dim, units), "dense"),
              Layer("Batch norm", "rescales by batch statistics", f"(B, {units})", 4 * units, "other"),
              Layer("Repeat", "the same vector at every position", f"(B, T, {units})", 0, "other"),
              *recurrent_layers("lstm", units, units, config.layers)]
    if config.dropout:
        layers.append(Layer("Dropout", f"silences {config.dropout:.0%} while training", f"(B, T, {units})", 0,
                            "other"))
    layers += [Layer("Dense (output)", f"a score for each of the {vocabulary} tokens", f"(B, T, {vocabulary})",
                     dense(units, vocabulary), "dense"),
               Layer("Sampling noise", "the fixed noise it writes from", f"({config.noise_dim})", config.noise_dim,
                     "other")]
    generator = Stack("Generator", f"noise ({config.noise_dim} numbers)", tuple(layers), "soft tokens (B, T, V)")
    width = config.embedding_dim or vocabulary
    layers = []
    if config.embedding_dim:
        layers.append(Layer("Embedding", f"{width} per token", f"(B, T, {width})",
                            dense(vocabulary, width, bias=False), "embedding"))
    layers += [*recurrent_layers("lstm", width, units, config.layers),
               Layer("Batch norm", "rescales by batch statistics", f"(B, T, {units})", 4 * units, "other"),
               Layer("Dense (verdict)", "a realness score per position", "(B, T, 1)", dense(units, 1), "dense")]
    discriminator = Stack("Discriminator", "real or generated tokens (B, T, V)", tuple(layers),
                          "realness (B, T, 1)")
    return [generator, discriminator]


def stacks(config: ModelConfig) -> list[Stack]:
    """The networks of this config: one, or a GAN's generator and discriminator."""
    from playground.models import architecture  # the registry imports the architectures, which name these

    return architecture(config.arch).stacks(config)


def parameter_count(config: ModelConfig) -> int:
    """The model's parameters (a GAN's generator: the discriminator is not part of the saved model)."""
    from playground.models import architecture

    return architecture(config.arch).parameter_count(config)
