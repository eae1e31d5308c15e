"""``DataGrid``: a live component over an ``app.table_for(Row)`` table, with search, sort,
server-side paging with totals, formatted columns, row selection, inline edit checked by
the form model, add, delete with an in-page confirmation and CSV export.

    people = app.table_for(Person)

    class People(DataGrid):
        table = people
        columns = ("name", "email", Column("born", format="date"),
                   Column("salary", format="money"))
        editable = ("name", "email")

    @app.get("/people")
    def page():
        return Page("People", People.mount())

Only the current page's rows are read (``LIMIT``/``OFFSET``) and rendered, so a table of
100,000 rows stays quick; the rows are keyed (``data_keyed=True``), so changing one row
sends that row. The search is a ``LIKE`` over the text columns with parameters; a sort or
a page the grid does not have is a 400. The CSV export is ``GET /_appkit-grid/<name>.csv``
(``install(app)`` adds it once; ``UISettings`` does that). See docs/ui.md.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import math
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

from sqlite_utils.db import quote_identifier as q
from starlette.requests import Request
from starlette.responses import StreamingResponse

from appkit.app.forms import Submitted, form_for
from appkit.errors import BadRequest, ConfigurationError, Forbidden, NotFound
from appkit.html import (
    A,
    Button,
    Div,
    Input,
    P,
    Span,
    Table,
    Tbody,
    Td,
    Th,
    Thead,
    Tr,
)
from appkit.live.components import COMPONENTS_KEY, Component, handler, root_path, state

__all__ = ["Column", "DataGrid", "EXPORT_ROUTE", "install"]

#: Where a grid's rows are exported as CSV (``/_appkit-grid/<grid name>.csv``).
EXPORT_ROUTE = "/_appkit-grid"
#: The grids by name, for the export route (a name may be used by grids of several apps).
_GRIDS: dict[str, list[type[DataGrid]]] = {}
_FORMATS = ("text", "number", "money", "date", "datetime")
_BATCH = 1000


@dataclasses.dataclass(frozen=True)
class Column:
    """A column of a grid.

    Args:
        name: the field of the table's dataclass.
        label: its heading (else the name in words).
        format: ``"text"``, ``"number"``, ``"money"`` (two decimal places, grouped
            thousands), ``"date"``, ``"datetime"``, or a callable of the value giving
            text; None picks by the field's type.
    """

    name: str
    label: str = ""
    format: str | Callable[[Any], str] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.format, str) and self.format not in _FORMATS:
            raise ConfigurationError(
                f"Column {self.name!r}: a format is one of {', '.join(_FORMATS)} or a "
                f"callable, not {self.format!r}")

    @property
    def heading(self) -> str:
        """The label shown at the top of the column."""
        return self.label or self.name.replace("_", " ").capitalize()

    def show(self, value: Any) -> str:
        """``value`` as the column shows it (and exports it)."""
        if value is None:
            return ""
        fmt = self.format
        if callable(fmt):
            return str(fmt(value))
        if fmt == "money":
            return money(value)
        if fmt == "datetime" and isinstance(value, datetime.datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if fmt == "date" and isinstance(value, datetime.date):
            return value.strftime("%Y-%m-%d")
        if fmt == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value:,}"
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value)


def money(value: Any) -> str:
    """``value`` (a number or a decimal) with two decimal places and grouped thousands:
    ``1234.5`` -> ``"1,234.50"``."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount:,.2f}"


def _kind(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        others = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(others) == 1:
            return others[0]
    return hint


class DataGrid(Component):
    """A data grid over ``table`` (see the module). Subclass it and set:

    Class attributes:
        table: the table (``app.table_for(Row)``).
        columns: field names or ``Column``s to show (all the dataclass's fields unless set).
        editable: the fields edited in a row and when adding (none: no edit, no add).
        searchable: the fields the search box looks in (the text columns unless set).
        page_size: rows per page (50).
        deletable: whether rows have a Delete button (asked in an in-page dialog).
        filters: names of the grid's own ``str`` state fields (``state("", bind=True)``)
            that narrow the rows, "" meaning all: a field of the row by default matches
            its column exactly; override ``filter_where`` for another condition. The
            export follows them.
    """

    table: ClassVar[Any] = None
    columns: ClassVar[tuple[str | Column, ...]] = ()
    editable: ClassVar[tuple[str, ...]] = ()
    searchable: ClassVar[tuple[str, ...] | None] = None
    page_size: ClassVar[int] = 50
    deletable: ClassVar[bool] = True
    filters: ClassVar[tuple[str, ...]] = ()
    _columns: ClassVar[tuple[Column, ...]] = ()
    _text: ClassVar[tuple[str, ...]] = ()
    _edit_model: ClassVar[type | None] = None

    query: str = state("", bind=True)
    sort: str = ""
    desc: bool = False
    page: int = 1
    selected: list = []  # noqa: RUF012 (state: each instance gets its own copy)
    editing: int | None = None    # the row being edited (0: a new row)
    raw: dict = {}  # noqa: RUF012
    errors: dict = {}  # noqa: RUF012

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if cls.__dict__.get("table") is not None:
            _prepare(cls)
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("table") is not None:
            same = [g for g in _GRIDS.get(cls.name, ())
                    if getattr(g.table, "_store", None) is not getattr(cls.table, "_store", 0)]
            _GRIDS[cls.name] = [*same, cls]

    # ---- the query ------------------------------------------------------------------------

    @classmethod
    def where(cls, query: str,
              filters: Mapping[str, str] | None = None) -> tuple[str | None, list[Any]]:
        """The SQL condition (with ``?`` parameters) and its arguments for a search and
        the values of the grid's ``filters`` (those that are not "")."""
        parts: list[str] = []
        args: list[Any] = []
        text = query.strip()
        if text and cls._text:
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            parts.append(" OR ".join(f"{q(name)} LIKE ? ESCAPE '\\'" for name in cls._text))
            args += [like] * len(cls._text)
        for name in cls.filters:
            value = (filters or {}).get(name) or ""
            if value:
                sql, more = cls.filter_where(name, str(value))
                parts.append(sql)
                args += more
        if not parts:
            return None, []
        if len(parts) == 1:
            return parts[0], args
        return " AND ".join(f"({part})" for part in parts), args

    @classmethod
    def filter_where(cls, name: str, value: str) -> tuple[str, list[Any]]:
        """The SQL condition of the filter ``name`` set to ``value`` (never ""): by
        default the row's field of that name equals it. Override it for another
        condition (``("day LIKE ?", [value + "-%"])`` for a month)."""
        return f"{q(name)} = ?", [value]

    def filter_values(self) -> dict[str, str]:
        """The grid's filters and their values now."""
        return {name: str(getattr(self, name) or "") for name in self.filters}

    @classmethod
    def order_by(cls, sort: str, desc: bool) -> str:
        """The SQL ordering of a sort by ``sort`` (a column's name, checked)."""
        pk = cls.table.pk
        if not sort:
            return f"{q(pk)} {'DESC' if desc else 'ASC'}"
        if sort not in {c.name for c in cls._columns}:
            raise BadRequest(f"{cls.name} cannot sort by {sort[:40]!r}: it sorts by "
                             f"{', '.join(c.name for c in cls._columns)}")
        way = "DESC" if desc else "ASC"
        # The key breaks ties the same way, so an index on the column serves the whole
        # order (an index holds the key after the column, ascending).
        return f"{q(sort)} {way}, {q(pk)} {way}"

    def total(self) -> int:
        """How many rows match the search."""
        where, args = self.where(self.query, self.filter_values())
        return int(self.table.count(where, args))

    def pages(self, total: int) -> int:
        """How many pages ``total`` rows fill (at least one)."""
        return max(1, math.ceil(total / self.page_size))

    def rows(self) -> list[Any]:
        """The current page's rows."""
        where, args = self.where(self.query, self.filter_values())
        return list(self.table.find(where, args, order_by=self.order_by(self.sort, self.desc),
                                    limit=self.page_size,
                                    offset=(self.page - 1) * self.page_size))

    # ---- handlers -------------------------------------------------------------------------

    @handler
    def search(self) -> None:
        """The search box changed: back to the first page."""
        self.page, self.editing, self.errors = 1, None, {}

    @handler
    def order(self, by: str) -> None:
        """Sort by the column ``by`` (again: the other way)."""
        if by not in {c.name for c in self._columns}:
            self.order_by(by or "?", False)   # a 400 that names the columns
        if by == self.sort:
            self.desc = not self.desc
        else:
            self.sort, self.desc = by, False
        self.page = 1

    @handler
    def goto(self, page: int) -> None:
        """Show page ``page`` (1 is the first)."""
        last = self.pages(self.total())
        if not 1 <= page <= last:
            raise BadRequest(f"{self.name} has pages 1 to {last}, not {page}")
        self.page, self.editing, self.errors = page, None, {}

    @handler
    def toggle(self, row: int) -> None:
        """Select the row ``row``, or unselect it."""
        self.selected = ([r for r in self.selected if r != row] if row in self.selected
                         else [*self.selected, row])

    @handler
    def toggle_page(self) -> None:
        """Select every row of the page, or, when they all are, none of them."""
        ids = [getattr(r, self.table.pk) for r in self.rows()]
        if all(i in self.selected for i in ids):
            self.selected = [r for r in self.selected if r not in ids]
        else:
            self.selected = [*self.selected, *(i for i in ids if i not in self.selected)]

    @handler
    def edit(self, row: int) -> None:
        """Edit the row ``row`` in place (0: a new row)."""
        if self._edit_model is None:
            raise BadRequest(f"{self.name} has no editable columns")
        if row:
            self.table.get(row)  # 404 when it is gone
        self.editing, self.raw, self.errors = row, {}, {}

    @handler
    def cancel(self) -> None:
        """Stop editing."""
        self.editing, self.raw, self.errors = None, {}, {}

    @handler
    def delete(self, row: int) -> None:
        """Delete the row ``row`` (the page asked first)."""
        if not self.deletable:
            raise BadRequest(f"{self.name} does not delete rows")
        self.table.delete(row)
        self.selected = [r for r in self.selected if r != row]
        if self.editing == row:
            self.editing = None
        self.page = min(self.page, self.pages(self.total()))

    def _save(self, form: Submitted[Any], row: int = 0) -> None:
        if self._edit_model is None:
            raise BadRequest(f"{self.name} has no editable columns")
        if not form.accepted:
            self.raw, self.errors, self.editing = dict(form.raw), dict(form.errors), row
            return
        changes = form.changes
        cls = self.table.cls
        try:
            whole = (dataclasses.replace(self.table.get(row), **changes) if row
                     else cls(**changes))
        except (TypeError, ValueError) as exc:
            self.raw, self.errors, self.editing = dict(form.raw), {"": str(exc)}, row
            return
        check = getattr(whole, "validate", None)
        found = check() if callable(check) else None
        if found:
            self.raw, self.errors = dict(form.raw), {str(k): str(v) for k, v in found.items()}
            self.editing = row
            return
        form.save(self.table, row or None)
        self.editing, self.raw, self.errors = None, {}, {}

    # ---- the page -------------------------------------------------------------------------

    def export_url(self) -> str:
        """The CSV export of the rows the grid shows (every page, its search and sort)."""
        from urllib.parse import urlencode

        params = {k: v for k, v in (("q", self.query.strip()), ("sort", self.sort),
                                    ("desc", "1" if self.desc else ""),
                                    *self.filter_values().items()) if v}
        tail = ("?" + urlencode(params)) if params else ""
        return f"{root_path()}{EXPORT_ROUTE}/{self.name}.csv{tail}"

    def render(self) -> Any:
        total = self.total()
        last = self.pages(total)
        if self.page > last:
            self.page = last
        rows = self.rows()
        pk = self.table.pk
        ids = [getattr(r, pk) for r in rows]
        first = (self.page - 1) * self.page_size + 1 if total else 0
        upto = min(total, self.page * self.page_size)
        body = []
        if self.editing == 0:
            body.append(self._form_row(0, None))
        for row in rows:
            key = getattr(row, pk)
            body.append(self._form_row(key, row) if key == self.editing else self._row(key, row))
        all_on = bool(ids) and all(i in self.selected for i in ids)
        heads = [Th(Input(type="checkbox", checked=all_on, aria_label="Select the page's rows",
                          **self.on("toggle_page")), cls="appkit-grid-check")]
        for column in self._columns:
            on = column.name == self.sort
            arrow = (" ▼" if self.desc else " ▲") if on else ""
            heads.append(Th(Button(column.heading + arrow, type="button", cls="appkit-grid-sort",
                                   **self.on("order", by=column.name)),
                            aria_sort=("descending" if self.desc else "ascending") if on
                            else None, scope="col"))
        heads.append(Th(Span("Actions", cls="appkit-visually-hidden")))

        def pager(label: str, to: int, enabled: bool) -> Any:
            return Button(label, type="button", disabled=not enabled, cls="secondary",
                          aria_label=f"{label} page", **self.on("goto", page=to))

        return Div(
            Div(Input(type="search", name="query", value=self.query, placeholder="Search",
                      aria_label="Search", hx_trigger="input changed delay:250ms, search",
                      **self.on("search")),
                Button("Add", type="button", **self.on("edit", row=0))
                if self._edit_model is not None else None,
                A("Export CSV", href=self.export_url(), download=f"{self.name}.csv",
                  role="button", cls="secondary"),
                Span(f"{len(self.selected):,} selected", id=f"{self.id}-selected")
                if self.selected else None,
                cls="appkit-grid-tools"),
            Div(Table(Thead(Tr(*heads)),
                      Tbody(body, id=f"{self.id}-rows", data_keyed=True)),
                cls="appkit-grid-scroll"),
            Div(P(f"{first:,}–{upto:,} of {total:,}", id=f"{self.id}-count",
                  aria_live="polite"),
                pager("First", 1, self.page > 1),
                pager("Previous", max(1, self.page - 1), self.page > 1),
                Span(f"Page {self.page:,} of {last:,}"),
                pager("Next", min(last, self.page + 1), self.page < last),
                pager("Last", last, self.page < last),
                cls="appkit-grid-pager"),
            cls="appkit-datagrid")

    def _row(self, key: Any, row: Any) -> Any:
        cells = [Td(Input(type="checkbox", checked=key in self.selected,
                          aria_label=f"Select row {key}", **self.on("toggle", row=key)))]
        for column in self._columns:
            value = getattr(row, column.name)
            right = column.format in ("money", "number") or (
                column.format is None and isinstance(value, int | float)
                and not isinstance(value, bool))
            cells.append(Td(column.show(value), cls="appkit-grid-num" if right else None))
        actions = []
        if self._edit_model is not None:
            actions.append(Button("Edit", type="button", cls="secondary",
                                  aria_label=f"Edit row {key}", **self.on("edit", row=key)))
        if self.deletable:
            actions.append(Button("Delete", type="button", cls="secondary",
                                  aria_label=f"Delete row {key}",
                                  hx_confirm=f"Delete row {key}? This cannot be undone.",
                                  **self.on("delete", row=key)))
        cells.append(Td(*actions, cls="appkit-grid-actions"))
        return Tr(*cells, id=f"{self.id}-r{key}",
                  aria_selected="true" if key in self.selected else None)

    def _form_row(self, key: Any, row: Any) -> Any:
        model = self._edit_model
        if model is None:
            raise ConfigurationError(f"{self.name} has no editable columns")
        values: Any = self.raw or ({f.name: getattr(row, f.name) for f in
                                    dataclasses.fields(model)} if row is not None else None)
        attrs = self.on("save", row=key)
        first = dataclasses.fields(model)[0].name   # focused when the row opens
        form = form_for(model).render(
            values, self.errors, submit="Save", hx_post=attrs["hx-post"],
            hx_vals=attrs["hx-vals"], hx_sync=attrs["hx-sync"],
            field_attrs=lambda f: {"autofocus": f.name == first},
            cls="appkit-grid-form", aria_label="New row" if not key else f"Edit row {key}")
        form = form(Button("Cancel", type="button", cls="secondary", **self.on("cancel")))
        return Tr(Td(form, colspan=len(self._columns) + 2),
                  id=f"{self.id}-{'new' if not key else f'r{key}'}")


def _prepare(cls: type[DataGrid]) -> None:
    """Work out a grid class's columns, search columns and edit model, and give it its
    ``save`` handler (``Submitted`` of the editable fields)."""
    table = cls.table
    row_cls = getattr(table, "cls", None)
    if not isinstance(row_cls, type) or not dataclasses.is_dataclass(row_cls):
        raise ConfigurationError(
            f"{cls.__name__}.table must be a table of a dataclass (app.table_for(Row)), "
            f"not {table!r}")
    hints = typing.get_type_hints(row_cls)
    fields = {f.name: f for f in dataclasses.fields(row_cls)}

    def known(name: str, what: str) -> str:
        if name not in fields:
            raise ConfigurationError(
                f"{cls.__name__}.{what} names {name!r}, which {row_cls.__name__} does not "
                f"have (its fields: {', '.join(fields)})")
        return name

    columns = [c if isinstance(c, Column) else Column(c) for c in
               (cls.columns or tuple(fields))]
    made = []
    for column in columns:
        known(column.name, "columns")
        if column.format is None:
            kind = _kind(hints[column.name])
            fmt = ("datetime" if kind is datetime.datetime else "date"
                   if kind is datetime.date else "number" if kind in (int, float)
                   and column.name != table.pk else "text")
            column = dataclasses.replace(column, format=fmt)
        made.append(column)
    cls._columns = tuple(made)
    text = cls.searchable if cls.searchable is not None else tuple(
        c.name for c in made if _kind(hints[c.name]) is str)
    cls._text = tuple(known(name, "searchable") for name in text)
    for name in cls.filters:
        if name in ("q", "sort", "desc") or name not in typing.get_type_hints(cls):
            raise ConfigurationError(
                f"{cls.__name__}.filters names {name!r}: a filter is a str state field of "
                f"the grid (`{name}: str = state(\"\", bind=True)`), not q, sort or desc")
        default = vars(DataGrid)["filter_where"].__func__
        if name not in fields and getattr(cls.filter_where, "__func__", None) is default:
            raise ConfigurationError(
                f"{cls.__name__}.filters names {name!r}, which {row_cls.__name__} does not "
                f"have: override filter_where to say what it matches")
    if not 1 <= cls.page_size <= 1000:
        raise ConfigurationError(f"{cls.__name__}.page_size is 1 to 1000, not {cls.page_size}")
    editable = [known(name, "editable") for name in cls.editable]
    if table.pk in editable:
        raise ConfigurationError(f"{cls.__name__}.editable cannot hold the key {table.pk!r}")
    if not editable:
        cls._edit_model = None
        return
    specs = []
    for name in editable:
        f = fields[name]
        extra: dict[str, Any] = {"metadata": f.metadata}
        if f.default is not dataclasses.MISSING:
            extra["default"] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            extra["default_factory"] = f.default_factory
        specs.append((name, hints[name], dataclasses.field(**extra)))
    # Fields without a default first, as a dataclass needs.
    specs.sort(key=lambda s: s[2].default is not dataclasses.MISSING
               or s[2].default_factory is not dataclasses.MISSING)
    model = dataclasses.make_dataclass(f"{cls.__name__}Edit", specs)
    model.__module__ = cls.__module__
    cls._edit_model = model

    def save(self: DataGrid, form: Any, row: int = 0) -> None:
        self._save(form, row)

    save.__annotations__ = {"form": Submitted[model], "row": int,  # type: ignore[valid-type]
                            "return": None}
    save.__qualname__ = f"{cls.__qualname__}.save"
    save.__doc__ = "Save the edited row ``row`` (0: add it), its editable fields only."
    cls.save = handler(save)  # type: ignore[attr-defined]


# ---- the CSV export ------------------------------------------------------------------------


def install(app: Any) -> None:
    """Add the grids' CSV export route to ``app`` (once). It serves the grids whose table
    is one of ``app``'s, to a user their ``permissions`` allow."""
    if getattr(app, "_appkit_grid_export", False):
        return
    app._appkit_grid_export = True

    async def export(request: Request, grid: str) -> StreamingResponse:
        store = getattr(app, "store", None)
        cls = next((g for g in _GRIDS.get(grid, ())
                    if getattr(g.table, "_store", None) is store), None)
        if cls is None:
            raise NotFound(f"This app has no grid called {grid[:60]!r}")
        if cls.permissions:
            components = request.scope.get(COMPONENTS_KEY)
            if components is None:
                raise Forbidden(f"You may not export {cls.name}")
            await components.check_permissions(cls, request)
        return _export(cls, request)

    app.get(EXPORT_ROUTE + "/{grid}.csv", name="appkit-grid-export")(export)


def _export(cls: type[DataGrid], request: Request) -> StreamingResponse:
    params = request.query_params
    known = ("q", "sort", "desc", *cls.filters)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise BadRequest(f"The export takes {', '.join(known)}, not "
                         f"{', '.join(unknown)[:80]}")
    query = params.get("q", "")
    if any(len(params.get(name, "")) > 1000 for name in ("q", *cls.filters)):
        raise BadRequest("The search and each filter are at most 1,000 characters")
    desc = params.get("desc", "") not in ("", "0")
    order = cls.order_by(params.get("sort", ""), desc)
    where, args = cls.where(query, {name: params.get(name, "") for name in cls.filters})
    table = cls.table
    columns = cls._columns

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.heading for c in columns])
        offset = 0
        while True:
            batch = table.find(where, args, order_by=order, limit=_BATCH, offset=offset)
            for row in batch:
                writer.writerow([_cell(c, getattr(row, c.name)) for c in columns])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if len(batch) < _BATCH:
                return
            offset += _BATCH

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{cls.name}.csv"'})


def _cell(column: Column, value: Any) -> str:
    text = "" if value is None else (
        money(value).replace(",", "") if column.format == "money" else
        column.show(value) if column.format in ("date", "datetime") or callable(column.format)
        else str(value))
    # A cell a spreadsheet would run as a formula is written as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
