"""What every tab shares: the app context, session lookup, and turning core errors into gr.Error."""

import dataclasses
import functools
import html
import inspect
import math
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
    return context.store.get(key, getattr(request, "username", None))


def bind(context: AppContext, handler: Callable) -> Callable:
    """``handler(context, *inputs, request=None)`` as a Gradio event function.

    The context is bound without ``functools.partial`` because Gradio reads the type hints
    of the function it is given to find the ``gr.Request`` parameter, and a partial has none.
    A :class:`PlaygroundError` becomes a ``gr.Error``, shown to the user as it is written.
    """
    signature = inspect.signature(handler)
    parameters = list(signature.parameters.values())[1:]

    if inspect.isasyncgenfunction(handler):
        @functools.wraps(handler)
        async def bound(*args, **kwargs):
            try:
                async for value in handler(context, *args, **kwargs):
                    yield value
            except PlaygroundError as error:
                raise gr.Error(str(error), title="Please check your input") from None
    elif inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def bound(*args, **kwargs):
            try:
                yield from handler(context, *args, **kwargs)
            except PlaygroundError as error:
                raise gr.Error(str(error), title="Please check your input") from None
    else:
        @functools.wraps(handler)
        def bound(*args, **kwargs):
            try:
                return handler(context, *args, **kwargs)
            except PlaygroundError as error:
                raise gr.Error(str(error), title="Please check your input") from None

    bound.__signature__ = signature.replace(parameters=parameters)
    bound.__annotations__ = {k: v for k, v in handler.__annotations__.items() if k != "context"}
    return bound


def number(value, label: str, default: float | None = None) -> float:
    """A number from a form field or an API argument, or a clear error (a cleared box sends None)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise PlaygroundError(f"{label} must be a number; the field is empty.")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise PlaygroundError(f"{label} must be a number (got {value!r}).") from None
    if not math.isfinite(result):
        raise PlaygroundError(f"{label} must be a finite number (got {value!r}).")
    return result


def whole(value, label: str, default: int | None = None) -> int:
    result = number(value, label, default)
    if result != int(result) or abs(result) > 2**31 - 1:
        raise PlaygroundError(f"{label} must be a whole number (got {value!r}).")
    return int(result)


def escape(text: str) -> str:
    return html.escape(text, quote=True)
