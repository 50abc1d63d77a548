"""Text Generation Playground: train and sample small text-generating networks.

Layering runs in one direction only; a module may import from the layers below it,
never from a layer above::

    ui                      playground/ui/ (the only place gradio is imported)
    session, cli            per-user state, command line
    training, sampling,     trainer thread + events, compiled generation loop,
    metrics, evaluation,    quality / diversity measures, held-out loss,
    baselines               counting models a loss is held against
    models, data, bundle    architectures behind one interface, windows, saving
    tokenizers, corpus,     text <-> ids, loading and checking text,
    config, errors          validated frozen dataclasses, user-facing errors

One deliberate exception: an architecture that trains differently names its Trainer
subclass in its registry entry (the GANs import ``playground.adversarial``), so adding such an
architecture is still one file plus its trainer.

Importing ``playground`` registers the model classes with Keras, so a saved
``model.keras`` loads with ``keras.models.load_model`` afterwards.
"""

import os as _os

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
