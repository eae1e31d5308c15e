"""What a ``DataGrid`` shows: its columns (``Column``) and where its rows come from.

A grid reads its rows from one of three sources, each behind the same small interface
(count, one page, every row for the export, one row by key):

- a table (``table = app.table_for(Row)``): SQL on the table, the row's key its primary key;
- ``Query(app, "SELECT ...", params, key="id")``: a read-only query on the app's database,
  wrapped as ``SELECT * FROM (<query>) WHERE <search> ORDER BY <column> LIMIT ? OFFSET ?``
  with every value a parameter, so what a user types is never SQL;
- ``Rows(items, key=None)``: a list (or a function returning one) of dataclass instances or
  dicts, searched, sorted and cut into pages in Python.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlite_utils.db import quote_identifier as q

from appkit.errors import BadRequest, ConfigurationError, NotFound

__all__ = ["Column", "Query", "Rows", "money"]

_FORMATS = ("text", "number", "money", "date", "datetime")
BATCH = 1000
#: The grids by name, for the export route (a name may be used by grids of several apps).
GRIDS: dict[str, list[Any]] = {}


@dataclasses.dataclass(frozen=True)
class Column:
    """A column of a grid.

    Args:
        name: the field of the rows (a dataclass field, a dict key, a query's column).
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


def kind(hint: Any) -> Any:
    """The type of a field's annotation, ``X | None`` being ``X``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        others = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(others) == 1:
            return others[0]
    return hint


def value_of(row: Any, name: str) -> Any:
    """The field ``name`` of a row (a dict or an object)."""
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def _key_reader(sample: Any, what: str) -> Callable[[str], Any]:
    if isinstance(sample, int) and not isinstance(sample, bool):
        def read(text: str) -> Any:
            if not re.fullmatch(r"-?\d{1,19}", text.strip()):
                raise BadRequest(f"{what}: a row's key is a whole number, not {text[:40]!r}")
            return int(text)
        return read
    return str


def dom_id(key: Any) -> str:
    """A row's key as a part of an element id (letters, digits, ``-``, ``_``; others
    as ``.hex.``), so that any key gives a distinct, valid id."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else f".{ord(c):x}."
                   for c in str(key))


def label_format(src: Any, name: str) -> Callable[[Any], str] | None:
    """For a table's field annotated with an ``Autocomplete`` of (value, label) pairs: a
    column format showing a value's label (the value itself when no choice has it)."""
    row_cls = getattr(getattr(src, "table", None), "cls", None)
    if row_cls is None:
        return None
    hint = typing.get_type_hints(row_cls, include_extras=True).get(name)
    for extra in getattr(hint, "__metadata__", ()):
        if getattr(extra, "pairs", False) and callable(getattr(extra, "label_for", None)):
            return lambda value: extra.label_for(value) or str(value)
    return None


def text_of(value: Any) -> str:
    """A value as a filter compares it (a date as ISO 8601)."""
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def checked_search(text: str) -> str:
    """The search (or a filter's value) stripped; a 400 when it is over 1,000 characters
    or not text (a lone surrogate)."""
    if len(text) > 1000:
        raise BadRequest("The search and each filter are at most 1,000 characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("The search is not text (it holds a lone surrogate)") from None
    return text.strip()



# ---- the sources ---------------------------------------------------------------------------


class TableSource:
    """A grid's rows from ``app.table_for(Row)``."""

    searches_in_sql = True

    def __init__(self, table: Any) -> None:
        row_cls = getattr(table, "cls", None)
        if not isinstance(row_cls, type) or not dataclasses.is_dataclass(row_cls):
            raise ConfigurationError(
                f"A grid's table must be a table of a dataclass (app.table_for(Row)), "
                f"not {table!r}")
        self.table = table
        self.key: str | None = table.pk
        self.owner = getattr(table, "_store", None)
        self.hints: dict[str, Any] | None = typing.get_type_hints(row_cls)
        self.row_name = row_cls.__name__
        self._read_key = _key_reader(1 if kind(self.hints[table.pk]) is int else "", "table")

    def owned_by(self, app: Any) -> bool:
        return self.owner is getattr(app, "store", None)

    def fields(self) -> dict[str, Any]:
        return dict(self.hints or {})

    def parse_key(self, text: str) -> Any:
        return self._read_key(text)

    def count(self, where: str | None, args: list[Any]) -> int:
        return int(self.table.count(where, args))

    def fetch(self, where: str | None, args: list[Any], order: str, limit: int,
              offset: int) -> list[Any]:
        return list(self.table.find(where, args, order_by=order or None, limit=limit,
                                    offset=offset))

    def get(self, key: Any) -> Any:
        return self.table.get(key)

    def default_order(self, desc: bool) -> str:
        return f"{q(self.table.pk)} {'DESC' if desc else 'ASC'}"


class Query:
    """A grid's rows from a read-only SQL query on the app's database:
    ``source = Query(app, "SELECT ... WHERE total > ?", [100], key="id")``.

    The grid wraps it (``SELECT * FROM (<query>) ...``) for its search (``LIKE`` over the
    result's text columns), sort (only by the result's columns) and pages (``LIMIT``,
    ``OFFSET``), every value a parameter. Nothing is written unless the grid's
    ``save_row``/``delete_row`` do it.

    Args:
        app: the app whose database (``app.db``) runs the query.
        sql: one ``SELECT`` (or ``WITH ... SELECT``) statement with ``?`` parameters.
        params: its parameters (a sequence), or a function returning them, called at
            every read.
        key: the result column that tells rows apart (their selection, edits and keyed
            updates): its values are unique.
    """

    searches_in_sql = True

    def __init__(self, app: Any, sql: str,
                 params: Sequence[Any] | Callable[[], Sequence[Any]] = (), *,
                 key: str = "id") -> None:
        text = sql.strip().rstrip(";").strip() if isinstance(sql, str) else ""
        if not re.match(r"(?is)(select|with|values)\b", text) or ";" in text:
            raise ConfigurationError(
                f"A grid's Query is one SELECT statement with ? parameters, not {sql!r:.80}")
        if isinstance(params, Mapping | str | bytes) or not (
                callable(params) or isinstance(params, Sequence)):
            raise ConfigurationError(
                f"A Query's params are a sequence for its ? parameters (or a function "
                f"returning one), not {params!r:.80}")
        self.app, self.sql, self.params, self.key = app, text, params, key
        self.owner = app
        self.hints: dict[str, Any] | None = None   # known at the first read
        self.row_name = "the query"
        self._read_key: Callable[[str], Any] = str

    def owned_by(self, app: Any) -> bool:
        return self.app is app

    def _args(self) -> list[Any]:
        return list(self.params() if callable(self.params) else self.params)

    def _run(self, sql: str, args: list[Any]) -> Any:
        return self.app.db.execute(sql, [*self._args(), *args])

    def fields(self) -> dict[str, Any] | None:
        """The result's columns, each typed by its first value that is not NULL (None:
        the query has no row yet, so its text columns are not known)."""
        if self.hints is not None:
            return dict(self.hints)
        cursor = self._run(f"SELECT * FROM ({self.sql}) LIMIT 1", [])
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        if self.key not in names:
            raise ConfigurationError(
                f"A grid's Query has no column {self.key!r} for its key (its columns: "
                f"{', '.join(names)}): give key=<a column whose values are unique>")
        if row is None:
            return {name: None for name in names}
        self.hints = {name: type(value) if value is not None else None
                      for name, value in zip(names, row, strict=True)}
        self._read_key = _key_reader(row[names.index(self.key)], "query")
        return dict(self.hints)

    def parse_key(self, text: str) -> Any:
        return self._read_key(text)

    def count(self, where: str | None, args: list[Any]) -> int:
        tail = f" WHERE {where}" if where else ""
        return int(self._run(f"SELECT count(*) FROM ({self.sql}){tail}", args).fetchone()[0])

    def fetch(self, where: str | None, args: list[Any], order: str, limit: int,
              offset: int) -> list[Any]:
        sql = f"SELECT * FROM ({self.sql})"
        if where:
            sql += f" WHERE {where}"
        if order:
            sql += f" ORDER BY {order}"
        cursor = self._run(sql + " LIMIT ? OFFSET ?", [*args, limit, offset])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def get(self, key: Any) -> Any:
        found = self.fetch(f"{q(self.key)} = ?", [key], "", 1, 0)
        if not found:
            raise NotFound(f"The query has no row {str(key)[:40]!r}")
        return found[0]

    def default_order(self, desc: bool) -> str:
        return f"{q(self.key)} DESC" if desc else ""


def _rank(value: Any) -> tuple[int, Any]:
    """A sort key that orders like SQLite: None first, then numbers, then text."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float | Decimal):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, datetime.date):
        return (2, value.isoformat())
    return (3, str(value))


def _ranks(values: list[Any]) -> list[Any]:
    """Sort keys of ``values`` that order like SQLite (``_rank``), the values themselves
    when they are all numbers or all text (the same order, sooner)."""
    kinds = {type(v) for v in values}
    if kinds <= {int, float} or kinds == {str}:
        return values
    return [_rank(v) for v in values]


class Rows:
    """A grid's rows from a Python list: ``source = Rows(expenses, key="id")``.

    Args:
        items: dataclass instances or dicts, or a function returning them (called at
            every read, so the grid shows the list as it is now).
        key: the field that tells rows apart; None: ``"id"`` when the rows have it, else
            the row's position in the list (1 is the first).
        app: the only app whose export route serves the grid (None: any app's).
    """

    searches_in_sql = False

    def __init__(self, items: Sequence[Any] | Callable[[], Sequence[Any]], *,
                 key: str | None = None, app: Any = None) -> None:
        if isinstance(items, str | bytes | Mapping) or not (
                callable(items) or isinstance(items, Sequence)):
            raise ConfigurationError(
                f"Rows takes a list of dataclass instances or dicts (or a function "
                f"returning one), not {items!r:.80}")
        self.items, self.key, self.owner, self.app = items, key, app, app
        self.hints: dict[str, Any] | None = None
        self.row_name = "the rows"
        self._read_key: Callable[[str], Any] = str
        self._key_name: str | None = None

    def owned_by(self, app: Any) -> bool:
        return self.app is None or self.app is app

    def all(self) -> list[Any]:
        items = list(self.items() if callable(self.items) else self.items)
        self.fields(items)
        return items

    def fields(self, items: Sequence[Any] | None = None) -> dict[str, Any] | None:
        if self.hints is not None:
            return dict(self.hints)
        if items is None:
            items = list(self.items() if callable(self.items) else self.items)
        if not items:
            return None
        first = items[0]
        if dataclasses.is_dataclass(first) and not isinstance(first, type):
            hints = typing.get_type_hints(type(first))
            names = [f.name for f in dataclasses.fields(first)]
            self.hints = {n: hints[n] for n in names}
            self.row_name = type(first).__name__
        elif isinstance(first, Mapping):
            self.hints = {str(n): type(v) if v is not None else None
                          for n, v in first.items()}
        else:
            raise ConfigurationError(
                f"Rows holds dataclass instances or dicts, not {type(first).__name__}")
        if self.key is not None and self.key not in self.hints:
            raise ConfigurationError(
                f"The rows have no field {self.key!r} for the key (their fields: "
                f"{', '.join(self.hints)})")
        self._key_name = self.key or ("id" if "id" in self.hints else None)
        sample = value_of(first, self._key_name) if self._key_name else 1
        self._read_key = _key_reader(sample, "the rows")
        return dict(self.hints)

    def key_of(self, row: Any, position: int) -> Any:
        return value_of(row, self._key_name) if self._key_name else position

    def parse_key(self, text: str) -> Any:
        return self._read_key(text)

    def select(self, grid: Any, search: str, filters: Mapping[str, str], sort: str,
               desc: bool) -> list[tuple[Any, Any]]:
        """(key, row) of the rows that match, in the grid's order."""
        pairs = [(self.key_of(row, n), row) for n, row in enumerate(self.all(), start=1)]
        text = search.strip().casefold()
        if text and grid._text:
            pairs = [p for p in pairs if any(
                isinstance(v := value_of(p[1], name), str) and text in v.casefold()
                for name in grid._text)]
        for name in grid.filters:
            value = str(filters.get(name) or "")
            if value:
                pairs = [p for p in pairs if grid.filter_match(name, value, p[1])]
        if sort:
            values = [value_of(row, sort) for _, row in pairs]
            order = sorted(range(len(pairs)), key=list(zip(_ranks(values),
                                                           _ranks([k for k, _ in pairs]),
                                                           strict=True)).__getitem__,
                           reverse=desc)
            pairs = [pairs[n] for n in order]
        elif desc:
            pairs.reverse()
        return pairs

    def get(self, key: Any) -> Any:
        for n, row in enumerate(self.all(), start=1):
            if self.key_of(row, n) == key:
                return row
        raise NotFound(f"There is no row {str(key)[:40]!r}")


def make_source(table: Any, source: Any) -> TableSource | Query | Rows:
    """The source of a grid class's ``table`` or ``source``."""
    if table is not None:
        return TableSource(table)
    if isinstance(source, Query | Rows):
        return source
    if isinstance(source, Sequence) and not isinstance(source, str | bytes) or callable(
            source):
        return Rows(source)
    raise ConfigurationError(
        f"A grid's source is a Query(app, sql, params) or Rows(items), not {source!r:.80}")


def batches(grid: Any, search: str, filters: Mapping[str, str], sort: str,
            desc: bool) -> Iterator[list[Any]]:
    """Every row the grid shows, in its order, in batches (for the export)."""
    src = grid._source
    if isinstance(src, Rows):
        pairs = src.select(grid, search, filters, sort, desc)
        for start in range(0, len(pairs), BATCH):
            yield [row for _, row in pairs[start:start + BATCH]]
        return
    where, args = grid.where(search, filters)
    order = grid.order_by(sort, desc)
    offset = 0
    while True:
        batch = src.fetch(where, args, order, BATCH, offset)
        yield batch
        if len(batch) < BATCH:
            return
        offset += BATCH
