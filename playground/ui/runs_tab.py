"""Runs tab: every saved run, and the shipped pretrained models with their cards."""

import asyncio
import secrets
import shutil
from pathlib import Path

import gradio as gr
import gradio.utils

from playground.runs import store as run_store
from playground.errors import PlaygroundError
from playground.runs.owners import Viewer
from playground.ui import train_tab
from playground.ui.common import AppContext, bind, session_of

INTRO = """
## 6 · Runs: everything you trained, kept on disk
Every training run is saved (model, tokenizer, settings, loss history, samples) and survives a
server restart. Click a row to select it, then load it for generating, rename, resume, download
it as one `.zip` file, or delete it. A colleague can upload that file here to get your model.
*Download as a notebook* takes it home: a Jupyter notebook that rebuilds the network in plain Keras,
writes with it and keeps training it, with its weights, tokenizer and text (shipped models too).
A run cut short by a crash shows as *interrupted* and resumes from its last checkpoint (every epoch).
The models shipped with the playground are listed too (*shipped, read-only*): load them to
generate, or compare yours with them; they cannot be renamed or deleted.
You see your own runs and those your classmates **published**; *Publish to the class* shares yours
(everyone can load and compare it, only you can change it). Teachers see and manage every run.
"""


def viewer_of(context: AppContext, request) -> Viewer:
    return session_of(context, request).viewer


def list_runs(context: AppContext, request: gr.Request = None):
    """Your runs and the class's published ones, then the shipped models: name, architecture, corpus,
    parameters, minutes, loss, status, owner, published."""
    return context.catalog.listing(viewer_of(context, request), context.store.active_runs())


def select_run(context: AppContext, table, event: gr.SelectData = None, request: gr.Request = None) -> str:
    if event is None or table is None or len(table) == 0:
        return ""
    row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
    return str(table.iloc[row]["name"])


def run_details(context: AppContext, name: str, request: gr.Request = None) -> str:
    """How to reproduce the selected run (its corpus's SHA-256, seed, libraries and the command)."""
    return context.catalog.reproduction(name, viewer_of(context, request))


def load_run(context: AppContext, name: str, request: gr.Request = None) -> str:
    """Use a saved run for generating (Generate tab)."""
    model = session_of(context, request).load_run(name, context.catalog)
    return f"Loaded **{model.name}** ({model.arch}): the Generate tab now uses it."


def run_to_change(context: AppContext, name: str, action: str, request=None):
    return context.store.run_to_change(name, action, viewer_of(context, request), context.catalog)


def rename_run(context: AppContext, name: str, new_name: str, request: gr.Request = None):
    run_to_change(context, name, "renamed", request)
    target = run_store.rename(name, new_name, viewer_of(context, request))
    return f"Renamed **{name}** to **{target.name}**.", target.name, list_runs(context, request)


def delete_run(context: AppContext, name: str, confirm: str, request: gr.Request = None):
    run_to_change(context, name, "deleted", request)
    run_store.delete(name, confirm, viewer_of(context, request))
    return f"Deleted **{name}**.", "", list_runs(context, request)


def export_run(context: AppContext, name: str, request: gr.Request = None) -> str:
    """The run as one .zip bundle file to download (its owner's or a teacher's only)."""
    context.catalog.refuse_change(name, "downloaded here (its files are in the pretrained/ folder)")
    return str(one_time_copy(run_store.export_bundle(name, viewer=viewer_of(context, request))))


def one_time_copy(path: Path) -> Path:
    """``path`` copied into a folder of Gradio's cache named by 192 random bits, for one download.

    Gradio serves its cache, and any folder named in ``allowed_paths``, to every request that names a
    file there, with or without a session. A bundle holds its owner's corpus and run names are times
    (easily guessed), so the workspace's export is served from nowhere; this copy is served as it is
    (Gradio copies only what lies outside its cache), by an address only the person who asked is
    given, a new one for each download, and goes with the cache's hourly cleaning.
    """
    folder = Path(gradio.utils.get_upload_folder()) / secrets.token_urlsafe(24)
    folder.mkdir(parents=True)
    return Path(shutil.copyfile(path, folder / path.name))


def export_notebook(context: AppContext, name: str, request: gr.Request = None) -> str:
    """The run (or a shipped model) as a Jupyter notebook that rebuilds it in plain Keras, generates and
    keeps training, in one .zip with its weights, tokenizer and corpus."""
    return str(one_time_copy(context.catalog.export_notebook(name, viewer_of(context, request))))


def import_run(context: AppContext, bundle_file, name: str = "", request: gr.Request = None):
    """Add an uploaded .zip bundle as a run (checked: size, paths, members, config, safe loading)."""
    if not bundle_file:
        raise PlaygroundError("Choose a bundle file (.zip) to upload first.")
    path = getattr(bundle_file, "name", bundle_file)
    target = run_store.import_bundle(path, name.strip() or None, owner=viewer_of(context, request).name)
    return f"Imported **{target.name}**.", target.name, list_runs(context, request)


async def resume_run(context: AppContext, name: str, request: gr.Request = None):
    """Continue a saved run from its last checkpoint; streams like training does."""
    path = run_to_change(context, name, "resumed", request)
    session = session_of(context, request)
    # Loading the bundle and its corpus takes seconds: in a worker thread, off the event loop.
    monitor = await asyncio.to_thread(session.resume_training, path)
    async for update in train_tab.stream(session, monitor):
        yield update


def publish_run(context: AppContext, name: str, published: bool = True, request: gr.Request = None):
    """Share your run with the class (everyone can load and compare it; only you change it), or take it back."""
    context.catalog.refuse_change(name, "published (it is shipped: everyone has it)")
    run_store.publish(name, bool(published), viewer_of(context, request))
    said = "published: the whole class can load and compare it" if published else "private again"
    return f"**{name}** is {said}.", list_runs(context, request)


def unpublish_run(context: AppContext, name: str, request: gr.Request = None):
    """Take a published run back: only you (and teachers) see it again."""
    return publish_run(context, name, False, request)


def show_card(context: AppContext, name: str, request: gr.Request = None) -> str:
    return context.catalog.card(name) if name else ""


def render(context: AppContext, demo: gr.Blocks, train_outputs: list) -> gr.Dataframe:
    gr.Markdown(INTRO)
    refresh = gr.Button("Refresh the list", elem_id="refresh-runs")
    table = gr.Dataframe(context.catalog.runs(), label="Your runs (each Train press adds one) and the shipped models: "
                         "click a row to select it", interactive=False, elem_id="runs-table")
    with gr.Row():
        name = gr.Textbox(label="Selected run", elem_id="run-name", scale=2)
        message = gr.Markdown(elem_id="runs-message")
    with gr.Row():
        load_button = gr.Button("Load for generating", variant="primary", elem_id="load-run")
        resume_button = gr.Button("Resume training", elem_id="resume-run")
        export_button = gr.Button("Download as .zip", elem_id="export-run")
        notebook_button = gr.Button("Download as a notebook", elem_id="export-notebook")
        publish_button = gr.Button("Publish to the class", elem_id="publish-run")
        unpublish_button = gr.Button("Make private", elem_id="unpublish-run")
    # Shown once it holds a bundle: empty, it would only be a blank box (one screen readers cannot name).
    download = gr.File(label="Bundle to download", elem_id="run-download", visible=False)
    details = gr.Markdown(elem_id="run-details")
    with gr.Accordion("Rename or delete", open=False):
        with gr.Row():
            new_name = gr.Textbox(label="New name")
            rename_button = gr.Button("Rename", elem_id="rename-run")
        with gr.Row():
            confirm = gr.Textbox(label="Type the run's name to confirm deleting it")
            delete_button = gr.Button("Delete", variant="stop", elem_id="delete-run")
    with gr.Accordion("Upload a bundle", open=False):
        with gr.Row():
            upload = gr.File(label="Bundle (.zip) exported from the playground", file_types=[".zip"],
                             elem_id="bundle-upload")
            upload_name = gr.Textbox(label="Name for it (optional)")
        import_button = gr.Button("Add to my runs", elem_id="import-run")
    gr.Markdown("### Pretrained models shipped with the playground")
    names = context.catalog.names()
    card_choice = gr.Dropdown(names, value=names[0] if names else None, label="Model card")
    card = gr.Markdown(context.catalog.card(names[0]) if names else "No pretrained models are installed.")

    refresh.click(bind(context, list_runs), None, table, api_name="list_runs")
    table.select(bind(context, select_run), table, name, api_visibility="private")
    name.change(bind(context, run_details), name, details, api_visibility="private", trigger_mode="always_last")
    load_button.click(bind(context, load_run), name, message, api_name="load_run")
    rename_button.click(bind(context, rename_run), [name, new_name], [message, name, table], api_name="rename_run")
    delete_button.click(bind(context, delete_run), [name, confirm], [message, name, table], api_name="delete_run")
    export_button.click(bind(context, export_run), name, download, api_name="export_run").success(
        lambda: gr.File(visible=True), None, download, api_visibility="private")
    notebook_button.click(bind(context, export_notebook), name, download, api_name="export_notebook").success(
        lambda: gr.File(visible=True), None, download, api_visibility="private")
    publish_button.click(bind(context, publish_run), name, [message, table], api_name="publish_run")
    unpublish_button.click(bind(context, unpublish_run), name, [message, table], api_name="unpublish_run")
    import_button.click(bind(context, import_run), [upload, upload_name], [message, name, table],
                        api_name="import_run")
    resume_button.click(bind(context, resume_run), name, train_outputs, api_name="resume_run")
    card_choice.change(bind(context, show_card), card_choice, card, api_visibility="private")
    return table
