"""Read tab: a text read with the model's eyes, token by token (surprisal, ranks, against counting)."""

import gradio as gr
import pandas as pd

from playground.errors import PlaygroundError
from playground.figures import reading_charts
from playground.figures.charts import empty_figure
from playground.generation.next_token import visible
from playground.lab import reading
from playground.lab.reading import Reading
from playground.ui.common import AppContext, bind, escape, session_of, whole

INTRO = """
### 4c · Read: a text through the model's eyes
Paste a text (or take the held-out part of the model's corpus, which it never trained on) and press
**Read it**. The model in use (chosen in Generate, or loaded in Runs) predicts every token from the text
before it; each token is coloured by how **surprised** the model was, in bits, or by the **rank** the model
gave it among all possible next tokens (GLTR's colours). Hover a token for its probability, its rank and the
five tokens the model expected instead.
"""
SOURCES = [("the text below", "text"), ("the held-out part of its corpus", "held-out")]
COLOURS = [("surprisal (bits)", "surprisal"), ("rank (as GLTR)", "rank")]
FIRST_SCREEN = 3_000  # characters read first of a long text, so the page shows something at once
HARDEST_COLUMNS = ["passage", "token", "bits", "rank", "the model expected", "counting bits"]
WORST_COLUMNS = ["passage", "bits per token", "most surprising token", "the model expected"]
WRITER_COLUMNS = ["text", "bits per character", "the favourite", "top 10", "top 100", "the rest", "beginning"]
# Sonnet 18: Shakespeare, but not in the plays the shipped models learned from.
DEFAULT_TEXT = ("Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\n"
                "Rough winds do shake the darling buds of May,\nAnd summer's lease hath all too short a date;\n"
                "Sometime too hot the eye of heaven shines,\nAnd often is his gold complexion dimm'd;\n")
WAITING = "Press **Read it**: the summary of the reading appears here."
DIFFERENCE_HELP = """
#### Where it beats counting
The same text, coloured by the model's surprisal *minus* that of the best counting model of its training
text (a 5-gram: it predicts from the last four tokens by counting how often each followed them). **Blue**:
the network is less surprised, it has learned something counting misses (a word it can finish from its
start, a name it has seen earlier). **Orange**: counting does better, usually a phrase that occurred often
in training. Below, the ten places where the model was most surprised, with what it expected instead.
"""
WRITERS_HELP = """
#### Written by a model or a person?
The model reads three texts: a stretch of held-out text a person wrote, and two samples it wrote itself,
at temperature 0.3 and at 1.5. The bars show where each text's tokens stood in the model's ranking.
"""
WRITERS_EXPLANATION = """
**Why they differ.** At low temperature the model takes its favourite almost every time, so nearly
every token of its own sample is rank 1: a text that is *too* predictable, which is how GLTR spots machine
text. A person is not so obliging: even a good model finds a real writer's tokens in its top ten most of
the time, but its favourite only about half the time. At high temperature the model draws long shots
freely, so its sample has more tokens outside the top ten than the person's text: surprising, and soon
nonsense. The person sits in between.
"""
WORST_HELP = """
#### Hardest held-out passages
The held-out text cut into windows of the model's training length; the ten with the highest loss, worst
first. Pick a saved run (or the model in use); these are the passages to read when you wonder where the
loss comes from.
"""
IN_USE = "the model in use"
NO_MODEL = "No model yet: train one (Train tab), pick one in Generate or load a saved run (Runs tab)."


def in_use_line(model) -> str:
    """Which model reads, or that there is none."""
    if model is None:
        return NO_MODEL
    return (f"Reading with **{escape(model.name)}** ({model.arch}, {model.level} level); choose another in Generate "
            "or load a run in Runs.")


def check_source(source: str) -> str:
    if source not in [value for _, value in SOURCES]:
        raise PlaygroundError(f"Read 'text' (the text box) or 'held-out' (the model's held-out text), not {source!r}.")
    return source


def check_colours(colour_by: str) -> str:
    if colour_by not in reading_charts.MODES:
        raise PlaygroundError(f"Colour the tokens by 'surprisal' or by 'rank' (got {colour_by!r}).")
    return colour_by


def summary_markdown(result: Reading, first_screen: bool = False) -> str:
    """Bits per character of the text under the model and under each counting baseline, and the ranks."""
    lines = [f"**{escape(result.model)} read {escape(result.source)}**: {len(result.tokens):,} tokens. "
             f"{escape(result.context)}", "",
             "| who reads it | bits per character |", "|---|---|",
             f"| **the model ({result.arch})** | **{result.bits_per_character():.3f}** |"]
    for name, value in sorted(result.baseline_bits_per_character().items(), key=lambda item: item[1]):
        lines.append(f"| counting: {result.baseline_label(name)} | {value:.3f} |")
    counts = result.bucket_counts()
    total = max(sum(count for _, count in counts), 1)
    lines += ["", "**Ranks**: " + " · ".join(f"{name}: {count:,} ({count / total:.0%})" for name, count in counts)]
    if result.note:
        lines += ["", f"*{escape(result.note)}*"]
    if first_screen:
        lines += ["", "*This is the beginning of the text; the rest is being read…*"]
    return "\n".join(lines)


def difference_markdown(result: Reading) -> str:
    share = result.beats_counting_share()
    if share is None:
        return "*No counting model to compare with: this model was saved without its training text.*"
    saved = -float(result.difference()[1:].mean())
    overall = f"{abs(saved):.3f} bits per token {'less' if saved >= 0 else 'more'} surprised"
    return (f"The model is less surprised than the {result.counting_label} at **{share:.0%}** of the tokens; over "
            f"the whole text it is {overall} than the {result.counting_label}.")


def plain(text: str) -> str:
    """Text for a table cell: line breaks drawn as ↵."""
    return text.replace("\n", "↵")


def passage_cell(place: reading.Place) -> str:
    return f"…{plain(place.before)}⟦{visible(place.token)}⟧{plain(place.after)}…"


def expected_cell(expected: list[tuple[str, float]], shown: int = 3) -> str:
    return ", ".join(f"{visible(token)} {p:.0%}" for token, p in expected[:shown])


def hardest_table(result: Reading) -> pd.DataFrame:
    rows = [{"passage": passage_cell(place), "token": visible(place.token), "bits": round(place.bits, 2),
             "rank": place.rank, "the model expected": expected_cell(place.expected),
             "counting bits": None if place.counting_bits is None else round(place.counting_bits, 2)}
            for place in result.hardest()]
    return pd.DataFrame(rows, columns=HARDEST_COLUMNS)


def part_slider(result: Reading, first_screen: bool = False):
    last = max(len(result.tokens) - 1, 0)
    return gr.Slider(minimum=0, maximum=max(last, 1), value=0, step=1,
                     visible=len(result.tokens) > reading_charts.SHOWN and not first_screen)


def views(result: Reading, colour_by: str, first_screen: bool = False) -> tuple:
    """Everything the tab shows of a reading, in the order of its outputs."""
    return (result, summary_markdown(result, first_screen), reading_charts.tokens_html(result, colour_by),
            part_slider(result, first_screen), difference_markdown(result), reading_charts.difference_html(result),
            hardest_table(result))


def score_text(context: AppContext, text: str = "", source: str = "text", colour_by: str = "surprisal",
               request: gr.Request = None):
    """Read ``text`` (``source`` "text") or the model's held-out text (``source`` "held-out") with the model
    in use. Yields (reading, summary Markdown: bits per character under the model and the counting
    baselines and the tokens per rank bucket, the coloured text as HTML, the part slider, a sentence on
    the model against counting, the text coloured by that difference, the ten hardest places); a long text
    shows its beginning first."""
    model = session_of(context, request).current_model()
    colour_by = check_colours(colour_by)
    note = ""
    if check_source(source) == "held-out":
        reading.check_readable(model)
        text, note = reading.held_out_text(model)
    reading.check_text(model, text)
    label = reading.HELD_OUT if source == "held-out" else reading.PASTED
    if len(text) > 2 * FIRST_SCREEN:
        with context.store.activity.generating():
            beginning = reading.read(model, text[:FIRST_SCREEN], label)
        yield views(beginning, colour_by, first_screen=True)
    with context.store.activity.generating():
        result = reading.read(model, text, label, note)
    yield views(result, colour_by)


def recolour(context: AppContext, result: Reading | None, colour_by: str, start, request: gr.Request = None):
    """The same reading, coloured another way or from another token (no new reading)."""
    if result is None:
        return "", ""
    start = whole(start, "Part of the text", 0)
    return (reading_charts.tokens_html(result, check_colours(colour_by), start),
            reading_charts.difference_html(result, start))


def compare_writers(context: AppContext, request: gr.Request = None):
    """The held-out text and the model's samples at T = 0.3 and 1.5, each read by the model in use.
    Returns (rank-bucket chart, explanation, table: bits per character and bucket shares per text)."""
    model = session_of(context, request).current_model()
    with context.store.activity.generating():
        found = reading.writers(model)
    rows = [{"text": writer.label, "bits per character": round(writer.reading.bits_per_character(), 3),
             **{name: f"{share:.0%}" for name, share in writer.shares()},
             "beginning": plain(writer.text[:60]) + "…"} for writer in found]
    return reading_charts.writers_figure(found), WRITERS_EXPLANATION, pd.DataFrame(rows, columns=WRITER_COLUMNS)


def worst_passages(context: AppContext, run: str = "", request: gr.Request = None):
    """The ten held-out windows with the highest loss for a saved run (``run``: its name in the Runs table,
    or empty for the model in use). Returns (a sentence, table of passages worst first)."""
    session = session_of(context, request)
    model = session.current_model() if not run or run == IN_USE else context.catalog.load(run, session.viewer)
    with context.store.activity.generating():
        found = reading.worst_passages(model)
    rows = [{"passage": plain(passage.text), "bits per token": round(passage.bits_per_token, 2),
             "most surprising token": passage_cell(passage.hardest),
             "the model expected": expected_cell(passage.hardest.expected)} for passage in found["passages"]]
    line = (f"**{escape(found['model'])}**: held-out loss {found['loss']:.3f} nats per token over the whole held-out "
            f"text; windows of {found['window']} tokens, worst first.")
    if found["note"]:
        line += f" *{escape(found['note'])}*"
    return line, pd.DataFrame(rows, columns=WORST_COLUMNS)


def text_box_for(source: str) -> gr.Textbox:
    """The text box is used only when the pasted text is read; it says so."""
    pasted = source != "held-out"
    return gr.Textbox(interactive=pasted, label="Text to read" if pasted else
                      "Text to read (not used now: the held-out text of the model's corpus is read)")


def opened(context: AppContext, request: gr.Request = None):
    """When the tab opens: the line naming the model in use, and the runs one may ask about."""
    session = session_of(context, request)
    return in_use_line(session.model), gr.Dropdown(choices=[IN_USE, *context.catalog.labels(session.viewer)])


def render(context: AppContext, page: gr.Tab) -> None:
    """Lay out the tab; ``page`` is the tab itself (opening it names the model in use)."""
    gr.Markdown(INTRO)
    model_info = gr.Markdown(in_use_line(context.store.default_model), elem_id="read-model")
    with gr.Row():
        text = gr.Textbox(DEFAULT_TEXT, label="Text to read", lines=6, max_lines=14, scale=4, elem_id="read-text")
        with gr.Column(scale=1, min_width=200):
            source = gr.Radio(SOURCES, value="text", label="Read", elem_id="read-source")
            colour_by = gr.Radio(COLOURS, value="surprisal", label="Colour by", elem_id="read-colour")
            button = gr.Button("Read it", variant="primary", elem_id="read-button")
    result = gr.State(None)
    summary = gr.Markdown(WAITING, elem_id="read-summary")
    tokens = gr.HTML(elem_id="read-tokens-box")
    part = gr.Slider(0, 1, value=0, step=1, visible=False, label="Part of the text (the first token shown)",
                     elem_id="read-part")
    gr.Markdown(DIFFERENCE_HELP)
    difference_line = gr.Markdown(elem_id="read-difference-line")
    difference = gr.HTML(elem_id="read-difference-box")
    hardest = gr.Dataframe(pd.DataFrame(columns=HARDEST_COLUMNS), interactive=False, wrap=True,
                           column_widths=["46%", "8%", "8%", "8%", "20%", "10%"],
                           label="The ten places where the model was most surprised", elem_id="read-hardest")
    outputs = [result, summary, tokens, part, difference_line, difference, hardest]
    button.click(bind(context, score_text), [text, source, colour_by], outputs, api_name="score_text")
    source.change(text_box_for, source, text, api_visibility="private")
    quiet = dict(show_progress="hidden", trigger_mode="always_last", api_visibility="private")
    colour_by.input(bind(context, recolour), [result, colour_by, part], [tokens, difference], **quiet)
    part.release(bind(context, recolour), [result, colour_by, part], [tokens, difference], **quiet)

    with gr.Column(elem_id="read-writers-section"):
        gr.Markdown(WRITERS_HELP)
        writers_button = gr.Button("Read the held-out text and two of its own samples", elem_id="read-writers")
        writers_chart = gr.Plot(empty_figure("The share of each text's tokens in each rank bucket appears here."),
                                show_label=False, elem_id="read-writers-chart")
        writers_explanation = gr.Markdown(elem_id="read-writers-explanation")
        writers_table = gr.Dataframe(pd.DataFrame(columns=WRITER_COLUMNS), interactive=False, wrap=True,
                                     label="Each text as the model read it", elem_id="read-writers-table")
    writers_button.click(bind(context, compare_writers), None, [writers_chart, writers_explanation, writers_table],
                         api_name="compare_writers")

    gr.Markdown(WORST_HELP)
    with gr.Row():
        run = gr.Dropdown([IN_USE], value=IN_USE, label="Run", allow_custom_value=True, scale=3, elem_id="read-run")
        worst_button = gr.Button("Find the ten hardest held-out passages", scale=1, elem_id="read-worst")
    worst_line = gr.Markdown(elem_id="read-worst-line")
    worst = gr.Dataframe(pd.DataFrame(columns=WORST_COLUMNS), interactive=False, wrap=True,
                         column_widths=["50%", "10%", "25%", "15%"],
                         label="Held-out windows, worst first", elem_id="read-worst-table")
    worst_button.click(bind(context, worst_passages), run, [worst_line, worst], api_name="worst_passages")
    page.select(bind(context, opened), None, [model_info, run], api_visibility="private")
