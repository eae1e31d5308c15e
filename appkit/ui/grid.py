"""``DataGrid``: a live component over an ``app.table_for(Row)`` table, a query or a list,
with search, sort, paging with totals, formatted columns, row selection, inline edit
checked by the form model, add, delete with an in-page confirmation and CSV export.

    people = app.table_for(Person)

    class People(DataGrid):
        table = people
        columns = ("name", "email", Column("born", format="date"),
                   Column("salary", format="money"))
        editable = ("name", "email")

    @app.get("/people")
    def page():
        return Page("People", People.mount())

Or ``source = Query(app, "SELECT ...", params)``, or ``Rows(items)`` (a list). Only the
current page's rows are read (``LIMIT``/``OFFSET``) and rendered, so 100,000
rows stay quick; the rows are keyed (``data_keyed=True``): changing one row sends that
row, a new page its rows and pager (``data_part``). The search is a ``LIKE`` with
parameters (a list's in Python); a sort or a page the grid does not have is a 400. The
CSV export: ``GET /_appkit-grid/<name>.csv`` (``install(app)``; ``UISettings`` does it).
See docs/ui.md.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import typing
from collections.abc import Mapping
from typing import Any, ClassVar

from sqlite_utils.db import quote_identifier as q

from appkit.app.forms import Submitted, form_for
from appkit.errors import BadRequest, ConfigurationError
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
from appkit.live.components import Component, handler, root_path, state
from appkit.ui.grid_export import EXPORT_ROUTE, assets, bring_script, install
from appkit.ui.grid_sources import GRIDS as _GRIDS
from appkit.ui.grid_sources import (
    Column,
    Query,
    Rows,
    TableSource,
    checked_search,
    dom_id,
    kind,
    label_format,
    make_source,
    money,
    text_of,
    value_of,
)

__all__ = ["Column", "DataGrid", "EXPORT_ROUTE", "Query", "Rows", "assets", "install", "money"]

_NEW = ("", 0)   # the key of a row being added


class DataGrid(Component):
    """A data grid (see the module). Subclass it and set:

    Class attributes:
        table: the table (``app.table_for(Row)``); or
        source: ``Query(app, sql, params, key=)`` or ``Rows(items, key=)`` (a list).
        columns: field names or ``Column``s to show (all the rows' fields unless set).
        editable: the fields of a table's row edited in place and when adding (none: no
            edit, no add).
        form: for a query or a list, the form model (a dataclass) of a row's edit and of
            an added row; ``save_row`` saves it (none: read-only).
        searchable: the fields the search box looks in (the text columns unless set).
        page_size: rows per page (50).
        deletable: whether rows have a Delete button (asked in an in-page dialog); a
            query's or a list's rows only when the grid defines ``delete_row``.
        filters: names of the grid's own ``str`` state fields (``state("", bind=True)``)
            that narrow the rows, "" meaning all: a field of the row by default matches
            its column exactly; override ``filter_where`` (SQL) or ``filter_match`` (a
            list) for another condition. The export follows them.
    """

    table: ClassVar[Any] = None
    source: ClassVar[Any] = None
    columns: ClassVar[tuple[str | Column, ...]] = ()
    editable: ClassVar[tuple[str, ...]] = ()
    form: ClassVar[type | None] = None
    searchable: ClassVar[tuple[str, ...] | None] = None
    page_size: ClassVar[int] = 50
    deletable: ClassVar[bool] = True
    filters: ClassVar[tuple[str, ...]] = ()
    _source: ClassVar[Any] = None
    _prepared: ClassVar[bool] = False
    _columns: ClassVar[tuple[Column, ...]] = ()
    _text: ClassVar[tuple[str, ...]] = ()
    _edit_model: ClassVar[type | None] = None
    _can_delete: ClassVar[bool] = False

    query: str = state("", bind=True)
    sort: str = ""
    desc: bool = False
    page: int = 1
    selected: list = []  # noqa: RUF012 (state: each instance gets its own copy)
    editing: Any = None    # the key of the row being edited ("" or 0: a new row)
    raw: dict = {}  # noqa: RUF012
    errors: dict = {}  # noqa: RUF012

    def __init_subclass__(cls, **kwargs: Any) -> None:
        own = cls.__dict__.get("table") is not None or cls.__dict__.get("source") is not None
        if own:
            if cls.table is not None and cls.source is not None:
                raise ConfigurationError(f"{cls.__name__} sets both table and source: "
                                         "a grid shows one of them")
            cls._source = make_source(cls.table, cls.source)
            cls._prepared = False
            _prepare_class(cls)
        super().__init_subclass__(**kwargs)
        if own:
            owner = cls._source.owner
            same = [g for g in _GRIDS.get(cls.name, ()) if g._source.owner is not owner]
            _GRIDS[cls.name] = [*same, cls]

    # ---- hooks of a query's or a list's grid ---------------------------------------------

    def save_row(self, key: Any, value: Any) -> Mapping[str, str] | None:
        """Save ``value`` (the ``form`` model, checked) as the row ``key`` (None: add
        it). Return messages by field name to show in the row instead (``""``: the row
        as a whole). Define it to make a query's or a list's grid editable."""
        raise ConfigurationError(f"{self.name} does not save rows: define save_row")

    def delete_row(self, key: Any) -> None:
        """Delete the row ``key``. Define it to give a query's or a list's rows Delete."""
        raise ConfigurationError(f"{self.name} does not delete rows: define delete_row")

    # ---- the query ------------------------------------------------------------------------

    @classmethod
    def ready(cls) -> tuple[Column, ...]:
        """The grid's columns, worked out from its rows' fields at the first read for a
        query or a list (their fields are known then)."""
        if not cls._prepared:
            fields = cls._source.fields()
            _prepare_columns(cls, fields or {})
            cls._prepared = fields is not None and cls._source.hints is not None
        return cls._columns

    @classmethod
    def where(cls, query: str,
              filters: Mapping[str, str] | None = None) -> tuple[str | None, list[Any]]:
        """The SQL condition (with ``?`` parameters) and its arguments for a search and
        the values of the grid's ``filters`` (those that are not "")."""
        cls.ready()
        parts: list[str] = []
        args: list[Any] = []
        text = checked_search(query)
        if text and cls._text:
            like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            parts.append(" OR ".join(f"{q(name)} LIKE ? ESCAPE '\\'" for name in cls._text))
            args += [like] * len(cls._text)
        for name in cls.filters:
            value = (filters or {}).get(name) or ""
            if value:
                sql, more = cls.filter_where(name, checked_search(str(value)))
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

    @classmethod
    def filter_match(cls, name: str, value: str, row: Any) -> bool:
        """For a list's grid: whether ``row`` passes the filter ``name`` set to ``value``
        (never ""): by default its field of that name, as text, equals it."""
        found = value_of(row, name)
        return found is not None and text_of(found) == value

    def filter_values(self) -> dict[str, str]:
        """The grid's filters and their values now."""
        return {name: str(getattr(self, name) or "") for name in self.filters}

    @classmethod
    def order_by(cls, sort: str, desc: bool) -> str:
        """The SQL ordering of a sort by ``sort`` (a column's name, checked)."""
        cls.ready()
        if not sort:
            return str(cls._source.default_order(desc)) if cls._source.searches_in_sql else ""
        if sort not in {c.name for c in cls._columns}:
            raise BadRequest(f"{cls.name} cannot sort by {sort[:40]!r}: it sorts by "
                             f"{', '.join(c.name for c in cls._columns)}")
        way = "DESC" if desc else "ASC"
        # The key breaks ties the same way, so an index on the column serves the whole
        # order (an index holds the key after the column, ascending).
        key = getattr(cls._source, "key", None)
        return f"{q(sort)} {way}, {q(key)} {way}" if key and key != sort else f"{q(sort)} {way}"

    def _matching(self, limit: int | None = None,
                  offset: int = 0) -> tuple[int, list[tuple[Any, Any]]]:
        """How many rows match, and (key, row) of ``limit`` of them from ``offset``."""
        src = self._source
        if isinstance(src, Rows):
            self.ready()
            checked_search(self.query)
            pairs = src.select(self, self.query, self.filter_values(), self.sort, self.desc)
            return len(pairs), pairs[offset:offset + limit] if limit is not None else []
        where, args = self.where(self.query, self.filter_values())
        total = src.count(where, args)
        if limit is None:
            return total, []
        rows = src.fetch(where, args, self.order_by(self.sort, self.desc), limit, offset)
        return total, [(value_of(r, src.key), r) for r in rows]

    def total(self) -> int:
        """How many rows match the search."""
        return self._matching()[0]

    def pages(self, total: int) -> int:
        """How many pages ``total`` rows fill (at least one)."""
        return max(1, math.ceil(total / self.page_size))

    def rows(self) -> list[Any]:
        """The current page's rows."""
        return [row for _, row in self._page()[1]]

    def _page(self) -> tuple[int, list[tuple[Any, Any]]]:
        if isinstance(self._source, Rows):   # one pass over the list
            total, pairs = self._matching(10**12)
            self.page = min(self.page, self.pages(total))
            start = (self.page - 1) * self.page_size
            return total, pairs[start:start + self.page_size]
        total, _ = self._matching()
        self.page = min(self.page, self.pages(total))
        return self._matching(self.page_size, (self.page - 1) * self.page_size)

    def _key(self, text: str) -> Any:
        self.ready()
        return self._source.parse_key(text)

    # ---- handlers -------------------------------------------------------------------------

    @handler
    def search(self) -> None:
        """The search box changed: back to the first page."""
        checked_search(self.query)
        self.page, self.editing, self.errors = 1, None, {}

    @handler
    def order(self, by: str) -> None:
        """Sort by the column ``by`` (again: the other way)."""
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
    def toggle(self, row: str) -> None:
        """Select the row ``row``, or unselect it."""
        key = self._key(row)
        self.selected = ([r for r in self.selected if r != key] if key in self.selected
                         else [*self.selected, key])

    @handler
    def toggle_page(self) -> None:
        """Select every row of the page, or, when they all are, none of them."""
        ids = [key for key, _ in self._page()[1]]
        if all(i in self.selected for i in ids):
            self.selected = [r for r in self.selected if r not in ids]
        else:
            self.selected = [*self.selected, *(i for i in ids if i not in self.selected)]

    @handler
    def edit(self, row: str = "") -> None:
        """Edit the row ``row`` in place ("" or 0: a new row)."""
        if self._edit_model is None:
            raise BadRequest(f"{self.name} has no editable columns")
        key = self._key(row) if row else ""
        if key not in _NEW:
            self._source.get(key)  # 404 when it is gone
        self.editing, self.raw, self.errors = key, {}, {}

    @handler
    def cancel(self) -> None:
        """Stop editing."""
        self.editing, self.raw, self.errors = None, {}, {}

    @handler
    def delete(self, row: str) -> None:
        """Delete the row ``row`` (the page asked first)."""
        if not self._can_delete:
            raise BadRequest(f"{self.name} does not delete rows")
        key = self._key(row)
        if isinstance(self._source, TableSource):
            self._source.table.delete(key)
        else:
            self._source.get(key)   # 404 when it is gone
            self.delete_row(key)
        self.selected = [r for r in self.selected if r != key]
        if self.editing == key:
            self.editing = None
        self.page = min(self.page, self.pages(self.total()))

    def _save(self, form: Submitted[Any], row: str = "") -> None:
        if self._edit_model is None:
            raise BadRequest(f"{self.name} has no editable columns")
        key = self._key(row) if row else ""
        new = key in _NEW
        if not new:
            self._source.get(key)   # 404 when it is gone
        if not form.accepted:
            self.raw, self.errors, self.editing = dict(form.raw), dict(form.errors), key
            return
        if not isinstance(self._source, TableSource):
            found = self.save_row(None if new else key, form.value)
            if found:
                self.raw, self.errors = dict(form.raw), {str(k): str(v) for k, v in
                                                         found.items()}
                self.editing = key
                return
            self.editing, self.raw, self.errors = None, {}, {}
            return
        table = self._source.table
        try:
            whole = (table.cls(**form.changes) if new
                     else dataclasses.replace(table.get(key), **form.changes))
        except (TypeError, ValueError) as exc:
            self.raw, self.errors, self.editing = dict(form.raw), {"": str(exc)}, key
            return
        check = getattr(whole, "validate", None)
        found = check() if callable(check) else None
        if found:
            self.raw, self.errors = dict(form.raw), {str(k): str(v) for k, v in found.items()}
            self.editing = key
            return
        form.save(table, None if new else key)
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
        bring_script()
        total, pairs = self._page()
        last = self.pages(total)
        ids = [key for key, _ in pairs]
        first = (self.page - 1) * self.page_size + 1 if total else 0
        upto = min(total, self.page * self.page_size)
        body = []
        if self.editing in _NEW and self.editing is not None:
            body.append(self._form_row("", None))
        for key, row in pairs:
            body.append(self._form_row(key, row) if key == self.editing and key not in _NEW
                        else self._row(key, row))
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
        if self._has_actions():
            heads.append(Th(Span("Actions", cls="appkit-visually-hidden")))

        def pager(label: str, to: int, enabled: bool) -> Any:
            return Button(label, type="button", disabled=not enabled, cls="secondary",
                          aria_label=f"{label} page", **self.on("goto", page=to))

        return Div(
            Div(Input(type="search", name="query", value=self.query, placeholder="Search",
                      aria_label="Search", hx_trigger="input changed delay:250ms, search",
                      **self.on("search")),
                Button("Add", type="button", **self.on("edit", row=""))
                if self._edit_model is not None else None,
                A("Export CSV", href=self.export_url(), download=f"{self.name}.csv",
                  role="button", cls="secondary"),
                Span(f"{len(self.selected):,} selected", id=f"{self.id}-selected")
                if self.selected else None,
                cls="appkit-grid-tools", id=f"{self.id}-tools", data_part=True),
            # The parts (data_part) and the keyed rows are what an event's answer over the
            # page's socket sends when they change (a new page: the rows and the pager).
            Div(Table(Thead(Tr(*heads), id=f"{self.id}-head", data_part=True),
                      Tbody(body, id=f"{self.id}-rows", data_keyed=True,
                            data_grid_event=self.on("toggle", row="")["hx-post"],
                            hx_sync="this:queue all")),
                cls="appkit-grid-scroll"),
            Div(P(f"{first:,}–{upto:,} of {total:,}", id=f"{self.id}-count",
                  aria_live="polite"),
                pager("First", 1, self.page > 1),
                pager("Previous", max(1, self.page - 1), self.page > 1),
                Span(f"Page {self.page:,} of {last:,}"),
                pager("Next", min(last, self.page + 1), self.page < last),
                pager("Last", last, self.page < last),
                cls="appkit-grid-pager", id=f"{self.id}-pager", data_part=True),
            cls="appkit-datagrid")

    def _has_actions(self) -> bool:
        return self._edit_model is not None or self._can_delete

    def _row(self, key: Any, row: Any) -> Any:
        # The checkbox sends "toggle" through grid.js (the row's data-k): no htmx
        # attributes in every row (a page of them is what a page change sends).
        cells = [Td(Input(type="checkbox", checked=key in self.selected,
                          aria_label=f"Select row {key}"))]
        for column in self._columns:
            value = value_of(row, column.name)
            right = column.format in ("money", "number") or (
                column.format is None and isinstance(value, int | float)
                and not isinstance(value, bool))
            cells.append(Td(column.show(value), cls="appkit-grid-num" if right else None))
        actions = []   # sent by grid.js too (data-do), the row's key from its data-k
        if self._edit_model is not None:
            actions.append(Button("Edit", type="button", cls="secondary",
                                  aria_label=f"Edit row {key}", data_do="edit"))
        if self._can_delete:
            actions.append(Button("Delete", type="button", cls="secondary",
                                  aria_label=f"Delete row {key}",
                                  hx_confirm=f"Delete row {key}? This cannot be undone.",
                                  data_do="delete"))
        if actions:
            cells.append(Td(*actions, cls="appkit-grid-actions"))
        return Tr(*cells, id=f"{self.id}-r{dom_id(key)}", data_k=key,
                  aria_selected="true" if key in self.selected else None)

    def _form_row(self, key: Any, row: Any) -> Any:
        model = self._edit_model
        if model is None:
            raise ConfigurationError(f"{self.name} has no editable columns")
        values: Any = self.raw or ({f.name: value_of(row, f.name) for f in
                                    dataclasses.fields(model)} if row is not None else None)
        attrs = self.on("save", row=key)
        first = dataclasses.fields(model)[0].name   # focused when the row opens
        new = key in _NEW
        form = form_for(model).render(
            values, self.errors, submit="Save", hx_post=attrs["hx-post"],
            hx_vals=attrs["hx-vals"], hx_sync=attrs["hx-sync"],
            field_attrs=lambda f: {"autofocus": f.name == first},
            cls="appkit-grid-form", aria_label="New row" if new else f"Edit row {key}")
        form = form(Button("Cancel", type="button", cls="secondary", **self.on("cancel")))
        return Tr(Td(form, colspan=len(self._columns) + 1 + self._has_actions()),
                  id=f"{self.id}-{'new' if new else f'r{dom_id(key)}'}")


def _prepare_class(cls: type[DataGrid]) -> None:
    """Check what a grid class sets that needs no rows, give it its ``save`` handler, and
    work out its columns when its rows' fields are known now (a table)."""
    for name in cls.filters:
        if name in ("q", "sort", "desc") or name not in typing.get_type_hints(cls):
            raise ConfigurationError(
                f"{cls.__name__}.filters names {name!r}: a filter is a str state field of "
                f"the grid (`{name}: str = state(\"\", bind=True)`), not q, sort or desc")
    if not 1 <= cls.page_size <= 1000:
        raise ConfigurationError(f"{cls.__name__}.page_size is 1 to 1000, not {cls.page_size}")
    src = cls._source
    if isinstance(src, TableSource):
        _prepare_columns(cls, src.fields())
        cls._prepared = True
        cls._can_delete = cls.deletable
        model = _table_model(cls, src)
    else:
        if cls.editable:
            raise ConfigurationError(
                f"{cls.__name__}.editable is for a table's grid: give a query's or a "
                "list's grid form = <a dataclass> and a save_row method")
        saves = cls.save_row is not DataGrid.save_row
        model = cls.form
        if (model is None) != (not saves):
            raise ConfigurationError(
                f"{cls.__name__} edits rows with both form = <a dataclass> and a save_row "
                "method: it has only one of them")
        if model is not None and not (isinstance(model, type)
                                      and dataclasses.is_dataclass(model)):
            raise ConfigurationError(f"{cls.__name__}.form is a dataclass, not {model!r}")
        cls._can_delete = cls.deletable and cls.delete_row is not DataGrid.delete_row
    cls._edit_model = model
    if model is None:
        return

    def save(self: DataGrid, form: Any, row: str = "") -> None:
        self._save(form, row)

    save.__annotations__ = {"form": Submitted[model], "row": str,  # type: ignore[valid-type]
                            "return": None}
    save.__qualname__ = f"{cls.__qualname__}.save"
    save.__doc__ = "Save the edited row ``row`` ("" or 0: add it), the form's fields only."
    cls.save = handler(save)  # type: ignore[attr-defined]


def _prepare_columns(cls: type[DataGrid], fields: Mapping[str, Any]) -> None:
    """Work out a grid class's columns and search columns from its rows' fields (name ->
    type; None: not known)."""
    src = cls._source

    def known(name: str, what: str) -> str:
        if fields and name not in fields:
            raise ConfigurationError(
                f"{cls.__name__}.{what} names {name!r}, which {src.row_name} does not "
                f"have (its fields: {', '.join(fields)})")
        return name

    columns = [c if isinstance(c, Column) else Column(c) for c in
               (cls.columns or tuple(fields))]
    made = []
    for column in columns:
        known(column.name, "columns")
        if column.format is None:
            kin = kind(fields.get(column.name))
            fmt = label_format(src, column.name) or (  # an Autocomplete's label
                "datetime" if kin is datetime.datetime else "date" if kin is datetime.date
                else "number" if kin in (int, float) and column.name != getattr(
                    src, "key", None) else "text")
            column = dataclasses.replace(column, format=fmt)
        made.append(column)
    cls._columns = tuple(made)
    text = cls.searchable if cls.searchable is not None else tuple(
        c.name for c in made if kind(fields.get(c.name)) is str)
    cls._text = tuple(known(name, "searchable") for name in text)
    for name in cls.filters:
        sql = isinstance(src, TableSource | Query)
        hook = "filter_where" if sql else "filter_match"
        default = vars(DataGrid)[hook].__func__
        if fields and name not in fields and getattr(getattr(cls, hook), "__func__",
                                                     None) is default:
            raise ConfigurationError(
                f"{cls.__name__}.filters names {name!r}, which {src.row_name} does not "
                f"have: override {hook} to say what it matches")


def _table_model(cls: type[DataGrid], src: TableSource) -> type | None:
    """The form model of a table grid's ``editable`` fields (None: none)."""
    fields = {f.name: f for f in dataclasses.fields(src.table.cls)}
    # With their Annotated extras: an Autocomplete, a Score... edits the row as in a form.
    hints = typing.get_type_hints(src.table.cls, include_extras=True)
    for name in cls.editable:
        if name not in fields:
            raise ConfigurationError(
                f"{cls.__name__}.editable names {name!r}, which {src.row_name} does not "
                f"have (its fields: {', '.join(fields)})")
    if src.key in cls.editable:
        raise ConfigurationError(f"{cls.__name__}.editable cannot hold the key {src.key!r}")
    if not cls.editable:
        return None
    specs = []
    for name in cls.editable:
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
    return model
