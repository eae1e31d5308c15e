"""``Table[T]``: a table that holds instances of a dataclass, on top of sqlite-utils.

    @dataclass
    class Todo:
        title: str
        done: bool = False
        due: date | None = None
        id: int | None = None

    todos = store.table_for(Todo)                # table "todo", created on first use
    milk = todos.insert(Todo("Milk"))            # Todo(title='Milk', ..., id=1)
    todos.get(1)                                 # RowNotFound (a 404) when there is none
    todos.find(done=False, order_by="due", limit=10)
    todos.modify(1, lambda t: replace(t, done=not t.done))   # read-change-write, atomic
    mine = todos.scoped(owner=user_id)           # always filters and fills owner

Column types: ``int``, ``float``, ``str``, ``bool`` (stored 0/1), ``bytes``, ``date`` and
``datetime`` (stored as ISO 8601 text), each also as ``X | None``. Rows come back as the
dataclass, with bools as bools and dates as dates. The table resolves the calling thread's
connection on every call, so one ``Table`` serves every thread.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import re
import types
import typing
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from sqlite_utils.db import quote_identifier as q

from appkit.data.errors import RowNotFound
from appkit.errors import ConfigurationError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from appkit.data.database import Database
    from appkit.data.store import Store

T = TypeVar("T", bound="DataclassInstance")

__all__ = ["Table"]

WhereArgs = Sequence[Any] | Mapping[str, Any] | None

_KINDS: dict[Any, str] = {int: "int", float: "float", str: "str", bool: "bool",
                          bytes: "bytes", datetime.date: "str", datetime.datetime: "str"}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


def _reader(kind: Any) -> Callable[[Any], Any] | None:
    if kind is bool:
        return bool
    if kind is datetime.datetime:
        return datetime.datetime.fromisoformat
    if kind is datetime.date:
        return datetime.date.fromisoformat
    return None


@dataclasses.dataclass(frozen=True)
class _Column:
    name: str
    kind: Any  # one of _KINDS
    read: Callable[[Any], Any] | None  # database value -> Python value (None: as it is)
    write: Callable[[Any], Any] | None  # Python value -> database value


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _columns(cls: type) -> list[_Column]:
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ConfigurationError(
            f"table_for() needs a dataclass (a class decorated with @dataclass), not {cls!r}")
    try:
        hints = typing.get_type_hints(cls)
    except NameError as exc:
        raise ConfigurationError(
            f"Cannot resolve the field types of {cls.__name__}: {exc}. Import the types "
            "the fields use at the top of its module") from None
    columns = []
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        kind = hint
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            args = typing.get_args(hint)
            others = [a for a in args if a is not type(None)]
            if len(others) == 1 and len(args) == 2:
                kind = others[0]  # X | None: a column of X that may be NULL
        if kind not in _KINDS:
            raise ConfigurationError(
                f"Field {cls.__name__}.{field.name} has type {hint!r}, which a table cannot "
                "hold: use int, float, str, bool, bytes, datetime.date or datetime.datetime "
                "(or one of them | None)")
        if not field.init:
            raise ConfigurationError(
                f"Field {cls.__name__}.{field.name} has init=False: a table makes its rows "
                "with the dataclass's __init__, so every field must be one of its arguments")
        write = _iso if kind in (datetime.date, datetime.datetime) else None
        columns.append(_Column(field.name, kind, _reader(kind), write))
    return columns


class _Spec:
    """What every view of one table shares: the dataclass, columns and SQL pieces."""

    def __init__(self, cls: type, pk: str, name: str | None) -> None:
        self.cls = cls
        self.columns = _columns(cls)
        self.by_name = {c.name: c for c in self.columns}
        if pk not in self.by_name:
            raise ConfigurationError(
                f"{cls.__name__} has no field {pk!r} for the primary key; its fields are "
                f"{', '.join(self.by_name)}. Pass table_for(..., pk='<field>')")
        self.pk = pk
        self.name = name or _snake(cls.__name__)
        self.auto_pk = self.by_name[pk].kind is int
        self.table_sql = q(self.name)
        self.select_sql = (f"SELECT {', '.join(q(c.name) for c in self.columns)} "
                           f"FROM {self.table_sql}")
        self.readers = [c.read for c in self.columns]
        # Positional arguments are quicker; keyword-only fields need names.
        self.positional = not any(f.kw_only for f in dataclasses.fields(cls))
        self.checked = -1  # the store generation whose database was checked
        # The connection, and its transaction, that created the table, while that
        # transaction may still be open: until it ends, the creation may be rolled back.
        self.made_in: tuple[weakref.ref[Database], int] | None = None

    def make(self, row: Sequence[Any]) -> Any:
        """The dataclass instance for ``row`` (its columns in field order)."""
        values = [v if read is None or v is None else read(v)
                  for read, v in zip(self.readers, row, strict=True)]
        if self.positional:
            return self.cls(*values)
        return self.cls(**dict(zip(self.by_name, values, strict=True)))

    def check(self, db: Database) -> bool:
        """Create the table if it is missing; refuse one that lacks a field's column.
        True when that is settled: False if the table was made inside a transaction still
        open (which may yet roll back, so the next call checks again)."""
        made = self.made_in
        if (made is not None and made[0]() is db and made[1] == db.transactions_begun
                and db.conn.in_transaction and db.conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    [self.name]).fetchone()):
            return False  # made in the transaction still open (and not rolled back yet)
        table = db.table(self.name)
        if not table.exists():
            table.create({c.name: (str if c.write else c.kind) for c in self.columns},
                         pk=self.pk, if_not_exists=True)
            if db.conn.in_transaction:
                self.made_in = (weakref.ref(db), db.transactions_begun)
                return False
        self.made_in = None
        have = {c.name for c in table.columns}
        for column in self.columns:
            if column.name not in have:
                kind = _KINDS[column.kind]
                raise ConfigurationError(
                    f"Table {self.name!r} has no column {column.name!r}, which "
                    f"{self.cls.__name__}.{column.name} needs. Add it in a migration: "
                    f"db[{self.name!r}].add_column({column.name!r}, {kind})")
        return True


class Table(Generic[T]):
    """The rows of one table as instances of dataclass ``T`` (make one with
    ``store.table_for(cls)`` or ``db.table_for(cls)``).

    Every method uses the calling thread's connection, and writes run in a transaction
    (a savepoint inside one already open), so a ``Table`` can be shared by all threads.
    A scoped view (``scoped(owner=7)``) sees, changes and makes only rows with those values.
    """

    def __init__(self, store: Store, cls: type[T], *, pk: str = "id",
                 name: str | None = None) -> None:
        self._store = store
        self._spec = _Spec(cls, pk, name)
        self._scope: dict[str, Any] = {}  # column -> database value
        self._scope_values: dict[str, Any] = {}  # column -> Python value

    @property
    def name(self) -> str:
        """The table's name in the database."""
        return self._spec.name

    @property
    def cls(self) -> type[T]:
        """The dataclass the rows come back as."""
        return self._spec.cls

    @property
    def pk(self) -> str:
        """The primary key's field name."""
        return self._spec.pk

    @property
    def scope(self) -> dict[str, Any]:
        """The column values this view always filters by and fills in (empty: none)."""
        return dict(self._scope_values)

    def scoped(self, **values: Any) -> Table[T]:
        """A view that only sees rows with these column values, and gives new rows them.

        ``get``, ``update``, ``upsert`` and ``delete`` of a row outside the scope raise
        ``RowNotFound`` (a 404), as if it did not exist.

        Raises:
            TypeError: a name is not a field, or is the primary key.
            ValueError: a value contradicts the scope this view already has.
        """
        view: Table[T] = copy.copy(self)
        view._scope, view._scope_values = dict(self._scope), dict(self._scope_values)
        for name, value in values.items():
            column = self._column(name)
            if name == self._spec.pk:
                raise TypeError(f"Cannot scope {self.name!r} by its primary key {name!r}; "
                                "use get() for one row")
            if name in view._scope_values and view._scope_values[name] != value:
                raise ValueError(f"This view of {self.name!r} is already scoped to "
                                 f"{name}={view._scope_values[name]!r}, not {value!r}")
            view._scope_values[name] = value
            view._scope[name] = column.write(value) if column.write else value
        return view

    # ---- reading ----------------------------------------------------------------------

    def get(self, pk: Any) -> T:
        """The row whose primary key is ``pk``.

        Raises:
            RowNotFound: there is none (in this view's scope); a 404 inside a handler.
        """
        spec = self._spec
        if isinstance(pk, int) and not -(2**63) <= pk < 2**63:
            raise self._not_found(pk)  # beyond SQLite's integers: no row can have it
        where, args = self._where(None, None, {spec.pk: pk})
        row = self._db().execute(f"{spec.select_sql} WHERE {where}", args).fetchone()
        if row is None:
            raise self._not_found(pk)
        return cast(T, spec.make(row))

    def find(self, where: str | None = None, where_args: WhereArgs = None, *,
             order_by: str | None = None, limit: int | None = None,
             offset: int | None = None, **equals: Any) -> list[T]:
        """The rows that match, as dataclass instances.

        Args:
            where: an SQL condition, e.g. ``"due < ?"``.
            where_args: its parameters: a sequence for ``?``, a mapping for ``:name``.
            order_by: an SQL ordering, e.g. ``"due desc, id"``.
            limit: at most this many rows.
            offset: skip this many first.
            **equals: columns that must equal these values (``None`` means IS NULL).

        Raises:
            TypeError: a keyword is not a field of the dataclass.
            ValueError: ``limit`` or ``offset`` is not a whole number >= 0.
        """
        spec = self._spec
        if any(isinstance(v, int) and not -(2**63) <= v < 2**63 for v in equals.values()):
            return []  # beyond SQLite's integers: no row can equal it
        sql = spec.select_sql
        condition, args = self._where(where, where_args, equals)
        if condition:
            sql += f" WHERE {condition}"
        if order_by:
            sql += f" ORDER BY {order_by}"
        if limit is not None or offset is not None:
            # Capped at SQLite's largest integer (it refuses more): no table has more rows.
            sql += f" LIMIT {min(_count_arg('limit', limit, -1), 2**63 - 1)}"
            sql += f" OFFSET {min(_count_arg('offset', offset, 0), 2**63 - 1)}"
        make = spec.make
        return [make(row) for row in self._db().execute(sql, args).fetchall()]

    def first(self, where: str | None = None, where_args: WhereArgs = None, *,
              order_by: str | None = None, **equals: Any) -> T | None:
        """The first row that matches (see ``find``), or None."""
        rows = self.find(where, where_args, order_by=order_by, limit=1, **equals)
        return rows[0] if rows else None

    def count(self, where: str | None = None, where_args: WhereArgs = None,
              **equals: Any) -> int:
        """How many rows match (see ``find``)."""
        sql = f"SELECT count(*) FROM {self._spec.table_sql}"
        condition, args = self._where(where, where_args, equals)
        if condition:
            sql += f" WHERE {condition}"
        return int(self._db().execute(sql, args).fetchone()[0])

    # ---- writing ----------------------------------------------------------------------

    def insert(self, obj: T) -> T:
        """Add ``obj`` as a new row; returns it with its primary key (an ``int | None``
        key left at None is given the next number) and the scope's values filled in.

        Raises:
            TypeError: ``obj`` is not an instance of the table's dataclass.
            ValueError: its primary key is None and is not an int one.
            sqlite3.IntegrityError: a row with that primary key exists already.
        """
        spec = self._spec
        row = self._row(obj)
        fill = row[spec.pk] is None
        if fill:
            if not spec.auto_pk:
                raise ValueError(f"{spec.cls.__name__}.{spec.pk} is None: give it a value "
                                 "(only an int primary key is numbered for you)")
            del row[spec.pk]
        table = self._db().cached_table(spec.name)
        table.insert(row)
        changes = self._filled(obj)
        if fill:
            changes[spec.pk] = table.last_rowid
        return dataclasses.replace(obj, **changes) if changes else obj

    def update(self, obj: T) -> T:
        """Write ``obj`` over the row with its primary key; returns it (with the scope's
        values filled in).

        Raises:
            RowNotFound: there is no such row (in this view's scope).
            ValueError: ``obj`` has no primary key yet (insert it instead).
        """
        spec = self._spec
        row = self._row(obj)
        pk = row.pop(spec.pk)
        if pk is None:
            raise ValueError(f"This {spec.cls.__name__} has no {spec.pk} yet: insert it")
        where, args = self._where(None, None, {spec.pk: pk})
        sets = ", ".join(f"{q(name)} = ?" for name in row)
        db = self._db()
        with db.transaction():
            cursor = db.execute(f"UPDATE {spec.table_sql} SET {sets} WHERE {where}",
                                [*row.values(), *args])
        if cursor.rowcount == 0:
            raise self._not_found(pk)
        changes = self._filled(obj)
        return dataclasses.replace(obj, **changes) if changes else obj

    def modify(self, pk: Any, change: Callable[[T], T | None]) -> T:
        """Read the row whose primary key is ``pk``, change it and write it back, as one
        write transaction; returns the row as written.

            todo = todos.modify(todo_id, lambda t: replace(t, done=not t.done))

        ``change`` gets the row as it is now and returns its new version (or changes it in
        place and returns None). The transaction holds the write lock from before the read
        to after the write, so no other write, from this process or another, comes in
        between: two requests that toggle the same row at once toggle it twice, where a
        ``get`` then an ``update`` could both read the same state and one toggle be lost.
        If ``change`` raises, nothing is written and the exception goes on.

        Raises:
            RowNotFound: there is no such row (in this view's scope).
            TypeError: ``change`` returned something other than the table's dataclass.
            ValueError: ``change`` changed the primary key.
        """
        spec = self._spec
        db = self._db()
        with db.transaction():
            current = self.get(pk)
            result = change(current)
            new = current if result is None else result
            self._check_type(new)
            key = getattr(current, spec.pk)
            if getattr(new, spec.pk) != key:
                raise ValueError(
                    f"modify() cannot change {spec.cls.__name__}.{spec.pk} (from {key!r} to "
                    f"{getattr(new, spec.pk)!r}); insert a new row and delete this one instead")
            return self.update(new)

    def upsert(self, obj: T) -> T:
        """Insert ``obj``, or replace the row with its primary key if there is one;
        returns it as ``insert`` does.

        Raises:
            RowNotFound: a row with that key exists outside this view's scope.
        """
        spec = self._spec
        row = self._row(obj)
        if row[spec.pk] is None:
            return self.insert(obj)
        db = self._db()
        with db.transaction():
            if self._scope:
                owner = db.execute(
                    f"SELECT {', '.join(q(n) for n in self._scope)} FROM {spec.table_sql} "
                    f"WHERE {q(spec.pk)} = ?", [row[spec.pk]]).fetchone()
                if owner is not None and list(owner) != list(self._scope.values()):
                    raise self._not_found(row[spec.pk])
            db.cached_table(spec.name).upsert(row, pk=spec.pk)
        changes = self._filled(obj)
        return dataclasses.replace(obj, **changes) if changes else obj

    def delete(self, pk: Any) -> None:
        """Delete the row whose primary key is ``pk``.

        Raises:
            RowNotFound: there is none (in this view's scope).
        """
        where, args = self._where(None, None, {self._spec.pk: pk})
        db = self._db()
        with db.transaction():
            cursor = db.execute(f"DELETE FROM {self._spec.table_sql} WHERE {where}", args)
        if cursor.rowcount == 0:
            raise self._not_found(pk)

    # ---- helpers ----------------------------------------------------------------------

    def _db(self) -> Database:
        store = self._store
        db = store.db
        spec = self._spec
        generation = store.connections.generation
        if spec.checked != generation and spec.check(db):
            spec.checked = generation
        return db

    def _column(self, name: str) -> _Column:
        column = self._spec.by_name.get(name)
        if column is None:
            raise TypeError(f"{self._spec.cls.__name__} has no field {name!r}; its fields "
                            f"are {', '.join(self._spec.by_name)}")
        return column

    def _check_type(self, obj: Any) -> None:
        spec = self._spec
        if type(obj) is not spec.cls and not isinstance(obj, spec.cls):
            raise TypeError(f"Table {spec.name!r} holds {spec.cls.__name__} objects, "
                            f"not {type(obj).__name__}")

    def _row(self, obj: Any) -> dict[str, Any]:
        spec = self._spec
        self._check_type(obj)
        row = {}
        for column in spec.columns:
            value = getattr(obj, column.name)
            row[column.name] = column.write(value) if column.write else value
        row.update(self._scope)
        return row

    def _filled(self, obj: Any) -> dict[str, Any]:
        """The scope's values that ``obj`` does not have yet, as Python values."""
        return {name: value for name, value in self._scope_values.items()
                if getattr(obj, name) != value}

    def _where(self, where: str | None, where_args: WhereArgs,
               equals: Mapping[str, Any]) -> tuple[str, Any]:
        clauses = [f"({where})"] if where else []
        named = isinstance(where_args, Mapping)
        args: Any = dict(where_args) if named else list(where_args or ())  # type: ignore[arg-type]
        for source in (equals, self._scope):
            for name, value in source.items():
                if source is equals:
                    column = self._column(name)
                    value = column.write(value) if column.write else value
                if value is None:
                    clauses.append(f"{q(name)} IS NULL")
                elif named:
                    key = f"appkit_{len(args)}_{name}"
                    clauses.append(f"{q(name)} = :{key}")
                    args[key] = value
                else:
                    clauses.append(f"{q(name)} = ?")
                    args.append(value)
        return " AND ".join(clauses), args

    def _not_found(self, pk: Any) -> RowNotFound:
        return RowNotFound(f"There is no {self._spec.cls.__name__} with "
                           f"{self._spec.pk} {pk!r}.")

    def __repr__(self) -> str:
        scope = "".join(f" {k}={v!r}" for k, v in self.scope.items())
        return f"<Table {self.name!r} of {self._spec.cls.__name__}{scope}>"


def _count_arg(name: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return value
