"""Parameter binding: a handler's signature says what it needs from the request.

The binder is built once, when the handler is registered, so a bad signature fails at
import time with a message, and a request only pays for a loop over prepared parameters.

Where a value comes from, for a parameter ``name``: the path; else the query string; else
the form or JSON body; else a cookie ``name``; else a header (``user_agent`` <-> ``User-Agent``).
A dataclass or TypedDict parameter is built from the whole body (the query for a GET).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import enum
import inspect
import json
import types
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Union, cast

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from appkit.errors import BadRequest, ConfigurationError

__all__ = ["MAX_JSON_DEPTH", "Binder", "JSONTooDeep", "Provider", "loads_json"]

Provider = Callable[[Request], Any]
_MISSING: Any = inspect.Parameter.empty

#: How deeply a JSON body may nest arrays and objects; a deeper one answers 400. Python's
#: own limit (the recursion limit, about 1000) would fail parsing, printing or copying it.
MAX_JSON_DEPTH = 100

_TRUE = frozenset({"true", "1", "on", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "off", "no", "n", "f", ""})


def _to_bool(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(str(value).strip())


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        return float(value)
    return float(str(value).strip())


def _to_decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(value) from exc


def _to_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value).strip())


def _to_datetime(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(str(value).strip())


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, UploadFile | list | tuple | dict):
        raise ValueError("a file, or several values")  # never the repr of a list
    return str(value)


def _enum_converter(cls: type[enum.Enum]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        try:
            return cls(value)
        except ValueError:
            pass
        for member in cls:
            if str(member.value) == str(value) or member.name == value:
                return member
        raise ValueError(value)

    return convert


def _upload(value: Any) -> UploadFile:
    if not isinstance(value, UploadFile):
        raise ValueError(value)
    return value


_SCALARS: dict[Any, tuple[Callable[[Any], Any], str]] = {
    str: (_to_str, "text"),
    int: (_to_int, "whole number"),
    float: (_to_float, "number"),
    bool: (_to_bool, "boolean (true/false, on/off, yes/no, 1/0)"),
    Decimal: (_to_decimal, "decimal number"),
    dt.date: (_to_date, "date (YYYY-MM-DD)"),
    dt.datetime: (_to_datetime, "date and time (YYYY-MM-DDTHH:MM)"),
    UploadFile: (_upload, "file upload"),
    Any: (lambda v: v, "value"),
}


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and (
        dataclasses.is_dataclass(tp) or typing.is_typeddict(tp)
    )


def _unwrap(tp: Any) -> tuple[Any, bool, bool]:
    """(inner type, optional, is_list) for ``T``, ``T | None``, ``list[T]``..."""
    optional = False
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        optional = len(members) < len(typing.get_args(tp))
        if len(members) != 1:
            raise TypeError(tp)
        tp = members[0]
        origin = typing.get_origin(tp)
    is_list = False
    if origin in (list, set, tuple, frozenset) or tp in (list, set, tuple):
        args: tuple[Any, ...] = typing.get_args(tp)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            args = args[:1]
        tp = args[0] if len(args) == 1 else Any
        is_list = True
    return tp, optional, is_list


def _converter(tp: Any, where: str) -> tuple[Callable[[Any], Any], str]:
    if tp in _SCALARS:
        return _SCALARS[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        choices = ", ".join(str(m.value) for m in tp)
        return _enum_converter(tp), f"{tp.__name__} (one of: {choices})"
    if isinstance(tp, type) and issubclass(tp, dt.datetime | dt.date | Decimal | str | int):
        base = next(b for b in (dt.datetime, dt.date, Decimal, bool, str, int, float)
                    if issubclass(tp, b))
        return _SCALARS[base]
    raise ConfigurationError(
        f"{where} has a type appkit cannot read from a request: {tp!r}. Use str, int, float, "
        "bool, Decimal, date, datetime, an Enum, Optional/list of those, a dataclass, a "
        "TypedDict, or UploadFile"
    )


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    convert: Callable[[Any], Any]
    type_name: str
    default: Any
    optional: bool
    is_list: bool
    is_bool: bool

    def value(self, raw: Any, present: bool) -> Any:
        """Convert ``raw`` (a str, a JSON value, or a list of them for list fields)."""
        if self.is_list:
            items = raw if present else []
            if not isinstance(items, list | tuple):
                items = [items]
            items = [i for i in items if not (i == "" and self.type_name != "text")]
            if not items and not present:
                return self.missing()
            return [self._one(i) for i in items]
        if present and raw is None and self.optional:
            return None  # an explicit JSON null
        if not present or raw is None or (raw == "" and self.type_name != "text"):
            return self.missing()
        return self._one(raw)

    def _one(self, raw: Any) -> Any:
        try:
            return self.convert(raw)
        except (ValueError, TypeError, OverflowError):
            raise BadRequest(
                f"Invalid value for field {self.name!r}: {_show(raw)} is not a valid "
                f"{self.type_name}"
            ) from None

    def missing(self) -> Any:
        if self.default is not _MISSING:
            default = self.default
            if isinstance(default, list | dict | set):
                return copy.copy(default)  # never share a mutable default between requests
            return default
        if self.optional:
            return None
        if self.is_list:
            return []
        if self.is_bool:
            return False  # an unchecked checkbox sends nothing
        raise BadRequest(f"Missing required field: {self.name}")


def _show(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "...'"


def _field(name: str, tp: Any, default: Any, where: str) -> _Field:
    try:
        inner, optional, is_list = _unwrap(tp)
    except TypeError:
        raise ConfigurationError(
            f"{where} has a union type appkit cannot read: {tp!r}. Use one type, "
            "optionally with None"
        ) from None
    convert, type_name = _converter(inner, where)
    return _Field(name, convert, type_name, default, optional, is_list, inner is bool)


class _Model:
    """Builds a dataclass or TypedDict from a mapping of field values."""

    def __init__(self, cls: type, where: str) -> None:
        self.cls = cls
        try:
            hints = typing.get_type_hints(cls)
        except NameError as exc:
            raise ConfigurationError(f"{where}: cannot resolve the type hints of "
                                     f"{cls.__name__}: {exc}") from None
        self.fields: list[_Field] = []
        if dataclasses.is_dataclass(cls):
            for f in dataclasses.fields(cls):
                if not f.init:
                    continue
                has_default = (f.default is not dataclasses.MISSING
                               or f.default_factory is not dataclasses.MISSING)
                default = _MISSING if not has_default else _DEFAULTED
                self.fields.append(_field(f.name, hints[f.name], default,
                                          f"field {f.name!r} of {cls.__name__}"))
        else:
            required = getattr(cls, "__required_keys__", frozenset(hints))
            for name, tp in hints.items():
                default = _MISSING if name in required else _DEFAULTED
                self.fields.append(_field(name, tp, default, f"key {name!r} of {cls.__name__}"))

    def build(self, data: Mapping[str, Any], multi: bool) -> Any:
        values = {}
        for f in self.fields:
            present = f.name in data
            if present and multi:
                getlist = data.getlist  # type: ignore[attr-defined]
                raw = getlist(f.name) if f.is_list else data[f.name]
            else:
                raw = data.get(f.name)
            value = f.value(raw, present)
            if value is not _DEFAULTED:
                values[f.name] = value
        return self.cls(**values)


_DEFAULTED: Any = object()  # "leave it to the class's own default"

# Annotations that select a provider only when given exactly (not their subclasses):
# ``HTMLResponse`` is a response class, not a request for the ``response`` parameter.
_EXACT_ONLY = frozenset({Response})


def _is_optional_of_provider(tp: Any, typed_providers: Mapping[type, Provider]) -> bool:
    """``HtmxDetails | None`` and the like, written for the default of None."""
    try:
        inner, _, is_list = _unwrap(tp)
    except TypeError:
        return False
    return not is_list and isinstance(inner, type) and any(
        issubclass(inner, cls) for cls in typed_providers)


# Where a plain parameter's value comes from (after the path).
_QUERY, _BODY, _COOKIE, _HEADER = range(4)


class _Param:
    __slots__ = ("name", "kind", "field", "model", "provider", "awaits", "header")

    def __init__(self, name: str, kind: str, field: _Field | None = None,
                 model: _Model | None = None, provider: Provider | None = None) -> None:
        self.name = name
        self.kind = kind  # "path", "value", "model", "provider"
        self.field = field
        self.model = model
        self.provider = provider
        # An async provider (one the app registered) is awaited; appkit's own are plain.
        self.awaits = inspect.iscoroutinefunction(provider)
        self.header = name.replace("_", "-")


def field_reader(name: str, tp: Any, default: Any, where: str) -> _Field:
    """A reader of one value of type ``tp`` as routes read it: ``reader.value(raw,
    present)`` converts it or raises ``BadRequest`` naming the field and the value.

    Raises:
        ConfigurationError: a type appkit cannot read from a request (``where`` names it).
    """
    return _field(name, tp, default, where)


class Binder:
    """Reads a handler's arguments from a request, as its signature asks.

    Args:
        fn: the handler.
        path_params: the names in the route's path.
        providers: special parameters by name (``request``, ``htmx``, ``app``...); a
            provider is called with the request, and awaited when it is ``async def``.
        typed_providers: special parameters by annotation (``Request``...).
        soft: names in ``providers`` that an annotation of another type turns back into a
            value read from the request (``session: str`` reads a value named session).

    Raises:
        ConfigurationError: a parameter appkit cannot fill, named with the fix.
    """

    def __init__(self, fn: Callable[..., Any], path_params: set[str],
                 providers: Mapping[str, Provider],
                 typed_providers: Mapping[type, Provider],
                 soft: Collection[str] = ()) -> None:
        self._soft = soft
        where = f"handler {getattr(fn, '__qualname__', fn)!r}"
        try:
            hints = typing.get_type_hints(getattr(fn, "func", fn))  # a partial: its function's
        except NameError as exc:
            raise ConfigurationError(f"{where}: cannot resolve its type hints: {exc}") from None
        self.params: list[_Param] = []
        self.reads_body = False
        for p in inspect.signature(fn).parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise ConfigurationError(
                    f"{where} takes *{p.name}: name each value it needs as a parameter")
            tp = hints.get(p.name, _MISSING)
            self.params.append(self._param(p, tp, path_params, providers, typed_providers,
                                           f"parameter {p.name!r} of {where}"))

    def _param(self, p: inspect.Parameter, tp: Any, path_params: set[str],
               providers: Mapping[str, Provider], typed_providers: Mapping[type, Provider],
               where: str) -> _Param:
        if isinstance(tp, type):
            for cls, provider in typed_providers.items():
                if tp is cls or (issubclass(tp, cls) and cls not in _EXACT_ONLY):
                    return _Param(p.name, "provider", provider=provider)
        if p.name in providers and p.name not in path_params and not (
                p.name in self._soft and tp is not _MISSING and tp is not Any):
            if tp is not _MISSING and tp is not Any and not _is_optional_of_provider(
                    tp, typed_providers):
                raise ConfigurationError(
                    f"{where} is annotated {tp!r}, but {p.name!r} is a reserved name that "
                    f"always receives appkit's {p.name} object. Rename the parameter to read "
                    "a value from the request, or drop the annotation")
            return _Param(p.name, "provider", provider=providers[p.name])
        if tp is _MISSING:
            if p.name == "session" and "session" not in providers:
                raise ConfigurationError(
                    f"{where} takes session, but this app has no sessions extension: use "
                    "appkit.App (which has it), or add it: App(..., extensions=[Sessions()])")
            if p.name in path_params:
                tp = Any
            elif p.default is not _MISSING and p.default is not None:
                tp = type(p.default)
            else:
                raise ConfigurationError(
                    f"{where} has no type annotation and is not in the route's path. "
                    f"Annotate it (e.g. {p.name}: str) to read it from the query string, "
                    f"form, body, cookies or headers"
                )
        if getattr(typing.get_origin(tp), "__appkit_form__", False):  # Submitted[Model]
            from appkit.app.forms import form_for

            self.reads_body = True
            return _Param(p.name, "model", model=form_for(typing.get_args(tp)[0]))  # type: ignore[arg-type]
        if _is_model(tp):
            self.reads_body = True
            return _Param(p.name, "model", model=_Model(tp, where))
        field = _field(p.name, tp, p.default, where)
        if p.name in path_params:
            return _Param(p.name, "path", field=field)
        self.reads_body = True
        return _Param(p.name, "value", field=field)

    async def bind(self, request: Request, message: Mapping[str, Any] | None = None
                   ) -> dict[str, Any]:
        """The keyword arguments for one call; ``message`` (a websocket message's fields)
        takes the place of the request's body.

        Raises:
            BadRequest: a value is missing or does not convert, named in the message.
        """
        kwargs: dict[str, Any] = {}
        body: Mapping[str, Any] | None = message
        body_multi = False
        if self.reads_body and message is None and request.scope["type"] == "http":
            body, body_multi = await _read_body(request)
        for param in self.params:
            kind = param.kind
            if kind == "provider":
                value = param.provider(request)  # type: ignore[misc]
                kwargs[param.name] = await value if param.awaits else value
            elif kind == "path":
                raw = request.path_params.get(param.name)
                kwargs[param.name] = param.field.value(raw, raw is not None)  # type: ignore[union-attr]
            elif kind == "value":
                kwargs[param.name] = _lookup(param, request, body, body_multi)
            else:
                source: Mapping[str, Any]
                if body:
                    source, multi = body, body_multi
                else:
                    source, multi = request.query_params, True
                kwargs[param.name] = param.model.build(source, multi)  # type: ignore[union-attr]
        return kwargs


def _lookup(param: _Param, request: Request, body: Mapping[str, Any] | None,
            body_multi: bool) -> Any:
    field = cast(_Field, param.field)
    name = param.name
    if request.scope.get("query_string"):  # (no query: not even an empty one to parse)
        query = request.query_params
        if name in query:
            return field.value(query.getlist(name) if field.is_list else query[name], True)
    if body is not None and name in body:
        if body_multi and field.is_list:
            return field.value(body.getlist(name), True)  # type: ignore[attr-defined]
        return field.value(body[name], True)
    cookies = request.cookies
    if name in cookies:
        return field.value(cookies[name], True)
    header = request.headers.getlist(param.header)
    if header:
        return field.value(header if field.is_list else header[-1], True)
    return field.value(None, False)


async def _read_body(request: Request) -> tuple[Mapping[str, Any] | None, bool]:
    """The parsed body (form or JSON object) and whether it is a multi-dict."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None, False
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form: FormData = await request.form()
        return form, True
    if ctype == "application/json" or ctype.endswith("+json"):
        raw = await request.body()
        if not raw:
            return None, False
        try:
            data = loads_json(raw)
        except JSONTooDeep as exc:
            raise BadRequest(f"The request body is {exc}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"The request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BadRequest(
                f"The JSON body must be an object with named fields, not a "
                f"{type(data).__name__}")
        return data, False
    return None, False


class JSONTooDeep(ValueError):
    """JSON text that nests arrays and objects deeper than ``MAX_JSON_DEPTH``."""


def loads_json(text: str | bytes) -> Any:
    """``json.loads`` for text from a request: nesting deeper than ``MAX_JSON_DEPTH`` is
    refused, as a value error, instead of failing later with a ``RecursionError``.

    Raises:
        JSONTooDeep: nested too deeply (its message says how deep is allowed).
        ValueError: not JSON (``json.JSONDecodeError``, ``UnicodeDecodeError``).
    """
    try:
        value = json.loads(text)
    except RecursionError:
        value = _TOO_DEEP
    if value is _TOO_DEEP or _deeper_than(value, MAX_JSON_DEPTH):
        raise JSONTooDeep(
            f"JSON nested more than {MAX_JSON_DEPTH} levels deep (arrays and objects inside "
            "each other): send flatter data")
    return value


_TOO_DEEP: Any = object()


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and dicts more than ``limit`` deep (without recursion)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
    return False
