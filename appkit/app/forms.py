"""Form models: a dataclass (or a pydantic model) becomes a form that renders its fields,
checks every one of them, shows each error next to its field and keeps what the user typed.

    @dataclass
    class Expense:
        day: date
        amount: Decimal
        category: Category                  # an Enum: a <select>
        note: str = ""

        def validate(self) -> dict[str, str]:          # optional: checks across fields
            return {"amount": "Must be more than 0"} if self.amount <= 0 else {}

    @app.get("/expenses/new")
    def new():
        return Page("New expense", form_for(Expense).render(action="/expenses"))

    @app.post("/expenses")
    def create(form: Submitted[Expense]):
        if not form.accepted:
            return form.render(action="/expenses")     # 422, every error by its field
        save(form.value)                              # an Expense
        return Redirect("/expenses")

A handler parameter annotated ``Submitted[Model]`` never fails binding for a bad field: it
gets the submission with ``accepted``, ``value`` (the model, when accepted), ``errors`` (by
field name; ``""`` for the form as a whole) and ``raw`` (what was typed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import typing
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from starlette.datastructures import UploadFile

from appkit.app.binding import field_reader
from appkit.app.pipeline import current_connection, response_parts
from appkit.errors import BadRequest, ConfigurationError
from appkit.html import Button, Element, Form, P
from appkit.html.forms import Field

__all__ = ["FieldKind", "FormField", "FormModel", "Submitted", "form_for"]

M = TypeVar("M")
_MISSING: Any = object()


@dataclasses.dataclass(frozen=True)
class FormField:
    """One field of a form model: how it is read, labelled and shown."""

    name: str
    label: str
    type: str                      # an <input> type, "select", "textarea" or "checkbox"
    required: bool
    default: Any
    options: tuple[tuple[str, str], ...] = ()
    reader: Any = None             # reads the raw value (None: the model checks it)
    attrs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    kind: FieldKind | None = None  # a field type that reads and shows itself


@runtime_checkable
class FieldKind(Protocol):
    """A field type that reads and shows itself, put in the field's annotation:
    ``tags: Annotated[list[str], Tags(max_count=5)]`` (``appkit.ui``'s ``Autocomplete``,
    ``Tags`` and ``Score`` are ones).

    ``multiple``: the field takes every value sent under its name (a list). ``check_type``
    refuses an annotation the kind cannot read (a ``ConfigurationError`` naming ``where``),
    when the form model is made. ``read(raw, field)`` turns what was sent (``None`` when
    nothing was) into the field's value, or raises ``ValueError`` whose message is shown by
    the field. ``control(field, value, error, attrs)`` is the field's label, control and
    error; ``attrs`` go on the element that sends ``change`` (a live form's).
    """

    multiple: bool

    def check_type(self, tp: Any, where: str) -> None: ...

    def read(self, raw: Any, field: FormField) -> Any: ...

    def control(self, field: FormField, value: Any, error: str | None,
                attrs: Mapping[str, Any]) -> Element: ...


class Submitted(Generic[M]):
    """A form's submission, every field checked (see the module)."""

    __appkit_form__: ClassVar[bool] = True

    def __init__(self, form: FormModel[M], raw: dict[str, Any], value: M | None,
                 errors: dict[str, str], changes: dict[str, Any] | None = None) -> None:
        self.form = form
        self._changes = changes
        #: What was typed, by field name (text, or a list of texts).
        self.raw = raw
        #: The messages, by field name; ``""`` holds one about the form as a whole.
        self.errors = errors
        self._value = value

    @property
    def accepted(self) -> bool:
        """Whether every field (and the model's own checks) passed."""
        return not self.errors

    @property
    def value(self) -> M:
        """The model built from the form.

        Raises:
            BadRequest: the form was not accepted (check ``accepted`` first), or it has
                only some of the model's fields (use ``changes`` or ``save``).
        """
        if self._changes is not None and not self.errors:
            raise BadRequest(f"This form has only some fields of {self.form.cls.__name__}: "
                             "use form.changes or form.save(table, pk)")
        if self.errors or self._value is None:
            raise BadRequest("The form has errors: " + "; ".join(
                f"{k or 'form'}: {v}" for k, v in self.errors.items()))
        return self._value

    @property
    def changes(self) -> dict[str, Any]:
        """The form's fields, converted, by name: only those the form declares.

        Raises:
            BadRequest: the form was not accepted.
        """
        if self.errors:
            raise BadRequest("The form has errors: " + "; ".join(
                f"{k or 'form'}: {v}" for k, v in self.errors.items()))
        if self._changes is not None:
            return dict(self._changes)
        value = self.value
        names = [f.name for f in self.form.fields]
        return {name: getattr(value, name) for name in names}

    def save(self, table: Any, pk: Any = None) -> Any:
        """Write the form to ``table`` (``app.table_for(Row)``): the row ``pk`` gets the
        form's fields and keeps every other column as it is (what the page sends beyond
        the form's fields is never written); without ``pk`` a new row is inserted, the
        row's defaults filling the fields the form does not have. The form's model may be
        the table's own dataclass (``form_for(Row, fields=(...))``) or a smaller one whose
        fields the row has. Returns the row as written.

        Raises:
            BadRequest: the form was not accepted.
            RowNotFound: no row ``pk``.
        """
        changes = self.changes
        row_cls = getattr(table, "cls", self.form.cls)   # the table's own dataclass
        extra = sorted(set(changes) - {f.name for f in dataclasses.fields(row_cls)})  # type: ignore[arg-type]
        if extra:
            raise ConfigurationError(
                f"{row_cls.__name__} has no field {', '.join(map(repr, extra))} that the "
                f"form {self.form.cls.__name__} has: save it to a table of a model with them")
        if pk is None:
            return table.insert(row_cls(**changes))  # type: ignore[no-any-return]
        return table.modify(  # type: ignore[no-any-return]
            pk, lambda row: dataclasses.replace(row, **changes))

    def render(self, **form_attrs: Any) -> Element:
        """The form again, with what was typed and every error by its field (answered
        422 when it has errors)."""
        conn = current_connection()
        if self.errors and conn is not None and conn.scope["type"] == "http":
            response_parts(conn).status_code = 422
        return self.form.render(self.raw, self.errors, **form_attrs)

    def __repr__(self) -> str:
        return (f"<Submitted {self.form.cls.__name__} accepted={self.accepted} "
                f"errors={self.errors!r}>")


class FormModel(Generic[M]):
    """The form of the dataclass or pydantic model ``cls`` (``form_for(cls)`` caches one).

    Args:
        cls: the model.
        labels: a label per field name (else the field's ``metadata["label"]``, else its
            name in words).
    """

    def __init__(self, cls: type[M], labels: Mapping[str, str] | None = None,
                 fields: Iterable[str] | None = None) -> None:
        self.cls = cls
        self.pydantic = _is_pydantic(cls)
        if not (self.pydantic or dataclasses.is_dataclass(cls)):
            raise ConfigurationError(
                f"A form model is a dataclass or a pydantic model, not {cls!r}")
        every = _fields(cls, labels or {}, self.pydantic)
        if fields is None:
            self.fields = every
            self.partial = False
        else:
            wanted = list(fields)
            known = {f.name: f for f in every}
            unknown = [name for name in wanted if name not in known]
            if unknown or not wanted:
                raise ConfigurationError(
                    f"{cls.__name__} has no field {', '.join(map(repr, unknown))}: a form "
                    f"of it takes some of {', '.join(known)}")
            self.fields = [known[name] for name in wanted]
            #: The form has only some of the model's fields: it edits rows (``save``).
            self.partial = len(self.fields) < len(every)

    # ---- reading ---------------------------------------------------------------------------

    def build(self, data: Mapping[str, Any], multi: bool) -> Submitted[M]:
        """Read a submission (the binder calls it for a ``Submitted[...]`` parameter)."""
        raw: dict[str, Any] = {}
        for f in self.fields:
            if f.name not in data:
                continue
            many = multi and hasattr(data, "getlist") and (
                f.type == "select-multiple" or (f.kind is not None and f.kind.multiple))
            raw[f.name] = data.getlist(f.name) if many else data[f.name]  # type: ignore[attr-defined]
        return self.check(raw)

    def check(self, raw: Mapping[str, Any]) -> Submitted[M]:
        """Check ``raw`` (field name -> what was typed), every field."""
        raw = {k: raw[k] for k in (f.name for f in self.fields) if k in raw}
        if self.pydantic:
            return self._check_pydantic(raw)
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for f in self.fields:
            present = f.name in raw
            if f.kind is not None:
                try:
                    values[f.name] = f.kind.read(raw.get(f.name), f)
                except ValueError as exc:
                    errors[f.name] = str(exc)
                continue
            if not present and f.type == "checkbox":
                values[f.name] = False
                continue
            if (not present or raw[f.name] in ("", None)) and f.required and f.type != "text":
                errors[f.name] = "Required"
                continue
            if f.required and f.type == "text" and not str(raw.get(f.name, "")).strip():
                errors[f.name] = "Required"
                continue
            try:
                value = f.reader.value(raw.get(f.name), present)
            except BadRequest:
                errors[f.name] = f"Not a valid {f.reader.type_name}"
                continue
            if value is not _MISSING:
                values[f.name] = value
        if errors:
            return Submitted(self, dict(raw), None, errors)
        if self.partial:  # only some fields: the changes, for save() to write
            return Submitted(self, dict(raw), None, {}, values)
        try:
            model = self.cls(**values)
        except (ValueError, TypeError) as exc:
            return Submitted(self, dict(raw), None, {"": str(exc)})
        check = getattr(model, "validate", None)
        found = check() if callable(check) else None
        if found:
            return Submitted(self, dict(raw), None, {str(k): str(v) for k, v in found.items()})
        return Submitted(self, dict(raw), model, {})

    def _check_pydantic(self, raw: Mapping[str, Any]) -> Submitted[M]:
        import pydantic

        data = {k: v for k, v in raw.items() if v != "" or k not in self._optional}
        kinds: dict[str, str] = {}
        for f in self.fields:
            if f.type == "checkbox" and f.name not in data:
                data[f.name] = False
            if f.kind is not None:
                try:
                    data[f.name] = f.kind.read(raw.get(f.name), f)
                except ValueError as exc:
                    kinds[f.name] = str(exc)
        if kinds:
            return Submitted(self, dict(raw), None, kinds)
        try:
            model = self.cls.model_validate(data)  # type: ignore[attr-defined]
        except pydantic.ValidationError as exc:
            errors: dict[str, str] = {}
            for error in exc.errors():
                where = str(error["loc"][0]) if error.get("loc") else ""
                errors.setdefault(where, str(error["msg"]))
            return Submitted(self, dict(raw), None, errors)
        return Submitted(self, dict(raw), model, {})

    @property
    def _optional(self) -> set[str]:
        return {f.name for f in self.fields if not f.required}

    # ---- showing ---------------------------------------------------------------------------

    def render(self, values: Mapping[str, Any] | Any = None,
               errors: Mapping[str, str] | None = None, *, submit: str = "Save",
               action: str | None = None,
               field_attrs: Callable[[FormField], Mapping[str, Any]] | None = None,
               **form_attrs: Any) -> Element:
        """The form: each field labelled, with its value (``values``: a mapping or a model
        instance) and its error; ``action`` posts it with htmx (``hx-post``), answered in
        its place (``hx-target="this"``, ``hx-swap="outerHTML"``); ``field_attrs(field)``
        adds attributes to a field's control."""
        errors = errors or {}
        current = _values_of(values)
        items: list[Any] = []
        if errors.get(""):
            items.append(P(errors[""], cls="form-error", role="alert"))
        for f in self.fields:
            value = current.get(f.name, None if f.default is _MISSING else f.default)
            items.append(self.field(f, value, errors.get(f.name),
                                    **(field_attrs(f) if field_attrs else {})))
        items.append(Button(submit, type="submit"))
        if action is not None:
            form_attrs.setdefault("hx_post", action)
            form_attrs.setdefault("hx_target", "this")
            form_attrs.setdefault("hx_swap", "outerHTML")
        return Form(*items, novalidate=True, **form_attrs)

    def field(self, f: FormField, value: Any, error: str | None, **extra: Any) -> Element:
        """One field's label, control and error (override to change how fields look)."""
        attrs = {**f.attrs, **extra}
        if f.kind is not None:
            return f.kind.control(f, value, error, attrs)
        if f.required and f.type != "checkbox":
            attrs["required"] = True
        kind = "select" if f.type == "select" else f.type
        return Field(f.label, f.name, type=kind, value=_shown(value), error=error,
                     options=f.options or None, **attrs)


_FORMS: dict[tuple[type, tuple[str, ...] | None], FormModel[Any]] = {}


def form_for(cls: type[M], fields: Iterable[str] | None = None) -> FormModel[M]:
    """The form model of ``cls`` (made once), or of some of its ``fields`` (a form that
    edits only those: ``Submitted.save`` writes nothing else)."""
    key = (cls, None if fields is None else tuple(fields))
    found = _FORMS.get(key)
    if found is None:
        found = _FORMS[key] = FormModel(cls, fields=key[1])
    return found


def _is_pydantic(cls: Any) -> bool:
    return isinstance(cls, type) and hasattr(cls, "model_validate") and hasattr(
        cls, "model_fields")


def _fields(cls: type, labels: Mapping[str, str], pydantic: bool) -> list[FormField]:
    hints = typing.get_type_hints(cls)
    annotated = typing.get_type_hints(cls, include_extras=True)
    out: list[FormField] = []
    if pydantic:
        specs: Iterable[tuple[str, Any, Mapping[str, Any]]] = [
            (name, _MISSING if info.is_required() else info.default,
             dict(info.json_schema_extra or {}) if isinstance(info.json_schema_extra, dict)
             else {})
            for name, info in cls.model_fields.items()]  # type: ignore[attr-defined]
    else:
        specs = [
            (f.name, f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING
                else _MISSING), f.metadata)
            for f in dataclasses.fields(cls) if f.init]
    for name, default, meta in specs:
        tp, extras = hints[name], getattr(annotated[name], "__metadata__", ())
        found = [m for m in (*extras, meta.get("widget")) if isinstance(m, FieldKind)]
        inner, optional = _inner(tp)
        label = labels.get(name) or meta.get("label") or name.replace("_", " ").capitalize()
        where = f"field {name!r} of {cls.__name__}"
        if found:  # a field type that reads and shows itself
            found[0].check_type(tp, where)
            required = default is _MISSING and not optional
            out.append(FormField(name, label, type(found[0]).__name__.lower(), required,
                                 None if default is _MISSING else default, kind=found[0]))
            continue
        kind, options, attrs = _control(inner, meta)
        required = default is _MISSING and not optional and kind != "checkbox"
        reader = None if pydantic else field_reader(
            name, tp, _MISSING if default is _MISSING else default, where)
        out.append(FormField(name, label, kind, required, default, options, reader, attrs))
    return out


def _inner(tp: Any) -> tuple[Any, bool]:
    args = typing.get_args(tp)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else tp), True
    return tp, False


def _control(tp: Any, meta: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, str], ...],
                                                        dict[str, Any]]:
    widget = meta.get("widget")
    if isinstance(widget, str) and widget:
        return str(widget), (), {}
    if tp is bool:
        return "checkbox", (), {}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "select", tuple((str(m.value), str(getattr(m, "label", m.name.replace(
            "_", " ").capitalize()))) for m in tp), {}
    if tp is int:
        return "number", (), {"step": "1"}
    if tp in (float, Decimal):
        return "number", (), {"step": "any", "inputmode": "decimal"}
    if tp is dt.datetime:
        return "datetime-local", (), {}
    if tp is dt.date:
        return "date", (), {}
    if tp is UploadFile:
        return "file", (), {}
    return "text", (), {}


def _values_of(values: Any) -> Mapping[str, Any]:
    if values is None:
        return {}
    if isinstance(values, Mapping):
        return values
    if dataclasses.is_dataclass(values):
        return {f.name: getattr(values, f.name) for f in dataclasses.fields(values)}
    dump = getattr(values, "model_dump", None)
    return dump() if callable(dump) else {}


def _shown(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    return value
