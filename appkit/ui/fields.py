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
import hashlib
import itertools
import json
import types
import typing
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from appkit.app.forms import FormField
from appkit.app.handlers import run_sync
from appkit.app.pipeline import current_connection
from appkit.errors import BadRequest, ConfigurationError, NotFound
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
    Mark,
    Script,
    Small,
    Span,
    Ul,
    render,
)
from appkit.ui._assets import asset_url, install_head
from appkit.ui.icons import Icon

__all__ = ["Autocomplete", "SUGGEST_ROUTE", "Score", "Tags", "assets", "install"]

#: Where an autocomplete's suggestions are served (``<route>/<key>/<field>?<field>=text``).
SUGGEST_ROUTE = "/_appkit-ui/suggest"
#: The autocompletes by key, for the suggestion route. A key is worked out from what the
#: autocomplete offers (its options, or its function's place in the code), so the same
#: declaration has the same key in every process and every evaluation of its annotation.
_SOURCES: dict[str, Autocomplete] = {}
_QUERY_MAX = 200          # the longest text the suggestion route looks up
_SHOWN_MAX = 200          # the most tags a form shows again (a forged list is longer)

Options = (Iterable[str] | Iterable[tuple[Any, str]] | Mapping[Any, str]
           | Callable[[str], Iterable[str]] | Callable[[str], Iterable[tuple[Any, str]]])
_NONE: Any = object()     # no choice has that value


def _clean(text: Any, what: str, max_length: int) -> str:
    """``text`` stripped, if it is text without control characters, at most
    ``max_length`` characters; else a ``ValueError`` saying so."""
    if not isinstance(text, str):
        raise ValueError(f"{what} is text, not a file or several values")
    text = text.strip()
    if len(text) > max_length:
        raise ValueError(f"{what} is at most {max_length} characters (this one has "
                         f"{len(text):,})")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        raise ValueError(f"{what} cannot hold control characters or line breaks")
    return text


def _optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        rest = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(rest) == 1:
            return rest[0], True
    return tp, False


def _check_int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(f"{what} is a whole number from {low} to {high:,}, "
                                 f"not {value!r:.40}")
    return value


def _url(path: str) -> str:
    conn = current_connection()
    return (str(conn.scope.get("root_path", "")) if conn is not None else "") + path


def _message(ident: str, error: str | None) -> Element:
    if error:
        return Small(error, id=f"{ident}-error", cls="error", role="alert")
    return Small("", id=f"{ident}-error", cls="help")


def _described(ident: str, error: str | None, *more: str) -> str:
    return " ".join([*more, f"{ident}-error"] if error else more) or ""


# ---- autocomplete -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Autocomplete:
    """A text field with suggestions from the server as the user types.

    Args:
        options: the choices: strings, or a function of the typed text returning the
            matching strings (say a query: ``lambda text: [r["name"] for r in
            app.db.query("select name from city where name like ? limit 20",
            [text + "%"])]``). A function runs in a worker thread for suggestions, and
            once on the submitted value when ``restrict`` is set: keep it quick.
        restrict: accept only one of the options (a list's: compared ignoring case, and
            stored as the option is spelled; a function's: the value must be among what
            it returns for that value). ``False``: any text, the options only suggest.
        limit: the most suggestions shown (1 to 100).
        min_chars: how much must be typed before suggestions come (0: on focus).
        delay: the pause in typing, in milliseconds, before suggestions are asked for.
        max_length: the longest text accepted.
        placeholder: the input's placeholder.
        name: the key of its suggestion route; needed only when one function serves
            several autocompletes that must behave differently (a factory's closures).
        label_of: for a function returning ``(value, label)`` pairs: the label of a
            value (None when no choice has it). It makes the autocomplete one of values
            and labels: a stored value is shown by its label, and a value sent is
            accepted only when it has one.

    Values and labels: with ``(value, label)`` pairs (a list, a ``{value: label}``
    mapping, or a function with ``label_of``), the field's input shows and searches the
    labels while a hidden input sends the value, read as the field's type (``str`` or
    ``int``): a value no choice has is the field's error, never stored. A text typed
    without picking a suggestion is accepted when it is exactly one choice's label
    (ignoring case). ``restrict`` is then always true.

    Raises:
        ConfigurationError: a limit out of range, options that are not strings or pairs.
    """

    options: Options
    restrict: bool = True
    limit: int = 10
    min_chars: int = 1
    delay: int = 250
    max_length: int = 200
    placeholder: str | None = None
    name: str | None = None
    label_of: Callable[[Any], str | None] | None = None
    #: The key of its suggestion route (worked out from the above).
    key: str = dataclasses.field(init=False, default="")
    #: Whether its choices are (value, label) pairs (the form sends the value).
    pairs: bool = dataclasses.field(init=False, default=False)
    _folded: dict[str, str] = dataclasses.field(init=False, default_factory=dict, repr=False)
    _values: dict[str, tuple[Any, str]] = dataclasses.field(
        init=False, default_factory=dict, repr=False)        # str(value) -> (value, label)
    _labels: dict[str, Any] = dataclasses.field(
        init=False, default_factory=dict, repr=False)        # folded label -> value
    _type: list[Any] = dataclasses.field(init=False, default_factory=list, repr=False)
    multiple: typing.ClassVar[bool] = False

    def __post_init__(self) -> None:
        _check_int(self.limit, "An autocomplete's limit", 1, 100)
        _check_int(self.min_chars, "An autocomplete's min_chars", 0, 50)
        _check_int(self.delay, "An autocomplete's delay (milliseconds)", 0, 5000)
        _check_int(self.max_length, "An autocomplete's max_length", 1, 10_000)
        if self.label_of is not None and not (callable(self.label_of)
                                              and callable(self.options)):
            raise ConfigurationError(
                "An autocomplete's label_of goes with options that are a function "
                "returning (value, label) pairs (a list or a mapping has its labels)")
        if not callable(self.options):
            if isinstance(self.options, str | bytes):
                raise ConfigurationError(
                    f"An autocomplete's options are a list of strings or a function, not "
                    f"the string {self.options[:40]!r}")
            if isinstance(self.options, Mapping):
                object.__setattr__(self, "options", tuple(self.options.items()))
            choices = tuple(self.options)
            if choices and all(isinstance(c, tuple) for c in choices):
                self._set_pairs(choices)
            else:
                bad = [c for c in choices if not isinstance(c, str)]
                if bad:
                    raise ConfigurationError(
                        f"An autocomplete's options are strings, not {bad[0]!r:.40}: give "
                        "str(...) of each, (value, label) pairs, or a function returning "
                        "them")
                object.__setattr__(self, "options", choices)
                object.__setattr__(self, "_folded",
                                   {c.casefold(): c for c in reversed(choices)})
        elif self.label_of is not None:
            object.__setattr__(self, "pairs", True)
        if self.pairs and not self.restrict:
            raise ConfigurationError(
                "An autocomplete of (value, label) pairs accepts only their values: leave "
                "restrict=True (a free text has no value)")
        object.__setattr__(self, "key", self._key())
        _SOURCES[self.key] = self

    def _set_pairs(self, choices: tuple[Any, ...]) -> None:
        values: dict[str, tuple[Any, str]] = {}
        labels: dict[str, Any] = {}
        repeated: set[str] = set()
        for choice in choices:
            if len(choice) != 2 or not isinstance(choice[1], str) or not isinstance(
                    choice[0], str | int) or isinstance(choice[0], bool):
                raise ConfigurationError(
                    f"An autocomplete's pairs are (value, label), the value a str or an "
                    f"int and the label a str, not {choice!r:.60}")
            value, label = choice
            if str(value) in values:
                raise ConfigurationError(
                    f"An autocomplete's values are unique: {value!r:.40} is there twice")
            values[str(value)] = (value, label)
            folded = label.casefold()
            if folded in labels:
                repeated.add(folded)
            labels.setdefault(folded, value)
        for folded in repeated:       # a label two choices share names neither
            del labels[folded]
        object.__setattr__(self, "options", choices)
        object.__setattr__(self, "pairs", True)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_labels", labels)

    def _key(self) -> str:
        if self.name is not None:
            if not isinstance(self.name, str) or not self.name.replace("-", "").replace(
                    "_", "").isalnum() or len(self.name) > 80:
                raise ConfigurationError(
                    f"An autocomplete's name is letters, digits, '-' and '_', not "
                    f"{self.name!r:.60}")
            return self.name
        src = self.options
        if callable(src):
            ident = f"{getattr(src, '__module__', '')}.{getattr(src, '__qualname__', '')}"
            code = getattr(src, "__code__", None)
            if code is not None and "<lambda>" in ident:  # same lambda text, same key
                ident += repr((code.co_code, code.co_consts, code.co_names))
            if not getattr(src, "__qualname__", ""):
                ident += f"{type(src).__module__}.{type(src).__qualname__}"
        else:
            ident = json.dumps(src, default=str)
        ident += f"|{self.restrict}|{self.limit}|{self.min_chars}|{self.max_length}"
        return hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:20]

    # ---- FieldKind ----------------------------------------------------------------------

    def check_type(self, tp: Any, where: str) -> None:
        """Refuse a field that is not ``str`` (or ``str | None``); with (value, label)
        pairs, ``int`` too."""
        inner = _optional(tp)[0]
        if self.pairs:
            if inner not in (str, int):
                raise ConfigurationError(
                    f"{where} has an Autocomplete of (value, label) pairs: annotate it "
                    f"with the values' type, Annotated[int, ...] or Annotated[str, ...], "
                    f"not {tp!r}")
            if self._type and self._type[0] is not inner:
                raise ConfigurationError(
                    f"{where}: this Autocomplete is used for {self._type[0].__name__} "
                    f"values already: make one per field type")
            if not self._type:
                self._type.append(inner)
            bad = [v for v, _ in self._values.values() if not isinstance(v, inner)]
            if bad:
                raise ConfigurationError(
                    f"{where} is {inner.__name__}, but its Autocomplete has the value "
                    f"{bad[0]!r:.40}: give values of the field's type")
            return
        if inner is not str:
            raise ConfigurationError(f"{where} has an Autocomplete: annotate it "
                                     f"Annotated[str, Autocomplete(...)], not {tp!r}")

    def read(self, raw: Any, field: FormField) -> Any:
        """The submitted text, checked (see the class); with pairs, the value sent (or
        the one whose label was typed), of the field's type."""
        if isinstance(raw, list):
            raise ValueError("Give one value")
        text = "" if raw is None else _clean(raw, "The text", self.max_length)
        if not text:
            if field.required:
                raise ValueError("Required")
            return field.default
        if self.pairs:
            value = self.value_for(text)
            if value is _NONE:
                raise ValueError(f"{text[:60]!r} is not one of the choices: pick one of the "
                                 "suggestions")
            return value
        if not self.restrict:
            return text
        found = self.match(text)
        if found is None:
            raise ValueError(f"{text[:60]!r} is not one of the choices: pick one of the "
                             "suggestions")
        return found

    def match(self, text: str) -> str | None:
        """The option ``text`` names (ignoring case), as the option is spelled; None when
        none does."""
        folded = text.casefold()
        if callable(self.options):
            for option in itertools.islice(self.options(text), 1000):
                if isinstance(option, str) and option.casefold() == folded:
                    return option
            return None
        return self._folded.get(folded)

    def value_for(self, text: str) -> Any:
        """For pairs: the value ``text`` is (a value as sent, else exactly one
        choice's label, ignoring case), of the field's type; ``_NONE`` when none."""
        if not callable(self.options):
            found = self._values.get(text)
            if found is not None:
                return found[0]
            return self._labels.get(text.casefold(), _NONE)
        kind = self._type[0] if self._type else str
        value: Any = text
        if kind is int:
            value = int(text) if re_int(text) else _NONE
        if value is not _NONE and self.label_of is not None and isinstance(
                self.label_of(value), str):
            return value
        folded = text.casefold()
        same = [v for v, label in self._pairs_of(text) if label.casefold() == folded]
        return same[0] if len(same) == 1 else _NONE

    def label_for(self, value: Any) -> str | None:
        """For pairs: the label of ``value`` (a value, or its text), None when no
        choice has it."""
        if value is None or value == "":
            return None
        if not callable(self.options):
            found = self._values.get(str(value))
            return found[1] if found is not None else None
        kind = self._type[0] if self._type else str
        if kind is int and not isinstance(value, int):
            if not re_int(str(value)):
                return None
            value = int(str(value))
        label = self.label_of(value) if self.label_of is not None else None
        return label if isinstance(label, str) else None

    def _pairs_of(self, text: str) -> list[tuple[Any, str]]:
        found: list[tuple[Any, str]] = []
        for item in itertools.islice(self.options(text), 1000):  # type: ignore[operator]
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
                found.append((item[0], item[1]))
            elif isinstance(item, str):
                found.append((item, item))
        return found

    def suggest(self, text: str) -> list[str]:
        """The options to show for ``text``: at most ``limit``; a list's are those that
        start with the text, then those that hold it, ignoring case. (With pairs, their
        labels: ``suggestions`` gives the values too.)"""
        return [label for _, label in self.suggestions(text)]

    def suggestions(self, text: str) -> list[tuple[Any, str]]:
        """``(value, label)`` of the options to show for ``text`` (for strings, each is
        its own value), as ``suggest`` orders them."""
        if len(text.strip()) < self.min_chars:
            return []
        if callable(self.options):
            if self.pairs:
                return self._pairs_of(text)[:self.limit]
            return [(str(o), str(o)) for o in itertools.islice(self.options(text),
                                                                self.limit)]
        folded = text.strip().casefold()
        given: tuple[Any, ...] = self.options  # type: ignore[assignment]
        choices: list[tuple[Any, str]] = (list(given) if self.pairs
                                          else [(c, c) for c in given])
        starts = (c for c in choices if c[1].casefold().startswith(folded))
        holds = (c for c in choices if folded in c[1].casefold()
                 and not c[1].casefold().startswith(folded))
        return list(itertools.islice(itertools.chain(starts, holds), self.limit))

    def control(self, field: FormField, value: Any, error: str | None,
                attrs: Mapping[str, Any]) -> Element:
        """The label, the combobox and the error of ``field``."""
        ident = field.name
        attrs = dict(attrs)
        focus = {"autofocus": True} if attrs.pop("autofocus", False) else {}
        if self.pairs:
            # The input shows the label and names no form field (form= an id no form
            # has: its text goes only to the suggestions); the hidden input sends the
            # value. fields.js keeps them together.
            sent = "" if value is None else str(value)
            label = self.label_for(value)
            box = [self.input(field.name, ident, sent if label is None else label, error,
                              required=field.required, form="appkit-no-form", **focus),
                   Input(type="hidden", name=field.name, value=sent,
                         data_appkit_value=True)]
        else:
            box = [self.input(field.name, ident, "" if value is None else str(value),
                              error, required=field.required, **focus)]
        return Div(
            Label(field.label, for_=ident),
            Div(*box, self.listbox(ident, field.label),
                cls="appkit-combobox", **attrs),
            _message(ident, error),
            cls="field")

    def input(self, name: str, ident: str, value: str, error: str | None, *,
              required: bool = False, **more: Any) -> Element:
        """The combobox's ``<input>`` (``Tags`` uses it too; ``more`` are attributes in
        place of or beside the combobox's)."""
        attrs: dict[str, Any] = {
            "type": "text", "id": ident, "name": name, "value": value, "role": "combobox",
            "aria_autocomplete": "list", "aria_expanded": "false",
            "aria_controls": f"{ident}-listbox", "aria_invalid": "true" if error else None,
            "aria_describedby": _described(ident, error) or None,
            "autocomplete": "off", "spellcheck": "false", "maxlength": self.max_length,
            "placeholder": self.placeholder, "required": required,
            "hx_get": _url(f"{SUGGEST_ROUTE}/{self.key}/{name}"),
            "hx_trigger": f"input changed delay:{self.delay}ms, appkit-suggest"
                          + (", focus" if self.min_chars == 0 else ""),
            # The typed text alone: a live form's field attributes around it would
            # include the whole form.
            "hx_include": "this", "hx_target": f"#{ident}-listbox", "hx_swap": "innerHTML",
            "hx_sync": "this:replace", "data_appkit_combobox": True}
        attrs.update(more)
        return Input(**attrs)

    @staticmethod
    def listbox(ident: str, label: str) -> Element:
        """The (empty) list the suggestions go into."""
        return Ul(id=f"{ident}-listbox", role="listbox", cls="appkit-listbox",
                  aria_label=f"{label}: suggestions", hidden=True)

    def __repr__(self) -> str:
        what = getattr(self.options, "__qualname__", None) or f"{len(self.options)} options"  # type: ignore[arg-type]
        return f"Autocomplete({what}, restrict={self.restrict})"


def _suggestion(option: str, typed: str, value: Any = None) -> Element:
    """An option of the list (its label ``option``; ``value`` sent when picked, else
    the label), the typed text marked in it."""
    at = option.casefold().find(typed.casefold()) if typed else -1
    if at < 0 or len(option.casefold()) != len(option):
        shown: list[Any] = [option]
    else:
        end = at + len(typed)
        shown = [option[:at], Mark(option[at:end]), option[end:]]
    return Li(*shown, role="option", data_value=option if value is None else str(value),
              data_label=None if value is None else option, aria_selected="false",
              cls="appkit-option")


def re_int(text: str) -> bool:
    """Whether ``text`` is a whole number as a form sends one (at most 19 digits)."""
    body = text[1:] if text[:1] == "-" else text
    return body.isascii() and body.isdigit() and len(body) <= 19


async def _suggest(request: Request, key: str, field: str) -> HTMLResponse:
    source = _SOURCES.get(key)
    if source is None:
        raise NotFound(f"No autocomplete has the key {key[:40]!r} (the page is older than "
                       "the app: reload it)")
    typed = request.query_params.get(field, "")
    if len(typed) > _QUERY_MAX:
        raise BadRequest(f"The text to complete is at most {_QUERY_MAX} characters, not "
                         f"{len(typed):,}")
    if callable(source.options):
        found = await run_sync(source.suggestions, typed)
    else:
        found = source.suggestions(typed)
    return HTMLResponse(render([_suggestion(label, typed.strip(),
                                            value if source.pairs else None)
                                for value, label in found]))


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
    app.get(SUGGEST_ROUTE + "/{key}/{field}", name="appkit-ui-suggest")(_suggest)
