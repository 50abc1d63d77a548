"""Text Generation Playground: train and sample small text-generating networks.

Layering runs in one direction only; a module may import from the layers below it,
never from a layer above::

    ui                      playground/ui/ (the only place gradio is imported)
    session, cli            per-user state, command line
    training, sampling,     trainer thread + events, compiled generation loop,
    metrics, evaluation     quality / diversity measures, held-out loss
    models, data, bundle    architectures behind one interface, windows, saving
    tokenizers, corpus,     text <-> ids, loading and checking text,
    config, errors          validated frozen dataclasses, user-facing errors

One deliberate exception: an architecture that trains differently names its Trainer
subclass in its registry entry (the GANs import ``playground.adversarial``), so adding such an
architecture is still one file plus its trainer.

Importing ``playground`` registers the model classes with Keras, so a saved
``model.keras`` loads with ``keras.models.load_model`` afterwards.
"""

from playground import models as _models  # noqa: F401  (registers Keras classes)

__version__ = "0.1.0"
