"""``Autocomplete``: a form-model field type, a text input whose suggestions come from the
server as the user types (``GET /_appkit-ui/suggest/<key>/<field>``), shown as an ARIA
combobox; its options are strings or ``(value, label)`` pairs (the user sees labels, the
form posts values). See ``appkit.ui.fields`` and docs/ui.md."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from appkit.app.forms import FormField
from appkit.app.handlers import run_sync
from appkit.errors import BadRequest, ConfigurationError, NotFound
from appkit.html import Div, Element, Input, Label, Li, Mark, Ul, render
from appkit.ui._field_parts import check_int as _check_int
from appkit.ui._field_parts import clean as _clean
from appkit.ui._field_parts import described as _described
from appkit.ui._field_parts import message as _message
from appkit.ui._field_parts import optional as _optional
from appkit.ui._field_parts import url as _url

__all__ = ["Autocomplete", "Options", "SUGGEST_ROUTE", "suggest_route"]

#: Where an autocomplete's suggestions are served (``<route>/<key>/<field>?<field>=text``).
SUGGEST_ROUTE = "/_appkit-ui/suggest"
#: The autocompletes by key, for the suggestion route. A key is worked out from what the
#: autocomplete offers (its options, or its function's place in the code), so the same
#: declaration has the same key in every process and every evaluation of its annotation.
_SOURCES: dict[str, Autocomplete] = {}
_QUERY_MAX = 200          # the longest text the suggestion route looks up

Options = (Iterable[str] | Iterable[tuple[Any, str]] | Mapping[Any, str]
           | Callable[[str], Iterable[str]] | Callable[[str], Iterable[tuple[Any, str]]])
_NONE: Any = object()     # no choice has that value


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


async def suggest_route(request: Request, key: str, field: str) -> HTMLResponse:
    """The suggestions of the autocomplete ``key`` for the text sent as ``field``."""
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
