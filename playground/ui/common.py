"""What every tab shares: the app context, session lookup, and turning core errors into gr.Error."""

import dataclasses
import functools
import html
from typing import Callable

import gradio as gr

from playground.errors import PlaygroundError
from playground.pretrained import Catalog
from playground.session import Session, SessionStore


@dataclasses.dataclass
class AppContext:
    """What the handlers need besides their inputs; created once per app, passed explicitly."""

    store: SessionStore
    catalog: Catalog


def session_of(context: AppContext, request: gr.Request | None) -> Session:
    key = getattr(request, "session_hash", None) or "anonymous"
    return context.store.get(key)


def user_errors(handler: Callable) -> Callable:
    """Show a PlaygroundError as a readable message instead of a generic failure."""

    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except PlaygroundError as error:
            raise gr.Error(str(error), title="Please check your input") from None

    return wrapper


def user_errors_stream(handler: Callable) -> Callable:
    @functools.wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            yield from handler(*args, **kwargs)
        except PlaygroundError as error:
            raise gr.Error(str(error), title="Please check your input") from None

    return wrapper


def escape(text: str) -> str:
    return html.escape(text, quote=True)
