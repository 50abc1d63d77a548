"""Corpus tab: bring text, see what is in it, choose how it is cut into tokens."""

import dataclasses
from collections.abc import Callable

import gradio as gr
import pandas as pd

from playground.text import builtin
from playground.figures import charts
from playground.figures.palettes import TOKEN_BACKGROUNDS
from playground.text import level_comparison
from playground.settings import declared, from_form
from playground.text.corpus import CorpusSettings
from playground.ui.common import AppContext, bind, control, escape, session_of

INTRO = """
## 1 · Corpus: the text your model will learn from
Upload one or more `.txt` files, paste text, or pick a built-in corpus. A model learns to predict
the next character (or word) of this text, so it can only ever write in its style. The last part
of the text (the *validation share*) is held out: the model never trains on it, and its loss there
tells you whether it learned the language or just memorised the training part.
"""

PREVIEW_CHARS = 1500
LEVEL_NAMES = {"char": "characters", "subword": "subwords", "word": "words"}
LEVEL_CHOICES = {**LEVEL_NAMES, "subword": "subwords (BPE)"}  # as the Tokens choice offers them
LEVEL_HELP = ("Character models can spell anything; word models learn faster but only know the words they saw "
              "(others become <unk>); subwords sit between: common words are one token, rare ones a few pieces.")
STATS_COLUMNS = ["statistic", "value"]
SETTINGS = {item.key: item for item in declared(CorpusSettings)}
# The web API's arguments, in the inputs' order: where the text comes from, then the settings.
FORM = ("source", "files", "text", "builtin_name", "level", "validation_share", "max_words", "subword_vocab")


def load_corpus(context: AppContext, form: dict, request: gr.Request = None):
    """Load a corpus into this session and describe it (``form``: :data:`FORM`; an empty box is the
    setting's default). Returns (summary, stats table, chart, preview)."""
    session = session_of(context, request)
    files = form.get("files")
    if isinstance(files, str):
        files = [files]
    paths = [getattr(f, "name", f) for f in (files or [])]
    settings = CorpusSettings(**from_form(CorpusSettings, form, by_label=True))
    choice = session.load_corpus(form.get("source"), paths, form.get("text") or "", form.get("builtin_name") or "",
                                 **dataclasses.asdict(settings))
    level = choice.level
    stats = choice.statistics
    table = pd.DataFrame(choice.statistics_rows(), columns=STATS_COLUMNS)
    floor = builtin.entropy_floor(choice.corpus.name)
    summary = (f"**Loaded {escape(choice.corpus.name)}**: {stats.characters:,} characters, "
               f"{stats.vocabulary} distinct characters, {stats.words:,} words. "
               f"Tokens: **{LEVEL_NAMES.get(level, level)}**.")
    if floor is not None:
        summary += (f" This text comes from a known random process: no model can get below "
                    f"**{floor:.3f} nats/char**, shown as a dotted line while training.")
    if level != "char":
        summary += (f" The model will know **{choice.vocabulary_size:,}** {LEVEL_NAMES[level]}. Losses per "
                    f"{LEVEL_NAMES[level][:-1]} cannot be compared with character-level ones (a token carries "
                    "several characters' worth of surprise): compare runs on **bits per character**, which every "
                    "run reports.")
    figure = charts.frequency_figure(stats, words=(level == "word"))
    return summary, table, figure, choice.corpus.text[:PREVIEW_CHARS]


TOKENS_EMPTY = "How a sentence of your corpus splits into characters, subwords and words appears here once it loads."


def show_tokens(context: AppContext, request: gr.Request = None) -> str:
    """How a sentence of the loaded corpus splits at each level, as coloured spans, and how many tokens
    1,000 characters make: the trade-off between the levels, seen before training."""
    choice = session_of(context, request).choice
    if choice is None:
        return f"<p class='pg-muted'>{TOKENS_EMPTY}</p>"
    compared = level_comparison.compare_levels(choice.corpus.split(choice.validation_share)[0], choice.max_words,
                                               choice.subword_vocab)
    rows = []
    for level, split in compared.items():
        chosen = " (chosen)" if level == choice.level else ""
        if split["note"]:
            body = f"<span class='pg-muted'>{escape(split['note'])}</span>"
        else:
            body = "".join(
                f"<span style='background:{TOKEN_BACKGROUNDS[i % len(TOKEN_BACKGROUNDS)]};white-space:pre;"
                f"border-radius:3px;padding:0 1px'>{escape(token)}</span>"
                for i, token in enumerate(split["tokens"]))
        count = (f"{split['per_thousand']:,.0f} tokens per 1,000 characters, {split['vocabulary']:,} kinds"
                 if split["per_thousand"] is not None else "")
        weight = "font-weight:600;" if chosen else ""
        rows.append(f"<div style='margin:4px 0;{weight}'>{LEVEL_NAMES[level]}{chosen}: {count}</div>"
                    f"<div style='font-family:monospace;margin-bottom:6px;display:flex;flex-wrap:wrap;gap:1px'>"
                    f"{body}</div>")
    return ("<div id='token-split'><p>One sentence of your corpus, token by token: fewer tokens mean a longer "
            "reach for the same context length, more kinds of token mean more to learn.</p>" + "".join(rows)
            + "</div>")


@dataclasses.dataclass
class CorpusControls:
    """What other tabs wire to: the loads to follow up, the settings a set-up link fills, and
    ``load_after(event)``, which loads the corpus the controls name once ``event`` is done."""

    loads: list
    settings: dict
    load_after: Callable


def render(context: AppContext) -> CorpusControls:
    """Lays out the tab."""
    gr.Markdown(INTRO)
    source = gr.Textbox(value="builtin", visible=False, label="source")
    with gr.Row():
        with gr.Column(scale=3):
            with gr.Tabs(selected="builtin", overflow_behavior="wrap"):
                with gr.Tab("Built-in", id="builtin") as builtin_tab:
                    builtin_name = gr.Dropdown(
                        choices=[(label, name) for name, (label, _) in builtin.BUILTIN.items()],
                        value="python-docs", label="Built-in corpus (works offline)", elem_id="builtin-name")
                with gr.Tab("Upload files", id="upload", elem_id="tab-upload") as upload_tab:
                    files = gr.File(label="Text files (.txt, UTF-8)", file_count="multiple", file_types=[".txt"],
                                    elem_id="corpus-files")
                with gr.Tab("Paste text", id="paste", elem_id="tab-paste") as paste_tab:
                    pasted = gr.Textbox(label="Your text", lines=8, elem_id="corpus-paste",
                                        placeholder="Paste a few thousand characters or more…")
            load_button = gr.Button("Use this corpus", variant="primary", elem_id="load-corpus")
        with gr.Column(scale=2):
            level = gr.Radio([(LEVEL_CHOICES[name], name) for name in SETTINGS["level"].setting.choices],
                             value=SETTINGS["level"].default, label=SETTINGS["level"].setting.label, info=LEVEL_HELP)
            validation = control(SETTINGS["validation_share"])
            # The vocabulary boxes name the level they are for; the declarations' help is the command line's.
            max_words = control(SETTINGS["max_words"], label="Word vocabulary cap (word level)", info=None)
            subword_vocab = control(SETTINGS["subword_vocab"], label="Subword vocabulary (subword level)", info=None)
    summary = gr.Markdown("Loading the default built-in corpus… (or choose one above and press **Use this corpus**).",
                          elem_id="corpus-summary")
    token_split = gr.HTML(f"<p class='pg-muted'>{TOKENS_EMPTY}</p>", elem_id="corpus-tokens")
    with gr.Row():
        stats = gr.Dataframe(pd.DataFrame(columns=STATS_COLUMNS), headers=STATS_COLUMNS, interactive=False,
                             label="Statistics (“Use this corpus” fills this)", elem_id="corpus-stats")
        chart = gr.Plot(charts.empty_figure("The most frequent characters or words appear here when you press "
                                            "“Use this corpus”."), show_label=False, elem_id="corpus-chart")
    preview = gr.Textbox(label=f"Preview (first {PREVIEW_CHARS} characters)", lines=8, interactive=False,
                         placeholder="The start of the text appears here when you press “Use this corpus”.")

    for tab, name in ((builtin_tab, "builtin"), (upload_tab, "upload"), (paste_tab, "paste")):
        tab.select(lambda name=name: name, None, source, api_visibility="private")
    inputs = [source, files, pasted, builtin_name, level, validation, max_words, subword_vocab]
    outputs = [summary, stats, chart, preview]
    loaded_by_click = load_button.click(bind(context, load_corpus, FORM), inputs, outputs, api_name="load_corpus")
    # Every load, however started, changes the summary: the token view follows it.
    summary.change(bind(context, show_tokens), None, token_split, api_visibility="private")

    def load_after(event):
        return event.then(bind(context, load_corpus, FORM), inputs, outputs, api_visibility="private")

    return CorpusControls([loaded_by_click], {"builtin": builtin_name, "level": level, "validation": validation},
                          load_after)
