"""The 100,000 people of ``bench/grid.py``, the same for every app: made from their number,
so every app shows the same rows in the same order, and written to SQLite with the indexes a
grid's sorts need."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

ROWS = 100_000
PAGE = 50
COLUMNS = ("id", "name", "email", "born", "salary")
CREATE = ("CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
          "email TEXT NOT NULL, born TEXT, salary REAL NOT NULL)")
INDEXES = ("CREATE INDEX person_name ON person(name)",
           "CREATE INDEX person_born ON person(born)",
           "CREATE INDEX person_salary ON person(salary)")
_EPOCH = dt.date(1950, 1, 1)


def name(n: int) -> str:
    """Person ``n``'s name (``Person 000001``...): sorting by name is sorting by number."""
    return f"Person {n:06d}"


def person(n: int) -> tuple[int, str, str, str, float]:
    """Row ``n`` (1 to ``ROWS``): id, name, email, born (ISO date), salary."""
    born = _EPOCH + dt.timedelta(days=(n * 37) % 20_000)
    salary = 20_000 + (n * 7919) % 100_000 + (n % 100) / 100
    return n, name(n), f"person{n}@example.com", born.isoformat(), salary


def people(rows: int = ROWS) -> Iterator[tuple[int, str, str, str, float]]:
    """Every row, in order."""
    return (person(n) for n in range(1, rows + 1))


def fill(db: sqlite3.Connection, rows: int = ROWS) -> None:
    """Write the rows into ``db``'s (empty) ``person`` table, in one transaction."""
    db.executemany("INSERT INTO person VALUES (?, ?, ?, ?, ?)", people(rows))


def make_db(path: Path, rows: int = ROWS) -> None:
    """A SQLite file at ``path`` with the table, its indexes and the rows (if it has none)."""
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute(CREATE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
            for index in INDEXES:
                db.execute(index.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
            if db.execute("SELECT count(*) FROM person").fetchone()[0] == 0:
                fill(db, rows)
    finally:
        db.close()
