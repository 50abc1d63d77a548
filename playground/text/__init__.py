"""Text in and out: a corpus (uploaded, pasted or built in) and its split, the tokenizers that turn
it into ids at character, subword or word level, the training windows cut from those ids, the
token levels compared on one text, the measures of a text (distinct n-grams, repetition, copying, BLEU) and the
counting models (uniform to 5-gram Kneser-Ney) a trained network is held against."""
