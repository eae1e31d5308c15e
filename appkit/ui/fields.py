"""Autocomplete, tags and score inputs as form-model field types.

    from typing import Annotated
    from appkit.ui import Autocomplete, Score, Tags

    @dataclass
    class Trip:
        city: Annotated[str, Autocomplete(CITIES)]                   # one of CITIES
        tags: Annotated[list[str], Tags(max_count=8)] = field(default_factory=list)
        rating: Annotated[int, Score(max=5)] = 3

Each is a ``FieldKind`` (``appkit.app.forms``): ``form_for(Trip)`` renders it with the kit's
look, and ``Submitted[Trip]`` checks it on the server, every error shown by its field.

- ``Autocomplete(options)``: a text input whose suggestions come from the server as the
  user types (htmx, ``GET /_appkit-ui/suggest/<key>/<field>``, after a pause), shown as an
  ARIA combobox: the arrow keys move, Enter picks, Escape closes. ``options`` is a list of
  strings or a function of the typed text returning matches (a query). With
  ``restrict=True`` (the default) only one of them is accepted. Options may be
  ``(value, label)`` pairs (or a ``{value: label}`` mapping): the user sees and searches
  the labels, the form posts the value, and the model gets it typed (``Annotated[int,
  Autocomplete([(1, "Acme"), (2, "Globex")])]``).
- ``Tags()``: a ``list[str]`` edited as chips: Enter or a comma adds the typed text,
  Backspace in the empty input removes the last tag, each chip has a remove button; count
  and length are limited. ``suggest=`` adds an autocomplete to its input.
- ``Score(max=5)``: an ``int`` picked from stars: a native radio group (Tab reaches it, the
  arrow keys change it, a click picks), a "no score" choice when the field is optional.

``/_appkit/ui/fields.js`` and ``fields.css`` (no inline script, nothing from the network)
come with ``UISettings``, or ``install(app)``.
"""

from __future__ import annotations

import dataclasses
import itertools
import typing
from collections.abc import Mapping
from typing import Any

from appkit.app.forms import FormField
from appkit.errors import ConfigurationError
from appkit.html import (
    Button,
    Div,
    Element,
    Fieldset,
    Input,
    Label,
    Legend,
    Li,
    Link,
    Script,
    Span,
    Ul,
)
from appkit.ui._assets import asset_url, install_head
from appkit.ui._field_parts import check_int as _check_int
from appkit.ui._field_parts import clean as _clean
from appkit.ui._field_parts import described as _described
from appkit.ui._field_parts import message as _message
from appkit.ui._field_parts import optional as _optional
from appkit.ui.autocomplete import SUGGEST_ROUTE, Autocomplete, Options, suggest_route
from appkit.ui.icons import Icon

__all__ = ["Autocomplete", "SUGGEST_ROUTE", "Score", "Tags", "assets", "install"]

_SHOWN_MAX = 200          # the most tags a form shows again (a forged list is longer)


# ---- tags -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Tags:
    """A ``list[str]`` edited as chips: Enter or a comma adds, Backspace removes the last.

    Args:
        max_count: the most tags (1 to 1,000).
        max_length: the longest tag, in characters.
        min_count: the fewest tags (a required field needs at least one anyway).
        suggest: an ``Autocomplete`` for the tag input (its ``restrict`` then applies
            to every tag), or options/a function, made into one with ``restrict=False``.
        placeholder: the input's placeholder.

    Tags are stripped; an empty one is dropped; a tag repeated (ignoring case) is kept
    once, as first written.
    """

    max_count: int = 20
    max_length: int = 40
    min_count: int = 0
    suggest: Autocomplete | Options | None = None
    placeholder: str | None = "Add a tag"
    multiple: typing.ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_int(self.max_count, "Tags' max_count", 1, 1000)
        _check_int(self.max_length, "Tags' max_length", 1, 1000)
        _check_int(self.min_count, "Tags' min_count", 0, self.max_count)
        if self.suggest is not None and not isinstance(self.suggest, Autocomplete):
            object.__setattr__(self, "suggest", Autocomplete(
                self.suggest, restrict=False, max_length=self.max_length))
        if isinstance(self.suggest, Autocomplete) and self.suggest.pairs:
            raise ConfigurationError("Tags suggest text: give them strings, not (value, "
                                     "label) pairs")

    def check_type(self, tp: Any, where: str) -> None:
        """Refuse a field that is not ``list[str]``."""
        inner, _ = _optional(tp)
        if typing.get_origin(inner) is not list or typing.get_args(inner) != (str,):
            raise ConfigurationError(f"{where} has Tags: annotate it "
                                     f"Annotated[list[str], Tags(...)], not {tp!r}")

    def read(self, raw: Any, field: FormField) -> list[str]:
        """The tags sent (each value may hold several, split at commas), checked."""
        values = [] if raw is None else raw if isinstance(raw, list | tuple) else [raw]
        tags: list[str] = []
        seen: set[str] = set()
        for value in values:
            if not isinstance(value, str):
                raise ValueError("Tags are text, not a file")
            for piece in value.split(","):
                tag = _clean(piece, "A tag", self.max_length)
                if not tag or tag.casefold() in seen:
                    continue
                if len(tags) == self.max_count:
                    raise ValueError(f"At most {self.max_count} tags: remove some")
                seen.add(tag.casefold())
                tags.append(tag)
        if not tags and raw is None and not field.required:
            default = field.default
            return list(default) if isinstance(default, list | tuple) else []
        if not tags and field.required:
            raise ValueError("Required: add at least one tag")
        if len(tags) < self.min_count:
            raise ValueError(f"At least {self.min_count} tags, please")
        source = self.suggest
        if isinstance(source, Autocomplete) and source.restrict:
            for i, tag in enumerate(tags):
                found = source.match(tag)
                if found is None:
                    raise ValueError(f"{tag[:60]!r} is not one of the tags to choose from")
                tags[i] = found
        return tags

    def control(self, field: FormField, value: Any, error: str | None,
                attrs: Mapping[str, Any]) -> Element:
        """The label, the chips, the input and the error of ``field``."""
        ident = field.name
        attrs = dict(attrs)
        if attrs.pop("autofocus", False):   # on the input, not the group around it
            more_focus: dict[str, Any] = {"autofocus": True}
        else:
            more_focus = {}
        values = [] if value is None else [value] if isinstance(value, str) else value
        shown: dict[str, str] = {}   # each tag once, as read() keeps it
        for v in itertools.islice(values, _SHOWN_MAX):
            for t in str(v).split(","):
                if t.strip():
                    shown.setdefault(t.strip().casefold(), t.strip())
        chips = [self.chip(field.name, t) for t in list(shown.values())[:_SHOWN_MAX]]
        described = _described(ident, error, f"{ident}-keys")
        more: dict[str, Any] = {"aria_invalid": "true" if error else None,
                                "aria_describedby": described, **more_focus}
        source = self.suggest
        if isinstance(source, Autocomplete):
            box: list[Element] = [
                source.input(field.name, ident, "", None, cls="appkit-tags-input",
                             placeholder=self.placeholder, maxlength=self.max_length, **more),
                Autocomplete.listbox(ident, field.label)]
        else:
            box = [Input(type="text", id=ident, name=field.name, cls="appkit-tags-input",
                         autocomplete="off", maxlength=self.max_length,
                         placeholder=self.placeholder, **more)]
        return Div(
            Label(field.label, for_=ident, id=f"{ident}-label"),
            Div(Ul(*chips, cls="appkit-tags-list", aria_label=f"{field.label}, chosen"),
                *box, cls="appkit-tags", role="group", aria_labelledby=f"{ident}-label",
                data_appkit_tags=True,
                data_max_count=self.max_count, data_label=field.label, **attrs),
            Span("Enter or a comma adds a tag; Backspace in the empty box removes the "
                 "last one.", id=f"{ident}-keys", cls="appkit-visually-hidden"),
            Span(cls="appkit-visually-hidden appkit-tags-status", role="status",
                 aria_live="polite"),
            _message(ident, error),
            cls="field")

    @staticmethod
    def chip(name: str, tag: str) -> Element:
        """One tag: its text, the hidden input that sends it and its remove button
        (``fields.js`` builds the same for a tag added in the page)."""
        return Li(Span(tag, cls="appkit-tag-text"),
                  Input(type="hidden", name=name, value=tag),
                  Button(Icon("x"), type="button", cls="appkit-tag-remove",
                         aria_label=f"Remove {tag}", title=f"Remove {tag}"),
                  cls="appkit-tag")


# ---- score ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Score:
    """An ``int`` from ``min`` to ``max`` picked from stars: a radio group (Tab reaches
    it, the arrow keys change it, a click picks). An optional field (``int | None``, or a
    default outside the range) gets a "No score" choice first.

    Args:
        max: the highest score (2 to 10).
        min: the lowest (0 or 1).
        labels: what each score is called, lowest first (``("Poor", ..., "Great")``);
            by default "3 of 5".
        icon: the Lucide icon of a point (``"star"``, ``"heart"``, ``"circle"``...).
    """

    max: int = 5
    min: int = 1
    labels: tuple[str, ...] = ()
    icon: str = "star"
    multiple: typing.ClassVar[bool] = False

    def __post_init__(self) -> None:
        _check_int(self.min, "A score's min", 0, 1)
        _check_int(self.max, "A score's max", 2, 10)
        labels = tuple(self.labels)
        if labels and (len(labels) != self.max - self.min + 1
                       or not all(isinstance(t, str) and t.strip() for t in labels)):
            raise ConfigurationError(
                f"A score from {self.min} to {self.max} has {self.max - self.min + 1} "
                f"labels (non-empty strings, lowest first), not {labels!r:.80}")
        object.__setattr__(self, "labels", labels)
        Icon(self.icon)  # an unknown icon fails here, where the model is declared

    def check_type(self, tp: Any, where: str) -> None:
        """Refuse a field that is not ``int`` (or ``int | None``)."""
        if _optional(tp)[0] is not int:
            raise ConfigurationError(f"{where} has a Score: annotate it "
                                     f"Annotated[int, Score(...)], not {tp!r}")

    def read(self, raw: Any, field: FormField) -> Any:
        """The score sent, checked to be one of the choices."""
        if isinstance(raw, list):
            raise ValueError("Pick one score")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if field.required:
                raise ValueError("Required: pick a score")
            return field.default
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 3) or not (
                self.min <= int(text) <= self.max):
            raise ValueError(f"A score is a whole number from {self.min} to {self.max}, "
                             f"not {text[:20]!r}")
        return int(text)

    def name_of(self, n: int) -> str:
        """What score ``n`` is called."""
        return self.labels[n - self.min] if self.labels else f"{n} of {self.max}"

    def control(self, field: FormField, value: Any, error: str | None,
                attrs: Mapping[str, Any]) -> Element:
        """A fieldset of radios, drawn as stars, with its legend and error."""
        ident = field.name
        attrs = dict(attrs)
        focus = bool(attrs.pop("autofocus", False))   # on its checked radio, else the first
        chosen = "" if value is None else str(value).strip()
        radios: list[Element] = []
        default = field.default
        if not field.required and not (  # a default that is no score: "no score" first
                isinstance(default, int) and self.min <= default <= self.max):
            radios += [
                Input(type="radio", id=f"{ident}-none", name=field.name, value="",
                      checked=chosen not in {str(n) for n in self._range()}),
                Label(Icon("x"), Span("No score", cls="appkit-visually-hidden"),
                      for_=f"{ident}-none", cls="appkit-score-none", title="No score")]
        for n in self._range():
            radios += [
                Input(type="radio", id=f"{ident}-{n}", name=field.name, value=n,
                      checked=chosen == str(n), required=field.required and n == self.min),
                Label(Icon(self.icon), Span(self.name_of(n), cls="appkit-visually-hidden"),
                      for_=f"{ident}-{n}", cls="appkit-score-point", title=self.name_of(n))]
        if focus:
            inputs = [r for r in radios if r.tag == "input"]
            target = next((r for r in inputs if r.attrs.get("checked")), inputs[0])
            target.attrs["autofocus"] = True
        return Fieldset(
            Legend(field.label),
            Div(*radios, cls="appkit-score-points"),
            _message(ident, error),
            cls="field appkit-score", role="radiogroup",
            aria_invalid="true" if error else None,
            aria_describedby=f"{ident}-error" if error else None, **attrs)

    def _range(self) -> range:
        return range(self.min, self.max + 1)


# ---- assets and the route ---------------------------------------------------------------


def assets(app: Any) -> list[Element]:
    """The stylesheet and script a page with these fields needs."""
    return [Link(rel="stylesheet", href=asset_url(app, "ui/fields.css")),
            Script(src=asset_url(app, "ui/fields.js"), defer=True)]


def install(app: Any) -> None:
    """Give every full page of ``app`` the fields' script and stylesheet, and add the
    autocompletes' suggestion route (once)."""
    install_head(app, "fields", assets)
    if getattr(app.state, "appkit_ui_suggest", False):
        return
    app.state.appkit_ui_suggest = True
    app.get(SUGGEST_ROUTE + "/{key}/{field}", name="appkit-ui-suggest")(suggest_route)
