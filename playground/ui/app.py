"""Builds the Gradio Blocks app: one tab per step of the student's path."""

import logging
import os
import threading
from pathlib import Path

import gradio as gr

from playground.runs import store as run_store
from playground.runs.catalog import Catalog
from playground.runs.cluster import Cluster
from playground.session import SessionStore
from playground.ui import (class_tab, compare_tab, corpus_tab, inside_tab, lessons_tab, model_tab, read_tab,
                           runs_tab, setup, train_tab)
from playground.ui import generate as generate_tab
from playground.ui.common import AppContext, bind

log = logging.getLogger(__name__)

TITLE = "Text Generation Playground"
# Uploads: a corpus is refused over 20 MB and a bundle over 100 MB; anything larger never reaches us.
MAX_UPLOAD = "110mb"
# Gradio keeps every upload and output file in its cache: clear files older than an hour, hourly.
CACHE_CLEANING = (3600, 3600)

HEADER = f"""
# {TITLE}
Train small text-generating networks on your own text and see what sampling temperature does.
Go left to right: **Corpus → Model → Train → Generate**, look **Inside** the model, then **Compare** runs
and manage them in **Runs**; or follow a guided **Lesson**. **Share this set-up** gives a link that opens
the playground just as you set it.
"""
READY = "A pretrained model is already loaded, so you can jump straight to *Generate*."

CSS = """
.pg-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px;
           background: var(--background-fill-secondary); }
.pg-card-head { font-weight: 600; margin-bottom: 6px; }
.pg-card-foot { font-size: 0.85em; color: var(--body-text-color-subdued); margin-top: 6px; }
.pg-text { white-space: pre-wrap; word-break: break-word; font-family: ui-monospace, monospace;
           font-size: 0.9em; margin: 0; max-height: 320px; overflow-y: auto; background: none; }
.pg-tokens { font-family: ui-monospace, monospace; white-space: pre-wrap; line-height: 1.7; }
.pg-token { border-radius: 3px; }
.pg-muted { color: var(--body-text-color-subdued); }
.pg-network-box { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 8px 24px; }
.pg-network-box svg { max-width: 100%; height: auto; }
.pg-chart-text { font-size: 0.85em; margin: 6px 8px 2px; color: var(--body-text-color); }
/* Whatever has the keyboard's focus shows it (a control, or a box that scrolls, which Chromium lets the
   keyboard reach too): a thick outline no theme colour hides. */
:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px !important; }
/* A chart's tool buttons show only under the mouse: show them to the keyboard too. */
.js-plotly-plot .plotly .modebar:focus-within { opacity: 1 !important; }
/* A scrolling text box can be reached with the keyboard (it has tabindex=0) and says so. */
.pg-text:focus-visible { outline-offset: -3px !important; }
/* Code in the Markdown (the Runs tab's commands): the highlighter's orange and green are too pale. */
.prose :is(.token.parameter, .token.variable, .token.operator) { color: #9a3412 !important; }
.prose .token.string { color: #166534 !important; }
.prose pre, .prose pre code { white-space: pre-wrap !important; overflow-wrap: anywhere; }
"""
# The Soft theme, with text dark enough to read (4.5:1, WCAG AA) on its own backgrounds: labels,
# help lines, placeholders, links and the primary buttons were a shade too pale.
THEME = gr.themes.Soft().set(
    block_label_text_color="*primary_700", block_title_text_color="*primary_700",
    body_text_color_subdued="*neutral_600", input_placeholder_color="*neutral_600",
    link_text_color="*primary_700", link_text_color_visited="*primary_700", link_text_color_hover="*primary_800",
    link_text_color_active="*primary_800", color_accent="*primary_600",
    button_primary_background_fill="*primary_600", button_primary_background_fill_hover="*primary_700",
    checkbox_label_background_fill_selected="*primary_600",
)
# What every tab shares in the browser: the charts' text alternatives (page.js), then the Generate tab's script.
PAGE_SCRIPT = (Path(__file__).parent / "page.js").read_text("utf-8").strip()
SCRIPT = f"() => {{ ({PAGE_SCRIPT})(); ({generate_tab.JS.strip()})(); }}"


def release_session(context: AppContext, request: gr.Request = None) -> None:
    """The browser tab closed: stop its training and forget its objects."""
    if request is not None and request.session_hash:
        context.store.release(request.session_hash)


def adopt_identity(context: AppContext, identity: str, request: gr.Request = None) -> str:
    return context.store.adopt(getattr(request, "session_hash", None) or "anonymous", identity)


# The share button's first input is the page's address, which only the browser knows.
PAGE_ADDRESS = "(page, ...rest) => [window.location.origin + window.location.pathname, ...rest]"


def apply_address(targets):
    def fill_from_address(context: AppContext, request: gr.Request = None) -> list:
        query = dict(getattr(request, "query_params", None) or {})
        return setup.apply(context, targets, query, request)
    return fill_from_address


def apply_query(targets):
    def fill_from_query(context: AppContext, query: str, request: gr.Request = None) -> list:
        return setup.apply(context, targets, query, request)
    return fill_from_query


def share_current(targets):
    def link(context: AppContext, page: str, *values, request: gr.Request = None) -> str:
        return setup.share(context, targets, page, *values, request=request)
    return link


def build_demo(context: AppContext) -> gr.Blocks:
    with gr.Blocks(title=TITLE, delete_cache=CACHE_CLEANING) as demo:
        gr.Markdown(HEADER + (READY if context.catalog.names() else ""))
        # A set-up link's problems, and the link to the current set-up, above every tab.
        setup_note = gr.Markdown(elem_id="setup-note", visible=False)
        with gr.Row(equal_height=True):
            share_button = gr.Button("Share this set-up", size="sm", scale=0, min_width=170, elem_id="share-setup")
            share_link = gr.Textbox(show_label=False, buttons=["copy"], scale=5, elem_id="share-link",
                                    placeholder="A link that opens the playground with your corpus, model, training "
                                                "and Generate settings appears here.")
        page_address = gr.Textbox(visible=False)
        # On a narrow window or a projector the tab names wrap onto a second row instead of hiding in a menu.
        with gr.Tabs(selected="generate" if context.catalog.names() else "corpus", overflow_behavior="wrap") as tabs:
            with gr.Tab("1 · Corpus", id="corpus"):
                corpus = corpus_tab.render(context)
                corpus_loads = corpus.loads
            with gr.Tab("2 · Model", id="model"):
                model = model_tab.render(context)
            with gr.Tab("3 · Train", id="train"):
                train_outputs, train_controls = train_tab.render(context, model)
            model_tab.follow_choice(context, model)
            with gr.Tab("4 · Generate", id="generate") as generate_page:
                generate = generate_tab.render(context)
            with gr.Tab("4b · Inside", id="inside") as inside_page:
                inside_model = inside_tab.render(context)
            with gr.Tab("4c · Read", id="read") as read_page:
                read_tab.render(context, read_page)
            with gr.Tab("5 · Compare", id="compare"):
                compare = compare_tab.render(context, demo)
            with gr.Tab("6 · Runs", id="runs"):
                runs_table = runs_tab.render(context, demo, train_outputs)
            with gr.Tab("7 · Lessons", id="lessons"):
                lessons = lessons_tab.render(context)
            with gr.Tab(class_tab.LABEL, id="class", visible=False) as class_page:  # teachers' (see class_tab)
                class_tab.render(context, demo, tabs, class_page, compare)
        applied = gr.Checkbox(False, visible=False)  # whether the last set-up changed anything
        targets = setup.SetupTargets(tabs, corpus.settings, model, train_controls, generate, setup_note, applied)
        # A link's set-up (the address's query) fills the tabs first; then the corpus it names loads
        # (the default one without a link), and the grid and the bars are redrawn at its settings
        # (without a link they were drawn when the app started).
        from_address = demo.load(bind(context, apply_address(targets)), None, targets.outputs(),
                                 api_visibility="private")
        corpus_loads.append(corpus.load_after(from_address))
        generate.refresh_lab(generate.redraw_grid(from_address, applied), applied)
        from_lesson = lessons.setup_button.click(bind(context, apply_query(targets)), lessons.setup_query,
                                                 targets.outputs(), api_visibility="private")
        corpus_loads.append(corpus.load_after(from_lesson))
        generate.refresh_lab(generate.redraw_grid(from_lesson, applied), applied)
        share_button.click(bind(context, share_current(targets)), [page_address, *targets.share_inputs()], share_link,
                           api_visibility="private", js=PAGE_ADDRESS)
        # Who is this? The login name, or an identity this browser keeps across reloads and restarts;
        # only then do the lists of runs fill, with this person's runs and the class's published ones.
        identity = gr.BrowserState("", storage_key="text-playground-identity")
        demo.load(bind(context, adopt_identity), identity, identity, api_visibility="private").then(
            bind(context, runs_tab.list_runs), None, runs_table, api_visibility="private").then(
            bind(context, compare_tab.refresh_choices), None, compare.names, api_visibility="private")
        # The parameter count depends on the corpus's vocabulary: refresh it after each load.
        describe = bind(context, model_tab.describe_model, model_tab.FORM)
        draw = bind(context, model_tab.draw_model, model_tab.FORM)
        for event in corpus_loads:
            event.then(describe, model.inputs(), [model.explanation, model.size], api_visibility="private").then(
                draw, model.inputs(), model.picture, api_visibility="private")
        # A run trained or loaded elsewhere becomes the model in use: the Model list says so on arrival.
        generate.refresh_lab(generate_page.select(bind(context, generate_tab.model_in_use), None,
                                                  [generate.chosen, generate.model_info], api_visibility="private"))
        # The Inside tab reads the model chosen in Generate: say which when it opens.
        inside_page.select(bind(context, inside_tab.model_in_use), None, inside_model, api_visibility="private")
        demo.unload(bind(context, release_session))
    return demo


def create_app() -> tuple[gr.Blocks, AppContext]:
    catalog = Catalog()
    default = catalog.default()
    if default is not None:
        # The first grid reports copied spans against the training text: index it now, in
        # the background, rather than on a student's first click (about 1 s for 1 MB).
        threading.Thread(target=default.memorisation_index, name="index-default", daemon=True).start()
    removed = run_store.sweep()
    if removed:
        log.info("removed %d unfinished run or import folders: %s", len(removed), ", ".join(removed))
    # PLAYGROUND_RAY_ADDRESS: trainings go to a Ray cluster (joined now, not at the first click).
    store = SessionStore(default, login=bool(os.environ.get("PLAYGROUND_AUTH", "").strip()),
                         cluster=Cluster.from_environment())
    context = AppContext(store, catalog)
    demo = build_demo(context)
    return demo, context


def launch_options() -> dict:
    """Keyword arguments for ``launch()``; ``PLAYGROUND_AUTH=user:password[,user:password]`` asks for a login."""
    # No allowed_paths: Gradio would serve such a folder to anyone who names a file in it. A download
    # is handed over from its cache under a one-time name instead (runs_tab.one_time_copy).
    options = {"css": CSS + generate_tab.CSS + class_tab.CSS, "js": SCRIPT, "theme": THEME,
               "footer_links": ["api", "gradio"], "max_file_size": MAX_UPLOAD}
    users = os.environ.get("PLAYGROUND_AUTH", "").strip()
    if users:
        pairs = [pair.split(":", 1) for pair in users.split(",") if pair.strip()]
        if not all(len(pair) == 2 and pair[0] and pair[1] for pair in pairs):
            raise SystemExit("PLAYGROUND_AUTH must look like user:password[,user:password]")
        options["auth"] = [tuple(pair) for pair in pairs]
        options["auth_message"] = "Log in with the name and password your teacher gave you."
    return options
