"""Writing text with a trained network: the samplers and the compiled batched generation loop,
every stage of the next-token distribution from logits to the draw, the held-out loss, and
:class:`~playground.generation.text_model.TextModel`, a network with its tokenizer ready to generate."""
