"""The token levels compared on one text: how it splits into tokens at each level, so a student sees
the trade-off before training: characters are many and simple, words few and numerous in kind,
subwords in between."""

from __future__ import annotations

from playground.text import tokenizers

SAMPLE_CHARS = 200_000  # the counts come from the start of the text: enough to be representative, fast


def example_sentence(text: str, shortest: int = 40, longest: int = 160) -> str:
    """A line of ``text`` of a readable length (the first such), or its first ``longest`` characters."""
    for line in text.splitlines():
        if shortest <= len(line.strip()) <= longest:
            return line.strip()
    return text.strip()[:longest]


def compare_levels(text: str, max_words: int = tokenizers.TokenizerSettings.max_words,
                 subword_vocab: int = tokenizers.TokenizerSettings.subword_vocab) -> dict[str, dict]:
    """Per level: the tokens of an example sentence (as the model sees them) and how many tokens
    1,000 characters of the text make, both from tokenizers fitted on the start of ``text``."""
    sample = text[:SAMPLE_CHARS]
    sentence = example_sentence(sample)
    compared = {}
    for level in tokenizers.LEVELS:
        try:
            tokenizer = tokenizers.fit(sample, level, max_words, subword_vocab)
        except Exception as error:  # a vocabulary the sample cannot support: say so in its place
            compared[level] = {"tokens": [], "per_thousand": None, "vocabulary": None, "note": str(error)}
            continue
        ids = tokenizer.encode(sample)
        compared[level] = {"tokens": tokenizer.token_texts(tokenizer.encode(sentence)),
                        "per_thousand": 1000 * len(ids) / max(len(sample), 1), "vocabulary": len(tokenizer),
                        "note": ""}
    return compared
