"""Class view tab: a teacher sees every training live, who waits for a slot, and a leaderboard per text.

The page asks for a new look every two seconds (one timer per open page, running only while the tab
is shown) and redraws only when something changed; the data comes from ``context.classroom``.
"""

import hashlib
import json

import gradio as gr

from playground import classroom
from playground.errors import PlaygroundError
from playground.figures import class_charts
from playground.training.monitor import format_seconds
from playground.ui import compare_tab
from playground.ui.common import AppContext, bind, escape, session_of

LABEL = "Class view"
REFRESH_SECONDS = 2.0
LEVELS = {"char": "characters", "subword": "subwords", "word": "words"}

INTRO = """
### Class view: every training live, and the best runs on each text
**Now training**: one chart per training in progress, all on one scale, bits per character (lower is
better); the dotted lines are what counting models score on the same text. **Leaderboard**: finished runs,
one table per text (only runs tested on the same held-out text can be ranked together), best first; a
run's **Compare** button opens it beside the shipped models. The page updates itself every two seconds.
"""
LEADERBOARD_EMPTY = {
    "teacher": "No finished runs yet: each run appears here when it finishes, ranked with the others on its text.",
    "class": "No published runs yet: a run appears here when its owner publishes it (Runs tab).",
}

CSS = """
.pg-class-summary { font-size: 1.1em; }
.pg-board { margin: 0 0 18px 0; }
.pg-board h4 { margin: 6px 0 2px 0; font-size: 1.15em; }
.pg-board table { width: 100%; border-collapse: collapse; font-size: 1.05em; }
.pg-board th, .pg-board td { text-align: left; padding: 5px 8px; vertical-align: top;
                             border-bottom: 1px solid var(--border-color-primary); }
.pg-board th { font-weight: 600; }
.pg-board td.pg-number, .pg-board th.pg-number { text-align: right; font-variant-numeric: tabular-nums;
                                                white-space: nowrap; }
.pg-board tr.pg-first td { font-weight: 600; }
.pg-board .pg-sample { font-family: ui-monospace, monospace; font-size: 0.9em; word-break: break-word; }
.pg-board button.pg-open { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 3px 10px;
                           background: var(--button-secondary-background-fill); cursor: pointer; font: inherit; }
.pg-board button.pg-open:focus-visible { outline: 3px solid #0072B2; outline-offset: 1px; }
.pg-class-list { margin: 4px 0 8px 0; padding-left: 1.4em; }
body.pg-large .pg-class-summary, body.pg-large .pg-board, body.pg-large .pg-class-list,
body.pg-large .pg-class-note { font-size: 1.35em; }
"""

# A leaderboard row's Compare button tells the server which run to open (a select event with its name).
OPEN_RUN_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-run]');
  if (button) trigger('select', {index: 0, value: button.dataset.run});
});
"""
# The app has one large-text mode (body.pg-large, also switched on the Generate tab): the charts follow it.
WITH_LARGE_TEXT = "(hide, large, shown) => [hide, document.body.classList.contains('pg-large'), shown]"
LARGE_TEXT = "(on) => { document.body.classList.toggle('pg-large', on); return []; }"


def class_view(context: AppContext, hide_names: bool = False, request: gr.Request = None) -> dict:
    """What the Class view shows, as JSON: trainings in progress with their curves, the queue, and the
    leaderboard tables. Teachers only (everyone sees published runs when the view is open to the class)."""
    return context.classroom.data(session_of(context, request).viewer, bool(hide_names)).as_json()


def tab_shown(context: AppContext, request: gr.Request = None):
    """The tab is there for teachers, and for everyone when the teacher has opened it to the class;
    trainings in progress only for teachers."""
    audience = classroom.audience(session_of(context, request).viewer)
    return gr.Tab(visible=audience is not None), gr.Column(visible=audience == "teacher")


def follow_tabs(context: AppContext, evt: gr.SelectData, request: gr.Request = None):
    """The timer runs only while the Class view is the tab shown."""
    return gr.Timer(active=evt.value == LABEL)


def class_page(context: AppContext, hide_names: bool, large: bool, shown: str, request: gr.Request = None):
    """(summary, live charts, their caption, queue, leaderboard, fingerprint); nothing is sent when
    nothing changed since the page's ``shown`` fingerprint."""
    try:
        data = context.classroom.data(session_of(context, request).viewer, bool(hide_names))
    except PlaygroundError as refusal:
        return (f"<p class='pg-class-summary'>{escape(str(refusal))}</p>", class_charts.live_figure([]), "", "", "",
                "refused")
    fingerprint = hashlib.sha1(json.dumps([data.as_json(), bool(large)], sort_keys=True).encode()).hexdigest()
    if fingerprint == shown:
        return (gr.skip(),) * 6
    trainings = [(data.name(glance.owner), glance) for glance in data.live]
    return (summary_html(data), class_charts.live_figure(trainings, bool(large)), caption_html(trainings),
            queue_html(data), leaderboard_html(data), fingerprint)


def open_in_compare(context: AppContext, evt: gr.SelectData, request: gr.Request = None):
    """A leaderboard row's Compare button: the Compare tab, with that run beside the shipped models."""
    return (gr.Tabs(selected="compare"), gr.Timer(active=False),
            *compare_tab.open_beside_shipped(context, str(evt.value), request))


def summary_html(data: classroom.ClassData) -> str:
    finished = sum(len(table.entries) for table in data.tables)
    parts = []
    if data.audience == "teacher":
        parts += [f"<b>{len(data.live)}</b> training", f"<b>{len(data.queue)}</b> waiting"]
    parts.append(f"<b>{finished}</b> finished run{'s' if finished != 1 else ''} on <b>{len(data.tables)}</b> "
                 f"text{'s' if len(data.tables) != 1 else ''}")
    note = f"<p class='pg-class-note pg-muted'>{escape(data.note)}</p>" if data.note else ""
    return f"<p class='pg-class-summary'>{' · '.join(parts)}</p>{note}"


def caption_html(trainings) -> str:
    """The charts' text alternative, one line per training."""
    items = "".join(f"<li>{escape(line)}</li>" for line in class_charts.live_caption(trainings))
    return f"<ul class='pg-class-list' aria-label='The charts in words'>{items}</ul>"


def queue_html(data: classroom.ClassData) -> str:
    if data.audience != "teacher":
        return ""
    if not data.queue:
        return "<p class='pg-class-list pg-muted'>Nobody is waiting for a training slot.</p>"
    items = "".join(f"<li value='{g.queue_position or index + 1}'>{escape(data.name(g.owner))} "
                    f"({escape(g.arch)}, {escape(LEVELS.get(g.level, g.level))})</li>"
                    for index, g in enumerate(data.queue))
    return f"<p><b>Waiting for a training slot</b>, in order:</p><ol class='pg-class-list'>{items}</ol>"


def parameters(count: int | None) -> str:
    if count is None:
        return "?"
    return f"{count / 1e6:.1f} M" if count >= 1_000_000 else f"{count / 1e3:.0f} k" if count >= 1000 else str(count)


def leaderboard_html(data: classroom.ClassData) -> str:
    if not data.tables:
        return f"<p class='pg-class-list pg-muted'>{LEADERBOARD_EMPTY[data.audience]}</p>"
    sections = []
    for table in data.tables:
        count = len(table.entries)
        fingerprint = f"SHA-256 {table.corpus_sha256[:12]}…" if table.corpus_sha256 else "fingerprint not recorded"
        head = (f"<h4>{escape(table.corpus)} · {LEVELS.get(table.level, escape(table.level))} · "
                f"last {table.validation_share:.0%} held out</h4><p class='pg-muted'>{fingerprint} · {count} "
                f"run{'s' if count != 1 else ''}</p>")
        rows = []
        for entry in table.entries:
            mark = "" if entry.whole_text else "*"
            sample = escape(entry.sample) if entry.sample is not None else "<i class='pg-muted'>writing…</i>"
            rows.append(
                f"<tr class='{'pg-first' if entry.rank == 1 else ''}'><td class='pg-number'>{entry.rank}</td>"
                f"<td>{escape(data.name(entry.owner))}</td><td>{escape(entry.arch)}</td>"
                f"<td class='pg-number'>{parameters(entry.parameters)}</td>"
                f"<td class='pg-number'>{format_seconds(entry.seconds)}</td>"
                f"<td class='pg-number'>{entry.bits_per_character:.3f}{mark}</td>"
                f"<td class='pg-sample'>{sample}</td>"
                f"<td><button class='pg-open' data-run='{escape(entry.run)}' "
                f"aria-label='Open {escape(entry.run)} in Compare'>Compare</button></td></tr>")
        stopped = ("<p class='pg-muted'>* stopped early: measured on part of the held-out text.</p>"
                   if any(not e.whole_text for e in table.entries) else "")
        sections.append(
            f"<section class='pg-board'>{head}<table><thead><tr><th class='pg-number'>#</th><th>student</th>"
            "<th>model</th><th class='pg-number'>parameters</th><th class='pg-number'>trained</th>"
            "<th class='pg-number'>bits/char</th><th>sample at T = 0.7</th><th></th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{stopped}</section>")
    return "".join(sections)


def render(context: AppContext, demo: gr.Blocks, tabs: gr.Tabs, page: gr.Tab,
           compare: compare_tab.CompareControls) -> None:
    gr.Markdown(INTRO)
    with gr.Row():
        hide_names = gr.Checkbox(False, label="Hide names (initials, for a projector)", elem_id="class-hide-names")
        large = gr.Checkbox(False, label="Large text (for a projector)", elem_id="class-large-text")
    summary = gr.HTML("", elem_id="class-summary", js_on_load=None)
    with gr.Column(visible=False) as now_training:  # trainings in progress: teachers only
        gr.Markdown("#### Now training")
        live = gr.Plot(class_charts.live_figure([]), show_label=False, elem_id="class-live")
        caption = gr.HTML("", elem_id=class_charts.CAPTION_ID, js_on_load=None)
        queue = gr.HTML("", elem_id="class-queue", js_on_load=None)
    gr.Markdown("#### Leaderboard")
    leaderboard = gr.HTML("", elem_id="class-leaderboard", js_on_load=OPEN_RUN_JS)
    shown = gr.State("")
    timer = gr.Timer(REFRESH_SECONDS, active=False)
    outputs = [summary, live, caption, queue, leaderboard, shown]
    refresh = bind(context, class_page)
    timer.tick(refresh, [hide_names, large, shown], outputs, js=WITH_LARGE_TEXT, show_progress="hidden",
               concurrency_limit=None, api_name="class_page", api_visibility="undocumented")
    page.select(refresh, [hide_names, large, shown], outputs, js=WITH_LARGE_TEXT, api_visibility="private")
    # The tab opens in the large-text mode the page is in.
    page.select(None, None, large, js="() => document.body.classList.contains('pg-large')",
                api_visibility="private")
    tabs.select(bind(context, follow_tabs), None, timer, api_visibility="private")
    hide_names.change(refresh, [hide_names, large, shown], outputs, js=WITH_LARGE_TEXT, api_visibility="private")
    large.change(None, large, None, js=LARGE_TEXT).then(refresh, [hide_names, large, shown], outputs,
                                                        js=WITH_LARGE_TEXT, api_visibility="private")
    leaderboard.select(bind(context, open_in_compare), None, [tabs, timer, *compare.outputs],
                       api_visibility="private")
    demo.load(bind(context, tab_shown), None, [page, now_training], api_visibility="private")
    gr.api(bind(context, class_view), api_name="class_view")
