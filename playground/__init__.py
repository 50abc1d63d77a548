"""Text Generation Playground: train and sample small text-generating networks.

The package is built in layers, ground first. A module imports only from its own layer or
the layers below it, never from a layer above, and no two modules import each other
(``tests/test_layering.py`` checks every import, including those inside functions, against
:data:`LAYERS`)::

    ground     errors, paths, settings              user-facing errors, where files go, how a
                                                    setting is declared
    text       corpus, tokenizers, builtin, owners,  text in and out, ids, who owns a run,
               events, data, distribute, history,    training events, windows, devices,
               token_view, metrics, baselines        loss history, text measures, counting models
    models     models.*, network_diagram, limits,    architectures behind one interface, their
               evaluation, sampling, next_token      size, held-out loss, the generation loop
    training   training, adversarial, bundle,        trainers, saving and loading a bundle,
               monitor, slots                        what a page shows of training, the queue
    runs       text_model, training_run, critic,     a model ready to generate, a training run,
               inside, run_store, model_card         the runs on disk, what is inside a model
    lab        temperature_lab, quality_curves,      measurements across temperatures, the
               pretrained, charts, inside_charts,    shipped models, plotly figures, set-up
               next_token_chart, setup_link,         links, lessons
               lesson_book
    top        session, cli                          one user's state, the command line
    ui         playground/ui/ (the only place gradio is imported)

An architecture that trains differently names its Trainer as ``"module:Class"`` in its
registry entry (the GANs name ``playground.adversarial``'s); ``training_run`` imports it by name, so
the models never import the layer above them.

Importing ``playground`` registers the model classes with Keras, so a saved
``model.keras`` loads with ``keras.models.load_model`` afterwards.
"""

LAYERS = (
    ("ground", ("errors", "paths", "settings")),
    ("text", ("corpus", "tokenizers", "builtin", "owners", "events", "data", "distribute", "history", "token_view",
              "metrics", "baselines")),
    ("models", ("models", "models.base", "models.recurrent", "models.lstm", "models.gru", "models.transformer",
                "models.gan", "models.gan_naive", "network_diagram", "limits", "evaluation", "sampling",
                "next_token")),
    ("training", ("training", "adversarial", "bundle", "monitor", "slots")),
    ("runs", ("text_model", "training_run", "critic", "inside", "run_store", "model_card")),
    ("lab", ("temperature_lab", "quality_curves", "pretrained", "charts", "inside_charts", "next_token_chart",
             "setup_link", "lesson_book")),
    ("top", ("session", "cli", "__main__")),
)

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
