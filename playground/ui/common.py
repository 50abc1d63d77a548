"""What every tab shares: the app context, session lookup, and turning core errors into gr.Error."""

import dataclasses
import functools
import html
import inspect
from collections.abc import Callable, Sequence

import gradio as gr

from playground.classroom import ClassView
from playground.errors import PlaygroundError
from playground.runs.catalog import Catalog
from playground.session import Session, SessionStore
from playground.settings import Declared, Setting, declared, number


@dataclasses.dataclass
class AppContext:
    """What the handlers need besides their inputs; created once per app, passed explicitly."""

    store: SessionStore
    catalog: Catalog
    classroom: ClassView = dataclasses.field(init=False)  # the class view, reading the sessions' monitors

    def __post_init__(self):
        self.classroom = ClassView(self.store.monitors)


def session_of(context: AppContext, request: gr.Request | None) -> Session:
    key = getattr(request, "session_hash", None) or "anonymous"
    return context.store.get(key, getattr(request, "username", None))


def bind(context: AppContext, handler: Callable, form: Sequence[str | inspect.Parameter] | None = None) -> Callable:
    """``handler(context, *inputs, request=None)`` as a Gradio event function.

    The context is bound without ``functools.partial`` because Gradio reads the type hints
    of the function it is given to find the ``gr.Request`` parameter, and a partial has none.
    With ``form`` (names, one per input component), the event function's parameters are those
    names, which the web API shows as keyword arguments, and the handler is called as
    ``handler(context, {name: value}, request=...)``: a form built from declared settings needs
    no hand-written parameter list. A ``gr.api`` endpoint reads its parameters' types and defaults:
    give those as ``inspect.Parameter`` objects.
    A :class:`PlaygroundError` becomes a ``gr.Error``, shown to the user as it is written.
    """
    if form is None:
        signature = inspect.signature(handler)
        signature = signature.replace(parameters=list(signature.parameters.values())[1:])
        annotations = {k: v for k, v in handler.__annotations__.items() if k != "context"}

        def arguments(args, kwargs):
            return args, kwargs
    else:
        positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
        fields = [field if isinstance(field, inspect.Parameter) else inspect.Parameter(field, positional)
                  for field in form]
        signature = inspect.Signature(
            [*fields, inspect.Parameter("request", positional, default=None, annotation=gr.Request)],
            return_annotation=inspect.signature(handler).return_annotation)
        annotations = {field.name: field.annotation for field in fields
                       if field.annotation is not inspect.Parameter.empty} | {"request": gr.Request}

        def arguments(args, kwargs):
            given = signature.bind(*args, **kwargs)
            given.apply_defaults()
            values = dict(given.arguments)
            request = values.pop("request", None)
            return (values,), {"request": request}

    if inspect.isasyncgenfunction(handler):
        @functools.wraps(handler)
        async def bound(*args, **kwargs):
            args, kwargs = arguments(args, kwargs)
            try:
                async for value in handler(context, *args, **kwargs):
                    yield value
            except PlaygroundError as error:
                raise gr.Error(str(error), title="Please check your input") from None
    elif inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def bound(*args, **kwargs):
            args, kwargs = arguments(args, kwargs)
            try:
                yield from handler(context, *args, **kwargs)
            except PlaygroundError as error:
                raise gr.Error(str(error), title="Please check your input") from None
    else:
        @functools.wraps(handler)
        def bound(*args, **kwargs):
            args, kwargs = arguments(args, kwargs)
            try:
                return handler(context, *args, **kwargs)
            except PlaygroundError as error:
                raise gr.Error(str(error), title="Please check your input") from None

    bound.__signature__ = signature
    bound.__annotations__ = annotations
    return bound


def control(item: Declared, value=None, **options):
    """The page's control for a declared setting, showing ``value`` (default: where the page starts):
    a checkbox, a choice, a slider over the part of the range the page offers, or a number box
    (where the setting can be ``None``, 0 there means no limit). ``options`` go to the component
    (a label of its own, an ``elem_id``, ...)."""
    s = item.setting
    value = item.start if value is None else value
    common = dict(label=label_of(item), info=s.help or None) | options
    if item.kind is bool:
        return gr.Checkbox(value, **common)
    if s.choices:
        return (gr.Radio if len(s.choices) <= 3 else gr.Dropdown)(list(s.choices), value=value, **common)
    if len(s.page) == 3:
        low, high, step = s.page
        return gr.Slider(low, high, value=value, step=step, **common)
    low, high = s.page or (None, None)
    return gr.Number(value=value, minimum=low, maximum=high, precision=0 if item.kind is int else None,
                     **common)


def controls(config_class: type) -> list:
    """The page's control for each declared setting of ``config_class`` that the page shows."""
    return [control(item) for item in declared(config_class) if item.setting.page is not None]


def declared_slider(setting: Setting, value: float, **options) -> gr.Slider:
    """A slider over the part of a declared setting's range the page offers."""
    low, high, step = setting.page
    return gr.Slider(low, high, value=value, step=step, label=setting.label, **options)


def gated(handler: Callable, outputs: int) -> Callable:
    """``handler`` behind a first boolean input: when it is false, nothing is recomputed or redrawn."""
    parameters = list(inspect.signature(handler).parameters.values())

    @functools.wraps(handler)
    def run(when: bool, *args, **kwargs):
        if not when:
            return tuple(gr.skip() for _ in range(outputs)) if outputs > 1 else gr.skip()
        return handler(*args, **kwargs)

    run.__signature__ = inspect.Signature(
        [inspect.Parameter("when", inspect.Parameter.POSITIONAL_OR_KEYWORD), *parameters])
    return run


def label_of(item: Declared) -> str:
    """A control's label: the setting's, saying so where 0 (an empty limit) means none."""
    return item.setting.label if item.default is not None else f"{item.setting.label} (0 = no limit)"


def shown_as(item: Declared) -> dict:
    """A control's properties for ``item`` when one control stands for the same field of several
    architectures (an LSTM offers 8 layers, a GAN 4): for a ``gr.update``."""
    s = item.setting
    properties = dict(visible=True, value=item.start, label=label_of(item), info=s.help)
    if s.page and len(s.page) == 3:
        properties.update(minimum=s.page[0], maximum=s.page[1], step=s.page[2])
    return properties


def whole(value, label: str, default: int | None = None) -> int:
    result = number(value, label, default)
    if result != int(result) or abs(result) > 2**31 - 1:
        raise PlaygroundError(f"{label} must be a whole number (got {value!r}).")
    return int(result)


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def text_box(inner_html: str) -> str:
    """A sample's text in a box that scrolls when it is long; the keyboard can reach it (tabindex) to
    scroll it too."""
    return f"<pre class='pg-text' tabindex='0'>{inner_html}</pre>"
