"""A run to take home: a Jupyter notebook that rebuilds the network in plain Keras, packed in a
``.zip`` with the trained weights, the tokenizer and (when the run kept it) the corpus.

The notebook needs TensorFlow (Keras 3) and NumPy only; it never imports the playground. Its cells,
in order: the parameters (a prompt, the temperatures, how many steps to train), the tokenizer,
the network written out as Keras code with the run's sizes, the weights, what the model expects
next, text at four temperatures, and more training on the corpus with the run's optimizer and
schedule. The weights travel as ``weights.npz``: one array per weight of each layer, named
``<layer>/<index>`` after the notebook's layers, in the order Keras's ``get_weights`` gives them;
the notebook's layers are the same Keras layers as the playground's, so each array goes where its
twin came from (the transformer's attention, one Keras ``MultiHeadAttention`` in the notebook,
takes its four projections reshaped to heads).

Same model, same text: for a prompt the notebook gives the playground's next-token probabilities,
and with the same seed, temperatures and filters it writes the same text (its sampler is the
playground's recipe, step for step, with the same random numbers).

The ``.ipynb`` is nbformat 4.5 JSON, written here as plain data (the app needs no Jupyter
package); the tests check it against nbformat's schema and run it with nbclient.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np

from playground.errors import PlaygroundError
from playground.generation.sampling import MAX_PROMPT
from playground.models import architecture
from playground.runs import bundle
from playground.text import tokenizers
from playground.training.config import TrainConfig

TEMPERATURES = (0.2, 0.7, 1.0, 1.5)
NO_SPACE_AFTER_PROMPT = ".,;:!?)'\"\n"  # a word model's text starting so joins its prompt without a space


def zip_name(directory: Path) -> str:
    return f"{Path(directory).name}-notebook.zip"


def write(directory: str | Path, destination: str | Path, label: str | None = None) -> Path:
    """Pack the run in ``directory`` as a notebook with its files into the ``.zip`` file ``destination``."""
    destination = Path(destination)
    data = archive(directory, label)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        bundle.write_atomic(destination, data)  # a download never sees a half-written archive
    except OSError as error:
        raise PlaygroundError(f"Could not write the notebook to {destination}: {error.strerror or error}.") from None
    return destination


def archive(directory: str | Path, label: str | None = None) -> bytes:
    """The ``.zip``: a folder named after the run holding ``<run>.ipynb``, ``weights.npz``,
    ``tokenizer.json`` and, when the run kept it, ``corpus.txt``."""
    directory = Path(directory)
    label = label or directory.name
    needed = (("model.keras", "its weights"), ("tokenizer.json", "its tokenizer"))
    missing = [f"{name} ({what})" for name, what in needed if not (directory / name).is_file()]
    if missing:
        raise PlaygroundError(f"{label} cannot become a notebook: {' and '.join(missing)} "
                              f"{'is' if len(missing) == 1 else 'are'} missing from its folder.")
    loaded = bundle.load(directory, label)
    corpus = bundle.read_corpus(directory, label)
    name = directory.name
    weights = io.BytesIO()
    np.savez_compressed(weights, **{f"{layer}/{index}": array for layer, arrays in layer_weights(loaded.model).items()
                                    for index, array in enumerate(arrays)})
    pages = notebook(loaded, label, has_corpus=corpus is not None)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(f"{name}/{name}.ipynb", json.dumps(pages, indent=1, ensure_ascii=False) + "\n")
        zipped.writestr(f"{name}/weights.npz", weights.getvalue())
        zipped.writestr(f"{name}/tokenizer.json", loaded.tokenizer.to_json())
        if corpus is not None:
            zipped.writestr(f"{name}/corpus.txt", corpus)
    return packed.getvalue()


# The weights, by the notebook's layer names ----------------------------------------------------

def layer_weights(model) -> dict[str, list[np.ndarray]]:
    """The trained model's weights by the name of the notebook layer that takes them, each layer's
    in the order its ``get_weights`` lists them (float32)."""
    config = model.model_config
    if config.arch == "transformer":
        found = _transformer_weights(model)
    elif config.arch == "gan-naive":
        found = {"noise": [model.sampling_noise.numpy()], "project": model.project.get_weights(),
                 "batch_norm": model.normalize.get_weights()}
        found.update({f"lstm_{i}": layer.get_weights() for i, layer in enumerate(model.recurrent)})
        found["logits"] = model.head.get_weights()
    else:  # lstm, gru and the GAN's generator: one recurrent language model
        found = {"embedding": model.encode.get_weights()} if model.encode is not None else {}
        found.update({f"{config.cell}_{i}": layer.get_weights() for i, layer in enumerate(model.recurrent)})
        found["logits"] = model.head.get_weights()
    return {name: [np.asarray(array, np.float32) for array in arrays] for name, arrays in found.items()}


def _transformer_weights(model) -> dict[str, list[np.ndarray]]:
    config = model.model_config
    width, heads, size = config.embedding_dim, config.heads, config.head_dim
    found = {"token_embedding": model.token_embedding.get_weights(),
             "position_embedding": model.position_embedding.get_weights()}
    for i, block in enumerate(model.blocks):
        attention = []
        for projection in (block.query, block.key, block.value):  # (E, E) -> (E, H, D): the heads split
            kernel, bias = projection.get_weights()
            attention += [kernel.reshape(width, heads, size), bias.reshape(heads, size)]
        kernel, bias = block.attention_output.get_weights()  # (E, E) -> (H, D, E): the heads merge
        attention += [kernel.reshape(heads, size, width), bias]
        found.update({f"block_{i}_attention_norm": block.attention_norm.get_weights(),
                      f"block_{i}_attention": attention,
                      f"block_{i}_feed_forward_norm": block.feed_forward_norm.get_weights(),
                      f"block_{i}_expand": block.expand.get_weights(),
                      f"block_{i}_contract": block.contract.get_weights()})
    found["final_norm"] = model.final_norm.get_weights()
    if model.head is not None:
        found["logits"] = model.head.get_weights()
    return found


# The notebook -------------------------------------------------------------------------------------

def notebook(loaded: bundle.Bundle, label: str, has_corpus: bool) -> dict:
    """The notebook (nbformat 4.5 JSON) for a loaded bundle."""
    config = loaded.model.model_config
    info = loaded.info
    train = _train_config(info)
    level = loaded.tokenizer.level
    cells = [
        _markdown(_introduction(label, info, config, level, has_corpus)),
        _code(_parameters(loaded, train), tags=["parameters"]),
        _markdown(TOKENIZER_TEXT[level]),
        _code(_tokenizer_code(level)),
        _markdown(_network_text(config)),
        _code(_network_code(config)),
        _markdown(WEIGHTS_TEXT),
        _code(WEIGHTS_CODE),
        _markdown(NEXT_TOKEN_TEXT),
        _code(_sampler_code(config)),
        _markdown(GENERATE_TEXT),
        _code(GENERATE_CODE),
        _markdown(_training_text(config, has_corpus)),
        _code(_training_code(config, train, _kept_loss(info, loaded.history))),
        _markdown(PLOT_TEXT),
        _code(PLOT_CODE),
        _markdown(SAVE_TEXT),
        _code(SAVE_CODE),
    ]
    for number, cell in enumerate(cells, start=1):
        cell["id"] = f"cell-{number}"
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}}}


def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip()}


def _code(text: str, tags: list[str] | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {"tags": tags} if tags else {},
            "outputs": [], "source": text.strip()}


def _train_config(info: dict) -> TrainConfig:
    """The run's training settings as saved (the defaults for anything it did not save)."""
    saved = info.get("train") if isinstance(info.get("train"), dict) else {}
    known = {name for name in TrainConfig.__dataclass_fields__}
    chosen = {k: tuple(v) if isinstance(v, list) else v for k, v in saved.items() if k in known}
    try:
        return TrainConfig(**chosen)
    except (PlaygroundError, TypeError):
        return TrainConfig()


def _kept_loss(info: dict, history) -> float | None:
    """The validation loss (on the fixed slice) of the weights the run saved, if it was measured."""
    result = info.get("result") if isinstance(info.get("result"), dict) else {}
    step = result.get("kept_step")
    rows = history.rows
    if not isinstance(step, int) and rows:
        step = rows[-1]["step"]
    losses = [row["val_loss"] for row in rows if row["step"] == step and not math.isnan(row["val_loss"])]
    return losses[0] if losses else None


def _introduction(label: str, info: dict, config, level: str, has_corpus: bool) -> str:
    spec = architecture(config.arch)
    result = info.get("result") if isinstance(info.get("result"), dict) else {}
    lines = [f"# {label}: {spec.label}, taken home from the Text Generation Playground", ""]
    if config.arch in ("gan", "gan-naive"):
        lines += ["**This notebook holds the GAN's generator only.** The discriminator it trained against "
                  "stays in the playground; here the generator writes text like any language model, and "
                  "*Keep training* trains it by maximum likelihood (predicting the next token of real text), "
                  "not by the adversarial game.", ""]
        if config.arch == "gan-naive":
            lines += ["The naive GAN's generator never reads the prompt: it writes from one fixed noise "
                      "vector, saved with its weights, so only the prompt's length matters.", ""]
    lines += [
        "This notebook rebuilds the network you trained in the playground with plain Keras, loads its trained "
        "weights, shows what it expects after a prompt, writes text at four temperatures and keeps training it. "
        "It needs TensorFlow (with Keras 3) and NumPy; matplotlib draws the loss if you have it. Nothing from "
        "the playground is imported: every step is written out below. Run the cells from the top.",
        "",
        "Beside this notebook:",
        "- `weights.npz`: the trained weights, one array per weight of each layer, named after the layers below;",
        f"- `tokenizer.json`: the {level}-level vocabulary, so ids mean what they meant in the playground;",
        "- `corpus.txt`: the text it was trained on." if has_corpus else
        "- no `corpus.txt`: the run was saved without its text; put a UTF-8 file of that name here to train on it.",
        "",
        f"**The run**: trained on {info.get('corpus', 'an unnamed corpus')} ({level} tokens, "
        f"{config.vocab_size:,} in the vocabulary)",
    ]
    if isinstance(result.get("steps"), int):
        lines[-1] += f" for {result['steps']:,} steps"
    loss = result.get("val_loss")
    if isinstance(loss, (int, float)) and math.isfinite(loss):
        lines[-1] += f"; validation loss {loss:.4f} nats per token"
    lines[-1] += "."
    kept, step = result.get("kept"), result.get("kept_step")
    if kept == "best":
        lines += ["", f"The weights are those of its best validation evaluation, at step {step}, not its last step's."]
    return "\n".join(lines)


def _parameters(loaded: bundle.Bundle, train: TrainConfig) -> str:
    prompt = "" if not architecture(loaded.arch).reads_prompt else _default_prompt(loaded.tokenizer)
    return f"""
# Change these and run the notebook again (Run All).
PROMPT = {prompt!r}
LENGTH = 200  # tokens to generate
TEMPERATURES = {list(TEMPERATURES)}  # 0 is greedy: always the most likely token
SEED = 0  # the same seed gives the same text, as in the playground
TOP_K, TOP_P, MIN_P = 0, 1.0, 0.0  # the filters; 0, 1 and 0 switch them off
TRAIN_STEPS = 200  # steps of further training on the corpus (0: none)
EVALUATION_TOKENS = {train.eval_tokens}  # held-out tokens the validation loss is measured on
"""


def _default_prompt(tokenizer) -> str:
    """A prompt the model knows every token of: "ROMEO:" (the shipped models read Shakespeare), else "The "
    or "the", else none."""
    for prompt in ("ROMEO:", "The ", "the"):
        if not tokenizer.unknown_symbols(prompt) and len(tokenizer.encode(prompt)):
            return prompt
    return ""


# The tokenizer --------------------------------------------------------------------------------

TOKENIZER_TEXT = {
    "char": """
## 1 · Tokens: one per character

The model reads and writes **token ids**, not text. This run uses **character tokens**: every
character of the training text got an id; id 0 (`<unk>`) stands for characters it never saw.
""",
    "word": """
## 1 · Tokens: words, numbers, punctuation marks and line breaks

The model reads and writes **token ids**, not text. This run uses **word tokens**: the text is
lower-cased and split into words, numbers, punctuation marks and line breaks; the most frequent
ones have an id, and every rarer word becomes `<unk>` (id 0), which generation never writes.
Decoding joins the words with spaces (none before punctuation) and capitalises sentence starts and "I".
""",
    "subword": """
## 1 · Tokens: subwords learned by byte-pair encoding

The model reads and writes **token ids**, not text. This run uses **subword tokens**: byte-pair
encoding (BPE), learned from the corpus. The text is cut into pieces (a word with the space before
it, a number, a run of punctuation, spaces), each piece is written as its UTF-8 bytes (one printable
character per byte, the GPT-2 way), and then the most frequent pairs are merged, in the order they
were learned, until no learned merge applies. Common words end up as one token, rare ones as a few.
Bytes never seen in training become `<unk>` (id 0). Written out here without the `tokenizers`
package; for text with unusual numerals (² ½ Ⅻ) its split can differ from the playground's.
""",
}


def _tokenizer_code(level: str) -> str:
    imports = "import json" if level == "char" else "import json\nimport re"  # re: to split words and pieces
    common = f"""
{imports}

import numpy as np

with open("tokenizer.json", encoding="utf-8") as file:
    saved = json.load(file)
TOKENS = ["<unk>"] + saved["vocabulary"]  # the token with id i is TOKENS[i]
TOKEN_IDS = {{token: i for i, token in enumerate(TOKENS)}}
SENTENCE_ENDS = set({"".join(sorted(tokenizers.SENTENCE_ENDS))!r})  # after these the next word opens a sentence
"""
    if level == "char":
        return common + '''

def encode(text):
    """Text -> token ids, one per character."""
    return [TOKEN_IDS.get(character, 0) for character in text]


def decode(ids, sentence_start=False):
    """Token ids -> text (an <unk> shows as \\ufffd)."""
    return "".join(TOKENS[i] if i > 0 else "\\ufffd" for i in ids)


def join(prompt, text):
    return prompt + text


print(f"{len(TOKENS)} tokens:", "".join(TOKENS[1:80]).encode("unicode_escape").decode())
'''
    if level == "word":
        pattern = tokenizers._WORD_PATTERN.pattern
        close_up = tokenizers._CLOSE_UP.pattern
        return common + f'''
WORDS = re.compile({pattern!r})
CLOSE_UP = re.compile({close_up!r})  # scripts written without spaces
NO_SPACE_BEFORE = set({"".join(sorted(tokenizers._NO_SPACE_BEFORE))!r})
NO_SPACE_AFTER = set({"".join(sorted(tokenizers._NO_SPACE_AFTER))!r})


def encode(text):
    """Text -> token ids: lower-cased words, numbers, punctuation marks and line breaks."""
    return [TOKEN_IDS.get(word, 0) for word in WORDS.findall(text.lower())]


def decode(ids, sentence_start=False):
    """Token ids -> text: spaces between words, none before punctuation, capitals where sentences start."""
    pieces = []
    for word in (TOKENS[i] for i in ids):
        if pieces and word[0] not in NO_SPACE_BEFORE and pieces[-1][-1] not in NO_SPACE_AFTER \\
                and not (CLOSE_UP.match(word[0]) or CLOSE_UP.match(pieces[-1][-1])):
            pieces.append(" ")
        capital = sentence_start or word == "i" or word.startswith("i'")
        pieces.append(word.capitalize() if capital and word[0].isalpha() else word)
        sentence_start = word in SENTENCE_ENDS or (sentence_start and not word[0].isalnum())
    return "".join(pieces)


def join(prompt, text):
    """The prompt and the words written after it, with a space between words."""
    if prompt and text and not prompt[-1].isspace() and text[0] not in {NO_SPACE_AFTER_PROMPT!r}:
        return f"{{prompt}} {{text}}"
    return prompt + text


print(f"{{len(TOKENS):,}} tokens, the most frequent:", TOKENS[1:30])
'''
    return common + '''
import functools


def byte_characters():
    """GPT-2's map from the 256 byte values to printable characters, which byte-level BPE works on."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    characters = {byte: chr(byte) for byte in printable}
    others = [byte for byte in range(256) if byte not in characters]
    characters.update({byte: chr(256 + n) for n, byte in enumerate(others)})
    return characters


BYTE_CHARACTER = byte_characters()
CHARACTER_BYTE = {character: byte for byte, character in BYTE_CHARACTER.items()}
PIECES = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\\W\\d_]+| ?\\d+| ?(?:[^\\s\\w]|_)+|\\s+(?!\\S)|\\s+")
MERGE_RANK = {tuple(pair): rank for rank, pair in enumerate(saved["merges"])}  # learned first, merged first


@functools.lru_cache(maxsize=65536)
def encode_piece(piece):
    """One piece of text -> token ids: its bytes as characters, then the learned merges, best-ranked first."""
    symbols = [BYTE_CHARACTER[byte] for byte in piece.encode("utf-8")]
    while len(symbols) > 1:
        rank, at = min((MERGE_RANK.get(pair, float("inf")), i) for i, pair in enumerate(zip(symbols, symbols[1:])))
        if rank == float("inf"):
            break
        symbols[at:at + 2] = [symbols[at] + symbols[at + 1]]
    return [TOKEN_IDS.get(symbol, 0) for symbol in symbols]


def encode(text):
    """Text -> token ids."""
    return [i for piece in PIECES.findall(text) for i in encode_piece(piece)]


def decode_bytes(ids):
    """Token ids (no <unk>) -> their bytes, read as UTF-8."""
    return bytes(CHARACTER_BYTE[c] for i in ids for c in TOKENS[i]).decode("utf-8", "replace")


def decode(ids, sentence_start=False):
    """Token ids -> text (each <unk> shows as \\ufffd)."""
    runs, run = [], []
    for i in ids:
        if i == 0:
            runs.append(run)
            run = []
        else:
            run.append(i)
    return "\\ufffd".join(decode_bytes(part) for part in [*runs, run])


def join(prompt, text):
    return prompt + text


print(f"{len(TOKENS):,} tokens; 'the quick brown fox' is", [decode([i]) for i in encode("the quick brown fox")])
'''


# The network ----------------------------------------------------------------------------------

def _network_text(config) -> str:
    spec = architecture(config.arch)
    return f"""
## 2 · The network: {spec.label}

{spec.explanation}

The cell below builds it with plain Keras layers and this run's sizes. It turns token ids `(B, T)`
(B texts of T tokens) into **logits** `(B, T, V)`: for every position, a score for each of the V
tokens of the vocabulary that could come next.
"""


def _network_code(config) -> str:
    if config.arch == "transformer":
        return _transformer_code(config)
    if config.arch == "gan-naive":
        return _naive_gan_code(config)
    return _recurrent_code(config)


def _recurrent_code(config) -> str:
    cell = config.cell
    layer = {"lstm": "LSTM", "gru": "GRU"}[cell]
    if config.embedding_dim:
        encode = 'x = keras.layers.Embedding(VOCABULARY, EMBEDDING, name="embedding")(ids)  # (B, T, EMBEDDING)'
    else:
        encode = ('x = keras.layers.Lambda(lambda ids: keras.ops.one_hot(ids, VOCABULARY), name="one_hot")(ids)'
                  '  # (B, T, V): one-hot input')
    return f'''
import keras
import tensorflow as tf

VOCABULARY = {config.vocab_size}  # tokens the model knows
EMBEDDING = {config.embedding_dim}  # length of the vector each token becomes (0: one-hot input)
UNITS = {config.units}  # size of each layer's memory vector
LAYERS = {config.layers}
DROPOUT = {config.dropout}  # only while training
CONTEXT = None  # a recurrent network reads any length

ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (B, T)
{encode}
for i in range(LAYERS):
    x = keras.layers.{layer}(UNITS, return_sequences=True, name=f"{cell}_{{i}}")(x)  # (B, T, UNITS)
    x = keras.layers.Dropout(DROPOUT)(x)
logits = keras.layers.Dense(VOCABULARY, name="logits")(x)  # (B, T, V)
model = keras.Model(ids, logits, name="{config.arch.replace("-", "_")}")
model.summary()
'''


def _naive_gan_code(config) -> str:
    return f'''
import keras
import tensorflow as tf

VOCABULARY = {config.vocab_size}  # tokens the model knows
UNITS = {config.units}  # size of each LSTM layer's memory vector
LAYERS = {config.layers}
DROPOUT = {config.dropout}  # only while training
NOISE = {config.noise_dim}  # numbers of noise the generator writes from
CONTEXT = None  # it writes any length


class FixedNoise(keras.layers.Layer):
    """The one noise vector the playground samples from (saved with the weights), repeated at every
    position: the generator never reads the tokens, only how many there are."""

    def build(self, ids_shape):
        self.noise = self.add_weight(shape=(NOISE,), initializer="random_normal", trainable=False, name="noise")

    def call(self, ids):
        shape = keras.ops.shape(ids)
        return keras.ops.broadcast_to(self.noise, (shape[0], shape[1], NOISE))  # (B, T, NOISE)


ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (B, T)
x = FixedNoise(name="noise")(ids)  # (B, T, NOISE)
x = keras.layers.Dense(UNITS, name="project")(x)  # (B, T, UNITS)
x = keras.layers.BatchNormalization(name="batch_norm")(x)
for i in range(LAYERS):
    x = keras.layers.LSTM(UNITS, return_sequences=True, name=f"lstm_{{i}}")(x)  # (B, T, UNITS)
    x = keras.layers.Dropout(DROPOUT)(x)
logits = keras.layers.Dense(VOCABULARY, name="logits")(x)  # (B, T, V)
model = keras.Model(ids, logits, name="gan_naive")
model.summary()
'''


def _transformer_code(config) -> str:
    if config.tied_head:
        embedding = '''

class TiedEmbedding(keras.layers.Embedding):
    """The token embedding, also used backwards as the output layer (tied weights): a vector's score
    for each token is how well it matches that token's embedding."""

    def call(self, inputs, reverse=False):
        if reverse:
            return keras.ops.matmul(inputs, keras.ops.transpose(self.embeddings))  # (B, T, V)
        return super().call(inputs)

    def compute_output_spec(self, inputs, reverse=False):
        if reverse:
            return keras.KerasTensor((*inputs.shape[:-1], self.input_dim), dtype=self.compute_dtype)
        return super().compute_output_spec(inputs)
'''
        token_embedding = 'token_embedding = TiedEmbedding(VOCABULARY, EMBEDDING, name="token_embedding")'
        head = "logits = token_embedding(x, reverse=True)  # (B, T, V)"
    else:
        embedding = ""
        token_embedding = 'token_embedding = keras.layers.Embedding(VOCABULARY, EMBEDDING, name="token_embedding")'
        head = 'logits = keras.layers.Dense(VOCABULARY, use_bias=False, name="logits")(x)  # (B, T, V)'
    return f'''
import keras
import tensorflow as tf

VOCABULARY = {config.vocab_size}  # tokens the model knows
EMBEDDING = {config.embedding_dim}  # length of the vector each token becomes
HEADS = {config.heads}  # attention heads per layer; each works on EMBEDDING // HEADS numbers
LAYERS = {config.layers}
CONTEXT = {config.context}  # the most tokens it reads: one learned position vector each
FEED_FORWARD = {config.ff_multiplier}  # the feed-forward layer's width, in embedding sizes
DROPOUT = {config.dropout}  # only while training
{embedding}

class PositionEmbedding(keras.layers.Layer):
    """A learned vector for each position 0 .. CONTEXT - 1, added to the token's own."""

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(CONTEXT, EMBEDDING), name="embeddings")

    def call(self, x):  # (B, T, EMBEDDING), T <= CONTEXT
        return x + self.embeddings[: keras.ops.shape(x)[1]]


def decoder_block(x, i):
    """x + attention(norm(x)), then x + feed_forward(norm(x)); the causal mask hides the future."""
    h = keras.layers.LayerNormalization(epsilon=1e-5, name=f"block_{{i}}_attention_norm")(x)
    h = keras.layers.MultiHeadAttention(HEADS, EMBEDDING // HEADS, dropout=DROPOUT,
                                        name=f"block_{{i}}_attention")(h, h, use_causal_mask=True)
    x = keras.layers.Add()([x, keras.layers.Dropout(DROPOUT)(h)])  # (B, T, EMBEDDING)
    h = keras.layers.LayerNormalization(epsilon=1e-5, name=f"block_{{i}}_feed_forward_norm")(x)
    h = keras.layers.Dense(FEED_FORWARD * EMBEDDING, activation="gelu", name=f"block_{{i}}_expand")(h)
    h = keras.layers.Dense(EMBEDDING, name=f"block_{{i}}_contract")(h)
    return keras.layers.Add()([x, keras.layers.Dropout(DROPOUT)(h)])  # (B, T, EMBEDDING)


ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (B, T)
{token_embedding}
x = PositionEmbedding(name="position_embedding")(token_embedding(ids))  # (B, T, EMBEDDING)
x = keras.layers.Dropout(DROPOUT)(x)
for i in range(LAYERS):
    x = decoder_block(x, i)
x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
{head}
model = keras.Model(ids, logits, name="transformer")
model.summary()
'''


WEIGHTS_TEXT = """
## 3 · The trained weights

`weights.npz` holds every weight the playground trained, named `<layer>/<index>` after the layers
above, in the order Keras lists a layer's weights. Loading them makes this network the one you trained.
"""

WEIGHTS_CODE = '''
saved_weights = np.load("weights.npz")
used = set()
for layer in model.layers:
    if layer.weights:
        names = [f"{layer.name}/{index}" for index in range(len(layer.weights))]
        missing = [name for name in names if name not in saved_weights.files]
        if missing:
            raise ValueError(f"weights.npz has no {', '.join(missing)}: it was not saved for this network.")
        layer.set_weights([saved_weights[name] for name in names])
        used.update(names)
unused = sorted(set(saved_weights.files) - used)
if unused:
    raise ValueError(f"weights.npz holds weights this network has no place for: {', '.join(unused)}.")
print(f"Loaded {len(used)} arrays, {model.count_params():,} parameters.")
'''


# What the model expects next, and sampling ------------------------------------------------------

NEXT_TOKEN_TEXT = """
## 4 · What the model expects next

A language model never writes text directly: for the next position it gives every token of its
vocabulary a **score** (a logit, `z`). Sampling turns scores into probabilities with
`p ∝ exp(z / T)` and draws one token. The recipe, as in the playground:

1. the scores, with `<unk>` pushed so low that it is never drawn;
2. **÷ T**: a temperature below 1 stretches the gaps between scores, above 1 shrinks them;
   T = 0 is greedy (always the favourite);
3. **softmax** in float32;
4. **filters**: top-k keeps the k most likely tokens, top-p the fewest whose probabilities add up
   to p, min-p those at least that share as likely as the favourite; the rest are scaled up to add to 1;
5. **draw** by the inverse of the cumulative distribution with a uniform number `u`: the first
   token whose running total passes `u`.
"""


def _sampler_code(config) -> str:
    limit = min(MAX_PROMPT, config.context) if config.arch == "transformer" else MAX_PROMPT
    return f'''
PROMPT_LIMIT = {limit}  # the most prompt tokens the model reads (the end of a longer prompt)
FORBIDDEN = np.zeros(VOCABULARY, np.float32)
FORBIDDEN[0] = -1e9  # <unk> is never written


@tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
def next_logits(ids):
    """The scores for the token after each row of ids (B, T): the network's last position (B, V)."""
    return model(ids, training=False)[:, -1]


def prompt_ids(prompt):
    """The prompt's ids (its last PROMPT_LIMIT); an empty prompt starts after a line break, as text does."""
    ids = encode(prompt)[-PROMPT_LIMIT:]
    if ids:
        return ids
    for start in ("\\n", " ", "."):
        if encode(start) and encode(start)[0] != 0:
            return encode(start)[:1]
    return [1]


def tempered(logits, temperature):
    """softmax(logits / T) in float32, one temperature per row (rows with T = 0 use 1 here: they go greedy)."""
    safe = tf.where(temperature > 0, temperature, tf.ones_like(temperature))
    return tf.nn.softmax(tf.cast(logits, tf.float32) / safe[:, None], axis=-1)  # (B, V)


def kept(probabilities):
    """Which tokens survive top-k, top-p and min-p (all three)."""
    vocabulary = probabilities.shape[-1]
    k = TOP_K if 0 < TOP_K < vocabulary else vocabulary
    top_k = probabilities >= tf.math.top_k(probabilities, k=k).values[:, -1:]
    ranked = tf.sort(probabilities, axis=-1, direction="DESCENDING")
    before = tf.cumsum(ranked, axis=-1, exclusive=True)  # the mass ranked above each token
    nucleus = tf.reduce_min(tf.where(before < TOP_P, ranked, tf.ones_like(ranked)), axis=-1)
    top_p = probabilities >= nucleus[:, None]
    min_p = probabilities >= MIN_P * tf.reduce_max(probabilities, axis=-1, keepdims=True)
    return top_k & top_p & min_p


def filtered(logits, temperature):
    probabilities = tempered(logits, temperature)
    kept_only = tf.where(kept(probabilities), probabilities, tf.zeros_like(probabilities))
    return kept_only / tf.reduce_sum(kept_only, axis=-1, keepdims=True)  # (B, V)


def distribution(logits, temperature):
    """What each row draws from: the filtered tempered probabilities, or all on the favourite at T = 0."""
    greedy = tf.one_hot(tf.argmax(logits, axis=-1), logits.shape[-1])
    return tf.where((temperature > 0)[:, None], filtered(logits, temperature), greedy)


def draw(probabilities, uniform):
    """Inverse CDF: the first token whose running total passes u (of the total)."""
    cumulative = tf.cumsum(probabilities, axis=-1)
    index = tf.reduce_sum(tf.cast(cumulative <= uniform[:, None] * cumulative[:, -1:], tf.int32), axis=-1)
    return tf.minimum(index, probabilities.shape[-1] - 1)  # (B,)


def next_token(logits, temperature, uniform):
    """One token per row; rows at T = 0 take the favourite."""
    drawn = draw(filtered(logits, temperature), uniform)
    return tf.where(temperature > 0, drawn, tf.argmax(logits, axis=-1, output_type=tf.int32))


def next_token_probabilities(prompt, temperature=1.0):
    """The probability of each token (V,) being drawn after the prompt, at this temperature and the filters."""
    logits = next_logits(tf.constant([prompt_ids(prompt)], tf.int32)) + FORBIDDEN  # (1, V)
    return distribution(logits, tf.constant([temperature], tf.float32))[0].numpy()


probabilities = next_token_probabilities(PROMPT)
for i in np.argsort(-probabilities)[:10]:
    print(f"{{TOKENS[i]!r:>14}}  {{probabilities[i]:.3f}}")
'''


GENERATE_TEXT = """
## 5 · Text at four temperatures

One text per temperature, all continuing the prompt. Every row uses the same random number at each
step (drawn from the seed and the step, as in the playground's temperature grid), so the only
difference between them is the temperature. For simplicity this network reads the whole text again
for every new token (the playground carries the recurrent state, or caches the keys and values,
instead); a transformer reads at most its context, and when that is full it forgets its oldest
quarter and reads the rest again, as the playground does. Same seed, same settings: the same text.
"""

GENERATE_CODE = '''
FORGET_WHEN_FULL = max(1, CONTEXT // 4) if CONTEXT else 0


def generate(prompt, temperatures, length, seed=SEED):
    """One text per temperature, continuing the prompt; returns the new text of each."""
    start = prompt_ids(prompt)
    rows = len(temperatures)
    ids = np.tile(np.asarray(start, np.int32), (rows, 1))  # (B, T)
    temperature = tf.constant(temperatures, tf.float32)
    first = 0  # where the window the network reads starts
    for step in range(length):
        logits = next_logits(tf.constant(ids[:, first:])) + FORBIDDEN  # (B, V)
        uniform = tf.random.stateless_uniform([1], seed=tf.constant([seed % 2**31, step], tf.int32))
        token = next_token(logits, temperature, tf.repeat(uniform, rows)).numpy()  # (B,)
        ids = np.concatenate([ids, token[:, None].astype(np.int32)], axis=1)
        if CONTEXT and ids.shape[1] - first > CONTEXT:
            first += FORGET_WHEN_FULL
    opens = TOKENS[start[-1]] in SENTENCE_ENDS
    return [decode(row[len(start):].tolist(), sentence_start=opens) for row in ids]


samples = generate(PROMPT, TEMPERATURES, LENGTH)
for temperature, text in zip(TEMPERATURES, samples):
    print(f"--- temperature {temperature}\\n{join(PROMPT, text)}\\n")
'''


# More training --------------------------------------------------------------------------------

def _training_text(config, has_corpus: bool) -> str:
    where = ("on `corpus.txt`, the text it was trained on" if has_corpus
             else "on a text of your own: this run was saved without its corpus, so put a UTF-8 file named "
                  "`corpus.txt` beside the notebook")
    text = f"""
## 6 · Keep training

More steps of the same training, {where}: the first part of the text trains, the last part (the
same share as in the playground) is held out and never trained on. Each step shows the network
random windows of the training text and nudges every weight against the gradient of the loss, the
cross-entropy of each next token in nats, with the run's optimizer, learning rate, clipping and
schedule (a warm-up, then constant or cosine decay to a tenth over `TRAIN_STEPS`). The validation
loss before and after is measured on evenly spaced held-out windows, as the playground measures it
during training.
"""
    if config.arch == "gan":
        text += ("\nFor this GAN's generator the training is **maximum likelihood** (predict the next token of "
                 "real text), as the playground's GAN trains before its adversarial phase.")
    if config.arch == "gan-naive":
        text += ("\nFor the naive GAN's generator the training is **maximum likelihood** (predict the next token "
                 "of real text), which the playground's naive GAN never does: there it learns only from its "
                 "discriminator. Batch normalisation stays frozen: every text starts from the same noise "
                 "vector, so a batch has no spread to normalise.")
    return text


def _training_code(config, train: TrainConfig, kept_loss: float | None) -> str:
    clip = f", clipnorm={train.clipnorm}" if train.clipnorm else ""
    optimizer = {
        "adam": f"keras.optimizers.Adam(LEARNING_RATE{clip})",
        "adamw": f"keras.optimizers.AdamW(LEARNING_RATE, weight_decay=0.01{clip})",
        "rmsprop": f"keras.optimizers.RMSprop(LEARNING_RATE{clip})",
        "sgd": f"keras.optimizers.SGD(LEARNING_RATE, momentum=0.9{clip})",
    }[train.optimizer]
    frozen = '\nmodel.get_layer("batch_norm").trainable = False  # every text starts from the same noise\n' \
        if config.arch == "gan-naive" else ""
    saved = f"{kept_loss:.4f}" if kept_loss is not None else "None"
    return f'''
import math
from pathlib import Path

# The run's training settings (the playground's Train tab).
LEARNING_RATE = {train.learning_rate}
SCHEDULE = {train.schedule!r}  # "constant", or "cosine": down to a tenth by the last step
WARMUP_STEPS = {train.warmup_steps}  # the rate rises from zero over these first steps
BATCH_SIZE = {train.batch_size}  # windows of text per step
WINDOW = {train.window}  # tokens per window
VALIDATION_SHARE = {train.validation_share}  # the end of the text, held out
PLAYGROUND_VALIDATION_LOSS = {saved}  # what the playground measured for these weights on the same windows
optimizer = {optimizer}
{frozen}

def learning_rate(step):
    if step < WARMUP_STEPS:
        return LEARNING_RATE * (step + 1) / WARMUP_STEPS
    if SCHEDULE == "cosine":
        return LEARNING_RATE * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / max(TRAIN_STEPS, 1))))
    return LEARNING_RATE


def mean_loss(windows):
    """Mean cross-entropy (nats per token) of each window's next tokens; windows (N, WINDOW + 1)."""
    total = 0.0
    for start in range(0, len(windows), BATCH_SIZE):
        batch = windows[start:start + BATCH_SIZE]
        logits = model(batch[:, :-1], training=False)
        losses = keras.losses.sparse_categorical_crossentropy(batch[:, 1:], logits, from_logits=True)
        total += float(tf.reduce_sum(losses))
    return total / (len(windows) * WINDOW)


@tf.function
def train_step(inputs, targets):
    with tf.GradientTape() as tape:
        logits = model(inputs, training=True)  # (B, T, V)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


losses = []  # the training loss of every step
corpus = Path("corpus.txt")
if not corpus.exists():
    print("No corpus.txt beside this notebook: put the text to train on there, then run this cell again.")
elif TRAIN_STEPS > 0:
    text = corpus.read_text(encoding="utf-8")
    cut = int(len(text) * (1 - VALIDATION_SHARE))
    train_ids = np.asarray(encode(text[:cut]), np.int32)
    val_ids = np.asarray(encode(text[cut:]), np.int32)
    # Evenly spaced held-out windows, the same before and after.
    count = max(1, min(EVALUATION_TOKENS // WINDOW, (len(val_ids) - 1) // (WINDOW + 1)))
    starts = np.linspace(0, len(val_ids) - WINDOW - 1, count).astype(int)
    validation = val_ids[starts[:, None] + np.arange(WINDOW + 1)]
    before = mean_loss(validation)
    said = f" (the playground measured {{PLAYGROUND_VALIDATION_LOSS}})" if PLAYGROUND_VALIDATION_LOSS else ""
    print(f"validation loss before: {{before:.4f}} nats per token{{said}}")
    rng = np.random.default_rng(SEED)
    for step in range(TRAIN_STEPS):
        optimizer.learning_rate.assign(learning_rate(step))
        starts = rng.integers(0, len(train_ids) - WINDOW, size=BATCH_SIZE)
        windows = train_ids[starts[:, None] + np.arange(WINDOW + 1)]  # (B, WINDOW + 1)
        losses.append(float(train_step(windows[:, :-1], windows[:, 1:])))
    print(f"validation loss after {{TRAIN_STEPS}} steps: {{mean_loss(validation):.4f}} nats per token")
'''


PLOT_TEXT = """
## 7 · The loss, step by step

The training loss of every step (its moving average in a darker line). It falls while the network
learns; if the validation loss rose while this one fell, the network would be learning its
training text by heart.
"""

PLOT_CODE = '''
smoothed = [float(np.mean(losses[max(0, i - 19):i + 1])) for i in range(len(losses))]
try:
    import matplotlib.pyplot as plt
except ImportError:  # no matplotlib: the numbers instead
    plt = None
if not losses:
    print("No training steps yet.")
elif plt is not None:
    plt.figure(figsize=(8, 4))
    plt.plot(range(1, len(losses) + 1), losses, alpha=0.35, label="training loss")
    plt.plot(range(1, len(losses) + 1), smoothed, label="moving average (20 steps)")
    plt.xlabel("step")
    plt.ylabel("nats per token")
    plt.legend()
    plt.show()
else:
    for step in sorted({*range(0, len(losses), max(1, len(losses) // 10)), len(losses) - 1}):
        print(f"step {step + 1:5d}  loss {losses[step]:.4f}  moving average {smoothed[step]:.4f}")
'''

SAVE_TEXT = """
## 8 · Keep what you trained

Generate again (section 5) to read what the extra training changed, and save the weights in Keras's
own format to load into this same network later with `model.load_weights`.
"""

SAVE_CODE = '''
if losses:
    model.save_weights("continued.weights.h5")
    print("saved continued.weights.h5")
'''
