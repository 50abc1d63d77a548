"""Text Generation Playground: train and sample small text-generating networks.

The package's folders are its concepts, in layers, ground first. A module imports only from its
own layer or the layers below it, never from a layer above, and no two modules import each other
(``tests/test_layering.py`` checks every import of every module, including those inside
functions, against :data:`LAYERS`)::

    ground      errors, paths, settings   user-facing errors, where files go, how a setting is declared
    text        text/                     corpora, built-in texts, tokenizers, windows, the token levels
                                          compared on one text, text measures, counting baselines
    models      models/                   the architectures behind one interface, their sizes, the limits
    generation  generation/               sampling, the next-token stages, held-out loss, a model ready
                                          to generate
    training    training/                 training settings and the loop, GAN trainers, events, what a
                                          page shows of training, loss history, the queue, devices
    lab         lab/                      measurements across temperatures, inside views, the critic,
                                          a text read token by token, lessons, set-up links
    runs        runs/                     a training run, bundles on disk, the run store, owners, which
                                          model a name means, the catalog of shipped models and runs,
                                          model cards, quality curves, a run as a notebook to take home,
                                          the leaderboard, the Ray cluster and a run trained on it
    figures     figures/                  every plotly chart and SVG picture
    top         session, classroom, cli   one user's state, the class view, the command line
    ui          ui/ (the only place gradio is imported)

An architecture that trains differently names its Trainer as ``"module:Class"`` in its
registry entry (the GANs name ``playground.training.adversarial``'s); ``runs.training_run`` imports it
by name, so the models never import the layer above them.

Importing ``playground`` registers the model classes with Keras, so a saved
``model.keras`` loads with ``keras.models.load_model`` afterwards.
"""

LAYERS = (
    ("ground", ("errors", "paths", "settings")),
    ("text", ("text",)),
    ("models", ("models",)),
    ("generation", ("generation",)),
    ("training", ("training",)),
    ("lab", ("lab",)),
    ("runs", ("runs",)),
    ("figures", ("figures",)),
    ("top", ("session", "classroom", "cli", "__main__")),
)
"""Each layer's folders and top-level modules; a module is in the layer of its folder."""

import os as _os  # noqa: E402  (below the layer table it is read with)

# The playground's models are small: on two cores, splitting each operation over both cores
# cost more than it gained. Measured here (benchmarks/generate.py, benchmarks/train.py) with one
# thread per operation instead of TensorFlow's default of one per core: the temperature grid
# 1.4-1.9x faster, LSTM training 1.3x faster, the transformer's unchanged. Operations still run
# side by side (inter-op threads), so two users' requests share the cores. TensorFlow reads the
# variable when it starts; set it yourself to choose otherwise. Larger machines keep the default.
if (_os.cpu_count() or 1) <= 2:
    _os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

from playground import models as _models  # noqa: E402,F401  (registers Keras classes)

__version__ = "0.1.0"
