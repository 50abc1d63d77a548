"""Lessons tab: guided lessons, a few steps each, with a button that sets the step up."""

from __future__ import annotations

import dataclasses

import gradio as gr

from playground.lab import lessons as lesson_book
from playground.ui.common import AppContext, bind, escape

INTRO = """
## 7 · Lessons: guided tours for a class
Each lesson is a few short steps. **Set it up for me** fills the tabs for the step (corpus, model,
settings, temperatures) and opens the tab to work in; then do what the step says and think about
its question. Teachers add their own lessons as Markdown files in `$PLAYGROUND_HOME/lessons/`
(see the README's *For teachers*).
"""


@dataclasses.dataclass
class LessonsControls:
    setup_button: gr.Button
    setup_query: gr.Textbox


def step_view(context: AppContext, name: str, index: float, request: gr.Request = None) -> tuple[str, str, int]:
    """(the step in Markdown, its set-up query, the step's index kept in range) for a lesson."""
    if not name:
        return "Choose a lesson above.", "", 0
    lesson = lesson_book.find(name)
    index, step = lesson.step_at(int(index or 0))
    parts = [f"### {escape(lesson.title)}: step {index + 1} of {len(lesson.steps)}, {escape(step.title)}", step.body]
    if step.question:
        parts.append(f"**Think about it:** {step.question}")
    if not step.setup:
        parts.append("*This step needs no set-up.*")
    return "\n\n".join(parts), step.setup, index


def move(context: AppContext, name: str, index: float, by: int, request: gr.Request = None):
    return step_view(context, name, int(index or 0) + by, request)


def previous_step(context: AppContext, name: str, index: float, request: gr.Request = None):
    return move(context, name, index, -1, request)


def next_step(context: AppContext, name: str, index: float, request: gr.Request = None):
    return move(context, name, index, 1, request)


def render(context: AppContext) -> LessonsControls:
    gr.Markdown(INTRO)
    lessons, problems = lesson_book.load_all()
    choices = [(f"{lesson.title} ({len(lesson.steps)} steps)", lesson.name) for lesson in lessons]
    first = lessons[0].name if lessons else None
    chosen = gr.Dropdown(choices, value=first, label="Lesson", elem_id="lesson-choice")
    if problems:
        gr.Markdown("Some lesson files could not be read: " + " ".join(escape(p) for p in problems),
                    elem_id="lesson-problems")
    view, setup, index = step_view(context, first, 0) if first else ("No lessons are installed.", "", 0)
    step = gr.Markdown(view, elem_id="lesson-step")
    position = gr.Number(index, visible=False, precision=0)
    setup_query = gr.Textbox(setup, visible=False, elem_id="lesson-setup")
    with gr.Row():
        back = gr.Button("◀ Previous step", elem_id="lesson-back")
        setup_button = gr.Button("Set it up for me", variant="primary", elem_id="lesson-setup-button")
        forward = gr.Button("Next step ▶", elem_id="lesson-next")
    outputs = [step, setup_query, position]
    chosen.change(lambda name: step_view(context, name, 0), chosen, outputs, api_visibility="private")
    back.click(bind(context, previous_step), [chosen, position], outputs, api_visibility="private")
    forward.click(bind(context, next_step), [chosen, position], outputs, api_visibility="private")
    return LessonsControls(setup_button, setup_query)
